#pragma once
// Datapath::State: the configured policy (writer side), the published snapshot and the
// reader/grace-period machinery. Private to the library.

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

#include "cimnet/dataplane/datapath.h"
#include "tables.h"

namespace cimnet::dataplane {

namespace detail {

struct MacKey {
  uint32_t vsid = 0;
  uint64_t mac = 0;
  bool operator==(const MacKey&) const = default;
};
struct MacKeyHash {
  size_t operator()(const MacKey& k) const { return size_t(hash_mac(k.vsid, k.mac)); }
};

// A shard of records while a change edits it: a mutable copy of the published shard's records
// (gateway addresses left out), with erase. Exists only inside Datapath::update().
template <class Slot>
class WorkTable {
 public:
  explicit WorkTable(const Shard<Slot>* from) {
    size_t n = from ? from->count : 0;
    reset(buckets_for<Slot>(n + n / 4 + 4));
    if (!from) return;
    for (uint32_t b = 0; b < from->nbuckets; ++b)
      for (const Slot& slot : from->buckets[b].slot)
        if (slot.vsid() != 0 && !is_gateway_slot(slot)) place(slot);
  }
  // The live slot with the key of `k`, or nullptr.
  Slot* find(const Slot& k) {
    uint32_t b = slot_of(slot_hash(k), nbuckets_);
    for (;;) {
      for (Slot& slot : buckets_[b].slot) {
        if (slot.vsid() == 0) return nullptr;
        if (same_key(slot, k)) return &slot;
      }
      if (++b == nbuckets_) b = 0;
    }
  }
  // Adds `v`, whose key must not be present.
  void insert(const Slot& v) {
    if ((used_ + 1) * 5 > size_t(nbuckets_) * Bucket<Slot>::kSlots * 4) {
      std::vector<Slot> all = live();
      reset(buckets_for<Slot>(all.size() * 2 + 4));
      for (const Slot& slot : all) place(slot);
    }
    place(v);
  }
  // Makes room for `extra` more inserts without growing step by step.
  void reserve(size_t extra) {
    if ((used_ + extra) * 5 <= size_t(nbuckets_) * Bucket<Slot>::kSlots * 4) return;
    std::vector<Slot> all = live();
    reset(buckets_for<Slot>((all.size() + extra) * 5 / 4 + 4));
    for (const Slot& slot : all) place(slot);
  }
  // Removes a slot found by find().
  void erase(Slot* slot) {
    slot->tag = (slot->tag & 0xFF000000u) | kErasedVsid;
    --live_;
  }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& bk : buckets_)
      for (const Slot& slot : bk.slot)
        if (slot.vsid() != 0 && slot.vsid() != kErasedVsid) f(slot);
  }
  std::vector<Slot> live() const {
    std::vector<Slot> out;
    out.reserve(live_);
    for_each([&](const Slot& slot) { out.push_back(slot); });
    return out;
  }

 private:
  void reset(uint32_t nbuckets) {
    nbuckets_ = nbuckets;
    buckets_.assign(nbuckets, Bucket<Slot>{});
    live_ = used_ = 0;
  }
  void place(const Slot& v) {
    uint32_t b = slot_of(slot_hash(v), nbuckets_);
    for (;;) {
      for (Slot& slot : buckets_[b].slot) {
        if (slot.vsid() == 0) ++used_;
        if (slot.vsid() == 0 || slot.vsid() == kErasedVsid) {
          slot = v;
          ++live_;
          return;
        }
      }
      if (++b == nbuckets_) b = 0;
    }
  }

  std::vector<Bucket<Slot>> buckets_;
  uint32_t nbuckets_ = 0;
  size_t live_ = 0;
  size_t used_ = 0;  // live + erased slots
};
struct IpHash {
  size_t operator()(const IpAddress& a) const { return size_t(hash_key(a)); }
};

// Reader slot of one worker: the policy epoch it entered its current batch at, 0 when idle.
struct alignas(64) ReaderSlot {
  std::atomic<uint64_t> epoch{0};
  std::atomic<bool> in_use{false};
  std::unique_ptr<WorkerCounters> counters;
};

}  // namespace detail

struct Datapath::State {
  explicit State(Limits l);

  Limits limits;
  std::mutex write_mutex;
  PolicyObserver* observer = nullptr;  // guarded by write_mutex

  // ---- configured policy (guarded by write_mutex) ----
  DatapathSettings settings;
  // Records keyed by an IPv4 / IPv6 customer address, and the MACs of all records, are stored
  // only in the published snapshot's tables (no second copy); a change edits copies of the
  // shards it touches (work4/work6/work_mac, empty between changes).
  std::array<std::unique_ptr<detail::WorkTable<detail::Ca4Slot>>, detail::kShards> work4;
  std::array<std::unique_ptr<detail::WorkTable<detail::Ca6Slot>>, detail::kShards> work6;
  std::array<std::unique_ptr<detail::WorkTable<detail::MacSlot>>, detail::kShards> work_mac;
  // Work copies opened in this change (kind * kShards + shard; kind 0: work4, 1: work6, 2: mac),
  // so close_work() visits only those.
  std::vector<uint32_t> opened;
  std::map<RecordKey, LookupRecord> records_l2;
  std::map<RecordKey, LookupRecord> nat_records;  // the Nat subset (so versions need no scan)
  std::map<uint32_t, size_t> records_per_vsid;
  std::map<uint32_t, VirtualSubnet> subnets;
  std::map<std::tuple<std::string, uint32_t, IpPrefix>, CustomerRoute> customer_routes;
  std::map<IpAddress, ProviderAddress> local_pas;
  std::map<IpPrefix, ProviderRoute> provider_routes;
  std::map<IpAddress, MacAddress> neighbors;
  std::map<uint16_t, VmPort> ports;

  // Provider addresses referenced by records, by stable index.
  std::unordered_map<IpAddress, uint32_t, detail::IpHash> pa_index;
  std::vector<IpAddress> pa_address;
  std::vector<uint32_t> pa_refs;
  std::vector<uint32_t> pa_free;

  // Which of the tables built beside the record shards the next snapshot must rebuild; the rest
  // it shares (immutably) with the published one. Set by update() and by intern_pa / release_pa /
  // unrelease_pa when an index gains or loses its address, cleared by each build. A refused
  // change may leave a flag set: that only costs one rebuild, never a stale table.
  bool providers_dirty = true;  // PA set, local PAs, provider routes, neighbours, provider MAC
  bool subnets_dirty = true;    // subnets or VM ports (subnet info, per-port table)
  bool routes_dirty = true;     // customer routes

  std::map<uint32_t, uint32_t> vsid_counter;     // VSID -> counter index (never reused)
  std::map<std::string, uint32_t> domain_index;  // routing domain -> index (never reused)

  // ---- published version ----
  std::atomic<const detail::Snapshot*> current{nullptr};
  std::unique_ptr<const detail::Snapshot> current_owner;
  std::atomic<uint64_t> epoch{1};
  std::unique_ptr<detail::ReaderSlot[]> readers;

  // The work copy of a shard, opened from the published version on first use in a change.
  detail::WorkTable<detail::Ca4Slot>& open4(size_t shard);
  detail::WorkTable<detail::Ca6Slot>& open6(size_t shard);
  detail::WorkTable<detail::MacSlot>& open_mac(size_t shard);
  void close_work();

  uint32_t intern_pa(const IpAddress& a);
  void release_pa(uint32_t index);
  // Undoes release_pa(index) of `address` (changes are undone in reverse order).
  void unrelease_pa(uint32_t index, const IpAddress& address);
  uint32_t domain_of(const std::string& name);
  void publish(std::unique_ptr<const detail::Snapshot> next);
  const detail::Snapshot& snapshot() const { return *current_owner; }
};

}  // namespace cimnet::dataplane

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

struct RecordKeyHash {
  size_t operator()(const RecordKey& k) const {
    return size_t(hash_key(k.customer) ^ mix64(k.vsid) ^ mac48(k.mac.bytes.data()));
  }
};
struct MacKey {
  uint32_t vsid = 0;
  uint64_t mac = 0;
  bool operator==(const MacKey&) const = default;
};
struct MacKeyHash {
  size_t operator()(const MacKey& k) const { return size_t(hash_mac(k.vsid, k.mac)); }
};
struct MacUse {
  uint32_t pa_index = kNoPa;
  uint32_t refs = 0;
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

  // ---- configured policy (guarded by write_mutex) ----
  DatapathSettings settings;
  std::array<std::unordered_map<RecordKey, LookupRecord, detail::RecordKeyHash>, detail::kShards>
      records4, records6;
  std::map<RecordKey, LookupRecord> records_l2;
  std::map<RecordKey, LookupRecord> nat_records;  // the Nat subset (so versions need no scan)
  std::array<std::unordered_map<detail::MacKey, detail::MacUse, detail::MacKeyHash>,
             detail::kShards>
      macs;
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

  std::map<uint32_t, uint32_t> vsid_counter;         // VSID -> counter index (never reused)
  std::map<std::string, uint32_t> domain_index;      // routing domain -> index (never reused)

  std::array<bool, detail::kShards> dirty4{}, dirty6{}, dirty_mac{};

  // ---- published version ----
  std::atomic<const detail::Snapshot*> current{nullptr};
  std::unique_ptr<const detail::Snapshot> current_owner;
  std::atomic<uint64_t> epoch{1};
  std::unique_ptr<detail::ReaderSlot[]> readers;

  uint32_t intern_pa(const IpAddress& a);
  void release_pa(uint32_t index);
  uint32_t domain_of(const std::string& name);
  void publish(std::unique_ptr<const detail::Snapshot> next);
  const detail::Snapshot& snapshot() const { return *current_owner; }
};

}  // namespace cimnet::dataplane

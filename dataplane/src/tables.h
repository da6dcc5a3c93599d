#pragma once
// Compiled, immutable policy tables (one "snapshot" per policy version) and the hash tables they
// are made of. Private to the library.

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "cimnet/dataplane/addr.h"
#include "cimnet/dataplane/counters.h"
#include "cimnet/dataplane/packet.h"
#include "cimnet/dataplane/policy.h"

namespace cimnet::dataplane::detail {

// Keys are compared as little-endian machine words (Ca4Slot::key, kGreWord).
static_assert(std::endian::native == std::endian::little);

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// A MAC address as an integer key (host byte order of the six bytes; only for hashing and
// equality). mac_bytes() turns it back.
inline uint64_t mac48(const uint8_t* m) {
  // Two loads combined in registers: copying six bytes into a zeroed word made the compiler go
  // through the stack, and the wide reload of narrower stores stalls store forwarding.
  return uint64_t(load32(m)) | uint64_t(load16(m + 4)) << 32;
}
inline void mac_bytes(uint64_t v, uint8_t* out) {
  std::memcpy(out, &v, 6);
}

inline bool eq16(const uint8_t* a, const uint8_t* b) {
  return ((load64(a) ^ load64(b)) | (load64(a + 8) ^ load64(b + 8))) == 0;
}

// Key hashes. The top 8 bits pick a shard, the low 32 bits the slot inside it.
// One 64x64->128-bit multiply with both halves folded: every key bit reaches both the shard bits
// and the slot bits, in a fifth of mix64's instructions (this hash is on every packet's path).
inline uint64_t hash_ca4(uint32_t vsid, uint32_t ca_raw) {
  unsigned __int128 m =
      static_cast<unsigned __int128>(uint64_t(vsid) << 32 | ca_raw) * 0x9E3779B97F4A7C15ULL;
  return uint64_t(m >> 64) ^ uint64_t(m);
}
inline uint64_t hash_ca6(uint32_t vsid, const uint8_t* ca) {
  return mix64(load64(ca) ^ mix64(load64(ca + 8) ^ (uint64_t(vsid) * 0x9E3779B97F4A7C15ULL)));
}
inline uint64_t hash_mac(uint32_t vsid, uint64_t mac) {
  return mix64(mac ^ uint64_t(vsid) << 48 ^ uint64_t(vsid) >> 16);
}

inline constexpr uint32_t kNoPa = 0xFFFFFFFF;
inline constexpr uint16_t kNoPort = 0xFFFF;
// Provider-address indexes are 22 bits wide inside an IPv4 slot; the all-ones value means none.
inline constexpr uint32_t kPaBits = 22;
inline constexpr uint32_t kPaField = (1u << kPaBits) - 1;
inline constexpr uint32_t kMaxPaIndex = kPaField - 1;
// A VSID no policy can use (RFC 7637 reserves 0xFFFFFF): marks erased slots in a table that the
// writer is still editing (never present in a published table).
inline constexpr uint32_t kErasedVsid = 0xFFFFFF;

// What a slot of the customer-address tables holds. Derived from the slot: a wildcard has the
// unspecified customer address, a subnet gateway address has no provider address.
enum SlotKind : uint8_t { kRecord = 1, kGatewayAddress = 2, kWildcard = 3 };

// Flag bits of a customer-address slot (top byte of `tag`).
inline constexpr uint32_t kFlagNat = 1u << 24;      // Rule::Nat
inline constexpr uint32_t kFlagDynamic = 1u << 25;  // RecordType::Dynamic

// (VSID, IPv4 CA) -> record in 16 bytes, four to a cache line: the customer address and tag form
// one 64-bit key word (VSID in the low 24 bits of the tag; 0 = empty slot); the provider-address
// index is split between pa_lo and the top six bits of the tag.
struct Ca4Slot {
  uint32_t ca = 0;   // network byte order
  uint32_t tag = 0;  // VSID | flags | provider index bits 16..21 << 26
  uint16_t pa_lo = 0;
  uint8_t mac[6]{};

  uint32_t vsid() const { return tag & 0xFFFFFF; }
  uint64_t key() const { return (uint64_t(tag & 0xFFFFFF) << 32) | ca; }
  uint32_t pa_index() const {
    uint32_t v = uint32_t(pa_lo) | (tag >> 26) << 16;
    return v == kPaField ? kNoPa : v;
  }
  void set_pa(uint32_t pa) {
    uint32_t v = pa == kNoPa ? kPaField : pa;
    pa_lo = uint16_t(v);
    tag = (tag & 0x03FFFFFF) | (v >> 16) << 26;
  }
  uint8_t rule() const { return (tag & kFlagNat) ? uint8_t(Rule::Nat) : uint8_t(Rule::Encap); }
  uint8_t kind() const {
    if (ca == 0) return kWildcard;
    return pa_index() == kNoPa ? kGatewayAddress : kRecord;
  }
};
static_assert(sizeof(Ca4Slot) == 16);
inline uint64_t ca4_key(uint32_t vsid, uint32_t ca) {
  return uint64_t(vsid) << 32 | ca;
}

// (VSID, IPv6 CA) -> record in 32 bytes, two to a cache line.
struct Ca6Slot {
  uint8_t ca[16]{};
  uint32_t tag = 0;  // VSID | flags
  uint32_t pa = kNoPa;
  uint8_t mac[6]{};
  uint16_t pad = 0;

  uint32_t vsid() const { return tag & 0xFFFFFF; }
  uint32_t pa_index() const { return pa; }
  void set_pa(uint32_t p) { pa = p; }
  uint8_t rule() const { return (tag & kFlagNat) ? uint8_t(Rule::Nat) : uint8_t(Rule::Encap); }
  uint8_t kind() const {
    if ((load64(ca) | load64(ca + 8)) == 0) return kWildcard;
    return pa == kNoPa ? kGatewayAddress : kRecord;
  }
};
static_assert(sizeof(Ca6Slot) == 32);

// (VSID, MAC) of the lookup records -> provider address, 16 bytes. `refs` (how many records use
// the MAC) is only read by the writer: its low 16 bits sit in refs_lo, the high 8 in the tag.
struct MacSlot {
  uint32_t tag = 0;  // VSID | refs bits 16..23 << 24
  uint8_t mac[6]{};
  uint16_t refs_lo = 0;
  uint32_t pa = kNoPa;

  uint32_t vsid() const { return tag & 0xFFFFFF; }
  uint32_t pa_index() const { return pa; }
  uint32_t refs() const { return uint32_t(refs_lo) | (tag >> 24) << 16; }
  void set_refs(uint32_t r) {
    refs_lo = uint16_t(r);
    tag = (tag & 0xFFFFFF) | (r >> 16) << 24;
  }
};
static_assert(sizeof(MacSlot) == 16);
inline constexpr uint32_t kMaxMacRefs = 0xFFFFFF;

// A cache line of slots: a probe reads one line. Slots fill from the front, so an empty slot
// ends the search.
template <class Slot>
struct alignas(64) Bucket {
  static constexpr size_t kSlots = 64 / sizeof(Slot);
  Slot slot[kSlots];
};
static_assert(sizeof(Bucket<Ca4Slot>) == 64 && sizeof(Bucket<Ca6Slot>) == 64 &&
              sizeof(Bucket<MacSlot>) == 64);

inline constexpr size_t kShardBits = 8;
inline constexpr size_t kShards = size_t(1) << kShardBits;
inline size_t shard_of(uint64_t h) {
  return size_t(h >> (64 - kShardBits));
}
inline uint32_t slot_of(uint64_t h, uint32_t capacity) {
  return uint32_t((uint64_t(uint32_t(h)) * capacity) >> 32);
}

// One immutable shard: linear probing over buckets, load <= 0.8.
// A compact copy of an IPv4 shard for the fast paths: 10-byte slots, six to a cache line, each
// the 56-bit key word (CA + VSID, as in Ca4Slot) and 3 bytes of provider field: the provider
// index (22 bits, all ones when none) and kHotNat. At 1M records this is ~12 MB where the full
// table is 20 MB, so more of it stays in the cache. Built with the shard, never edited; the
// full slots stay the reference for everything else.
inline constexpr size_t kHotSlots = 6;
inline constexpr uint32_t kHotNat = 1u << kPaBits;
struct alignas(64) HotBucket4 {
  uint8_t bytes[64];
};
static_assert(sizeof(HotBucket4) == 64);

// Hot buckets for `n` slots at load <= 0.85 (at least one slot always stays empty).
inline uint32_t hot_buckets_for(size_t n) {
  return uint32_t((n * 20 / 17 + kHotSlots) / kHotSlots);
}

template <class Slot>
struct Shard {
  std::unique_ptr<Bucket<Slot>[]> buckets;
  uint32_t nbuckets = 0;
  uint32_t count = 0;
  std::unique_ptr<HotBucket4[]> hot;  // IPv4 shards only
  uint32_t hot_nbuckets = 0;
};

// Buckets for `n` slots at load <= 0.8 (at least one slot always stays empty).
template <class Slot>
inline uint32_t buckets_for(size_t n) {
  size_t per = Bucket<Slot>::kSlots;
  return uint32_t((n * 5 / 4 + per) / per);
}

// 256 shards; a policy version shares unchanged shards with the previous one.
template <class Slot>
struct ShardedTable {
  // Left uninitialised by a new snapshot (make_unique_for_overwrite): build_snapshot() sets
  // every shard before the version is published.
  struct Ref {
    const Bucket<Slot>* buckets;
    uint32_t nbuckets;
    uint32_t hot_nbuckets;
    const HotBucket4* hot;
  };
  std::array<Ref, kShards> refs;
  std::array<std::shared_ptr<const Shard<Slot>>, kShards> owners{};

  void set(size_t i, std::shared_ptr<const Shard<Slot>> s) {
    refs[i] = Ref{s->buckets.get(), s->nbuckets, s->hot_nbuckets, s->hot.get()};
    owners[i] = std::move(s);
  }
  size_t count() const {
    size_t n = 0;
    for (auto& o : owners) n += o->count;
    return n;
  }
  size_t bytes() const {
    size_t n = 0;
    for (auto& o : owners)
      n += size_t(o->nbuckets) * sizeof(Bucket<Slot>) + size_t(o->hot_nbuckets) * 64;
    return n;
  }
};

// Probes from the home bucket of `h` until `match` accepts a slot (returned) or an empty slot is
// seen (nullptr).
template <class Slot, class Match>
inline const Slot* probe(const ShardedTable<Slot>& t, uint64_t h, Match&& match) {
  const auto& r = t.refs[shard_of(h)];
  uint32_t b = slot_of(h, r.nbuckets);
  for (;;) {
    const Bucket<Slot>& bk = r.buckets[b];
    for (size_t j = 0; j < Bucket<Slot>::kSlots; ++j) {
      const Slot& s = bk.slot[j];
      if (match(s)) return &s;
      if (s.vsid() == 0) return nullptr;
    }
    if (++b == r.nbuckets) b = 0;
  }
}

// Where the probe for hash `h` starts: the shard's buckets and the home bucket, so a batch hashes
// (and prefetches home()) in one pass and looks up in the next without hashing again.
template <class Slot>
struct ProbeStart {
  const typename ShardedTable<Slot>::Ref* ref;
  uint32_t bucket;

  const Bucket<Slot>* home() const { return &ref->buckets[bucket]; }
};
template <class Slot>
inline ProbeStart<Slot> start_probe(const ShardedTable<Slot>& t, uint64_t h) {
  const auto& r = t.refs[shard_of(h)];
  return {&r, slot_of(h, r.nbuckets)};
}

// Where a hot-copy probe for hash `h` starts (see HotBucket4).
struct HotStart {
  const HotBucket4* hot;
  uint32_t nbuckets;
  uint32_t bucket;
};
inline HotStart start_hot(const ShardedTable<Ca4Slot>& t, uint64_t h) {
  const auto& r = t.refs[shard_of(h)];
  return {r.hot, r.hot_nbuckets, slot_of(h, r.hot_nbuckets)};
}
// The provider field of key `key` (ca4_key()) in the hot copy, or false when absent.
inline bool find_hot4(HotStart at, uint64_t key, uint32_t& field) {
  uint32_t b = at.bucket;
  for (;;) {
    const uint8_t* bk = at.hot[b].bytes;
    for (size_t j = 0; j < kHotSlots; ++j) {
      uint64_t w = load64(bk + 10 * j) & 0x00FFFFFFFFFFFFFFULL;
      if (w == key) {
        field = load32(bk + 10 * j + 6) >> 8;
        return true;
      }
      if ((w >> 32) == 0) return false;
    }
    if (++b == at.nbuckets) b = 0;
  }
}

inline const Ca4Slot* find_ca4(const ShardedTable<Ca4Slot>& t, uint64_t h, uint32_t vsid,
                               uint32_t ca) {
  uint64_t key = ca4_key(vsid, ca);
  const auto& r = t.refs[shard_of(h)];
  uint32_t b = slot_of(h, r.nbuckets);
  for (;;) {
    const Ca4Slot* s = r.buckets[b].slot;
    for (size_t j = 0; j < 4; ++j) {
      uint64_t w = load64(reinterpret_cast<const uint8_t*>(&s[j])) & 0x00FFFFFFFFFFFFFFULL;
      if (w == key) return &s[j];
      if ((w >> 32) == 0) return nullptr;
    }
    if (++b == r.nbuckets) b = 0;
  }
}

// The IPv6 slot of (vsid, ca), probing from `at`; nullptr when absent.
inline const Ca6Slot* find_ca6_from(ProbeStart<Ca6Slot> at, uint32_t vsid, const uint8_t* ca) {
  const auto& r = *at.ref;
  uint32_t b = at.bucket;
  uint64_t lo = load64(ca), hi = load64(ca + 8);
  for (;;) {
    const Ca6Slot* s = r.buckets[b].slot;
    for (size_t j = 0; j < 2; ++j) {
      uint32_t v = s[j].tag & 0xFFFFFF;
      if (v == vsid && ((load64(s[j].ca) ^ lo) | (load64(s[j].ca + 8) ^ hi)) == 0) return &s[j];
      if (v == 0) return nullptr;
    }
    if (++b == r.nbuckets) b = 0;
  }
}

inline const Ca6Slot* find_ca6(const ShardedTable<Ca6Slot>& t, uint64_t h, uint32_t vsid,
                               const uint8_t* ca) {
  return find_ca6_from(start_probe(t, h), vsid, ca);
}

inline const MacSlot* find_mac(const ShardedTable<MacSlot>& t, uint64_t h, uint32_t vsid,
                               uint64_t mac) {
  return probe(t, h, [&](const MacSlot& s) { return s.vsid() == vsid && mac48(s.mac) == mac; });
}

// Keys and hashes of slots (writer side: building and editing tables).
inline uint64_t slot_hash(const Ca4Slot& s) {
  return hash_ca4(s.vsid(), s.ca);
}
inline uint64_t slot_hash(const Ca6Slot& s) {
  return hash_ca6(s.vsid(), s.ca);
}
inline uint64_t slot_hash(const MacSlot& s) {
  return hash_mac(s.vsid(), mac48(s.mac));
}
inline bool same_key(const Ca4Slot& a, const Ca4Slot& b) {
  return a.key() == b.key();
}
inline bool same_key(const Ca6Slot& a, const Ca6Slot& b) {
  return a.vsid() == b.vsid() && eq16(a.ca, b.ca);
}
inline bool same_key(const MacSlot& a, const MacSlot& b) {
  return a.vsid() == b.vsid() && mac48(a.mac) == mac48(b.mac);
}
// Subnet gateway addresses live in the customer-address tables but are not records.
inline bool is_gateway_slot(const Ca4Slot& s) {
  return s.pa_index() == kNoPa;
}
inline bool is_gateway_slot(const Ca6Slot& s) {
  return s.pa == kNoPa;
}
inline bool is_gateway_slot(const MacSlot&) {
  return false;
}

template <class Slot>
inline void prefetch_slot(const ShardedTable<Slot>& t, uint64_t h) {
  __builtin_prefetch(start_probe(t, h).home());
}

// Local VM ports by (VSID, MAC): where frames for a local MAC are delivered. A port is left out
// while a lookup record puts its MAC in that VSID at a remote provider address. At most kMaxPorts
// entries, so the table stays in cache.
class LocalPortTable {
 public:
  LocalPortTable() = default;
  explicit LocalPortTable(
      const std::vector<std::pair<std::pair<uint32_t, uint64_t>, uint16_t>>& items) {
    size_t cap = 16;
    while (cap < items.size() * 2 + 1) cap *= 2;
    entries_.assign(cap, Entry{});
    mask_ = uint32_t(cap - 1);
    for (auto& [k, port] : items) {
      uint32_t i = index(k.first, k.second);
      while (entries_[i].vsid != 0) i = (i + 1) & mask_;
      entries_[i] = Entry{k.second, k.first, port};
    }
  }
  // The port owning (vsid, mac), or kNoPort.
  uint16_t find(uint32_t vsid, uint64_t mac) const {
    if (entries_.empty()) return kNoPort;
    for (uint32_t i = index(vsid, mac);; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.vsid == 0) return kNoPort;
      if (e.mac == mac && e.vsid == vsid) return e.port;
    }
  }

 private:
  struct Entry {
    uint64_t mac = 0;
    uint32_t vsid = 0;
    uint16_t port = kNoPort;
  };
  // A multiplicative hash is enough for at most kMaxPorts keys that policy, not packets, choose.
  uint32_t index(uint32_t vsid, uint64_t mac) const {
    return uint32_t(((mac ^ uint64_t(vsid) << 40) * 0x9E3779B97F4A7C15ULL) >> 40) & mask_;
  }
  std::vector<Entry> entries_;
  uint32_t mask_ = 0;
};

inline uint64_t hash_key(uint32_t k) {
  return mix64(k);
}
inline bool key_equal(uint32_t a, uint32_t b) {
  return a == b;
}
inline bool key_equal(const IpAddress& a, const IpAddress& b) {
  return a.family == b.family && eq16(a.bytes.data(), b.bytes.data());
}
inline uint64_t hash_key(const IpAddress& a) {
  return mix64(load64(a.bytes.data()) ^ mix64(load64(a.bytes.data() + 8) + a.family));
}

// Customer-route key: routing domain index, prefix length, masked address.
struct RouteKey {
  uint32_t domain = 0;
  uint8_t length = 0;
  IpAddress address;
  bool operator==(const RouteKey&) const = default;
};
inline bool key_equal(const RouteKey& a, const RouteKey& b) {
  return a.domain == b.domain && a.length == b.length && key_equal(a.address, b.address);
}
inline uint64_t hash_key(const RouteKey& k) {
  return hash_key(k.address) ^ mix64(uint64_t(k.domain) << 8 | k.length);
}

// Small immutable open-addressing map for the tables that are not per record (subnets, routes,
// local provider addresses). K needs hash_key(K) and ==.
template <class K, class V>
class FlatMap {
 public:
  FlatMap() = default;
  explicit FlatMap(const std::vector<std::pair<K, V>>& items) {
    size_t cap = 4;
    while (cap < items.size() * 2 + 1) cap *= 2;
    keys_.resize(cap);
    values_.resize(cap);
    used_.assign(cap, 0);
    for (auto& [k, v] : items) {
      size_t i = hash_key(k) & (cap - 1);
      while (used_[i] && !key_equal(keys_[i], k)) i = (i + 1) & (cap - 1);
      used_[i] = 1;
      keys_[i] = k;
      values_[i] = v;
    }
  }
  const V* find(const K& k) const {
    if (used_.empty()) return nullptr;
    size_t mask = used_.size() - 1;
    for (size_t i = hash_key(k) & mask;; i = (i + 1) & mask) {
      if (!used_[i]) return nullptr;
      if (key_equal(keys_[i], k)) return &values_[i];
    }
  }

 private:
  std::vector<K> keys_;
  std::vector<V> values_;
  std::vector<uint8_t> used_;
};

struct RouteTarget {
  uint32_t vsid = 0;
  IpAddress next_hop;  // unset: on-link
};

// Prefix lengths present for one (domain, family), longest first.
struct LengthList {
  uint8_t count = 0;
  std::array<uint8_t, 129> lengths{};
};

// Longest-prefix match of customer routes, per routing domain (a hash table per prefix length).
struct CustomerRouteTable {
  FlatMap<RouteKey, RouteTarget> routes;
  FlatMap<uint32_t, LengthList> lengths;  // key: domain << 1 | (family == 6)

  const RouteTarget* lookup(uint32_t domain, const IpAddress& dst) const {
    const LengthList* l = lengths.find(domain << 1 | (dst.family == 6 ? 1u : 0u));
    if (!l) return nullptr;
    for (uint8_t i = 0; i < l->count; ++i) {
      RouteKey k{domain, l->lengths[i], mask_address(dst, l->lengths[i])};
      if (const RouteTarget* t = routes.find(k)) return t;
    }
    return nullptr;
  }
};

// A provider address as the encapsulation needs it: the outer header template already filled
// with both MACs, both provider addresses, DF, TTL 64 and GRE 0x2000/0x6558.
struct ProviderTarget {
  uint8_t reachable = 0;      // a route and neighbour MAC were found
  uint8_t local = 0;          // one of this host's provider addresses
  uint8_t header_length = 0;  // 42 (IPv4) or 62 (IPv6)
  uint8_t family = 0;
  uint32_t checksum_base = 0;  // IPv4: one's-complement sum of the template without length
  alignas(8) uint8_t header[64]{};
  IpAddress address;
  IpAddress source;  // local provider address used as outer source
  MacAddress next_hop_mac;
};

// The hot part of a provider target: the 42/62-byte outer header in one cache line. For IPv4 the
// checksum field holds the folded sum of the other header words (length added per packet).
struct alignas(64) EncapTemplate {
  uint8_t header[62];
  uint8_t length;  // 42 or 62; 0 when the provider address is not reachable
  uint8_t local;   // one of this host's provider addresses
};
static_assert(sizeof(EncapTemplate) == 64);

struct SubnetInfo {
  uint32_t domain = 0;
  uint32_t counter = 0;  // index of this VSID's counters
  IpAddress gateway4;    // first IPv4 / IPv6 gateway: source of ICMP errors to the VMs
  IpAddress gateway6;
};

struct PortInfo {
  uint32_t vsid = 0;  // 0: port not configured
  uint32_t domain = 0;
  uint32_t counter = 0;
  MacAddress mac;
  IpAddress gateway4;
  IpAddress gateway6;
};

// A Nat (IP rewrite) record found by its provider address.
struct NatTarget {
  uint32_t vsid = 0;
  IpAddress customer;
  MacAddress mac;
  uint16_t port = kNoPort;  // local VM port, or kNoPort for a remote record
};

// One complete, immutable policy version.
struct Snapshot {
  DatapathSettings settings;
  ShardedTable<Ca4Slot> ca4;
  ShardedTable<Ca6Slot> ca6;
  ShardedTable<MacSlot> mac;
  std::shared_ptr<const std::vector<ProviderTarget>> providers;  // cold details, by PA index
  std::shared_ptr<const std::vector<EncapTemplate>> encap;       // by PA index
  std::shared_ptr<const std::vector<uint32_t>> pa4;              // IPv4 PA by index (anti-spoofing)
  std::shared_ptr<const std::vector<std::array<uint8_t, 16>>> pa6;  // IPv6 PA by index (:: if IPv4)
  std::shared_ptr<const FlatMap<uint32_t, SubnetInfo>> subnets;
  std::shared_ptr<const std::vector<PortInfo>> ports;  // kMaxPorts entries
  std::shared_ptr<const LocalPortTable> local_ports;
  std::shared_ptr<const CustomerRouteTable> routes;
  std::shared_ptr<const FlatMap<IpAddress, uint32_t>> local_pas;  // -> provider index
  // Up to four local IPv4 provider addresses (network order) for a quick check on receive.
  std::array<uint32_t, 4> local4{};
  uint8_t local4_count = 0;
  bool local4_all = false;  // local4 holds every local IPv4 provider address
  std::array<std::array<uint8_t, 16>, 4> local6{};  // same for IPv6
  uint8_t local6_count = 0;
  bool local6_all = false;
  std::shared_ptr<const FlatMap<IpAddress, NatTarget>> nat;  // by provider address
  bool has_nat = false;
};

// Counters of one worker: it alone writes them (relaxed), anyone may read them.
struct WorkerCounters {
  struct Vsid {
    std::atomic<uint64_t> enc_packets{0}, enc_bytes{0}, dec_packets{0}, dec_bytes{0},
        local_packets{0}, local_bytes{0}, dropped{0};
  };
  struct Port {
    std::atomic<uint64_t> from_packets{0}, from_bytes{0}, to_packets{0}, to_bytes{0}, dropped{0};
  };
  std::unique_ptr<Vsid[]> vsid;
  std::unique_ptr<Port[]> port;
  std::array<std::atomic<uint64_t>, kDropReasonCount> drops{};

  explicit WorkerCounters(size_t subnets)
      : vsid(std::make_unique<Vsid[]>(subnets)), port(std::make_unique<Port[]>(kMaxPorts)) {}
};

inline void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace cimnet::dataplane::detail

// Writer side of the datapath: validation and application of policy changes, compilation of
// the lookup tables into a new snapshot, publication with a grace period, counters.

#include <arpa/inet.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <tuple>
#include <type_traits>

#include "frames.h"
#include "state.h"

namespace cimnet::dataplane {

using namespace detail;

RecordKey key_of(const LookupRecord& r) {
  RecordKey k;
  k.vsid = r.vsid;
  if (r.type == RecordType::L2Only) {
    k.mac = r.mac;
  } else {
    k.customer = r.customer;
  }
  return k;
}

namespace {

std::string vsid_text(uint32_t v) {
  return "VSID " + std::to_string(v);
}

MacAddress mac_from48(uint64_t v) {
  MacAddress m;
  mac_bytes(v, m.bytes.data());
  return m;
}

uint64_t record_hash(const RecordKey& k) {
  if (k.customer.is_v4()) return hash_ca4(k.vsid, load32(k.customer.bytes.data()));
  return hash_ca6(k.vsid, k.customer.bytes.data());
}

void check_vsid(uint32_t vsid) {
  if (vsid < kMinVsid || vsid > kMaxVsid)
    throw PolicyError(vsid_text(vsid) + " is outside " + std::to_string(kMinVsid) + ".." +
                      std::to_string(kMaxVsid));
}

uint32_t record_flags(const LookupRecord& r) {
  return (r.rule == Rule::Nat ? kFlagNat : 0) | (r.type == RecordType::Dynamic ? kFlagDynamic : 0);
}

// A record keyed by an IPv4 / IPv6 customer address as a table slot, and back.
Ca4Slot ca4_slot(const LookupRecord& r, uint32_t pa) {
  Ca4Slot slot;
  slot.tag = r.vsid | record_flags(r);
  slot.ca = load32(r.customer.bytes.data());
  slot.set_pa(pa);
  std::memcpy(slot.mac, r.mac.bytes.data(), 6);
  return slot;
}
Ca6Slot ca6_slot(const LookupRecord& r, uint32_t pa) {
  Ca6Slot slot;
  slot.tag = r.vsid | record_flags(r);
  std::memcpy(slot.ca, r.customer.bytes.data(), 16);
  slot.set_pa(pa);
  std::memcpy(slot.mac, r.mac.bytes.data(), 6);
  return slot;
}
template <class Slot>
LookupRecord record_of(const Slot& slot, const std::vector<IpAddress>& pa_address) {
  LookupRecord r;
  r.vsid = slot.vsid();
  if constexpr (std::is_same_v<Slot, Ca4Slot>) {
    r.customer.family = 4;
    std::memcpy(r.customer.bytes.data(), &slot.ca, 4);
  } else {
    r.customer.family = 6;
    std::memcpy(r.customer.bytes.data(), slot.ca, 16);
  }
  r.provider = pa_address[slot.pa_index()];
  std::memcpy(r.mac.bytes.data(), slot.mac, 6);
  r.rule = (slot.tag & kFlagNat) ? Rule::Nat : Rule::Encap;
  r.type = slot.kind() == kWildcard    ? RecordType::GatewayWildcard
           : (slot.tag & kFlagDynamic) ? RecordType::Dynamic
                                       : RecordType::Static;
  return r;
}
// The key of a record as a probe slot.
Ca4Slot ca4_key_slot(uint32_t vsid, const IpAddress& a) {
  Ca4Slot k;
  k.tag = vsid;
  k.ca = load32(a.bytes.data());
  return k;
}
Ca6Slot ca6_key_slot(uint32_t vsid, const IpAddress& a) {
  Ca6Slot k;
  k.tag = vsid;
  std::memcpy(k.ca, a.bytes.data(), 16);
  return k;
}
MacSlot mac_key_slot(uint32_t vsid, uint64_t mac) {
  MacSlot k;
  k.tag = vsid;
  mac_bytes(mac, k.mac);
  return k;
}

// Calls f(slot) for every record slot of a published shard.
template <class Slot, class F>
void for_each_published(const Shard<Slot>* shard, F&& f) {
  if (!shard) return;
  for (uint32_t b = 0; b < shard->nbuckets; ++b)
    for (const Slot& slot : shard->buckets[b].slot)
      if (slot.vsid() != 0 && !is_gateway_slot(slot)) f(slot);
}

// Builds the outer Ethernet + IP + GRE header template of one remote provider address.
void fill_header(ProviderTarget& t, const MacAddress& src_mac) {
  uint8_t* h = t.header;
  std::memcpy(h, t.next_hop_mac.bytes.data(), 6);
  std::memcpy(h + 6, src_mac.bytes.data(), 6);
  if (t.family == 4) {
    put16(h + 12, kEthIpv4);
    uint8_t* ip = h + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, 0);       // total length: per packet
    put16(ip + 4, 0);       // identification (atomic datagram, DF set)
    put16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = kIpProtoGre;
    put16(ip + 10, 0);
    std::memcpy(ip + 12, t.source.bytes.data(), 4);
    std::memcpy(ip + 16, t.address.bytes.data(), 4);
    t.checksum_base = checksum_add(0, ip, 20);
    uint8_t* gre = ip + 20;
    put16(gre, kGreFlagsKey);
    put16(gre + 2, kEthTransparentBridging);
    t.header_length = 42;
  } else {
    put16(h + 12, kEthIpv6);
    uint8_t* ip = h + 14;
    put32(ip, 0x60000000);
    put16(ip + 4, 0);  // payload length: per packet
    ip[6] = kIpProtoGre;
    ip[7] = 64;
    std::memcpy(ip + 8, t.source.bytes.data(), 16);
    std::memcpy(ip + 24, t.address.bytes.data(), 16);
    uint8_t* gre = ip + 40;
    put16(gre, kGreFlagsKey);
    put16(gre + 2, kEthTransparentBridging);
    t.header_length = 62;
  }
}

}  // namespace

Datapath::State::State(Limits l) : limits(l) {
  readers = std::make_unique<ReaderSlot[]>(limits.max_workers);  // counters: on first use
  settings.router_mac = *MacAddress::parse("02:00:5e:00:01:01");
  settings.provider_mac = *MacAddress::parse("02:00:5e:00:02:01");
}

uint32_t Datapath::State::intern_pa(const IpAddress& a) {
  auto it = pa_index.find(a);
  if (it != pa_index.end()) {
    ++pa_refs[it->second];
    return it->second;
  }
  uint32_t i;
  providers_dirty = true;
  if (pa_free.empty() && pa_address.size() > kMaxPaIndex)
    throw PolicyError("too many distinct provider addresses (limit " +
                      std::to_string(kMaxPaIndex + 1) + ")");
  if (!pa_free.empty()) {
    i = pa_free.back();
    pa_free.pop_back();
    pa_address[i] = a;
    pa_refs[i] = 1;
  } else {
    i = uint32_t(pa_address.size());
    pa_address.push_back(a);
    pa_refs.push_back(1);
  }
  pa_index.emplace(a, i);
  return i;
}

void Datapath::State::release_pa(uint32_t i) {
  if (--pa_refs[i] == 0) {
    providers_dirty = true;
    pa_index.erase(pa_address[i]);
    pa_address[i] = IpAddress{};
    pa_free.push_back(i);
  }
}

void Datapath::State::unrelease_pa(uint32_t i, const IpAddress& a) {
  if (pa_refs[i] == 0) {
    // Undone in reverse order, so the index freed last is the one at the back.
    if (pa_free.empty() || pa_free.back() != i)
      throw std::logic_error("datapath: provider address undo out of order");
    pa_free.pop_back();
    pa_address[i] = a;
    pa_index.emplace(a, i);
    providers_dirty = true;
  }
  ++pa_refs[i];
}

uint32_t Datapath::State::domain_of(const std::string& name) {
  auto [it, added] = domain_index.emplace(name, uint32_t(domain_index.size()));
  return it->second;
}

WorkTable<Ca4Slot>& Datapath::State::open4(size_t sh) {
  if (!work4[sh]) {
    opened.push_back(uint32_t(0 * kShards + sh));
    work4[sh] = std::make_unique<WorkTable<Ca4Slot>>(
        current_owner ? current_owner->ca4.owners[sh].get() : nullptr);
  }
  return *work4[sh];
}

WorkTable<Ca6Slot>& Datapath::State::open6(size_t sh) {
  if (!work6[sh]) {
    opened.push_back(uint32_t(1 * kShards + sh));
    work6[sh] = std::make_unique<WorkTable<Ca6Slot>>(
        current_owner ? current_owner->ca6.owners[sh].get() : nullptr);
  }
  return *work6[sh];
}

WorkTable<MacSlot>& Datapath::State::open_mac(size_t sh) {
  if (!work_mac[sh]) {
    opened.push_back(uint32_t(2 * kShards + sh));
    work_mac[sh] = std::make_unique<WorkTable<MacSlot>>(
        current_owner ? current_owner->mac.owners[sh].get() : nullptr);
  }
  return *work_mac[sh];
}

void Datapath::State::close_work() {
  for (uint32_t i : opened) {
    size_t sh = i % kShards;
    switch (i / kShards) {
      case 0:
        work4[sh].reset();
        break;
      case 1:
        work6[sh].reset();
        break;
      default:
        work_mac[sh].reset();
        break;
    }
  }
  opened.clear();
}

void Datapath::State::publish(std::unique_ptr<const Snapshot> next) {
  const Snapshot* old = current.exchange(next.get(), std::memory_order_seq_cst);
  (void)old;
  std::unique_ptr<const Snapshot> old_owner = std::move(current_owner);
  current_owner = std::move(next);
  uint64_t e = epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
  // Grace period: wait until no worker is inside a batch that may have loaded the old version.
  for (size_t i = 0; i < limits.max_workers; ++i) {
    for (;;) {
      uint64_t seen = readers[i].epoch.load(std::memory_order_seq_cst);
      if (seen == 0 || seen >= e) break;
      std::this_thread::yield();
    }
  }
  // old_owner is freed here, after every reader left it.
}

Datapath::Datapath() : Datapath(Limits{}) {}

Datapath::Datapath(Limits limits) : state_(std::make_unique<State>(limits)) {
  apply(PolicyChange{});
}

Datapath::~Datapath() = default;

namespace {

// Places `slots` (distinct keys) into a fresh shard sized for them.
template <class Slot>
std::shared_ptr<const Shard<Slot>> make_shard(const std::vector<Slot>& slots) {
  auto shard = std::make_shared<Shard<Slot>>();
  shard->nbuckets = buckets_for<Slot>(slots.size());
  shard->count = uint32_t(slots.size());
  shard->buckets = std::make_unique<Bucket<Slot>[]>(shard->nbuckets);
  for (const Slot& slot : slots) {
    uint32_t b = slot_of(slot_hash(slot), shard->nbuckets);
    for (;;) {
      Bucket<Slot>& bk = shard->buckets[b];
      size_t j = 0;
      while (j < Bucket<Slot>::kSlots && bk.slot[j].vsid() != 0) ++j;
      if (j < Bucket<Slot>::kSlots) {
        bk.slot[j] = slot;
        break;
      }
      if (++b == shard->nbuckets) b = 0;
    }
  }
  if constexpr (std::is_same_v<Slot, Ca4Slot>) {
    shard->hot_nbuckets = hot_buckets_for(slots.size());
    shard->hot = std::make_unique<HotBucket4[]>(shard->hot_nbuckets);
    for (const Ca4Slot& slot : slots) {
      uint64_t key = slot.key();
      uint32_t field = (slot.pa_index() == kNoPa ? kPaField : slot.pa_index()) |
                       (slot.tag & kFlagNat ? kHotNat : 0);
      uint32_t b = slot_of(slot_hash(slot), shard->hot_nbuckets);
      for (;;) {
        uint8_t* bk = shard->hot[b].bytes;
        size_t j = 0;
        while (j < kHotSlots && (load64(bk + 10 * j) & 0x00FFFFFF00000000ULL) != 0) ++j;
        if (j < kHotSlots) {
          std::memcpy(bk + 10 * j, &key, 7);
          uint8_t f[3] = {uint8_t(field), uint8_t(field >> 8), uint8_t(field >> 16)};
          std::memcpy(bk + 10 * j + 7, f, 3);
          break;
        }
        if (++b == shard->hot_nbuckets) b = 0;
      }
    }
  }
  return shard;
}

}  // namespace

std::optional<ProviderPath> provider_path(const IpAddress& pa,
                                          const std::map<IpAddress, ProviderAddress>& local_pas,
                                          const std::map<IpPrefix, ProviderRoute>& routes) {
  auto connected = [&](const IpAddress& a) -> const ProviderAddress* {
    for (auto& [addr, lp] : local_pas)
      if (addr.family == a.family &&
          mask_address(addr, lp.prefix_length) == mask_address(a, lp.prefix_length))
        return &lp;
    return nullptr;
  };
  if (const ProviderAddress* lp = connected(pa)) return ProviderPath{lp->address, pa};
  const ProviderRoute* best = nullptr;
  for (auto& [pfx, r] : routes) {
    if (!pfx.contains(pa)) continue;
    if (!best || pfx.length > best->destination.length ||
        (pfx.length == best->destination.length && r.metric < best->metric))
      best = &r;
  }
  if (!best) return std::nullopt;
  if (const ProviderAddress* lp = connected(best->next_hop))
    return ProviderPath{lp->address, best->next_hop};
  return std::nullopt;
}

namespace {

// Builds the provider-side tables of `snap` (targets, encap templates, PA arrays, local PAs)
// from the configured provider addresses, routes and neighbours.
void build_provider_tables(const Datapath::State& s, Snapshot& snap) {
  auto providers = std::make_shared<std::vector<ProviderTarget>>(s.pa_address.size());
  std::vector<std::pair<IpAddress, uint32_t>> local_list;
  for (uint32_t i = 0; i < s.pa_address.size(); ++i) {
    ProviderTarget& t = (*providers)[i];
    const IpAddress& a = s.pa_address[i];
    if (!a.is_set()) continue;
    t.address = a;
    t.family = a.family;
    if (s.local_pas.count(a)) {
      t.local = 1;
      continue;
    }
    std::optional<ProviderPath> path = provider_path(a, s.local_pas, s.provider_routes);
    auto nb = path ? s.neighbors.find(path->next_hop) : s.neighbors.end();
    if (nb != s.neighbors.end()) {
      t.reachable = 1;
      t.source = path->source;
      t.next_hop_mac = nb->second;
      fill_header(t, s.settings.provider_mac);
    }
  }
  for (auto& [addr, lp] : s.local_pas) {
    auto it = s.pa_index.find(addr);
    local_list.emplace_back(addr, it == s.pa_index.end() ? kNoPa : it->second);
  }
  snap.providers = providers;
  // Every entry is written once below: reserve + push_back, no zero-fill first.
  auto encap = std::make_shared<std::vector<EncapTemplate>>();
  auto pa4 = std::make_shared<std::vector<uint32_t>>();
  auto pa6 = std::make_shared<std::vector<std::array<uint8_t, 16>>>();
  encap->reserve(providers->size());
  pa4->reserve(providers->size());
  pa6->reserve(providers->size());
  for (const ProviderTarget& t : *providers) {
    EncapTemplate e;
    std::memcpy(e.header, t.header, sizeof e.header);
    e.length = t.reachable ? t.header_length : 0;
    e.local = t.local;
    uint32_t v4 = 0;
    std::array<uint8_t, 16> v6{};
    if (t.family == 4) {
      uint32_t sum = t.checksum_base;
      while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
      put16(e.header + 24, uint16_t(sum));
      v4 = load32(t.address.bytes.data());
    } else if (t.family == 6) {
      v6 = t.address.bytes;
    }
    encap->push_back(e);
    pa4->push_back(v4);
    pa6->push_back(v6);
  }
  snap.encap = encap;
  snap.pa4 = pa4;
  snap.pa6 = pa6;
  snap.local_pas = std::make_shared<FlatMap<IpAddress, uint32_t>>(local_list);
  snap.local4_all = true;
  for (auto& [addr, lp] : s.local_pas) {
    if (!addr.is_v4()) continue;
    if (snap.local4_count == snap.local4.size()) {
      snap.local4_all = false;
      break;
    }
    snap.local4[snap.local4_count++] = load32(addr.bytes.data());
  }
  snap.local6_all = true;
  for (auto& [addr, lp] : s.local_pas) {
    if (!addr.is_v6()) continue;
    if (snap.local6_count == snap.local6.size()) {
      snap.local6_all = false;
      break;
    }
    snap.local6[snap.local6_count++] = addr.bytes;
  }
}

// Compiles the current configuration into a new snapshot, rebuilding only dirty shards.
std::unique_ptr<Snapshot> build_snapshot(Datapath::State& s, bool rebuild_all) {
  // Not zero-filled first: every shard reference is set below, the rest has initialisers.
  auto snap = std::make_unique_for_overwrite<Snapshot>();
  const Snapshot* prev = s.current_owner.get();
  snap->settings = s.settings;

  // Local ports by (VSID, MAC).
  std::unordered_map<MacKey, uint16_t, MacKeyHash> port_by_mac;
  for (auto& [id, p] : s.ports) port_by_mac[MacKey{p.vsid, mac48(p.mac.bytes.data())}] = id;

  if (prev && !s.providers_dirty) {
    // Same provider addresses, routes, neighbours and MAC: the previous tables still hold.
    snap->providers = prev->providers;
    snap->encap = prev->encap;
    snap->pa4 = prev->pa4;
    snap->pa6 = prev->pa6;
    snap->local_pas = prev->local_pas;
    snap->local4 = prev->local4;
    snap->local4_count = prev->local4_count;
    snap->local4_all = prev->local4_all;
    snap->local6 = prev->local6;
    snap->local6_count = prev->local6_count;
    snap->local6_all = prev->local6_all;
  } else {
    build_provider_tables(s, *snap);
  }
  s.providers_dirty = false;
  const std::vector<ProviderTarget>& providers = *snap->providers;
  auto is_local_pa = [&](uint32_t pa) { return pa != kNoPa && providers[pa].local; };

  // Subnets, ports, routes (shared with the previous version unless the change touched them).
  if (prev && !s.subnets_dirty) {
    snap->subnets = prev->subnets;
    snap->ports = prev->ports;
  } else {
    std::vector<std::pair<uint32_t, SubnetInfo>> subnet_list;
    for (auto& [vsid, sub] : s.subnets) {
      SubnetInfo info{s.domain_of(sub.routing_domain), s.vsid_counter[vsid], {}, {}};
      for (auto& g : sub.gateways) {
        IpAddress& slot = g.is_v4() ? info.gateway4 : info.gateway6;
        if (!slot.is_set()) slot = g;
      }
      subnet_list.emplace_back(vsid, info);
    }
    snap->subnets = std::make_shared<FlatMap<uint32_t, SubnetInfo>>(subnet_list);
    auto ports = std::make_shared<std::vector<PortInfo>>(kMaxPorts);  // unused ids: vsid 0
    for (auto& [id, p] : s.ports) {
      const SubnetInfo* si = snap->subnets->find(p.vsid);
      (*ports)[id] = PortInfo{p.vsid, si->domain, si->counter, p.mac, si->gateway4, si->gateway6};
    }
    snap->ports = ports;
  }
  s.subnets_dirty = false;
  if (prev && !s.routes_dirty) {
    snap->routes = prev->routes;
  } else {
    std::vector<std::pair<RouteKey, RouteTarget>> routes;
    std::map<std::pair<uint32_t, uint8_t>, std::set<uint8_t, std::greater<>>> lens;
    std::map<std::tuple<uint32_t, uint8_t, IpAddress>, std::pair<uint32_t, RouteTarget>> best;
    for (auto& [k, r] : s.customer_routes) {
      uint32_t d = s.domain_of(r.routing_domain);
      auto key = std::make_tuple(d, r.destination.length, r.destination.address);
      auto it = best.find(key);
      if (it == best.end() || r.metric < it->second.first)
        best[key] = {r.metric, RouteTarget{r.vsid, r.next_hop}};
      lens[{d, r.destination.address.family == 6 ? 1 : 0}].insert(r.destination.length);
    }
    for (auto& [k, v] : best)
      routes.emplace_back(RouteKey{std::get<0>(k), std::get<1>(k), std::get<2>(k)}, v.second);
    std::vector<std::pair<uint32_t, LengthList>> len_list;
    for (auto& [k, set] : lens) {
      LengthList l;
      for (uint8_t x : set) l.lengths[l.count++] = x;
      len_list.emplace_back(k.first << 1 | k.second, l);
    }
    auto table = std::make_shared<CustomerRouteTable>();
    table->routes = FlatMap<RouteKey, RouteTarget>(routes);
    table->lengths = FlatMap<uint32_t, LengthList>(len_list);
    snap->routes = table;
  }
  s.routes_dirty = false;

  // Gateway addresses of the subnets, ordered by shard (only rebuilt shards look at them).
  struct Gateway {
    size_t shard;
    uint32_t vsid;
    IpAddress address;
  };
  std::vector<Gateway> gateways;
  for (auto& [vsid, sub] : s.subnets)
    for (auto& g : sub.gateways)
      gateways.push_back({shard_of(record_hash(RecordKey{vsid, g, {}})), vsid, g});
  std::stable_sort(gateways.begin(), gateways.end(),
                   [](const Gateway& a, const Gateway& b) { return a.shard < b.shard; });
  auto gateways_of = [&](size_t sh) {
    auto lo = std::lower_bound(gateways.begin(), gateways.end(), sh,
                               [](const Gateway& g, size_t v) { return g.shard < v; });
    auto hi = lo;
    while (hi != gateways.end() && hi->shard == sh) ++hi;
    return std::span<const Gateway>(lo, hi);
  };

  auto record_port = [&](const LookupRecord& r, uint32_t pa) -> uint16_t {
    if (!is_local_pa(pa)) return kNoPort;
    auto it = port_by_mac.find(MacKey{r.vsid, mac48(r.mac.bytes.data())});
    return it == port_by_mac.end() ? kNoPort : it->second;
  };
  // Shards a change edited (or all, for a new router MAC or the first version) are rebuilt
  // from their work copies plus the subnet gateway addresses; the others are shared.
  for (size_t sh = 0; sh < kShards; ++sh) {
    if (rebuild_all || !prev) {
      s.open4(sh);
      s.open6(sh);
    }
    if (!prev) s.open_mac(sh);
    if (s.work4[sh]) {
      std::vector<Ca4Slot> slots = s.work4[sh]->live();
      s.work4[sh].reset();  // one shard's copy at a time, not the whole table
      for (const Gateway& g : gateways_of(sh)) {
        if (!g.address.is_v4()) continue;
        Ca4Slot slot = ca4_key_slot(g.vsid, g.address);
        slot.set_pa(kNoPa);
        std::memcpy(slot.mac, s.settings.router_mac.bytes.data(), 6);
        slots.push_back(slot);
      }
      snap->ca4.set(sh, make_shard(slots));
    } else {
      snap->ca4.set(sh, prev->ca4.owners[sh]);
    }
    if (s.work6[sh]) {
      std::vector<Ca6Slot> slots = s.work6[sh]->live();
      s.work6[sh].reset();
      for (const Gateway& g : gateways_of(sh)) {
        if (g.address.is_v4()) continue;
        Ca6Slot slot = ca6_key_slot(g.vsid, g.address);
        slot.set_pa(kNoPa);
        std::memcpy(slot.mac, s.settings.router_mac.bytes.data(), 6);
        slots.push_back(slot);
      }
      snap->ca6.set(sh, make_shard(slots));
    } else {
      snap->ca6.set(sh, prev->ca6.owners[sh]);
    }
    if (s.work_mac[sh]) {
      std::vector<MacSlot> slots = s.work_mac[sh]->live();
      s.work_mac[sh].reset();
      snap->mac.set(sh, make_shard(slots));
    } else {
      snap->mac.set(sh, prev->mac.owners[sh]);
    }
  }

  // Local ports, unless a record places their MAC at a remote provider address.
  {
    std::vector<std::pair<std::pair<uint32_t, uint64_t>, uint16_t>> items;
    for (auto& [k, id] : port_by_mac) {
      const MacSlot* m = find_mac(snap->mac, hash_mac(k.vsid, k.mac), k.vsid, k.mac);
      if (m && !is_local_pa(m->pa)) continue;
      items.push_back({{k.vsid, k.mac}, id});
    }
    snap->local_ports = std::make_shared<LocalPortTable>(items);
  }

  // Nat records by provider address.
  std::vector<std::pair<IpAddress, NatTarget>> nat;
  for (auto& [k, r] : s.nat_records) {
    uint32_t pa = s.pa_index.at(r.provider);
    nat.emplace_back(r.provider, NatTarget{r.vsid, r.customer, r.mac, record_port(r, pa)});
  }
  snap->has_nat = !nat.empty();
  snap->nat = std::make_shared<FlatMap<IpAddress, NatTarget>>(nat);

  s.close_work();
  return snap;
}

// A copy of `table` for undo when a change may edit it, else nothing.
template <class T>
std::optional<T> copy_if(const T& table, bool edited) {
  if (!edited) return std::nullopt;
  return table;
}

// Puts back a table saved by copy_if (tables not saved were not edited).
template <class T>
void restore(T& table, std::optional<T>& saved) {
  if (saved) table = std::move(*saved);
}

}  // namespace

void Datapath::apply(const PolicyChange& change) {
  update(change, false);
}

void Datapath::check(const PolicyChange& change) {
  update(change, true);
}

void Datapath::update(const PolicyChange& change, bool check_only) {
  State& s = *state_;
  std::lock_guard lock(s.write_mutex);

  // Small tables are restored wholesale on failure (only those this change can edit are saved:
  // a one-record change copies none of them but records_per_vsid); record edits are undone one
  // by one.
  auto saved_settings = s.settings;
  bool edits_subnets = !change.remove_subnets.empty() || !change.upsert_subnets.empty();
  bool edits_records = !change.remove_records.empty() || !change.upsert_records.empty();
  auto saved_subnets = copy_if(s.subnets, edits_subnets);
  auto saved_routes = copy_if(s.customer_routes, !change.remove_customer_routes.empty() ||
                                                     !change.upsert_customer_routes.empty());
  auto saved_local = copy_if(s.local_pas, !change.remove_provider_addresses.empty() ||
                                              !change.upsert_provider_addresses.empty());
  auto saved_proutes = copy_if(s.provider_routes, !change.remove_provider_routes.empty() ||
                                                      !change.upsert_provider_routes.empty());
  auto saved_neighbors =
      copy_if(s.neighbors, !change.remove_neighbors.empty() || !change.upsert_neighbors.empty());
  auto saved_ports = copy_if(s.ports, !change.remove_ports.empty() || !change.upsert_ports.empty());
  auto saved_counters = copy_if(s.vsid_counter, edits_subnets);
  auto saved_per_vsid = copy_if(s.records_per_vsid, edits_records);
  // Record tables are edited in work copies (dropped on failure); provider-address references
  // are undone from a compact log; the rare L2Only / Nat map edits by closures.
  // Provider-address reference log: index << 1 | released (8 bytes a record in a bulk load);
  // the address of an index whose last reference was released is kept beside it.
  std::vector<uint64_t> pa_undo;
  std::vector<IpAddress> pa_freed;
  std::vector<std::function<void()>> undo;
  bool structural = false;  // router MAC changed: every gateway slot changes
  std::vector<MacKey> mac_conflicts;

  auto mac_ref = [&](uint32_t vsid, const MacAddress& mac, uint32_t pa) {
    MacKey k{vsid, mac48(mac.bytes.data())};
    MacSlot key = mac_key_slot(k.vsid, k.mac);
    auto& t = s.open_mac(shard_of(slot_hash(key)));
    if (MacSlot* m = t.find(key)) {
      // Several records (IPv4, IPv6) share a MAC; they must agree on the provider address once
      // the whole change is applied (checked below), so a VM can move in one change.
      if (m->pa != pa) mac_conflicts.push_back(k);
      if (m->refs() >= kMaxMacRefs)
        throw PolicyError("MAC " + mac.to_string() + " is used by too many records");
      m->pa = pa;
      m->set_refs(m->refs() + 1);
    } else {
      key.pa = pa;
      key.set_refs(1);
      t.insert(key);
    }
  };
  auto mac_unref = [&](uint32_t vsid, const MacAddress& mac) {
    MacSlot key = mac_key_slot(vsid, mac48(mac.bytes.data()));
    auto& t = s.open_mac(shard_of(slot_hash(key)));
    MacSlot* m = t.find(key);
    if (!m) throw std::logic_error("datapath: record MAC missing from the MAC table");
    if (m->refs() == 1)
      t.erase(m);
    else
      m->set_refs(m->refs() - 1);
  };
  auto intern = [&](const IpAddress& a) {
    uint32_t i = s.intern_pa(a);
    pa_undo.push_back(uint64_t(i) << 1);
    return i;
  };
  auto release = [&](uint32_t i) {
    if (s.pa_refs[i] == 1) pa_freed.push_back(s.pa_address[i]);
    pa_undo.push_back(uint64_t(i) << 1 | 1);
    s.release_pa(i);
  };
  // Marks the shard of a customer address as edited (its gateway slots are rebuilt too).
  auto touch = [&](const RecordKey& k) {
    if (k.customer.is_v4())
      s.open4(shard_of(record_hash(k)));
    else if (k.customer.is_v6())
      s.open6(shard_of(record_hash(k)));
  };
  auto remove_record = [&](const RecordKey& k) -> bool {
    LookupRecord old;
    uint32_t pa;
    if (k.customer.is_v4()) {
      Ca4Slot key = ca4_key_slot(k.vsid, k.customer);
      auto& t = s.open4(shard_of(slot_hash(key)));
      Ca4Slot* r = t.find(key);
      if (!r) return false;
      old = record_of(*r, s.pa_address);
      pa = r->pa_index();
      t.erase(r);
    } else if (k.customer.is_v6()) {
      Ca6Slot key = ca6_key_slot(k.vsid, k.customer);
      auto& t = s.open6(shard_of(slot_hash(key)));
      Ca6Slot* r = t.find(key);
      if (!r) return false;
      old = record_of(*r, s.pa_address);
      pa = r->pa;
      t.erase(r);
    } else {
      auto it = s.records_l2.find(k);
      if (it == s.records_l2.end()) return false;
      old = it->second;
      pa = s.pa_index.at(old.provider);
      s.records_l2.erase(it);
      undo.push_back([&s, old, k] { s.records_l2.emplace(k, old); });
    }
    if (old.rule == Rule::Nat) {
      s.nat_records.erase(k);
      undo.push_back([&s, old, k] { s.nat_records.emplace(k, old); });
    }
    mac_unref(old.vsid, old.mac);
    release(pa);
    --s.records_per_vsid[old.vsid];
    return true;
  };
  // Whether a record has the customer address of `k` (in the edited or published tables).
  auto has_record = [&](const RecordKey& k) -> bool {
    size_t sh = shard_of(record_hash(k));
    if (k.customer.is_v4()) {
      Ca4Slot key = ca4_key_slot(k.vsid, k.customer);
      if (s.work4[sh]) return s.work4[sh]->find(key) != nullptr;
      const Ca4Slot* r = find_ca4(s.snapshot().ca4, slot_hash(key), k.vsid, key.ca);
      return r && !is_gateway_slot(*r);
    }
    Ca6Slot key = ca6_key_slot(k.vsid, k.customer);
    if (s.work6[sh]) return s.work6[sh]->find(key) != nullptr;
    const Ca6Slot* r = find_ca6(s.snapshot().ca6, slot_hash(key), k.vsid, key.ca);
    return r && !is_gateway_slot(*r);
  };

  auto rollback = [&] {
    s.close_work();
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)();
    for (auto it = pa_undo.rbegin(); it != pa_undo.rend(); ++it) {
      uint32_t i = uint32_t(*it >> 1);
      if (!(*it & 1)) {
        s.release_pa(i);
      } else if (s.pa_refs[i] == 0) {
        s.unrelease_pa(i, pa_freed.back());
        pa_freed.pop_back();
      } else {
        ++s.pa_refs[i];
      }
    }
    s.settings = saved_settings;
    restore(s.records_per_vsid, saved_per_vsid);
    restore(s.subnets, saved_subnets);
    restore(s.customer_routes, saved_routes);
    restore(s.local_pas, saved_local);
    restore(s.provider_routes, saved_proutes);
    restore(s.neighbors, saved_neighbors);
    restore(s.ports, saved_ports);
    restore(s.vsid_counter, saved_counters);
  };
  try {
    // ---- settings and small tables ----
    if (change.settings) {
      const DatapathSettings& st = *change.settings;
      if (st.router_mac.is_multicast() || st.router_mac.is_zero())
        throw PolicyError("router MAC must be a unicast address");
      if (st.provider_mac.is_multicast() || st.provider_mac.is_zero())
        throw PolicyError("provider MAC must be a unicast address");
      if (st.provider_mtu < 576 || st.provider_mtu > 9000)
        throw PolicyError("provider MTU must be within 576..9000");
      if (st.router_mac != s.settings.router_mac) structural = true;
      s.settings = st;
    }
    for (uint32_t v : change.remove_subnets) {
      auto it = s.subnets.find(v);
      if (it == s.subnets.end()) throw PolicyError("no virtual subnet with " + vsid_text(v));
      for (auto& g : it->second.gateways) touch(RecordKey{v, g, {}});
      s.subnets.erase(it);
    }
    for (const VirtualSubnet& sub : change.upsert_subnets) {
      check_vsid(sub.vsid);
      if (sub.routing_domain.empty())
        throw PolicyError(vsid_text(sub.vsid) + ": routing domain must not be empty");
      for (auto& g : sub.gateways)
        if (!g.is_set() || g.is_unspecified() || g.bytes[0] == 0xff ||
            (g.is_v4() && g.bytes[0] >= 224))
          throw PolicyError(vsid_text(sub.vsid) + ": gateway " + g.to_string() +
                            " is not a unicast address");
      auto old = s.subnets.find(sub.vsid);
      if (old != s.subnets.end())
        for (auto& g : old->second.gateways) touch(RecordKey{sub.vsid, g, {}});
      for (auto& g : sub.gateways) touch(RecordKey{sub.vsid, g, {}});
      s.subnets[sub.vsid] = sub;
      if (!s.vsid_counter.count(sub.vsid)) {
        if (s.vsid_counter.size() >= s.limits.max_subnets)
          throw PolicyError("too many virtual subnets (limit " +
                            std::to_string(s.limits.max_subnets) + ")");
        uint32_t idx = uint32_t(s.vsid_counter.size());
        s.vsid_counter[sub.vsid] = idx;
      }
    }
    for (const CustomerRoute& r : change.remove_customer_routes) {
      if (!s.customer_routes.erase({r.routing_domain, r.vsid, r.destination}))
        throw PolicyError("no customer route " + r.destination.to_string() + " in " +
                          vsid_text(r.vsid) + " of routing domain " + r.routing_domain);
    }
    for (const CustomerRoute& r : change.upsert_customer_routes) {
      if (!r.destination.address.is_set())
        throw PolicyError("customer route needs a destination prefix");
      if (r.next_hop.is_set() && r.next_hop.family != r.destination.address.family)
        throw PolicyError("customer route " + r.destination.to_string() +
                          ": next hop family differs from the prefix");
      s.customer_routes[{r.routing_domain, r.vsid, r.destination}] = r;
    }
    for (const IpAddress& a : change.remove_provider_addresses) {
      if (!s.local_pas.erase(a)) throw PolicyError("no local provider address " + a.to_string());
    }
    for (const ProviderAddress& p : change.upsert_provider_addresses) {
      if (!p.address.is_set() || p.address.is_unspecified())
        throw PolicyError("provider address must be a unicast address");
      if (p.prefix_length > (p.address.is_v4() ? 32 : 128))
        throw PolicyError("provider address " + p.address.to_string() + ": bad prefix length");
      s.local_pas[p.address] = p;
    }
    for (const IpPrefix& p : change.remove_provider_routes)
      if (!s.provider_routes.erase(p)) throw PolicyError("no provider route " + p.to_string());
    for (const ProviderRoute& r : change.upsert_provider_routes) {
      if (!r.destination.address.is_set() || r.next_hop.family != r.destination.address.family)
        throw PolicyError("provider route " + r.destination.to_string() +
                          " needs a next hop of the same family");
      s.provider_routes[r.destination] = r;
    }
    for (const IpAddress& a : change.remove_neighbors)
      if (!s.neighbors.erase(a)) throw PolicyError("no provider neighbour " + a.to_string());
    for (const ProviderNeighbor& n : change.upsert_neighbors) {
      if (!n.address.is_set() || n.mac.is_multicast() || n.mac.is_zero())
        throw PolicyError("provider neighbour needs an address and a unicast MAC");
      s.neighbors[n.address] = n.mac;
    }
    for (uint16_t id : change.remove_ports) {
      auto it = s.ports.find(id);
      if (it == s.ports.end()) throw PolicyError("no VM port " + std::to_string(id));
      s.ports.erase(it);
    }
    for (const VmPort& p : change.upsert_ports) {
      if (p.id >= kMaxPorts)
        throw PolicyError("VM port id " + std::to_string(p.id) + " is not below " +
                          std::to_string(kMaxPorts));
      if (p.mac.is_multicast() || p.mac.is_zero())
        throw PolicyError("VM port " + std::to_string(p.id) + " needs a unicast MAC");
      s.ports[p.id] = p;
    }

    // ---- records ----
    for (const RecordKey& k : change.remove_records)
      if (!remove_record(k))
        throw PolicyError("no lookup record for " +
                          (k.customer.is_set() ? k.customer.to_string() : k.mac.to_string()) +
                          " in " + vsid_text(k.vsid));
    if (change.upsert_records.size() >= 4096) {
      // A bulk change: size the work copies once instead of growing them step by step.
      std::vector<uint32_t> n4(kShards), n6(kShards), nmac(kShards);
      for (const LookupRecord& r : change.upsert_records) {
        ++nmac[shard_of(hash_mac(r.vsid, mac48(r.mac.bytes.data())))];
        if (r.type == RecordType::L2Only) continue;
        if (r.customer.is_v4())
          ++n4[shard_of(record_hash(key_of(r)))];
        else if (r.customer.is_v6())
          ++n6[shard_of(record_hash(key_of(r)))];
      }
      for (size_t sh = 0; sh < kShards; ++sh) {
        if (n4[sh]) s.open4(sh).reserve(n4[sh]);
        if (n6[sh]) s.open6(sh).reserve(n6[sh]);
        if (nmac[sh]) s.open_mac(sh).reserve(nmac[sh]);
      }
    }
    for (const LookupRecord& r : change.upsert_records) {
      // The message prefix is only formatted when a record is refused.
      auto what = [&r] { return "record " + r.customer.to_string() + " in " + vsid_text(r.vsid); };
      check_vsid(r.vsid);
      if (!r.provider.is_set() || r.provider.is_unspecified())
        throw PolicyError(what() + ": provider address is missing");
      if (r.mac.is_multicast() || r.mac.is_zero())
        throw PolicyError(what() + ": MAC must be a unicast address");
      switch (r.type) {
        case RecordType::L2Only:
          if (r.customer.is_set() && !r.customer.is_unspecified())
            throw PolicyError(what() + ": L2Only records have no customer address");
          if (r.rule != Rule::Encap) throw PolicyError(what() + ": L2Only records use Encap");
          break;
        case RecordType::GatewayWildcard:
          if (!r.customer.is_set() || !r.customer.is_unspecified())
            throw PolicyError(what() + ": GatewayWildcard records use 0.0.0.0 or ::");
          if (r.rule != Rule::Encap)
            throw PolicyError(what() + ": GatewayWildcard records use Encap");
          break;
        default:
          if (!r.customer.is_set() || r.customer.is_unspecified())
            throw PolicyError(what() + ": customer address is missing");
          if (r.customer.bytes[0] == 0xff || (r.customer.is_v4() && r.customer.bytes[0] >= 224) ||
              (r.customer.is_v4() && r.customer.v4_host() == 0xffffffffu))
            throw PolicyError(what() + ": customer address must be unicast");
          if (r.rule == Rule::Nat && r.provider.family != r.customer.family)
            throw PolicyError(what() + ": Nat needs customer and provider addresses of one family");
      }
      LookupRecord rec = r;
      if (rec.type == RecordType::L2Only) rec.customer = IpAddress{};
      RecordKey k = key_of(rec);
      remove_record(k);  // replace
      uint32_t pa = intern(rec.provider);
      mac_ref(rec.vsid, rec.mac, pa);
      if (k.customer.is_v4()) {
        Ca4Slot slot = ca4_slot(rec, pa);
        s.open4(shard_of(slot_hash(slot))).insert(slot);
      } else if (k.customer.is_v6()) {
        Ca6Slot slot = ca6_slot(rec, pa);
        s.open6(shard_of(slot_hash(slot))).insert(slot);
      } else {
        s.records_l2.emplace(k, rec);
        undo.push_back([&s, k] { s.records_l2.erase(k); });
      }
      if (rec.rule == Rule::Nat) {
        s.nat_records.emplace(k, rec);
        undo.push_back([&s, k] { s.nat_records.erase(k); });
      }
      ++s.records_per_vsid[rec.vsid];
    }

    // ---- cross-table checks on the result ----
    for (const MacKey& k : mac_conflicts) {
      MacSlot key = mac_key_slot(k.vsid, k.mac);
      MacSlot* m = s.open_mac(shard_of(slot_hash(key))).find(key);
      if (!m) continue;
      // Every record with this MAC (edited shards from their work copies).
      std::set<uint32_t> pas;
      uint32_t refs = 0;
      auto scan = [&](const auto& slot) {
        if (slot.vsid() == k.vsid && mac48(slot.mac) == k.mac) {
          pas.insert(slot.pa_index());
          ++refs;
        }
      };
      for (size_t sh = 0; sh < kShards; ++sh) {
        if (s.work4[sh])
          s.work4[sh]->for_each(scan);
        else
          for_each_published(s.snapshot().ca4.owners[sh].get(), scan);
        if (s.work6[sh])
          s.work6[sh]->for_each(scan);
        else
          for_each_published(s.snapshot().ca6.owners[sh].get(), scan);
      }
      for (auto& [rk, r] : s.records_l2) {
        if (r.vsid == k.vsid && mac48(r.mac.bytes.data()) == k.mac) {
          pas.insert(s.pa_index.at(r.provider));
          ++refs;
        }
      }
      if (pas.size() > 1)
        throw PolicyError("MAC " + mac_from48(k.mac).to_string() + " in " + vsid_text(k.vsid) +
                          " belongs to records at different provider addresses");
      m->pa = *pas.begin();
      m->set_refs(refs);
    }
    for (auto& [vsid, n] : s.records_per_vsid)
      if (n > 0 && !s.subnets.count(vsid))
        throw PolicyError(vsid_text(vsid) + " has lookup records but no virtual subnet");
    for (auto& [id, p] : s.ports)
      if (!s.subnets.count(p.vsid))
        throw PolicyError("VM port " + std::to_string(id) + ": no virtual subnet with " +
                          vsid_text(p.vsid));
    {
      std::unordered_map<MacKey, uint16_t, MacKeyHash> seen;
      for (auto& [id, p] : s.ports) {
        auto [it, fresh] = seen.emplace(MacKey{p.vsid, mac48(p.mac.bytes.data())}, id);
        if (!fresh)
          throw PolicyError("VM ports " + std::to_string(it->second) + " and " +
                            std::to_string(id) + " have the same MAC in one VSID");
      }
    }
    for (auto& [k, r] : s.customer_routes) {
      auto sub = s.subnets.find(r.vsid);
      if (sub == s.subnets.end())
        throw PolicyError("customer route " + r.destination.to_string() +
                          ": no virtual subnet with " + vsid_text(r.vsid));
      if (sub->second.routing_domain != r.routing_domain)
        throw PolicyError("customer route " + r.destination.to_string() + ": " + vsid_text(r.vsid) +
                          " is not in routing domain " + r.routing_domain);
    }
    for (auto& [vsid, sub] : s.subnets) {
      for (auto& g : sub.gateways) {
        if (has_record(RecordKey{vsid, g, {}}))
          throw PolicyError(vsid_text(vsid) + ": gateway " + g.to_string() +
                            " is also a lookup record");
      }
    }
  } catch (...) {
    rollback();
    throw;
  }
  if (check_only) {
    rollback();
    return;
  }

  // The small tables a change cannot affect are shared with the published version.
  if ((change.settings && change.settings->provider_mac != saved_settings.provider_mac) ||
      !change.remove_provider_addresses.empty() || !change.upsert_provider_addresses.empty() ||
      !change.remove_provider_routes.empty() || !change.upsert_provider_routes.empty() ||
      !change.remove_neighbors.empty() || !change.upsert_neighbors.empty())
    s.providers_dirty = true;
  if (!change.remove_subnets.empty() || !change.upsert_subnets.empty() ||
      !change.remove_ports.empty() || !change.upsert_ports.empty())
    s.subnets_dirty = true;
  if (!change.remove_customer_routes.empty() || !change.upsert_customer_routes.empty())
    s.routes_dirty = true;
  std::unique_ptr<Snapshot> next = build_snapshot(s, structural);
  if (s.observer) s.observer->before_publish(change);
  s.publish(std::move(next));
  if (s.observer) s.observer->after_publish(change);
}

void Datapath::set_observer(PolicyObserver* observer) {
  State& s = *state_;
  std::lock_guard lock(s.write_mutex);
  s.observer = observer;
  if (!observer) return;
  PolicyChange all;
  all.settings = s.settings;
  for (auto& [v, sub] : s.subnets) all.upsert_subnets.push_back(sub);
  for (auto& [k, r] : s.customer_routes) all.upsert_customer_routes.push_back(r);
  for (auto& [a, pa] : s.local_pas) all.upsert_provider_addresses.push_back(pa);
  for (auto& [p, r] : s.provider_routes) all.upsert_provider_routes.push_back(r);
  for (auto& [a, mac] : s.neighbors) all.upsert_neighbors.push_back(ProviderNeighbor{a, mac});
  for (auto& [id, p] : s.ports) all.upsert_ports.push_back(p);
  const Snapshot& snap = s.snapshot();
  auto add = [&](const auto& slot) { all.upsert_records.push_back(record_of(slot, s.pa_address)); };
  for (size_t sh = 0; sh < kShards; ++sh) {
    for_each_published(snap.ca4.owners[sh].get(), add);
    for_each_published(snap.ca6.owners[sh].get(), add);
  }
  for (auto& [k, r] : s.records_l2) all.upsert_records.push_back(r);
  observer->before_publish(all);
  observer->after_publish(all);
}

Datapath::Limits Datapath::limits() const {
  return state_->limits;
}

std::vector<LookupRecord> Datapath::records() const {
  std::lock_guard lock(state_->write_mutex);
  std::vector<LookupRecord> out;
  const Snapshot& snap = state_->snapshot();
  out.reserve(snap.ca4.count() + snap.ca6.count() + state_->records_l2.size());
  auto add = [&](const auto& slot) { out.push_back(record_of(slot, state_->pa_address)); };
  for (size_t sh = 0; sh < kShards; ++sh) {
    for_each_published(snap.ca4.owners[sh].get(), add);
    for_each_published(snap.ca6.owners[sh].get(), add);
  }
  for (auto& [k, r] : state_->records_l2) out.push_back(r);
  return out;
}

std::vector<VirtualSubnet> Datapath::subnets() const {
  std::lock_guard lock(state_->write_mutex);
  std::vector<VirtualSubnet> out;
  for (auto& [v, s] : state_->subnets) out.push_back(s);
  return out;
}

std::vector<CustomerRoute> Datapath::customer_routes() const {
  std::lock_guard lock(state_->write_mutex);
  std::vector<CustomerRoute> out;
  for (auto& [k, r] : state_->customer_routes) out.push_back(r);
  return out;
}

std::vector<VmPort> Datapath::ports() const {
  std::lock_guard lock(state_->write_mutex);
  std::vector<VmPort> out;
  for (auto& [k, p] : state_->ports) out.push_back(p);
  return out;
}

DatapathSettings Datapath::settings() const {
  std::lock_guard lock(state_->write_mutex);
  return state_->settings;
}

TableStats Datapath::table_stats() const {
  std::lock_guard lock(state_->write_mutex);
  const Snapshot& snap = state_->snapshot();
  TableStats t;
  t.ipv4_records = snap.ca4.count();
  t.ipv6_records = snap.ca6.count();
  t.mac_entries = snap.mac.count();
  t.ipv4_table_bytes = snap.ca4.bytes();
  t.ipv6_table_bytes = snap.ca6.bytes();
  t.mac_table_bytes = snap.mac.bytes();
  t.provider_addresses = state_->pa_index.size();
  return t;
}

DropCounters Datapath::drop_counters() const {
  std::lock_guard lock(state_->write_mutex);
  DropCounters out{};
  for (size_t w = 0; w < state_->limits.max_workers; ++w)
    for (size_t i = 0; i < kDropReasonCount && state_->readers[w].counters; ++i)
      out[i] += state_->readers[w].counters->drops[i].load(std::memory_order_relaxed);
  return out;
}

std::optional<VsidCounters> Datapath::vsid_counters(uint32_t vsid) const {
  std::lock_guard lock(state_->write_mutex);
  auto it = state_->vsid_counter.find(vsid);
  if (it == state_->vsid_counter.end()) return std::nullopt;
  uint32_t idx = it->second;
  VsidCounters out;
  auto r = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (size_t w = 0; w < state_->limits.max_workers; ++w) {
    if (!state_->readers[w].counters) continue;
    const auto& c = state_->readers[w].counters->vsid[idx];
    out.encapsulated.packets += r(c.enc_packets);
    out.encapsulated.bytes += r(c.enc_bytes);
    out.decapsulated.packets += r(c.dec_packets);
    out.decapsulated.bytes += r(c.dec_bytes);
    out.local.packets += r(c.local_packets);
    out.local.bytes += r(c.local_bytes);
    out.dropped += r(c.dropped);
  }
  return out;
}

PortCounters Datapath::port_counters(PortId port) const {
  PortCounters out;
  if (port >= kMaxPorts) return out;
  std::lock_guard lock(state_->write_mutex);
  auto r = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (size_t w = 0; w < state_->limits.max_workers; ++w) {
    if (!state_->readers[w].counters) continue;
    const auto& c = state_->readers[w].counters->port[port];
    out.from_vm.packets += r(c.from_packets);
    out.from_vm.bytes += r(c.from_bytes);
    out.to_vm.packets += r(c.to_packets);
    out.to_vm.bytes += r(c.to_bytes);
    out.dropped += r(c.dropped);
  }
  return out;
}

std::string_view drop_reason_name(DropReason r) {
  static constexpr std::string_view names[] = {
      "malformed",    "broadcast",    "unknown_destination", "no_route",
      "unknown_arp",  "to_gateway",   "no_provider_route",   "too_big",
      "unknown_port", "not_for_us",   "not_nvgre",           "bad_gre_header",
      "fragment",     "unknown_vsid", "inner_vlan",          "spoofed",
      "ttl_expired"};
  static_assert(std::size(names) == kDropReasonCount);
  return names[size_t(r)];
}

}  // namespace cimnet::dataplane

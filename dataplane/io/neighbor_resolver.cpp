#include "cimnet/dataplane/io/neighbor_resolver.h"

#include <cstring>
#include <set>

namespace cimnet::dataplane {

namespace {

constexpr uint16_t kEthArp = 0x0806;

uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

IpAddress ipv4_at(const uint8_t* p) {
  IpAddress a;
  a.family = 4;
  std::memcpy(a.bytes.data(), p, 4);
  return a;
}

}  // namespace

NeighborResolver::NeighborResolver(Datapath& datapath, NeighborResolverConfig config)
    : datapath_(datapath), config_(config) {
  if (!config_.source.is_v4())
    throw PolicyError("neighbour resolution needs an IPv4 provider address as ARP sender");
  if (config_.source_mac.is_zero() || config_.source_mac.is_multicast())
    throw PolicyError("neighbour resolution needs the provider port's unicast MAC");
}

void NeighborResolver::set_targets(const std::vector<IpAddress>& targets) {
  std::lock_guard lock(mutex_);
  for (auto& [address, e] : entries_) e.wanted = false;
  for (const IpAddress& t : targets) {
    if (!t.is_v4() || t == config_.source) continue;
    Entry& e = entries_[t];
    e.wanted = true;
  }
}

std::vector<IpAddress> NeighborResolver::next_hops(const std::vector<LookupRecord>& records,
                                                   const std::vector<ProviderAddress>& local,
                                                   const std::vector<ProviderRoute>& routes) {
  std::set<IpAddress> out;
  std::set<IpAddress> own;
  for (const ProviderAddress& l : local) own.insert(l.address);
  for (const LookupRecord& r : records) {
    if (!r.provider.is_set() || own.count(r.provider)) continue;
    bool on_link = false;
    for (const ProviderAddress& l : local)
      on_link |= l.address.family == r.provider.family &&
                 mask_address(l.address, l.prefix_length) == mask_address(r.provider, l.prefix_length);
    if (on_link) {
      out.insert(r.provider);
      continue;
    }
    const ProviderRoute* best = nullptr;
    for (const ProviderRoute& pr : routes)
      if (pr.destination.contains(r.provider) &&
          (!best || pr.destination.length > best->destination.length ||
           (pr.destination.length == best->destination.length && pr.metric < best->metric)))
        best = &pr;
    if (best && best->next_hop.is_set()) out.insert(best->next_hop);
  }
  return {out.begin(), out.end()};
}

bool NeighborResolver::offer(const Packet& frame) {
  const uint8_t* f = frame.data();
  if (frame.length < 42 || get16(f + 12) != kEthArp) return false;
  const uint8_t* a = f + 14;
  if (get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) return false;
  uint16_t op = get16(a + 6);
  MacAddress sender_mac;
  std::memcpy(sender_mac.bytes.data(), a + 8, 6);
  IpAddress sender = ipv4_at(a + 14);
  IpAddress target = ipv4_at(a + 24);
  if (sender_mac.is_zero() || sender_mac.is_multicast()) return op == 2;
  if (op == 2) {
    if (target == config_.source) learn(sender, sender_mac, Clock::now());
    return true;  // replies are never for the datapath
  }
  if (op == 1 && target == config_.source) learn(sender, sender_mac, Clock::now());
  return false;  // the datapath answers requests for local provider addresses
}

void NeighborResolver::learn(const IpAddress& address, const MacAddress& mac,
                             Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end() || !it->second.wanted) return;  // not a next hop we need
  Entry& e = it->second;
  bool changed = !e.mac || *e.mac != mac;
  e.learned = now;
  // Refresh after two thirds of the reachable time.
  e.next_request = now + config_.reachable * 2 / 3;
  if (!changed) {
    e.mac = mac;
    return;
  }
  PolicyChange c;
  c.upsert_neighbors.push_back({address, mac});
  try {
    datapath_.apply(c);
    e.mac = mac;
  } catch (const PolicyError&) {
    e.mac.reset();  // the datapath refused it (e.g. the policy changed under us): ask again
    e.next_request = now + config_.retry;
  }
}

void NeighborResolver::tick(Clock::time_point now, PacketIo& provider) {
  std::vector<IpAddress> due, expired;
  {
    std::lock_guard lock(mutex_);
    for (auto& [address, e] : entries_) {
      if (e.mac && now >= e.learned + config_.reachable) {
        expired.push_back(address);
        e.mac.reset();
        e.next_request = now;
      }
      if (e.wanted && now >= e.next_request) {
        due.push_back(address);
        e.next_request = now + config_.retry;
      }
    }
    for (auto it = entries_.begin(); it != entries_.end();)
      it = !it->second.wanted && !it->second.mac ? entries_.erase(it) : std::next(it);
    requests_sent_ += due.size();
  }
  for (const IpAddress& a : expired) {
    PolicyChange c;
    c.remove_neighbors.push_back(a);
    try {
      datapath_.apply(c);
    } catch (const PolicyError&) {
      // Already removed by the control plane: nothing to undo.
    }
  }
  if (due.empty()) return;
  constexpr size_t kFrame = 60;  // 42 bytes of ARP padded to the Ethernet minimum
  std::vector<uint8_t> buffers(due.size() * kFrame, 0);
  std::vector<Packet> packets(due.size());
  std::vector<Packet*> out(due.size());
  for (size_t i = 0; i < due.size(); ++i) {
    uint8_t* f = buffers.data() + i * kFrame;
    std::memset(f, 0xFF, 6);
    std::memcpy(f + 6, config_.source_mac.bytes.data(), 6);
    f[12] = 0x08, f[13] = 0x06;
    uint8_t* a = f + 14;
    a[0] = 0, a[1] = 1, a[2] = 0x08, a[3] = 0, a[4] = 6, a[5] = 4, a[6] = 0, a[7] = 1;
    std::memcpy(a + 8, config_.source_mac.bytes.data(), 6);
    std::memcpy(a + 14, config_.source.bytes.data(), 4);
    std::memcpy(a + 24, due[i].bytes.data(), 4);
    packets[i].buffer = f;
    packets[i].buffer_size = kFrame;
    packets[i].offset = 0;
    packets[i].length = kFrame;
    packets[i].port = kProviderPort;
    out[i] = &packets[i];
  }
  provider.send(out);
}

std::optional<MacAddress> NeighborResolver::lookup(const IpAddress& address) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return std::nullopt;
  return it->second.mac;
}

uint64_t NeighborResolver::requests_sent() const {
  std::lock_guard lock(mutex_);
  return requests_sent_;
}

}  // namespace cimnet::dataplane

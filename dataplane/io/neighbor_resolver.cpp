#include "cimnet/dataplane/io/neighbor_resolver.h"

#include "cimnet/dataplane/io/gso.h"

#include <cstring>
#include <set>

namespace cimnet::dataplane {

namespace {

constexpr uint16_t kEthArp = 0x0806, kEthIpv6 = 0x86DD;
constexpr uint8_t kIcmpv6 = 58, kNeighborSolicitation = 135, kNeighborAdvertisement = 136;
constexpr size_t kNdFrame = 14 + 40 + 32;  // Ethernet + IPv6 + NS/NA with one link-layer option

uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

IpAddress ipv4_at(const uint8_t* p) {
  IpAddress a;
  a.family = 4;
  std::memcpy(a.bytes.data(), p, 4);
  return a;
}

IpAddress ipv6_at(const uint8_t* p) {
  IpAddress a;
  a.family = 6;
  std::memcpy(a.bytes.data(), p, 16);
  return a;
}

// Fills in an ICMPv6 checksum of the message at `icmp` (length `len`) inside IPv6 header `ip`.
void icmpv6_checksum(const uint8_t* ip, uint8_t* icmp, uint32_t len) {
  icmp[2] = icmp[3] = 0;
  uint16_t c = uint16_t(~checksum_fold(checksum_add(pseudo_header_sum(ip, len, kIcmpv6), icmp, len)));
  std::memcpy(icmp + 2, &c, 2);
}

// Ethernet + IPv6 header of a neighbour discovery message (hop limit 255, 32-byte body).
void nd_headers(uint8_t* f, const uint8_t* dst_mac, const MacAddress& src_mac,
                const IpAddress& src, const uint8_t* dst_ip) {
  std::memcpy(f, dst_mac, 6);
  std::memcpy(f + 6, src_mac.bytes.data(), 6);
  f[12] = 0x86, f[13] = 0xDD;
  uint8_t* ip = f + 14;
  std::memset(ip, 0, 40);
  ip[0] = 0x60;
  ip[5] = 32;  // payload length
  ip[6] = kIcmpv6;
  ip[7] = 255;
  std::memcpy(ip + 8, src.bytes.data(), 16);
  std::memcpy(ip + 24, dst_ip, 16);
}

// Sends one frame of `len` bytes held in `f` on `io`.
void send_frame(PacketIo& io, uint8_t* f, size_t len) {
  Packet p;
  p.buffer = f;
  p.buffer_size = uint32_t(len);
  p.offset = 0;
  p.length = uint32_t(len);
  p.port = kProviderPort;
  Packet* one[1] = {&p};
  io.send(one);
}

}  // namespace

NeighborResolver::NeighborResolver(Datapath& datapath, NeighborResolverConfig config)
    : datapath_(datapath), config_(config) {
  if (config_.source.is_set() && !config_.source.is_v4())
    throw PolicyError("the ARP sender must be an IPv4 provider address");
  if (config_.source6.is_set() && !config_.source6.is_v6())
    throw PolicyError("the neighbour solicitation sender must be an IPv6 provider address");
  if (!config_.source.is_set() && !config_.source6.is_set())
    throw PolicyError("neighbour resolution needs a local IPv4 or IPv6 provider address");
  if (config_.source_mac.is_zero() || config_.source_mac.is_multicast())
    throw PolicyError("neighbour resolution needs the provider port's unicast MAC");
}

void NeighborResolver::set_targets(const std::vector<IpAddress>& targets) {
  std::lock_guard lock(mutex_);
  for (auto& [address, e] : entries_) e.wanted = false;
  for (const IpAddress& t : targets) {
    bool usable = (t.is_v4() && config_.source.is_set() && t != config_.source) ||
                  (t.is_v6() && config_.source6.is_set() && t != config_.source6);
    if (!usable) continue;
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

bool NeighborResolver::wants(const Packet& frame) {
  if (frame.length < 14) return false;
  const uint8_t* f = frame.data();
  uint16_t type = get16(f + 12);
  if (type == kEthArp) return true;
  return type == kEthIpv6 && frame.length >= kNdFrame - 8 && f[14 + 6] == kIcmpv6 &&
         (f[54] == kNeighborSolicitation || f[54] == kNeighborAdvertisement);
}

bool NeighborResolver::offer(const Packet& frame, PacketIo* reply_via) {
  const uint8_t* f = frame.data();
  if (frame.length >= 14 && get16(f + 12) == kEthIpv6) return offer_nd(frame, reply_via);
  if (frame.length < 42 || get16(f + 12) != kEthArp || !config_.source.is_set()) return false;
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

bool NeighborResolver::offer_nd(const Packet& frame, PacketIo* reply_via) {
  const uint8_t* f = frame.data();
  if (!config_.source6.is_set() || frame.length < 14 + 40 + 24) return false;
  const uint8_t* ip = f + 14;
  uint32_t len = get16(ip + 4);
  if ((ip[0] >> 4) != 6 || ip[6] != kIcmpv6 || len < 24 || 54 + len > frame.length) return false;
  const uint8_t* icmp = ip + 40;
  uint8_t type = icmp[0];
  if (type != kNeighborSolicitation && type != kNeighborAdvertisement) return false;
  // RFC 4861 7.1.1/7.1.2: hop limit 255, code 0, valid checksum; otherwise silently ignored.
  if (ip[7] != 255 || icmp[1] != 0 ||
      checksum_fold(checksum_add(pseudo_header_sum(ip, len, kIcmpv6), icmp, len)) != 0xFFFF)
    return true;
  IpAddress source = ipv6_at(ip + 8);
  IpAddress target = ipv6_at(icmp + 8);
  // The link-layer address option: source (1) in solicitations, target (2) in advertisements.
  std::optional<MacAddress> option_mac;
  for (uint32_t at = 24; at + 8 <= len;) {
    uint32_t olen = icmp[at + 1] * 8u;
    if (olen == 0 || at + olen > len) break;
    if (icmp[at] == (type == kNeighborSolicitation ? 1 : 2) && olen == 8) {
      MacAddress m;
      std::memcpy(m.bytes.data(), icmp + at + 2, 6);
      option_mac = m;
    }
    at += olen;
  }
  auto now = Clock::now();
  if (type == kNeighborAdvertisement) {
    MacAddress m;
    if (option_mac) {
      m = *option_mac;
    } else {
      std::memcpy(m.bytes.data(), f + 6, 6);
    }
    if (!m.is_zero() && !m.is_multicast()) learn(target, m, now);
    return true;
  }
  // A solicitation: only ours is our business; the datapath has nothing to do with any.
  if (target != config_.source6) return false;
  if (source.is_unspecified() || !option_mac || option_mac->is_multicast()) return true;  // DAD
  learn(source, *option_mac, now);
  if (reply_via) {
    uint8_t na[kNdFrame];
    nd_headers(na, option_mac->bytes.data(), config_.source_mac, config_.source6, ip + 8);
    uint8_t* m = na + 54;
    std::memset(m, 0, 32);
    m[0] = kNeighborAdvertisement;
    m[4] = 0x60;  // solicited, override
    std::memcpy(m + 8, config_.source6.bytes.data(), 16);
    m[24] = 2;  // target link-layer address
    m[25] = 1;
    std::memcpy(m + 26, config_.source_mac.bytes.data(), 6);
    icmpv6_checksum(na + 14, m, 32);
    send_frame(*reply_via, na, sizeof na);
  }
  return true;
}

size_t NeighborResolver::build_solicitation(uint8_t* f, const IpAddress& target) const {
  // To the solicited-node multicast group ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX.
  uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0};
  std::memcpy(group + 13, target.bytes.data() + 13, 3);
  uint8_t mac[6] = {0x33, 0x33, 0xff, target.bytes[13], target.bytes[14], target.bytes[15]};
  nd_headers(f, mac, config_.source_mac, config_.source6, group);
  uint8_t* m = f + 54;
  std::memset(m, 0, 32);
  m[0] = kNeighborSolicitation;
  std::memcpy(m + 8, target.bytes.data(), 16);
  m[24] = 1;  // source link-layer address
  m[25] = 1;
  std::memcpy(m + 26, config_.source_mac.bytes.data(), 6);
  icmpv6_checksum(f + 14, m, 32);
  return kNdFrame;
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
  constexpr size_t kFrame = 96;  // room for a solicitation; ARP is 42 bytes padded to 60
  std::vector<uint8_t> buffers(due.size() * kFrame, 0);
  std::vector<Packet> packets(due.size());
  std::vector<Packet*> out(due.size());
  for (size_t i = 0; i < due.size(); ++i) {
    uint8_t* f = buffers.data() + i * kFrame;
    size_t len = 60;
    if (due[i].is_v6()) {
      len = build_solicitation(f, due[i]);
    } else {
      std::memset(f, 0xFF, 6);
      std::memcpy(f + 6, config_.source_mac.bytes.data(), 6);
      f[12] = 0x08, f[13] = 0x06;
      uint8_t* a = f + 14;
      a[0] = 0, a[1] = 1, a[2] = 0x08, a[3] = 0, a[4] = 6, a[5] = 4, a[6] = 0, a[7] = 1;
      std::memcpy(a + 8, config_.source_mac.bytes.data(), 6);
      std::memcpy(a + 14, config_.source.bytes.data(), 4);
      std::memcpy(a + 24, due[i].bytes.data(), 4);
    }
    packets[i].buffer = f;
    packets[i].buffer_size = kFrame;
    packets[i].offset = 0;
    packets[i].length = uint32_t(len);
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

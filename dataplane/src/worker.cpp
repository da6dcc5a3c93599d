// The per-packet rules: transmit from VM ports and receive from the provider port. Each batch
// of up to kBatchSize packets is processed in two passes: parse, hash and prefetch, then look up
// and act. No allocation, no locks, no virtual calls.

#include <algorithm>

#include "frames.h"
#include "state.h"

namespace cimnet::dataplane {

using namespace detail;

namespace {

// Holds the worker's reader slot for one batch: the snapshot loaded here stays alive until the
// guard ends (the writer's grace period waits for it).
class ReadGuard {
 public:
  ReadGuard(Datapath::State& s, ReaderSlot& r) : slot_(r) {
    slot_.epoch.store(s.epoch.load(std::memory_order_acquire), std::memory_order_seq_cst);
    snap_ = s.current.load(std::memory_order_seq_cst);
  }
  ~ReadGuard() { slot_.epoch.store(0, std::memory_order_release); }
  const Snapshot& snapshot() const { return *snap_; }

 private:
  ReaderSlot& slot_;
  const Snapshot* snap_;
};

enum PendingKind : uint8_t { kNone, kV4, kV6, kMac };

// What pass one found out about one packet (only the fields its kind needs are set).
struct Pending {
  uint8_t kind;
  bool routed;
  uint32_t vsid;  // VSID the destination is looked up in
  uint64_t hash;
  const uint8_t* key;  // IPv4 / IPv6 address looked up (the destination or a route's next hop)
  uint64_t mac;        // kMac: destination MAC
  const void* slot;    // pass two: the slot found, or nullptr
};

inline uint8_t fold8(uint64_t h) {
  h ^= h >> 32;
  h ^= h >> 16;
  h ^= h >> 8;
  return uint8_t(h);
}

// FlowID of an IPv4 frame of at least 34 bytes (see flow_id()).
inline uint8_t flow_id4(const uint8_t* frame, uint32_t len) {
  const uint8_t* ip = frame + 14;
  uint64_t h = (uint64_t(load32(ip + 12)) << 32 | load32(ip + 16)) ^ ip[9];
  size_t ihl = size_t(ip[0] & 0xF) * 4;
  bool first_fragment = (get16(ip + 6) & 0x1FFF) == 0;
  if ((ip[9] == kIpProtoTcp || ip[9] == kIpProtoUdp) && first_fragment && len >= 14 + ihl + 4)
    h ^= uint64_t(load32(ip + ihl)) * 0x9E3779B97F4A7C15ULL;
  return fold8(mix64(h));
}

// 8-bit FlowID from the inner 5-tuple (RFC 7637: entropy inside one VSID).
uint8_t flow_id(const uint8_t* frame, uint32_t len, uint16_t type) {
  if (type == kEthIpv4 && len >= 34) return flow_id4(frame, len);
  if (type == kEthIpv6 && len >= 54) {
    const uint8_t* ip = frame + 14;
    uint64_t h = load64(ip + 8) ^ load64(ip + 16) * 0x9E3779B97F4A7C15ULL ^
                 (load64(ip + 24) * 0xC2B2AE3D27D4EB4FULL) ^ load64(ip + 32) ^ ip[6];
    if ((ip[6] == kIpProtoTcp || ip[6] == kIpProtoUdp) && len >= 58)
      h ^= uint64_t(load32(ip + 40)) * 0x165667B19E3779F9ULL;
    return fold8(mix64(h));
  }
  return fold8(mix64(mac48(frame) ^ mac48(frame + 6) << 1));
}

// Rewrites `n` bytes at `field` to `value`, keeping the checksums at `c1`/`c2` (may be null)
// correct (RFC 1624).
void rewrite_words(uint8_t* field, const uint8_t* value, size_t n, uint8_t* c1, uint8_t* c2) {
  for (size_t i = 0; i < n; i += 2) {
    uint16_t o = get16(field + i), v = get16(value + i);
    if (c1) put16(c1, checksum_update16(get16(c1), o, v));
    if (c2) put16(c2, checksum_update16(get16(c2), o, v));
    put16(field + i, v);
  }
}

// The transport checksum field of an IP packet that covers the addresses, or null.
uint8_t* l4_checksum(uint8_t* l4, uint8_t proto, size_t avail, bool v6) {
  if (proto == kIpProtoTcp && avail >= 18) return l4 + 16;
  if (proto == kIpProtoUdp && avail >= 8) return get16(l4 + 6) || v6 ? l4 + 6 : nullptr;
  if (proto == kIpProtoIcmp6 && v6 && avail >= 4) return l4 + 2;
  return nullptr;
}

// Turns the neighbour solicitation in `p` (length and room for 86 bytes checked by the caller)
// into the neighbour advertisement of `target` at `mac` (flags: R/S/O bits of the first word),
// addressed to the soliciting node.
void write_neighbor_advertisement(Packet& p, const uint8_t* target, const uint8_t* mac,
                                  uint32_t flags) {
  uint8_t* f = p.data();
  uint8_t* ip = f + 14;
  uint8_t* icmp = ip + 40;
  uint8_t t[16], requester_ip[16], requester_mac[6], own[6];
  std::memcpy(t, target, 16);
  std::memcpy(own, mac, 6);
  std::memcpy(requester_ip, ip + 8, 16);
  std::memcpy(requester_mac, f + 6, 6);
  std::memcpy(f, requester_mac, 6);
  std::memcpy(f + 6, own, 6);
  put16(f + 12, kEthIpv6);
  put32(ip, 0x60000000);
  put16(ip + 4, 32);
  ip[6] = kIpProtoIcmp6;
  ip[7] = 255;
  std::memcpy(ip + 8, t, 16);
  std::memcpy(ip + 24, requester_ip, 16);
  icmp[0] = 136;
  icmp[1] = 0;
  put16(icmp + 2, 0);
  put32(icmp + 4, flags);
  std::memcpy(icmp + 8, t, 16);
  icmp[24] = 2;  // target link-layer address option
  icmp[25] = 1;
  std::memcpy(icmp + 26, own, 6);
  uint32_t sum = checksum_add(0, ip + 8, 32) + 32 + kIpProtoIcmp6;
  put16(icmp + 2, checksum_fold(checksum_add(sum, icmp, 32)));
  p.length = 86;
}

class Transmitter {
 public:
  Transmitter(const Snapshot& snap, WorkerCounters& c, PortId from, bool fast)
      : fast_(fast),
        s_(snap),
        c_(c),
        from_(from),
        port_((*snap.ports)[from < kMaxPorts ? from : 0]),
        router_mac_(mac48(snap.settings.router_mac.bytes.data())),
        encap_(snap.encap->data()),
        local_ports_(*snap.local_ports) {}

  void run(std::span<Packet> pkts) {
    if (from_ >= kMaxPorts || port_.vsid == 0) {
      for (Packet& p : pkts) {
        p.port = kDropPort;
        bump(c_.drops[size_t(DropReason::UnknownPort)]);
      }
      return;
    }
    auto& pc = c_.port[from_];
    vc_ = &c_.vsid[port_.counter];
    Pending pend[kBatchSize];  // frames the fast classifiers leave to the general rules
    Fast4 f4[kBatchSize];
    Fast6 f6[kBatchSize];
    size_t n = pkts.size();
    uint64_t bytes = 0;
    uint32_t m4 = 0, m6 = 0;  // bit i: classify_fast() / classify_fast6() took frame i
    for (size_t i = 0; i < n; ++i) {
      bytes += pkts[i].length;
      if (fast_ && classify_fast(pkts[i], f4[i])) {
        m4 |= 1u << i;
        if (i < kPrefetchAhead) __builtin_prefetch(f4[i].home);
      } else if (fast_ && classify_fast6(pkts[i], f6[i])) {
        m6 |= 1u << i;
        if (i < kPrefetchAhead) __builtin_prefetch(f6[i].home);
      } else {
        classify(pkts[i], pend[i]);
      }
    }
    bump(pc.from_packets, n);
    bump(pc.from_bytes, bytes);
    // When the whole batch is one common case, the first kPrefetchAhead buckets were prefetched
    // while classifying and each lookup prefetches the one kPrefetchAhead frames further (all 32
    // at once would have the first lookups wait behind the last lines).
    uint32_t all = n == kBatchSize ? ~0u : (1u << n) - 1;
    if (m4 == all) {
      for (size_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) __builtin_prefetch(f4[i + kPrefetchAhead].home);
        encapsulate_fast(pkts[i], f4[i], pend[i]);
      }
    } else if (m6 == all) {
      for (size_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) __builtin_prefetch(f6[i + kPrefetchAhead].home);
        encapsulate_fast6(pkts[i], f6[i], pend[i]);
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (m4 >> i & 1)
          __builtin_prefetch(f4[i].home);
        else if (m6 >> i & 1)
          __builtin_prefetch(f6[i].home);
        else if (pend[i].kind != kNone)
          lookup(pend[i]);
      }
      for (size_t i = 0; i < n; ++i) {
        if (m4 >> i & 1)
          encapsulate_fast(pkts[i], f4[i], pend[i]);
        else if (m6 >> i & 1)
          encapsulate_fast6(pkts[i], f6[i], pend[i]);
        else if (pend[i].kind != kNone)
          resolve(pkts[i], pend[i]);
      }
    }
    if (enc_packets_) {
      bump(vc_->enc_packets, enc_packets_);
      bump(vc_->enc_bytes, enc_bytes_);
    }
  }

 private:
  void drop(Packet& p, DropReason r) {
    p.port = kDropPort;
    bump(c_.drops[size_t(r)]);
    bump(c_.port[from_].dropped);
    bump(vc_->dropped);
  }
  void reply(Packet& p) {
    p.port = from_;
    bump(c_.port[from_].to_packets);
    bump(c_.port[from_].to_bytes, p.length);
  }

  static constexpr size_t kPrefetchAhead = 12;

  // What classify_fast() found out about a frame it took.
  struct Fast4 {
    HotStart probe;    // lookup of the destination in the port's VSID (the hot copy)
    uint64_t key;      // ca4_key(VSID, destination)
    const void* home;  // the home bucket's line, prefetched ahead of the lookup
  };
  // What classify_fast6() found out about a frame it took (the destination is at frame + 38).
  struct Fast6 {
    ProbeStart<Ca6Slot> probe;
    const void* home;
  };

  // The common frame: a unicast IPv4 packet without options, not to the virtual router. Notes
  // its destination's lookup; any other frame returns false untouched and classify() takes it.
  bool classify_fast(Packet& p, Fast4& x) {
    const uint8_t* f = p.data();
    if (p.length < kEthHeader + 20 || (f[0] & 1) || load16(f + 12) != 0x0008 || f[14] != 0x45)
      return false;
    if (mac48(f) == router_mac_) return false;
    uint32_t dst = load32(f + 30);
    x.probe = start_hot(s_.ca4, hash_ca4(port_.vsid, dst));
    x.home = &x.probe.hot[x.probe.bucket];
    x.key = ca4_key(port_.vsid, dst);
    return true;
  }

  // The same for a unicast IPv6 packet that is not ICMPv6 (neighbour discovery is answered by
  // the general rules).
  bool classify_fast6(Packet& p, Fast6& x) {
    const uint8_t* f = p.data();
    if (p.length < kEthHeader + 40 || (f[0] & 1) || load16(f + 12) != 0xDD86 || (f[14] >> 4) != 6 ||
        f[20] == kIpProtoIcmp6)
      return false;
    if (mac48(f) == router_mac_) return false;
    uint64_t h = hash_ca6(port_.vsid, f + 38);
    x.probe = start_probe(s_.ca6, h);
    x.home = x.probe.home();
    return true;
  }

  // Lookup and action for a frame classify_fast() took, when the destination is a record with
  // rule Encap at a reachable remote IPv4 provider address and the result fits the provider MTU;
  // anything else (local delivery, Nat, IPv6 outer, the wildcard, a gateway address, too big)
  // goes through the general rules.
  void encapsulate_fast(Packet& p, const Fast4& x, Pending& q) {
    p.port = kDropPort;
    uint32_t field = kPaField;
    find_hot4(x.probe, x.key, field);
    uint32_t pa = field & kPaField;
    const EncapTemplate* t = pa != kPaField ? &encap_[pa] : nullptr;
    uint32_t outer_ip = p.length + 42 - kEthHeader;
    if (!t || uint32_t(x.key) == 0 || (field & kHotNat) || t->length != 42 || t->local ||
        outer_ip > s_.settings.provider_mtu || p.offset < 42) [[unlikely]] {
      classify(p, q);
      if (q.kind == kNone) return;
      lookup(q);
      return resolve(p, q);
    }
    uint8_t* f = p.data();
    uint8_t fid = s_.settings.flow_id_zero ? 0 : flow_id4(f, p.length);
    uint8_t* h = f - 42;
    std::memcpy(h, t->header, 42);
    put16(h + 16, uint16_t(outer_ip));
    put16(h + 24, checksum_fold(uint32_t(get16(t->header + 24)) + outer_ip));
    put32(h + 38, uint32_t(x.key >> 32) << 8 | fid);
    p.offset -= 42;
    p.length += 42;
    p.port = kProviderPort;
    ++enc_packets_;
    enc_bytes_ += p.length;
  }

  // The same for a frame classify_fast6() took, when the destination is a record with rule
  // Encap at a remote provider address (encapsulate() checks the rest).
  void encapsulate_fast6(Packet& p, const Fast6& x, Pending& q) {
    p.port = kDropPort;
    const Ca6Slot* r = find_ca6_from(x.probe, port_.vsid, p.data() + 38);
    if (r && r->kind() == kRecord && !(r->tag & kFlagNat) && !encap_[r->pa].local)
      return encapsulate(p, r->pa, port_.vsid);
    classify(p, q);
    if (q.kind == kNone) return;
    lookup(q);
    resolve(p, q);
  }

  // Pass one: parse, pick the table and key, hash and prefetch the key's bucket.
  void classify(Packet& p, Pending& q) {
    q.kind = kNone;
    p.port = kDropPort;
    if (p.length < kEthHeader) return drop(p, DropReason::Malformed);
    uint8_t* f = p.data();
    uint16_t type = get16(f + 12);
    if (type == kEthVlan || type == kEthQinQ) [[unlikely]] {
      // RFC 7637: the encapsulator strips the customer 802.1Q tag.
      if (p.length < kEthHeader + 4) return drop(p, DropReason::Malformed);
      std::memmove(f + 4, f, 12);
      p.offset += 4;
      p.length -= 4;
      f = p.data();
      type = get16(f + 12);
    }
    if (f[0] & 1) [[unlikely]] {
      if (type == kEthArp) return answer_arp(p);
      if (type == kEthIpv6 && is_neighbor_solicitation(p)) return answer_ns(p);
      return drop(p, DropReason::Broadcast);
    }
    if (type == kEthArp) return answer_arp(p);
    q.routed = mac48(f) == router_mac_;
    q.vsid = port_.vsid;
    if (type == kEthIpv4) {
      if (p.length < kEthHeader + 20 || f[14] < 0x45 || f[14] > 0x4F)
        return drop(p, DropReason::Malformed);
      q.key = f + 30;
      if (q.routed && !route(p, q, IpAddress::v4(get32(f + 30)))) return;
      q.kind = kV4;
      q.hash = hash_ca4(q.vsid, load32(q.key));
      prefetch_slot(s_.ca4, q.hash);
    } else if (type == kEthIpv6) {
      if (is_neighbor_solicitation(p)) return answer_ns(p);
      if (p.length < kEthHeader + 40 || (f[14] >> 4) != 6) return drop(p, DropReason::Malformed);
      q.key = f + 38;
      if (q.routed) {
        uint8_t b[16];
        std::memcpy(b, f + 38, 16);
        if (!route(p, q, IpAddress::v6(b))) return;
      }
      q.kind = kV6;
      q.hash = hash_ca6(q.vsid, q.key);
      prefetch_slot(s_.ca6, q.hash);
    } else {
      if (q.routed) return drop(p, DropReason::NoRoute);  // only IP is routed
      q.kind = kMac;
      q.mac = mac48(f);
      q.hash = hash_mac(q.vsid, q.mac);
      prefetch_slot(s_.mac, q.hash);
    }
  }

  // Distributed routing: the customer routes of the port's routing domain pick the VSID.
  bool route(Packet& p, Pending& q, const IpAddress& dst) {
    const RouteTarget* t = s_.routes->lookup(port_.domain, dst);
    if (!t) {
      drop(p, DropReason::NoRoute);
      return false;
    }
    q.vsid = t->vsid;
    if (t->next_hop.is_set()) q.key = t->next_hop.bytes.data();  // lives as long as the snapshot
    return true;
  }

  // Pass two: the table lookup; prefetches the provider header template the packet will need.
  void lookup(Pending& q) {
    uint32_t pa;
    if (q.kind == kV4) {
      const Ca4Slot* r = find_ca4(s_.ca4, q.hash, q.vsid, load32(q.key));
      if (!r) [[unlikely]]
        r = find_ca4(s_.ca4, hash_ca4(q.vsid, 0), q.vsid, 0);  // gateway wildcard
      q.slot = r;
      if (!r) return;
      pa = r->pa_index();
    } else if (q.kind == kV6) {
      const Ca6Slot* r = find_ca6(s_.ca6, q.hash, q.vsid, q.key);
      if (!r) [[unlikely]] {
        static constexpr uint8_t any[16] = {};
        r = find_ca6(s_.ca6, hash_ca6(q.vsid, any), q.vsid, any);
      }
      q.slot = r;
      if (!r) return;
      pa = r->pa;
    } else {
      const MacSlot* m = find_mac(s_.mac, q.hash, q.vsid, q.mac);
      q.slot = m;
      if (!m) return;
      pa = m->pa;
    }
    if (pa != kNoPa) __builtin_prefetch(&encap_[pa]);
  }

  // Pass three: act on the lookup result.
  void resolve(Packet& p, Pending& q) {
    if (q.kind == kMac) {
      const MacSlot* m = static_cast<const MacSlot*>(q.slot);
      if (!m || encap_[m->pa].local) {
        // A local MAC (or a port with no record): the port that owns it takes the frame.
        uint16_t port = local_ports_.find(q.vsid, q.mac);
        if (port == kNoPort) return drop(p, DropReason::UnknownDestination);
        return deliver_local(p, port);
      }
      return encapsulate(p, m->pa, q.vsid);
    }
    const uint8_t* mac;
    uint32_t pa;
    uint8_t rule, kind;
    if (q.kind == kV4) {
      const Ca4Slot* r = static_cast<const Ca4Slot*>(q.slot);
      if (!r) return drop(p, DropReason::UnknownDestination);
      pa = r->pa_index();
      mac = r->mac, rule = r->rule();
      kind = r->ca == 0 ? kWildcard : pa == kNoPa ? kGatewayAddress : kRecord;
    } else {
      const Ca6Slot* r = static_cast<const Ca6Slot*>(q.slot);
      if (!r) return drop(p, DropReason::UnknownDestination);
      mac = r->mac, pa = r->pa, rule = r->rule(), kind = r->kind();
    }
    if (kind == kGatewayAddress) return drop(p, DropReason::ToGateway);
    uint8_t* f = p.data();
    if (q.routed) {
      // The virtual router forwards: decrement TTL / hop limit and rewrite both MACs.
      uint8_t* ip = f + 14;
      if (q.kind == kV4) {
        if (ip[8] <= 1) return time_exceeded(p, false);
        uint16_t old = get16(ip + 8);
        --ip[8];
        put16(ip + 10, checksum_update16(get16(ip + 10), old, get16(ip + 8)));
      } else {
        if (ip[7] <= 1) return time_exceeded(p, true);
        --ip[7];
      }
      std::memcpy(f, mac, 6);
      std::memcpy(f + 6, s_.settings.router_mac.bytes.data(), 6);
    }
    if (encap_[pa].local) {
      // The record lives on this host: the VM port owning its MAC in the VSID takes it.
      uint16_t port = local_ports_.find(q.vsid, mac48(mac));
      if (port == kNoPort) return drop(p, DropReason::UnknownDestination);
      return deliver_local(p, port);
    }
    if (rule == uint8_t(Rule::Nat)) return nat_rewrite(p, q.kind == kV6, pa);
    encapsulate(p, pa, q.vsid);
  }

  void deliver_local(Packet& p, uint16_t port) {
    p.port = port;
    bump(vc_->local_packets);
    bump(vc_->local_bytes, p.length);
    bump(c_.port[port].to_packets);
    bump(c_.port[port].to_bytes, p.length);
  }

  void encapsulate(Packet& p, uint32_t pa, uint32_t vsid) {
    if (pa == kNoPa) return drop(p, DropReason::UnknownDestination);
    const EncapTemplate& t = encap_[pa];
    if (!t.length)
      return drop(p, t.local ? DropReason::UnknownDestination : DropReason::NoProviderRoute);
    uint32_t outer_ip = p.length + t.length - kEthHeader;
    if (outer_ip > s_.settings.provider_mtu) return too_big(p, t.length - kEthHeader);
    if (p.offset < t.length) return drop(p, DropReason::Malformed);
    uint8_t* f = p.data();
    uint8_t fid = s_.settings.flow_id_zero ? 0 : flow_id(f, p.length, get16(f + 12));
    p.offset -= t.length;
    uint8_t* h = p.data();
    uint8_t* ip = h + 14;
    if (t.length == 42) {
      std::memcpy(h, t.header, 42);
      put16(ip + 2, uint16_t(outer_ip));
      uint32_t sum = uint32_t(get16(ip + 10)) + outer_ip;
      put16(ip + 10, checksum_fold(sum));
      put32(ip + 24, vsid << 8 | fid);
    } else {
      std::memcpy(h, t.header, 62);
      put16(ip + 4, uint16_t(outer_ip - 40));
      put32(ip + 44, vsid << 8 | fid);
    }
    p.length += t.length;
    p.port = kProviderPort;
    ++enc_packets_;
    enc_bytes_ += p.length;
  }

  // ICMP "fragmentation needed" / ICMPv6 "packet too big" back to the VM.
  void too_big(Packet& p, uint32_t overhead) {
    uint8_t* f = p.data();
    uint16_t type = get16(f + 12);
    uint32_t mtu = s_.settings.provider_mtu - overhead - kEthHeader;
    bool sent = false;
    if (type == kEthIpv4 && (get16(f + 20) & 0x4000)) {
      sent = icmp4_error(p, 3, 4, mtu);  // destination unreachable, fragmentation needed
    } else if (type == kEthIpv6) {
      sent = icmp6_error(p, 2, 0, std::max<uint32_t>(mtu, 1280));  // packet too big
    }
    if (!sent) return drop(p, DropReason::TooBig);
    bump(c_.drops[size_t(DropReason::TooBig)]);
    reply(p);
  }

  // ICMP "time exceeded in transit" / ICMPv6 "hop limit exceeded" back to the VM when the
  // distributed router would forward a packet whose TTL / hop limit runs out.
  void time_exceeded(Packet& p, bool v6) {
    bool sent = v6 ? icmp6_error(p, 3, 0, 0) : icmp4_error(p, 11, 0, 0);
    if (!sent) return drop(p, DropReason::TtlExpired);
    bump(c_.drops[size_t(DropReason::TtlExpired)]);
    reply(p);
  }

  // Turns the IPv4 packet in `p` into an ICMP error (type, code, second header word) from the
  // VM's gateway address (or the packet's destination) to its source, quoting the packet (the
  // reply stays within 576 bytes). False when the headroom is too small.
  bool icmp4_error(Packet& p, uint8_t icmp_type, uint8_t code, uint32_t word) {
    if (p.offset < 28) return false;
    uint8_t* f = p.data();
    uint8_t vm_mac[6];
    std::memcpy(vm_mac, f + 6, 6);
    uint32_t quote = std::min<uint32_t>(p.length - 14, 548);
    uint8_t src[4];
    std::memcpy(src, f + 30, 4);  // original destination
    if (port_.gateway4.is_set()) std::memcpy(src, port_.gateway4.bytes.data(), 4);
    p.offset -= 28;
    uint8_t* h = p.data();
    std::memcpy(h, vm_mac, 6);
    std::memcpy(h + 6, s_.settings.router_mac.bytes.data(), 6);
    put16(h + 12, kEthIpv4);
    uint8_t* ip = h + 14;
    ip[0] = 0x45;
    ip[1] = 0xC0;
    put16(ip + 2, uint16_t(28 + quote));
    put32(ip + 4, 0);
    ip[8] = 64;
    ip[9] = kIpProtoIcmp;
    put16(ip + 10, 0);
    std::memcpy(ip + 12, src, 4);
    std::memcpy(ip + 16, h + 42 + 12, 4);  // the original source
    put16(ip + 10, checksum_fold(checksum_add(0, ip, 20)));
    uint8_t* icmp = ip + 20;
    icmp[0] = icmp_type;
    icmp[1] = code;
    put16(icmp + 2, 0);
    put32(icmp + 4, word);
    put16(icmp + 2, checksum_fold(checksum_add(0, icmp, 8 + quote)));
    p.length = 42 + quote;
    return true;
  }

  // The same for IPv6 (ICMPv6, the reply stays within the 1280-byte minimum MTU).
  bool icmp6_error(Packet& p, uint8_t icmp_type, uint8_t code, uint32_t word) {
    if (p.offset < 48) return false;
    uint8_t* f = p.data();
    uint8_t vm_mac[6];
    std::memcpy(vm_mac, f + 6, 6);
    uint32_t quote = std::min<uint32_t>(p.length - 14, 1280 - 48);
    uint8_t src[16];
    std::memcpy(src, f + 38, 16);
    if (port_.gateway6.is_set()) std::memcpy(src, port_.gateway6.bytes.data(), 16);
    p.offset -= 48;
    uint8_t* h = p.data();
    std::memcpy(h, vm_mac, 6);
    std::memcpy(h + 6, s_.settings.router_mac.bytes.data(), 6);
    put16(h + 12, kEthIpv6);
    uint8_t* ip = h + 14;
    put32(ip, 0x60000000);
    put16(ip + 4, uint16_t(8 + quote));
    ip[6] = kIpProtoIcmp6;
    ip[7] = 255;
    std::memcpy(ip + 8, src, 16);
    std::memcpy(ip + 24, h + 62 + 8, 16);  // the original source
    uint8_t* icmp = ip + 40;
    icmp[0] = icmp_type;
    icmp[1] = code;
    put16(icmp + 2, 0);
    put32(icmp + 4, word);
    uint32_t sum = checksum_add(0, ip + 8, 32);
    sum += 8 + quote;
    sum += kIpProtoIcmp6;
    put16(icmp + 2, checksum_fold(checksum_add(sum, icmp, 8 + quote)));
    p.length = 62 + quote;
    return true;
  }

  // IP rewrite (HNV TranslationMethodNat): customer addresses become provider addresses and the
  // packet leaves without encapsulation.
  void nat_rewrite(Packet& p, bool v6, uint32_t dst_pa) {
    uint8_t* f = p.data();
    uint8_t* ip = f + 14;
    const ProviderTarget& dst = (*s_.providers)[dst_pa];
    if (!dst.reachable || dst.local) return drop(p, DropReason::NoProviderRoute);
    // The sender's own Nat record gives its provider address.
    uint32_t src_pa = kNoPa;
    if (!v6) {
      const Ca4Slot* r =
          find_ca4(s_.ca4, hash_ca4(port_.vsid, load32(ip + 12)), port_.vsid, load32(ip + 12));
      if (r && r->rule() == uint8_t(Rule::Nat) && r->kind() == kRecord) src_pa = r->pa_index();
    } else {
      const Ca6Slot* r = find_ca6(s_.ca6, hash_ca6(port_.vsid, ip + 8), port_.vsid, ip + 8);
      if (r && r->rule() == uint8_t(Rule::Nat) && r->kind() == kRecord) src_pa = r->pa_index();
    }
    if (src_pa == kNoPa) return drop(p, DropReason::Spoofed);
    const IpAddress& spa = (*s_.providers)[src_pa].address;
    if (!v6) {
      size_t ihl = size_t(ip[0] & 0xF) * 4;
      bool first = (get16(ip + 6) & 0x1FFF) == 0;
      uint8_t* l4c = first && p.length >= 14 + ihl
                         ? l4_checksum(ip + ihl, ip[9], p.length - 14 - ihl, false)
                         : nullptr;
      rewrite_words(ip + 12, spa.bytes.data(), 4, ip + 10, l4c);
      rewrite_words(ip + 16, dst.address.bytes.data(), 4, ip + 10, l4c);
    } else {
      uint8_t* l4c = l4_checksum(ip + 40, ip[6], p.length - 54, true);
      rewrite_words(ip + 8, spa.bytes.data(), 16, l4c, nullptr);
      rewrite_words(ip + 24, dst.address.bytes.data(), 16, l4c, nullptr);
    }
    std::memcpy(f, dst.next_hop_mac.bytes.data(), 6);
    std::memcpy(f + 6, s_.settings.provider_mac.bytes.data(), 6);
    p.port = kProviderPort;
    bump(vc_->enc_packets);
    bump(vc_->enc_bytes, p.length);
  }

  // ARP requests are answered from policy and never tunnelled.
  void answer_arp(Packet& p) {
    uint8_t* f = p.data();
    if (p.length < 42) return drop(p, DropReason::Malformed);
    uint8_t* a = f + 14;
    if (get16(a) != 1 || get16(a + 2) != kEthIpv4 || a[4] != 6 || a[5] != 4)
      return drop(p, DropReason::Malformed);
    if (get16(a + 6) != 1) return drop(p, DropReason::Broadcast);  // replies / announcements
    uint32_t target = load32(a + 24);
    if (target == load32(a + 14)) return drop(p, DropReason::Broadcast);  // gratuitous
    const Ca4Slot* r = find_ca4(s_.ca4, hash_ca4(port_.vsid, target), port_.vsid, target);
    if (!r || r->kind() == kWildcard) return drop(p, DropReason::UnknownArp);
    uint8_t requester_mac[6], requester_ip[4];
    std::memcpy(requester_mac, a + 8, 6);
    std::memcpy(requester_ip, a + 14, 4);
    std::memcpy(f, requester_mac, 6);
    std::memcpy(f + 6, r->mac, 6);
    put16(a + 6, 2);
    std::memcpy(a + 8, r->mac, 6);
    std::memcpy(a + 14, &target, 4);
    std::memcpy(a + 18, requester_mac, 6);
    std::memcpy(a + 24, requester_ip, 4);
    p.length = 42;
    reply(p);
  }

  bool is_neighbor_solicitation(const Packet& p) const {
    const uint8_t* f = p.data();
    return p.length >= 14 + 40 + 24 && f[14 + 6] == kIpProtoIcmp6 && f[14 + 40] == 135;
  }

  // IPv6 neighbour solicitations are answered with a neighbour advertisement from policy.
  void answer_ns(Packet& p) {
    uint8_t* f = p.data();
    uint8_t* ip = f + 14;
    uint8_t* icmp = ip + 40;
    static constexpr uint8_t unspecified[16] = {};
    if (ip[7] != 255 || icmp[1] != 0) return drop(p, DropReason::Malformed);
    if (std::memcmp(ip + 8, unspecified, 16) == 0) return drop(p, DropReason::Broadcast);  // DAD
    if (p.buffer_size - p.offset < 86) return drop(p, DropReason::Malformed);
    const uint8_t* target = icmp + 8;
    const Ca6Slot* r = find_ca6(s_.ca6, hash_ca6(port_.vsid, target), port_.vsid, target);
    if (!r || r->kind() == kWildcard) return drop(p, DropReason::UnknownArp);
    // Router flag for the virtual router's own address; always Solicited and Override.
    write_neighbor_advertisement(p, target, r->mac,
                                 r->kind() == kGatewayAddress ? 0xE0000000u : 0x60000000u);
    reply(p);
  }

  bool fast_;  // the common frame takes the fast path
  const Snapshot& s_;
  WorkerCounters& c_;
  PortId from_;
  const PortInfo& port_;
  uint64_t router_mac_;
  const EncapTemplate* encap_;  // by provider index
  const LocalPortTable& local_ports_;
  WorkerCounters::Vsid* vc_ = nullptr;
  uint64_t enc_packets_ = 0, enc_bytes_ = 0;  // added to the VSID counters once per batch
};

class Receiver {
 public:
  Receiver(const Snapshot& snap, WorkerCounters& c, bool fast)
      : fast_(fast),
        s_(snap),
        c_(c),
        pa4_(snap.pa4->data()),
        pa6_(snap.pa6->data()),
        local_ports_(*snap.local_ports) {}

  void run(std::span<Packet> pkts) {
    Rx rx[kBatchSize];  // frames the fast parsers leave to the general rules
    Fast4 f4[kBatchSize];
    Fast6 f6[kBatchSize];
    size_t n = pkts.size();
    uint32_t m4 = 0, m6 = 0;  // bit i: parse_fast() / parse_fast6() took frame i
    for (size_t i = 0; i < n; ++i) {
      if (fast_ && parse_fast(pkts[i], f4[i])) {
        m4 |= 1u << i;
        if (i < kPrefetchAhead) __builtin_prefetch(f4[i].home);
      } else if (fast_ && parse_fast6(pkts[i], f6[i])) {
        m6 |= 1u << i;
        if (i < kPrefetchAhead) __builtin_prefetch(f6[i].home);
      } else {
        parse(pkts[i], rx[i]);
      }
    }
    // The first kPrefetchAhead anti-spoofing buckets were prefetched while parsing; each lookup
    // prefetches the one kPrefetchAhead frames further (all 32 at once would have the first
    // lookups wait behind the last lines).
    uint32_t all = n == kBatchSize ? ~0u : (1u << n) - 1;
    if (m4 == all) {
      for (size_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) __builtin_prefetch(f4[i + kPrefetchAhead].home);
        resolve_fast(pkts[i], f4[i], rx[i]);
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        size_t ahead = i + kPrefetchAhead;
        if (ahead < n) {
          if (m4 >> ahead & 1)
            __builtin_prefetch(f4[ahead].home);
          else if (m6 >> ahead & 1)
            __builtin_prefetch(f6[ahead].home);
        }
        if (m4 >> i & 1)
          resolve_fast(pkts[i], f4[i], rx[i]);
        else if (m6 >> i & 1)
          resolve_fast6(pkts[i], f6[i], rx[i]);
        else if (rx[i].ok)
          resolve(pkts[i], rx[i]);
      }
    }
    flush_delivered();
  }

 private:
  static constexpr size_t kPrefetchAhead = 12;

  // What pass one found out about one packet (only `ok` is set unless it is true).
  struct Rx {
    bool ok;
    uint8_t src_kind;
    uint8_t outer_family;
    uint16_t outer_header;  // bytes before the inner frame
    uint32_t vsid;
    const SubnetInfo* subnet;
    const uint8_t* outer_src;
    uint64_t src_hash;
  };

  // What parse_fast() found out about a frame it took.
  struct Fast4 {
    HotStart probe;    // anti-spoofing lookup of the inner source (the hot copy)
    uint64_t key;      // ca4_key(VSID, inner source)
    const void* home;  // the home bucket's line, prefetched ahead of the lookup
    uint32_t outer4;   // outer source address (network order)
    uint32_t counter;  // the VSID's counter index
  };
  // What parse_fast6() found out about a frame it took (inner source at 84, outer at 22).
  struct Fast6 {
    ProbeStart<Ca6Slot> probe;
    const void* home;
    uint32_t vsid;
    uint32_t counter;
  };

  // The common frame, recognised with a few wide compares: an IPv4 outer header without
  // options, not a fragment, to a local provider address, the NVGRE word, a configured VSID and
  // a unicast inner IPv4 frame. Trims Ethernet padding as parse() would; any other frame returns
  // false untouched and parse() takes it.
  bool parse_fast(Packet& p, Fast4& x) {
    const uint8_t* f = p.data();
    uint32_t len = p.length;
    if (len < 14 + 20 + 8 + 34) return false;
    uint64_t a = load64(f + 12);  // EtherType, version/IHL, TOS, total length, identification
    uint32_t b = load32(f + 20);  // flags/fragment offset, TTL, protocol
    // 08 00 45 | fragment offset 0, MF clear (DF allowed) | protocol 47.
    if ((a & 0xFFFFFF) != 0x450008 || (b & 0xFF00FF3F) != 0x2F000000) return false;
    uint32_t total = __builtin_bswap16(uint16_t(a >> 32));
    if (total < 20 + 8 + 34 || total + 14 > len) return false;
    if (load32(f + 34) != kGreWord || (f[42] & 1) || load16(f + 54) != 0x0008) return false;
    uint32_t dst = load32(f + 30);
    if (!is_local4(dst)) return false;
    uint32_t vsid = __builtin_bswap32(load32(f + 38)) >> 8;
    if (vsid != last_vsid_) {
      last_vsid_ = vsid;
      last_subnet_ = s_.subnets->find(vsid);
    }
    if (!last_subnet_) return false;
    p.length = 14 + total;
    uint32_t src = load32(f + 68);
    x.key = ca4_key(vsid, src);
    x.outer4 = load32(f + 26);
    x.counter = last_subnet_->counter;
    x.probe = start_hot(s_.ca4, hash_ca4(vsid, src));
    x.home = &x.probe.hot[x.probe.bucket];
    return true;
  }

  // The same for an IPv6 outer header (GRE as the first next header) carrying a unicast inner
  // IPv6 frame: inner source at 84, outer source at 22.
  bool parse_fast6(Packet& p, Fast6& x) {
    const uint8_t* f = p.data();
    uint32_t len = p.length;
    if (len < 14 + 40 + 8 + 54) return false;
    if (load16(f + 12) != 0xDD86 || (f[14] >> 4) != 6 || f[20] != kIpProtoGre) return false;
    uint32_t total = 40u + get16(f + 18);
    if (total < 40 + 8 + 54 || total + 14 > len) return false;
    if (load32(f + 54) != kGreWord || (f[62] & 1) || load16(f + 74) != 0xDD86) return false;
    if (!is_local6(f + 38)) return false;
    uint32_t vsid = __builtin_bswap32(load32(f + 58)) >> 8;
    if (vsid != last_vsid_) {
      last_vsid_ = vsid;
      last_subnet_ = s_.subnets->find(vsid);
    }
    if (!last_subnet_) return false;
    p.length = 14 + total;
    x.vsid = vsid;
    x.counter = last_subnet_->counter;
    uint64_t h = hash_ca6(vsid, f + 84);
    x.probe = start_probe(s_.ca6, h);
    x.home = x.probe.home();
    return true;
  }

  // resolve() for a frame parse_fast() took, when its inner source is a record of the VSID; any
  // other source (a route, the wildcard, a gateway address) goes through the general rules.
  void resolve_fast(Packet& p, const Fast4& x, Rx& rx) {
    uint32_t field = kPaField;
    find_hot4(x.probe, x.key, field);
    uint32_t pa = field & kPaField;
    if (pa == kPaField) {
      parse(p, rx);
      if (rx.ok) resolve(p, rx);
      return;
    }
    if (x.outer4 == 0 || pa4_[pa] != x.outer4) return drop(p, DropReason::Spoofed, x.counter);
    uint16_t port = local_port(uint32_t(x.key >> 32), mac48(p.data() + 42));
    if (port == kNoPort) return drop(p, DropReason::UnknownDestination, x.counter);
    deliver(p, 42, port, x.counter);
  }

  // The same for a frame parse_fast6() took.
  void resolve_fast6(Packet& p, const Fast6& x, Rx& rx) {
    const uint8_t* f = p.data();
    const Ca6Slot* r = find_ca6_from(x.probe, x.vsid, f + 84);
    if (!r || r->pa == kNoPa) {
      parse(p, rx);
      if (rx.ok) resolve(p, rx);
      return;
    }
    // :: is never a provider address (pa6 holds it for IPv4 ones).
    if ((load64(f + 22) | load64(f + 30)) == 0 || !eq16(pa6_[r->pa].data(), f + 22))
      return drop(p, DropReason::Spoofed, x.counter);
    uint16_t port = local_port(x.vsid, mac48(f + 62));
    if (port == kNoPort) return drop(p, DropReason::UnknownDestination, x.counter);
    deliver(p, 62, port, x.counter);
  }

  // The local port owning (vsid, mac); consecutive frames mostly go to the same VM.
  uint16_t local_port(uint32_t vsid, uint64_t mac) {
    if (mac != last_mac_ || vsid != last_mac_vsid_) {
      last_mac_ = mac;
      last_mac_vsid_ = vsid;
      last_port_ = local_ports_.find(vsid, mac);
    }
    return last_port_;
  }

  void drop(Packet& p, DropReason r, const SubnetInfo* sub = nullptr) {
    p.port = kDropPort;
    bump(c_.drops[size_t(r)]);
    if (sub) bump(c_.vsid[sub->counter].dropped);
  }
  void drop(Packet& p, DropReason r, uint32_t counter) {
    p.port = kDropPort;
    bump(c_.drops[size_t(r)]);
    bump(c_.vsid[counter].dropped);
  }

  void parse(Packet& p, Rx& x) {
    x.ok = false;
    p.port = kDropPort;
    if (p.length < kEthHeader) return drop(p, DropReason::Malformed);
    uint8_t* f = p.data();
    uint16_t type = get16(f + 12);
    const uint8_t* ip = f + 14;
    const uint8_t* gre;
    if (type == kEthIpv4) {
      if (p.length < 34 || ip[0] < 0x45 || ip[0] > 0x4F) return drop(p, DropReason::Malformed);
      size_t ihl = size_t(ip[0] & 0xF) * 4;
      uint16_t total = get16(ip + 2);
      if (total < ihl || total > p.length - 14) return drop(p, DropReason::Malformed);
      p.length = 14u + total;  // drop Ethernet padding
      if (!is_local4(load32(ip + 16))) return drop(p, DropReason::NotForUs);
      if (ip[9] != kIpProtoGre) {
        if (s_.has_nat) return nat_receive(p, false);
        return drop(p, DropReason::NotNvgre);
      }
      if (get16(ip + 6) & 0x3FFF) return drop(p, DropReason::Fragment);
      x.outer_header = uint16_t(14 + ihl + 8);
      x.outer_src = ip + 12;
      x.outer_family = 4;
      gre = ip + ihl;
    } else if (type == kEthIpv6) {
      if (p.length < 54 || (ip[0] >> 4) != 6) return drop(p, DropReason::Malformed);
      uint32_t total = 40u + get16(ip + 4);
      if (total > p.length - 14) return drop(p, DropReason::Malformed);
      p.length = 14 + total;
      if (ip[6] == kIpProtoIcmp6 && p.length >= 14 + 40 + 24 && ip[40] == 135)
        return answer_provider_ns(p);
      if (!is_local6(ip + 24)) return drop(p, DropReason::NotForUs);
      if (ip[6] == 44) return drop(p, DropReason::Fragment);
      if (ip[6] != kIpProtoGre) {
        if (s_.has_nat) return nat_receive(p, true);
        return drop(p, DropReason::NotNvgre);
      }
      x.outer_header = 14 + 40 + 8;
      x.outer_src = ip + 8;
      x.outer_family = 6;
      gre = ip + 40;
    } else if (type == kEthArp) {
      return answer_provider_arp(p);
    } else {
      return drop(p, DropReason::NotNvgre);
    }
    if (p.length < x.outer_header) return drop(p, DropReason::Malformed);
    // GRE flags/version 0x2000 and protocol 0x6558 in one 32-bit compare.
    if (load32(gre) != kGreWord) return drop(p, DropReason::BadGreHeader);
    x.vsid = get32(gre + 4) >> 8;
    // Frames of one batch mostly share a VSID: remember the last subnet found.
    if (x.vsid != last_vsid_) {
      last_vsid_ = x.vsid;
      last_subnet_ = s_.subnets->find(x.vsid);
    }
    x.subnet = last_subnet_;
    if (!x.subnet) return drop(p, DropReason::UnknownVsid);
    uint32_t inner_len = p.length - x.outer_header;
    const uint8_t* in = f + x.outer_header;
    if (inner_len < kEthHeader) return drop(p, DropReason::Malformed, x.subnet);
    uint16_t inner_type = get16(in + 12);
    if (in[0] & 1) {
      if (inner_type == kEthVlan || inner_type == kEthQinQ)
        return drop(p, DropReason::InnerVlan, x.subnet);
      return drop(p, DropReason::Broadcast, x.subnet);
    }
    if (inner_type == kEthIpv4 && inner_len >= 34) {
      x.src_kind = kV4;
      x.src_hash = hash_ca4(x.vsid, load32(in + 26));
      prefetch_slot(s_.ca4, x.src_hash);
    } else if (inner_type == kEthIpv6 && inner_len >= 54) {
      x.src_kind = kV6;
      x.src_hash = hash_ca6(x.vsid, in + 22);
      prefetch_slot(s_.ca6, x.src_hash);
    } else if (inner_type == kEthVlan || inner_type == kEthQinQ) {
      return drop(p, DropReason::InnerVlan, x.subnet);
    } else if (inner_type == kEthIpv4 || inner_type == kEthIpv6) {
      return drop(p, DropReason::Malformed, x.subnet);
    } else {
      x.src_kind = kMac;
      x.src_hash = hash_mac(x.vsid, mac48(in + 6));
      prefetch_slot(s_.mac, x.src_hash);
    }
    x.ok = true;
  }

  bool is_local6(const uint8_t* a) const {
    for (uint8_t i = 0; i < s_.local6_count; ++i)
      if (eq16(s_.local6[i].data(), a)) return true;
    if (s_.local6_all) return false;
    IpAddress dst;
    dst.family = 6;
    std::memcpy(dst.bytes.data(), a, 16);
    return s_.local_pas->find(dst) != nullptr;
  }

  bool is_local4(uint32_t a) const {
    for (uint8_t i = 0; i < s_.local4_count; ++i)
      if (s_.local4[i] == a) return true;
    if (s_.local4_all) return false;
    IpAddress dst;
    dst.family = 4;
    std::memcpy(dst.bytes.data(), &a, 4);
    return s_.local_pas->find(dst) != nullptr;
  }

  bool from_pa(uint32_t pa, const Rx& x) const {
    if (pa == kNoPa) return false;
    if (x.outer_family == 4) {
      // pa4 is 0 for IPv6 provider addresses; 0.0.0.0 is never a provider address.
      uint32_t a = load32(x.outer_src);
      return a != 0 && pa4_[pa] == a;
    }
    // pa6 is :: for IPv4 provider addresses; :: is never a provider address.
    const uint8_t* a = pa6_[pa].data();
    return (load64(x.outer_src) | load64(x.outer_src + 8)) != 0 && eq16(a, x.outer_src);
  }

  // Anti-spoofing: the inner source must be a record (or the gateway wildcard) located at the
  // outer source provider address, in the VSID or, for routed packets, its routing domain.
  bool source_ok(const uint8_t* in, const Rx& x) const {
    if (x.src_kind == kMac) {
      const MacSlot* m = find_mac(s_.mac, x.src_hash, x.vsid, mac48(in + 6));
      return m && from_pa(m->pa, x);
    }
    // Common case: the source is a record of this VSID.
    if (x.src_kind == kV4) {
      const Ca4Slot* r = find_ca4(s_.ca4, x.src_hash, x.vsid, load32(in + 26));
      if (r && r->kind() != kGatewayAddress) return from_pa(r->pa_index(), x);
    } else {
      const Ca6Slot* r = find_ca6(s_.ca6, x.src_hash, x.vsid, in + 22);
      if (r && r->kind() != kGatewayAddress) return from_pa(r->pa_index(), x);
    }
    IpAddress src;
    src.family = x.src_kind == kV4 ? 4 : 6;
    std::memcpy(src.bytes.data(), x.src_kind == kV4 ? in + 26 : in + 22, src.family == 4 ? 4 : 16);
    auto lookup = [&](uint32_t vsid, uint64_t h, const IpAddress& a) -> uint32_t {
      if (a.family == 4) {
        const Ca4Slot* r = find_ca4(s_.ca4, h, vsid, load32(a.bytes.data()));
        return r && r->kind() != kGatewayAddress ? r->pa_index() : kNoPa;
      }
      const Ca6Slot* r = find_ca6(s_.ca6, h, vsid, a.bytes.data());
      return r && r->kind() != kGatewayAddress ? r->pa_index() : kNoPa;
    };
    auto hash_of = [](uint32_t vsid, const IpAddress& a) {
      return a.family == 4 ? hash_ca4(vsid, load32(a.bytes.data()))
                           : hash_ca6(vsid, a.bytes.data());
    };
    uint32_t pa;
    if (const RouteTarget* t = s_.routes->lookup(x.subnet->domain, src)) {
      pa = lookup(t->vsid, hash_of(t->vsid, src), src);
      if (pa != kNoPa) return from_pa(pa, x);
    }
    IpAddress any;
    any.family = src.family;
    pa = lookup(x.vsid, hash_of(x.vsid, any), any);
    return from_pa(pa, x);
  }

  void resolve(Packet& p, Rx& x) {
    const uint8_t* in = p.data() + x.outer_header;
    if (!source_ok(in, x)) return drop(p, DropReason::Spoofed, x.subnet);
    uint16_t port = local_port(x.vsid, mac48(in));
    if (port == kNoPort) return drop(p, DropReason::UnknownDestination, x.subnet);
    deliver(p, x.outer_header, port, x.subnet->counter);
  }

  // Strips the outer headers and sends the inner frame to `port`.
  void deliver(Packet& p, uint32_t outer_header, uint16_t port, uint32_t counter) {
    p.offset += outer_header;
    p.length -= outer_header;
    p.port = port;
    // Counters are added per run of packets to the same port and VSID.
    if (port != acc_port_ || counter != acc_counter_) {
      flush_delivered();
      acc_port_ = port;
      acc_counter_ = counter;
    }
    ++acc_packets_;
    acc_bytes_ += p.length;
  }

  void flush_delivered() {
    if (!acc_packets_) return;
    auto& vc = c_.vsid[acc_counter_];
    bump(vc.dec_packets, acc_packets_);
    bump(vc.dec_bytes, acc_bytes_);
    bump(c_.port[acc_port_].to_packets, acc_packets_);
    bump(c_.port[acc_port_].to_bytes, acc_bytes_);
    acc_packets_ = acc_bytes_ = 0;
  }

  // A Nat (IP rewrite) packet: provider addresses back to customer addresses.
  void nat_receive(Packet& p, bool v6) {
    uint8_t* f = p.data();
    uint8_t* ip = f + 14;
    IpAddress src, dst;
    src.family = dst.family = v6 ? 6 : 4;
    std::memcpy(src.bytes.data(), v6 ? ip + 8 : ip + 12, v6 ? 16 : 4);
    std::memcpy(dst.bytes.data(), v6 ? ip + 24 : ip + 16, v6 ? 16 : 4);
    const NatTarget* local = s_.nat->find(dst);
    const NatTarget* remote = s_.nat->find(src);
    if (!local || local->port == kNoPort) return drop(p, DropReason::NotNvgre);
    if (!remote) return drop(p, DropReason::Spoofed);
    const SubnetInfo* ls = s_.subnets->find(local->vsid);
    const SubnetInfo* rs = s_.subnets->find(remote->vsid);
    if (!ls || !rs || ls->domain != rs->domain) return drop(p, DropReason::Spoofed);
    if (!v6) {
      size_t ihl = size_t(ip[0] & 0xF) * 4;
      bool first = (get16(ip + 6) & 0x1FFF) == 0;
      uint8_t* l4c = first && p.length >= 14 + ihl
                         ? l4_checksum(ip + ihl, ip[9], p.length - 14 - ihl, false)
                         : nullptr;
      rewrite_words(ip + 12, remote->customer.bytes.data(), 4, ip + 10, l4c);
      rewrite_words(ip + 16, local->customer.bytes.data(), 4, ip + 10, l4c);
    } else {
      uint8_t* l4c = l4_checksum(ip + 40, ip[6], p.length - 54, true);
      rewrite_words(ip + 8, remote->customer.bytes.data(), 16, l4c, nullptr);
      rewrite_words(ip + 24, local->customer.bytes.data(), 16, l4c, nullptr);
    }
    std::memcpy(f, local->mac.bytes.data(), 6);
    std::memcpy(f + 6, remote->mac.bytes.data(), 6);
    p.port = local->port;
    auto& vc = c_.vsid[ls->counter];
    bump(vc.dec_packets);
    bump(vc.dec_bytes, p.length);
    bump(c_.port[local->port].to_packets);
    bump(c_.port[local->port].to_bytes, p.length);
  }

  // Neighbour solicitations for a local IPv6 provider address are answered with the provider MAC
  // (Solicited and Override set); duplicate address detection probes are not answered.
  void answer_provider_ns(Packet& p) {
    uint8_t* ip = p.data() + 14;
    uint8_t* icmp = ip + 40;
    static constexpr uint8_t unspecified[16] = {};
    if (ip[7] != 255 || icmp[1] != 0) return drop(p, DropReason::Malformed);
    if (std::memcmp(ip + 8, unspecified, 16) == 0) return drop(p, DropReason::NotForUs);
    if (p.buffer_size - p.offset < 86) return drop(p, DropReason::Malformed);
    IpAddress target;
    target.family = 6;
    std::memcpy(target.bytes.data(), icmp + 8, 16);
    if (!s_.local_pas->find(target)) return drop(p, DropReason::NotForUs);
    write_neighbor_advertisement(p, target.bytes.data(), s_.settings.provider_mac.bytes.data(),
                                 0x60000000u);
    p.port = kProviderPort;
  }

  // ARP for a local provider address on the provider link is answered with the provider MAC.
  void answer_provider_arp(Packet& p) {
    uint8_t* f = p.data();
    if (p.length < 42) return drop(p, DropReason::Malformed);
    uint8_t* a = f + 14;
    if (get16(a) != 1 || get16(a + 2) != kEthIpv4 || a[4] != 6 || a[5] != 4 || get16(a + 6) != 1)
      return drop(p, DropReason::NotForUs);
    IpAddress target;
    target.family = 4;
    std::memcpy(target.bytes.data(), a + 24, 4);
    if (!s_.local_pas->find(target)) return drop(p, DropReason::NotForUs);
    uint8_t mac[6], ipb[4];
    std::memcpy(mac, a + 8, 6);
    std::memcpy(ipb, a + 14, 4);
    std::memcpy(f, mac, 6);
    std::memcpy(f + 6, s_.settings.provider_mac.bytes.data(), 6);
    put16(a + 6, 2);
    std::memcpy(a + 8, s_.settings.provider_mac.bytes.data(), 6);
    std::memcpy(a + 14, target.bytes.data(), 4);
    std::memcpy(a + 18, mac, 6);
    std::memcpy(a + 24, ipb, 4);
    p.length = 42;
    p.port = kProviderPort;
  }

  bool fast_;  // the common frame takes the fast path
  const Snapshot& s_;
  WorkerCounters& c_;
  const uint32_t* pa4_;                 // IPv4 provider address by index
  const std::array<uint8_t, 16>* pa6_;  // IPv6 provider address by index
  const LocalPortTable& local_ports_;
  uint32_t last_vsid_ = 0;  // VSID 0 is never a subnet
  const SubnetInfo* last_subnet_ = nullptr;
  uint64_t last_mac_ = 0;  // the last local_port() answer
  uint32_t last_mac_vsid_ = 0;
  uint16_t last_port_ = kNoPort;
  uint16_t acc_port_ = kNoPort;  // delivered packets not yet added to the counters
  uint32_t acc_counter_ = 0;
  uint64_t acc_packets_ = 0, acc_bytes_ = 0;
};

}  // namespace

Worker::Worker(Datapath& datapath) : state_(datapath.state_.get()), slot_(0) {
  // Counters are allocated on a slot's first use, under the lock their readers take.
  std::lock_guard lock(state_->write_mutex);
  for (size_t i = 0; i < state_->limits.max_workers; ++i) {
    bool expected = false;
    if (state_->readers[i].in_use.compare_exchange_strong(expected, true)) {
      slot_ = i;
      if (!state_->readers[i].counters)
        state_->readers[i].counters = std::make_unique<WorkerCounters>(state_->limits.max_subnets);
      return;
    }
  }
  throw PolicyError("too many datapath workers (limit " +
                    std::to_string(state_->limits.max_workers) + ")");
}

Worker::~Worker() {
  state_->readers[slot_].epoch.store(0, std::memory_order_release);
  state_->readers[slot_].in_use.store(false, std::memory_order_release);
}

void Worker::transmit(PortId from, std::span<Packet> packets) {
  ReaderSlot& r = state_->readers[slot_];
  for (size_t i = 0; i < packets.size(); i += kBatchSize) {
    ReadGuard guard(*state_, r);
    Transmitter tx(guard.snapshot(), *r.counters, from, fast_);
    tx.run(packets.subspan(i, std::min(kBatchSize, packets.size() - i)));
  }
}

void Worker::receive(std::span<Packet> packets) {
  ReaderSlot& r = state_->readers[slot_];
  for (size_t i = 0; i < packets.size(); i += kBatchSize) {
    ReadGuard guard(*state_, r);
    Receiver rx(guard.snapshot(), *r.counters, fast_);
    rx.run(packets.subspan(i, std::min(kBatchSize, packets.size() - i)));
  }
}

}  // namespace cimnet::dataplane

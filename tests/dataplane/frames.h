#pragma once
// Hand-built frames for the datapath tests, written independently of the datapath's own code.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cimnet/dataplane/addr.h"
#include "cimnet/dataplane/datapath.h"

namespace cimnet::dataplane::test {

using Bytes = std::vector<uint8_t>;

inline MacAddress mac(const char* s) { return *MacAddress::parse(s); }
inline IpAddress ip(const char* s) { return *IpAddress::parse(s); }
inline IpPrefix prefix(const char* s) { return *IpPrefix::parse(s); }

inline void add16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
inline void add32(Bytes& b, uint32_t v) {
  add16(b, uint16_t(v >> 16));
  add16(b, uint16_t(v));
}
// Byte-wise appends (GCC 12 reports false stringop-overflows for range inserts here).
inline void add(Bytes& b, const Bytes& more) {
  b.reserve(b.size() + more.size());
  for (uint8_t x : more) b.push_back(x);
}
inline void add_mac(Bytes& b, const MacAddress& m) {
  for (uint8_t x : m.bytes) b.push_back(x);
}
inline void add_ip(Bytes& b, const IpAddress& a) {
  for (size_t i = 0; i < (a.is_v4() ? 4u : 16u); ++i) b.push_back(a.bytes[i]);
}
inline uint16_t rd16(const Bytes& b, size_t at) { return uint16_t(b.at(at) << 8 | b.at(at + 1)); }
inline uint32_t rd32(const Bytes& b, size_t at) { return uint32_t(rd16(b, at)) << 16 | rd16(b, at + 2); }

// RFC 1071 checksum of a byte range plus an initial sum.
inline uint16_t inet_checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) sum += uint32_t(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}
inline uint32_t pseudo_sum(const IpAddress& s, const IpAddress& d, uint8_t proto, size_t len) {
  Bytes b;
  add_ip(b, s);
  add_ip(b, d);
  uint32_t sum = 0;
  for (size_t i = 0; i < b.size(); i += 2) sum += uint32_t(b[i]) << 8 | b[i + 1];
  return sum + proto + uint32_t(len);
}

inline Bytes ethernet(const MacAddress& dst, const MacAddress& src, uint16_t type, const Bytes& payload) {
  Bytes b;
  add_mac(b, dst);
  add_mac(b, src);
  add16(b, type);
  add(b, payload);
  return b;
}

inline Bytes ipv4(const IpAddress& src, const IpAddress& dst, uint8_t proto, const Bytes& payload,
                  uint8_t ttl = 64, bool df = true) {
  Bytes b;
  b.push_back(0x45);
  b.push_back(0);
  add16(b, uint16_t(20 + payload.size()));
  add16(b, 0x1234);
  add16(b, df ? 0x4000 : 0);
  b.push_back(ttl);
  b.push_back(proto);
  add16(b, 0);
  add_ip(b, src);
  add_ip(b, dst);
  uint16_t c = inet_checksum(b.data(), 20);
  b[10] = uint8_t(c >> 8);
  b[11] = uint8_t(c);
  add(b, payload);
  return b;
}

inline Bytes ipv6(const IpAddress& src, const IpAddress& dst, uint8_t next, const Bytes& payload,
                  uint8_t hops = 64) {
  Bytes b;
  add32(b, 0x60000000);
  add16(b, uint16_t(payload.size()));
  b.push_back(next);
  b.push_back(hops);
  add_ip(b, src);
  add_ip(b, dst);
  add(b, payload);
  return b;
}

// UDP datagram with a correct checksum for the given addresses.
inline Bytes udp(const IpAddress& src, const IpAddress& dst, uint16_t sport, uint16_t dport,
                 const Bytes& data) {
  Bytes b;
  add16(b, sport);
  add16(b, dport);
  add16(b, uint16_t(8 + data.size()));
  add16(b, 0);
  add(b, data);
  uint16_t c = inet_checksum(b.data(), b.size(), pseudo_sum(src, dst, 17, b.size()));
  if (c == 0) c = 0xffff;
  b[6] = uint8_t(c >> 8);
  b[7] = uint8_t(c);
  return b;
}

inline Bytes payload(size_t n, uint8_t seed = 1) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i);
  return b;
}

// An Ethernet + IPv4 + UDP frame.
inline Bytes udp4_frame(const MacAddress& dmac, const MacAddress& smac, const char* s, const char* d,
                        uint16_t sport = 1000, uint16_t dport = 2000, size_t n = 18,
                        uint8_t ttl = 64, bool df = true) {
  IpAddress a = ip(s), b = ip(d);
  return ethernet(dmac, smac, 0x0800, ipv4(a, b, 17, udp(a, b, sport, dport, payload(n)), ttl, df));
}
inline Bytes udp6_frame(const MacAddress& dmac, const MacAddress& smac, const char* s, const char* d,
                        uint16_t sport = 1000, uint16_t dport = 2000, size_t n = 18) {
  IpAddress a = ip(s), b = ip(d);
  return ethernet(dmac, smac, 0x86DD, ipv6(a, b, 17, udp(a, b, sport, dport, payload(n))));
}

inline Bytes arp_request(const MacAddress& smac, const char* sip, const char* tip) {
  Bytes a;
  add16(a, 1);
  add16(a, 0x0800);
  a.push_back(6);
  a.push_back(4);
  add16(a, 1);
  add_mac(a, smac);
  add_ip(a, ip(sip));
  add_mac(a, MacAddress{});
  add_ip(a, ip(tip));
  return ethernet(mac("ff:ff:ff:ff:ff:ff"), smac, 0x0806, a);
}

// Neighbour solicitation from (smac, sip) for `target`, to its solicited-node multicast group.
inline Bytes neighbor_solicitation(const MacAddress& smac, const char* sip, const char* target) {
  IpAddress t = ip(target), s = ip(sip);
  IpAddress group = ip("ff02::1:ff00:0");
  group.bytes[13] = t.bytes[13];
  group.bytes[14] = t.bytes[14];
  group.bytes[15] = t.bytes[15];
  Bytes icmp;
  icmp.push_back(135);
  icmp.push_back(0);
  add16(icmp, 0);
  add32(icmp, 0);
  add_ip(icmp, t);
  icmp.push_back(1);  // source link-layer address option
  icmp.push_back(1);
  add_mac(icmp, smac);
  uint16_t c = inet_checksum(icmp.data(), icmp.size(), pseudo_sum(s, group, 58, icmp.size()));
  icmp[2] = uint8_t(c >> 8);
  icmp[3] = uint8_t(c);
  MacAddress gmac = mac("33:33:ff:00:00:00");
  gmac.bytes[3] = t.bytes[13];
  gmac.bytes[4] = t.bytes[14];
  gmac.bytes[5] = t.bytes[15];
  return ethernet(gmac, smac, 0x86DD, ipv6(s, group, 58, icmp, 255));
}

// An NVGRE frame over IPv4: outer Ethernet + IPv4 (proto 47) + GRE(flags, proto, key) + inner.
inline Bytes nvgre4(const MacAddress& dmac, const MacAddress& smac, const char* spa, const char* dpa,
                    uint32_t vsid, uint8_t flow, const Bytes& inner, uint16_t flags = 0x2000,
                    uint16_t proto = 0x6558, bool fragment = false) {
  Bytes gre;
  add16(gre, flags);
  add16(gre, proto);
  add32(gre, vsid << 8 | flow);
  add(gre, inner);
  Bytes outer = ipv4(ip(spa), ip(dpa), 47, gre);
  if (fragment) {
    outer[6] = 0x20;  // MF
    outer[10] = outer[11] = 0;
    uint16_t c = inet_checksum(outer.data(), 20);
    outer[10] = uint8_t(c >> 8);
    outer[11] = uint8_t(c);
  }
  return ethernet(dmac, smac, 0x0800, outer);
}

inline std::string to_hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < b.size(); ++i) {
    s += digits[b[i] >> 4];
    s += digits[b[i] & 15];
    s += (i % 16 == 15) ? '\n' : ' ';
  }
  if (!s.empty() && s.back() == ' ') s.back() = '\n';
  return s;
}

// Reads tests/dataplane/golden/<name>.hex (hex bytes, '#' comments). With CIMNET_UPDATE_GOLDEN=1
// the file is (re)written from `actual` instead, to be reviewed before committing.
inline Bytes golden(const std::string& name, const Bytes& actual, const std::string& comment) {
  const char* src = std::getenv("CIMNET_SOURCE_DIR");
  std::string path = std::string(src ? src : ".") + "/tests/dataplane/golden/" + name + ".hex";
  if (const char* upd = std::getenv("CIMNET_UPDATE_GOLDEN");
      upd && std::string(upd) == "1" && !actual.empty()) {
    std::ofstream out(path);
    out << "# " << comment << "\n" << to_hex(actual);
  }
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "missing golden file " << path;
  Bytes b;
  std::string line;
  while (std::getline(in, line)) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    std::istringstream ss(line);
    std::string tok;
    while (ss >> tok) b.push_back(uint8_t(std::stoul(tok, nullptr, 16)));
  }
  return b;
}

}  // namespace cimnet::dataplane::test

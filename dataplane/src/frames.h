#pragma once
// Wire constants and byte helpers for Ethernet, ARP, IPv4, IPv6, ICMP and GRE. Private.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cimnet::dataplane::detail {

inline constexpr uint16_t kEthIpv4 = 0x0800;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthIpv6 = 0x86DD;
inline constexpr uint16_t kEthVlan = 0x8100;
inline constexpr uint16_t kEthQinQ = 0x88A8;
inline constexpr uint16_t kEthTransparentBridging = 0x6558;
inline constexpr uint16_t kGreFlagsKey = 0x2000;  // K bit only, version 0
// The first four GRE bytes of NVGRE (20 00 65 58) as a little-endian 32-bit load sees them.
inline constexpr uint32_t kGreWord = 0x58650020;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoGre = 47;
inline constexpr uint8_t kIpProtoIcmp6 = 58;
inline constexpr size_t kEthHeader = 14;

inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// One's-complement sum of big-endian 16-bit words (RFC 1071), not yet folded.
inline uint32_t checksum_add(uint32_t sum, const uint8_t* p, size_t n) {
  while (n >= 2) {
    sum += uint32_t(p[0]) << 8 | p[1];
    p += 2;
    n -= 2;
  }
  if (n) sum += uint32_t(p[0]) << 8;
  return sum;
}
inline uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}
// RFC 1624 incremental update of a checksum field when a 16-bit word changes.
inline uint16_t checksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = uint32_t(uint16_t(~check)) + uint16_t(~old_word) + new_word;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

}  // namespace cimnet::dataplane::detail

#pragma once
// Addresses used by the datapath policy: Ethernet MACs, IPv4/IPv6 addresses and prefixes.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace cimnet::dataplane {

// A 48-bit Ethernet address in wire order.
struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  // Parses "aa:bb:cc:dd:ee:ff" (or with '-'); nullopt on anything else.
  static std::optional<MacAddress> parse(std::string_view text);
  // Lower-case colon form.
  std::string to_string() const;
  bool is_multicast() const { return (bytes[0] & 1) != 0; }
  bool is_zero() const { return bytes == std::array<uint8_t, 6>{}; }
  friend bool operator==(const MacAddress&, const MacAddress&) = default;
  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first 4 bytes; the rest is zero,
// so equality and hashing can look at all 16 bytes. family 0 means "no address".
struct IpAddress {
  uint8_t family = 0;  // 0, 4 or 6
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(uint32_t host_order);
  static IpAddress v6(const uint8_t (&b)[16]);
  // Parses dotted-quad IPv4 or RFC 4291 IPv6 text; nullopt on anything else.
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool is_v4() const { return family == 4; }
  bool is_v6() const { return family == 6; }
  bool is_set() const { return family != 0; }
  // True for 0.0.0.0 / :: (the wildcard customer address of HNV gateway records).
  bool is_unspecified() const { return bytes == std::array<uint8_t, 16>{}; }
  // IPv4 value in host byte order (only for family 4).
  uint32_t v4_host() const {
    return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
  }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// An address prefix; the address has its host bits cleared.
struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;

  // Parses "A/len" (host bits must be zero); nullopt on anything else.
  static std::optional<IpPrefix> parse(std::string_view text);
  std::string to_string() const;
  bool contains(const IpAddress& a) const;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;
};

// Clears every bit of `a` after the first `length` bits.
IpAddress mask_address(const IpAddress& a, unsigned length);

}  // namespace cimnet::dataplane

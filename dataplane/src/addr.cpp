#include "cimnet/dataplane/addr.h"

#include <arpa/inet.h>

#include <cstdio>

namespace cimnet::dataplane {

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress m;
  for (size_t i = 0; i < 6; ++i) {
    unsigned v = 0;
    for (size_t j = 0; j < 2; ++j) {
      char c = text[i * 3 + j];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else return std::nullopt;
    }
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') return std::nullopt;
    m.bytes[i] = uint8_t(v);
  }
  return m;
}

std::string MacAddress::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

IpAddress IpAddress::v4(uint32_t h) {
  IpAddress a;
  a.family = 4;
  a.bytes[0] = uint8_t(h >> 24);
  a.bytes[1] = uint8_t(h >> 16);
  a.bytes[2] = uint8_t(h >> 8);
  a.bytes[3] = uint8_t(h);
  return a;
}

IpAddress IpAddress::v6(const uint8_t (&b)[16]) {
  IpAddress a;
  a.family = 6;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
    a.family = 4;
  } else {
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
    a.family = 6;
  }
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (family == 4) return inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  if (family == 6) return inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return "(none)";
}

IpAddress mask_address(const IpAddress& a, unsigned length) {
  IpAddress m = a;
  unsigned bits = a.family == 4 ? 32 : 128;
  for (unsigned i = 0; i < 16; ++i) {
    unsigned first = i * 8;
    if (first >= bits) {
      m.bytes[i] = 0;
    } else if (first + 8 > length) {
      unsigned keep = length > first ? length - first : 0;
      m.bytes[i] &= uint8_t(0xff00u >> keep);
    }
  }
  return m;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  auto len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 3) return std::nullopt;
  unsigned len = 0;
  for (char c : len_text) {
    if (c < '0' || c > '9') return std::nullopt;
    len = len * 10 + unsigned(c - '0');
  }
  if (len > (addr->family == 4 ? 32u : 128u)) return std::nullopt;
  if (mask_address(*addr, len) != *addr) return std::nullopt;
  return IpPrefix{*addr, uint8_t(len)};
}

std::string IpPrefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

bool IpPrefix::contains(const IpAddress& a) const {
  return a.family == address.family && mask_address(a, length) == address;
}

}  // namespace cimnet::dataplane

#include "cimnet/config/lookup.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

#include "cimnet/config/error.h"

namespace cimnet::config {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
    a.family = 4;
  } else {
    if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
    a.family = 6;
  }
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (family == 4) {
    inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  } else if (family == 6) {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  } else {
    return {};
  }
  return buf;
}

bool IpAddress::is_unspecified() const {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return family != 0;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True when `s` is well-formed UTF-8 without NUL, as YANG strings must be.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    std::size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// YANG `length` counts characters, not bytes.
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

void check_string(const LookupKey& key, std::string_view leaf, const std::string& value,
                  std::size_t max) {
  if (!valid_utf8(value)) {
    throw ConfigError(ErrorKind::kInvalid,
                      "Invalid " + std::string(leaf) + ": not valid UTF-8 text",
                      lookup_record_path(key) + "/" + std::string(leaf));
  }
  if (utf8_length(value) > max) {
    throw ConfigError(ErrorKind::kInvalid,
                      "Unsatisfied length - string \"" + value.substr(0, 40) +
                          "...\" is longer than " + std::to_string(max) + " characters",
                      lookup_record_path(key) + "/" + std::string(leaf));
  }
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  MacAddress m;
  std::size_t pos = 0;
  char sep = 0;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && pos < text.size() && (text[pos] == '-' || text[pos] == ':')) {
      if (i == 1) sep = text[pos];
      if (text[pos] != sep) return std::nullopt;
      ++pos;
    } else if (i > 0 && sep != 0) {
      return std::nullopt;
    }
    if (pos + 2 > text.size()) return std::nullopt;
    int hi = hex_digit(text[pos]), lo = hex_digit(text[pos + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    m.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
    pos += 2;
  }
  if (pos != text.size()) return std::nullopt;
  return m;
}

std::string MacAddress::to_string() const {
  char buf[13];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3],
                bytes[4], bytes[5]);
  return buf;
}

std::string_view to_yang(TranslationRule rule) {
  switch (rule) {
    case TranslationRule::kNat:
      return "translation-method-nat";
    case TranslationRule::kEncap:
      return "translation-method-encap";
    case TranslationRule::kNone:
      return "translation-method-none";
  }
  return "?";
}

std::string_view to_yang(LookupRecordType type) {
  switch (type) {
    case LookupRecordType::kStatic:
      return "static";
    case LookupRecordType::kDynamic:
      return "dynamic";
    case LookupRecordType::kGatewayWildcard:
      return "gateway-wildcard";
    case LookupRecordType::kL2Only:
      return "l2-only";
  }
  return "?";
}

std::optional<TranslationRule> translation_rule_from_yang(std::string_view name) {
  for (auto r : {TranslationRule::kNat, TranslationRule::kEncap, TranslationRule::kNone}) {
    if (to_yang(r) == name) return r;
  }
  return std::nullopt;
}

std::optional<LookupRecordType> lookup_record_type_from_yang(std::string_view name) {
  for (auto t : {LookupRecordType::kStatic, LookupRecordType::kDynamic,
                 LookupRecordType::kGatewayWildcard, LookupRecordType::kL2Only}) {
    if (to_yang(t) == name) return t;
  }
  return std::nullopt;
}

std::string lookup_record_path(const LookupKey& key) {
  return std::string("/cimnet:network-virtualization/lookup-record[vsid='")
             .append(std::to_string(key.vsid)) +
         "'][customer-address='" + key.customer_address.to_string() + "'][mac-address='" +
         key.mac.to_string() + "']";
}

void validate_lookup_record(const LookupRecord& r) {
  const LookupKey& key = r.key;
  if (key.vsid < 4096 || key.vsid > 16777214) {
    throw ConfigError(ErrorKind::kInvalid,
                      std::string("Unsatisfied range - value \"").append(std::to_string(key.vsid)) +
                          "\" is out of 4096..16777214",
                      lookup_record_path(key) + "/vsid");
  }
  if (key.customer_address.family != 4 && key.customer_address.family != 6) {
    throw ConfigError(ErrorKind::kInvalid, "Missing customer address",
                      lookup_record_path(key) + "/customer-address");
  }
  if (r.provider_address.family != 4 && r.provider_address.family != 6) {
    throw ConfigError(ErrorKind::kInvalid,
                      "Mandatory node \"provider-address\" instance does not exist",
                      lookup_record_path(key) + "/provider-address");
  }
  if (static_cast<unsigned>(r.rule) > 2) {
    throw ConfigError(
        ErrorKind::kInvalid,
        std::string("Invalid enumeration value ").append(std::to_string(unsigned(r.rule))),
        lookup_record_path(key) + "/rule");
  }
  if (static_cast<unsigned>(r.type) > 3) {
    throw ConfigError(
        ErrorKind::kInvalid,
        std::string("Invalid enumeration value ").append(std::to_string(unsigned(r.type))),
        lookup_record_path(key) + "/type");
  }
  check_string(key, "customer-id", r.customer_id, 255);
  check_string(key, "context", r.context, 1024);
  check_string(key, "vm-name", r.vm_name, 255);
}

}  // namespace cimnet::config

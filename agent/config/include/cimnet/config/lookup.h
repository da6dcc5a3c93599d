#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cimnet::config {

// An IPv4 or IPv6 address without zone, stored in 17 bytes. family is 4 or 6
// (0 only in a default-constructed value); IPv4 uses the first 4 bytes.
struct IpAddress {
  uint8_t family = 0;
  std::array<uint8_t, 16> bytes{};

  // Parses dotted IPv4 or RFC 4291 IPv6 text; nullopt for anything else.
  static std::optional<IpAddress> parse(std::string_view text);
  // Canonical text (RFC 5952 for IPv6, as inet_ntop prints it).
  std::string to_string() const;
  // True for 0.0.0.0 and :: (wildcard customer addresses).
  bool is_unspecified() const;
  auto operator<=>(const IpAddress&) const = default;
};

// A 48-bit MAC address.
struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  // Accepts 12 hex digits, optionally separated in pairs by '-' or ':'
  // (101010101105, 10-10-10-10-11-05, 10:10:10:10:11:05); nullopt otherwise.
  static std::optional<MacAddress> parse(std::string_view text);
  // 12 lower-case hex digits, the form the YANG model stores.
  std::string to_string() const;
  auto operator<=>(const MacAddress&) const = default;
};

// MSFT_NetVirtualizationLookupRecordSettingData.Rule (CIM integer values).
enum class TranslationRule : uint8_t { kNat = 0, kEncap = 1, kNone = 2 };
// MSFT_NetVirtualizationLookupRecordSettingData.Type (CIM integer values).
enum class LookupRecordType : uint8_t {
  kStatic = 0,
  kDynamic = 1,
  kGatewayWildcard = 2,
  kL2Only = 3
};

// YANG enum names ("translation-method-encap", "l2-only") and back.
std::string_view to_yang(TranslationRule rule);
std::string_view to_yang(LookupRecordType type);
std::optional<TranslationRule> translation_rule_from_yang(std::string_view name);
std::optional<LookupRecordType> lookup_record_type_from_yang(std::string_view name);

// Identity of a lookup record: (VirtualSubnetID, CustomerAddress, MACAddress).
// Ordered by VSID first, so all records of one virtual subnet are adjacent.
struct LookupKey {
  uint32_t vsid = 0;
  IpAddress customer_address;
  MacAddress mac;
  auto operator<=>(const LookupKey&) const = default;
};

// One lookup record (customer address -> provider address), as providers see
// it. The store keeps these in a compact table, not as libyang nodes.
struct LookupRecord {
  LookupKey key;
  IpAddress provider_address;
  TranslationRule rule = TranslationRule::kEncap;
  LookupRecordType type = LookupRecordType::kStatic;
  bool use_vm_mac_address = false;
  std::string customer_id;
  std::string context;
  std::string vm_name;
  bool operator==(const LookupRecord&) const = default;
};

// The YANG data path of the record's list entry, e.g.
// /cimnet:network-virtualization/lookup-record[vsid='5001'][customer-address='10.0.0.5'][mac-address='101010101105'].
std::string lookup_record_path(const LookupKey& key);

// Checks the record against the rules the YANG model states for a
// lookup-record entry (VSID range, string lengths and UTF-8, enum values,
// address families present). Throws ConfigError(kInvalid) naming the leaf's
// path. The store calls this for every record a transaction writes.
void validate_lookup_record(const LookupRecord& record);

}  // namespace cimnet::config

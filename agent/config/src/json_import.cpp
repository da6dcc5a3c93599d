#include "json_import.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "cimnet/config/error.h"

namespace cimnet::config {
namespace {

// Just enough JSON structure to locate one member: strings (with escapes),
// balanced objects and arrays, scalars. Values are not interpreted.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  std::size_t pos() const { return i_; }
  bool at(char c) {
    ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool eat(char c) {
    if (!at(c)) return false;
    ++i_;
    return true;
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  // A string token; `raw` is its text between the quotes, escapes untouched.
  bool string(std::string_view& raw) {
    if (!at('"')) return false;
    std::size_t j = i_ + 1;
    while (j < s_.size() && s_[j] != '"') j += s_[j] == '\\' ? 2 : 1;
    if (j >= s_.size()) return false;
    raw = s_.substr(i_ + 1, j - i_ - 1);
    i_ = j + 1;
    return true;
  }
  bool skip_value() {
    ws();
    if (i_ >= s_.size()) return false;
    std::string_view ignored;
    if (s_[i_] == '"') return string(ignored);
    if (s_[i_] == '{' || s_[i_] == '[') {
      int depth = 0;
      while (i_ < s_.size()) {
        char c = s_[i_];
        if (c == '"') {
          if (!string(ignored)) return false;
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) {
            ++i_;
            return true;
          }
        }
        ++i_;
      }
      return false;
    }
    std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
           s_[i_] != '\n' && s_[i_] != '\r' && s_[i_] != '\t') {
      ++i_;
    }
    return i_ > start;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

struct Span {
  std::size_t member_begin, member_end, value_begin, value_end;
};

// Locates "cimnet:network-virtualization" -> "lookup-record": [...].
std::optional<Span> find_records(std::string_view text) {
  Scanner sc(text);
  if (!sc.eat('{')) return std::nullopt;
  while (!sc.at('}')) {
    std::string_view name;
    if (!sc.string(name) || !sc.eat(':')) return std::nullopt;
    if (name == "cimnet:network-virtualization" && sc.at('{')) {
      sc.eat('{');
      while (!sc.at('}')) {
        sc.ws();
        std::size_t member_begin = sc.pos();
        std::string_view inner;
        if (!sc.string(inner) || !sc.eat(':')) return std::nullopt;
        sc.ws();
        std::size_t value_begin = sc.pos();
        bool array = sc.at('[');
        if (!sc.skip_value()) return std::nullopt;
        if (inner == "lookup-record" && array) {
          return Span{member_begin, sc.pos(), value_begin, sc.pos()};
        }
        if (!sc.eat(',') && !sc.at('}')) return std::nullopt;
      }
      sc.eat('}');
    } else if (!sc.skip_value()) {
      return std::nullopt;
    }
    if (!sc.eat(',') && !sc.at('}')) return std::nullopt;
  }
  return std::nullopt;
}

enum Field : unsigned {
  kVsid = 1,
  kCustomerAddress = 2,
  kMac = 4,
  kProviderAddress = 8,
  kRule = 16,
  kType = 32,
  kUseVm = 64,
  kCustomerId = 128,
  kContext = 256,
  kVmName = 512,
};

// SAX handler for the records array: [ {record}, ... ].
class RecordReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit RecordReader(LookupTable& table) : table_(table) {}
  std::optional<ConfigError> error;

  bool null() override { return fail("Invalid null value"); }
  bool boolean(bool v) override {
    if (field_ != kUseVm) return fail("Invalid boolean value");
    record_.use_vm_mac_address = v;
    return true;
  }
  bool number_integer(number_integer_t v) override {
    if (v < 0) return fail("Invalid negative value \"" + std::to_string(v) + "\"");
    return number_unsigned(static_cast<number_unsigned_t>(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (field_ != kVsid) return fail("Invalid number value");
    if (v > std::numeric_limits<uint32_t>::max()) {
      return fail("Value \"" + std::to_string(v) + "\" is out of type uint32 min/max bounds");
    }
    record_.key.vsid = static_cast<uint32_t>(v);
    return true;
  }
  bool number_float(number_float_t, const string_t& s) override {
    return fail("Invalid number value \"" + s + "\"");
  }
  bool string(string_t& v) override {
    switch (field_) {
      case kCustomerAddress:
      case kProviderAddress: {
        auto a = IpAddress::parse(v);
        if (!a) return fail("Invalid IP address value \"" + v + "\"");
        (field_ == kCustomerAddress ? record_.key.customer_address : record_.provider_address) = *a;
        return true;
      }
      case kMac: {
        bool ok = v.size() == 12;
        for (char c : v) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        if (!ok)
          return fail("Unsatisfied pattern - \"" + v + "\" does not conform to \"[0-9a-f]{12}\"");
        record_.key.mac = *MacAddress::parse(v);
        return true;
      }
      case kRule:
        if (auto r = translation_rule_from_yang(v)) {
          record_.rule = *r;
          return true;
        }
        return fail("Invalid enumeration value \"" + v + "\"");
      case kType:
        if (auto t = lookup_record_type_from_yang(v)) {
          record_.type = *t;
          return true;
        }
        return fail("Invalid enumeration value \"" + v + "\"");
      case kCustomerId:
        record_.customer_id = v;
        return true;
      case kContext:
        record_.context = v;
        return true;
      case kVmName:
        record_.vm_name = v;
        return true;
      default:
        return fail("Invalid string value \"" + v + "\"");
    }
  }
  bool binary(binary_t&) override { return fail("Invalid value"); }
  bool start_object(std::size_t) override {
    if (depth_ != 1) return fail("Invalid nested object");
    ++depth_;
    ++index_;
    record_ = LookupRecord{};
    seen_ = 0;
    field_ = 0;
    return true;
  }
  bool key(string_t& k) override {
    static const std::pair<const char*, Field> names[] = {{"vsid", kVsid},
                                                          {"customer-address", kCustomerAddress},
                                                          {"mac-address", kMac},
                                                          {"provider-address", kProviderAddress},
                                                          {"rule", kRule},
                                                          {"type", kType},
                                                          {"use-vm-mac-address", kUseVm},
                                                          {"customer-id", kCustomerId},
                                                          {"context", kContext},
                                                          {"vm-name", kVmName}};
    for (const auto& [name, f] : names) {
      if (k == name) {
        field_ = f;
        if (seen_ & f) return fail("Duplicate member \"" + k + "\"");
        seen_ |= f;
        return true;
      }
    }
    field_ = 0;
    return fail("Node \"" + k + "\" not found in the \"lookup-record\" list");
  }
  bool end_object() override {
    --depth_;
    field_ = 0;
    const std::pair<Field, const char*> mandatory[] = {{kVsid, "vsid"},
                                                       {kCustomerAddress, "customer-address"},
                                                       {kMac, "mac-address"},
                                                       {kProviderAddress, "provider-address"},
                                                       {kRule, "rule"}};
    for (const auto& [f, name] : mandatory) {
      if (!(seen_ & f)) {
        return fail(
            std::string("Mandatory node \"").append(name).append("\" instance does not exist"));
      }
    }
    try {
      validate_lookup_record(record_);
    } catch (const ConfigError& e) {
      error = e;
      return false;
    }
    if (table_.contains(record_.key)) {
      error = ConfigError(ErrorKind::kInvalid, "Duplicate instance of \"lookup-record\"",
                          lookup_record_path(record_.key));
      return false;
    }
    table_.put(record_);
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ != 0) return fail("Invalid array value");
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error = ConfigError(ErrorKind::kInvalid,
                        std::string("Invalid JSON in the lookup records near byte ")
                            .append(std::to_string(position))
                            .append(": ")
                            .append(e.what()),
                        "/cimnet:network-virtualization/lookup-record");
    return false;
  }

 private:
  // Names the record by its keys once they are known, else by position.
  bool fail(const std::string& message) {
    std::string path;
    unsigned keys_read = seen_ & ~field_;  // the field being read failed
    if ((keys_read & (kVsid | kCustomerAddress | kMac)) == (kVsid | kCustomerAddress | kMac)) {
      path = lookup_record_path(record_.key);
    } else {
      path = std::string("/cimnet:network-virtualization/lookup-record[")
                 .append(std::to_string(index_))
                 .append("]");
    }
    for (const auto& [f, name] :
         {std::pair{kVsid, "vsid"}, std::pair{kCustomerAddress, "customer-address"},
          std::pair{kMac, "mac-address"}, std::pair{kProviderAddress, "provider-address"},
          std::pair{kRule, "rule"}, std::pair{kType, "type"},
          std::pair{kUseVm, "use-vm-mac-address"}, std::pair{kCustomerId, "customer-id"},
          std::pair{kContext, "context"}, std::pair{kVmName, "vm-name"}}) {
      if (field_ == f) path.append("/").append(name);
    }
    error = ConfigError(ErrorKind::kInvalid, message, path);
    return false;
  }

  LookupTable& table_;
  LookupRecord record_;
  int depth_ = 0;
  std::size_t index_ = 0;
  unsigned seen_ = 0;
  unsigned field_ = 0;
};

}  // namespace

bool split_lookup_records_json(std::string_view text, std::string& rest, LookupTable& table) {
  std::optional<Span> span = find_records(text);
  if (!span) return false;
  RecordReader reader(table);
  std::string_view array = text.substr(span->value_begin, span->value_end - span->value_begin);
  bool ok = nlohmann::json::sax_parse(array, &reader, nlohmann::json::input_format_t::json, true);
  if (!ok || reader.error) {
    if (reader.error) throw *reader.error;
    throw ConfigError(ErrorKind::kInvalid, "Invalid lookup records",
                      "/cimnet:network-virtualization/lookup-record");
  }
  // Cut the member and one comma next to it, so the rest stays valid JSON.
  std::size_t begin = span->member_begin, end = span->member_end;
  std::size_t after = text.find_first_not_of(" \n\r\t", end);
  if (after != std::string_view::npos && text[after] == ',') {
    end = after + 1;
  } else {
    std::size_t before = text.find_last_not_of(" \n\r\t", begin == 0 ? 0 : begin - 1);
    if (before != std::string_view::npos && text[before] == ',') begin = before;
  }
  rest.assign(text.substr(0, begin));
  rest.append(text.substr(end));
  return true;
}

}  // namespace cimnet::config

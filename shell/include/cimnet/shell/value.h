#pragma once
// The values a cimsh pipeline carries: scalars, arrays, hashtables, script blocks and
// PSObject-like objects with ordered properties (what a CIM instance becomes in the shell).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cimnet::shell {

class Value;
struct Object;
struct ScriptBlock;
class Hashtable;
using Array = std::vector<Value>;

// Where an object came from (for CIM instances: the CIM session). Later cmdlets use it to
// send a modified instance back to the session it was read from.
class ObjectOrigin {
 public:
  virtual ~ObjectOrigin() = default;
  // A short description for display (e.g. the computer name of a session).
  virtual std::string describe() const = 0;
};

// A point in time, kept as microseconds since the Unix epoch in local time or UTC.
struct DateTime {
  int64_t micros = 0;  // since 1970-01-01T00:00:00 in the clock named by `utc`
  bool utc = false;
};

// One value of the shell language. Arrays, hashtables and objects are reference types
// (shared), as in PowerShell; everything else is copied.
class Value {
 public:
  using Storage = std::variant<std::monostate, bool, int64_t, double, std::string, DateTime,
                               std::shared_ptr<Array>, std::shared_ptr<Hashtable>,
                               std::shared_ptr<Object>, std::shared_ptr<ScriptBlock>>;
  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(int64_t{i}) {}
  Value(int64_t i) : v_(i) {}
  Value(size_t i) : v_(static_cast<int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(DateTime d) : v_(d) {}
  Value(std::shared_ptr<Array> a) : v_(std::move(a)) {}
  Value(std::shared_ptr<Hashtable> h) : v_(std::move(h)) {}
  Value(std::shared_ptr<Object> o) : v_(std::move(o)) {}
  Value(std::shared_ptr<ScriptBlock> s) : v_(std::move(s)) {}

  // A new array value holding `items`.
  static Value array(Array items = {});

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_date() const { return std::holds_alternative<DateTime>(v_); }
  bool is_array() const { return std::holds_alternative<std::shared_ptr<Array>>(v_); }
  bool is_hashtable() const { return std::holds_alternative<std::shared_ptr<Hashtable>>(v_); }
  bool is_object() const { return std::holds_alternative<std::shared_ptr<Object>>(v_); }
  bool is_scriptblock() const { return std::holds_alternative<std::shared_ptr<ScriptBlock>>(v_); }

  bool as_bool_raw() const { return std::get<bool>(v_); }
  int64_t as_int_raw() const { return std::get<int64_t>(v_); }
  double as_double_raw() const { return std::get<double>(v_); }
  const std::string& as_string_raw() const { return std::get<std::string>(v_); }
  const DateTime& as_date() const { return std::get<DateTime>(v_); }
  const std::shared_ptr<Array>& as_array() const { return std::get<std::shared_ptr<Array>>(v_); }
  const std::shared_ptr<Hashtable>& as_hashtable() const {
    return std::get<std::shared_ptr<Hashtable>>(v_);
  }
  const std::shared_ptr<Object>& as_object() const { return std::get<std::shared_ptr<Object>>(v_); }
  const std::shared_ptr<ScriptBlock>& as_scriptblock() const {
    return std::get<std::shared_ptr<ScriptBlock>>(v_);
  }
  const Storage& storage() const { return v_; }

 private:
  Storage v_;
};

// A hashtable with case-insensitive string keys that keeps insertion order (so that
// `@{}` literals display and serialise in the order they were written).
class Hashtable {
 public:
  // The value for `key`, or nullptr.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Inserts or replaces.
  void set(const std::string& key, Value v);
  bool remove(std::string_view key);
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool ordered = false;  // created with [ordered]

 private:
  std::vector<std::pair<std::string, Value>> entries_;
};

// A named property of an object.
struct Property {
  std::string name;
  Value value;
};

// A PSObject: type names (most derived first), ordered properties, and where it came from.
struct Object {
  std::vector<std::string> type_names{"System.Management.Automation.PSCustomObject"};
  std::vector<Property> properties;
  std::shared_ptr<ObjectOrigin> origin;
  // What ToString() returns when set (error records and exceptions show their message).
  std::optional<std::string> display;

  // The property named `name` (case-insensitive), or nullptr.
  const Value* get(std::string_view name) const;
  Value* get(std::string_view name);
  // Sets or appends a property.
  void set(const std::string& name, Value v);
  const std::string& type_name() const { return type_names.front(); }
  bool is_a(std::string_view type) const;
};

// Makes a PSCustomObject (or an object of `type`) from name/value pairs.
std::shared_ptr<Object> make_object(
    std::vector<Property> props, std::string type = "System.Management.Automation.PSCustomObject");

// Case-insensitive ASCII comparison helpers used throughout the shell.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);

// Formats a double the way PowerShell prints it (up to 15 significant digits).
std::string format_double(double d);
// The .NET type name of a value as Get-Member shows it.
std::string type_name_of(const Value& v);
// PowerShell's string conversion (arrays join with spaces, $null is "").
std::string to_string(const Value& v);
// PowerShell's truthiness.
bool to_bool(const Value& v);
// Number conversion; nullopt when `v` is not numeric (strings are parsed).
std::optional<int64_t> to_int(const Value& v);
std::optional<double> to_double(const Value& v);
// Parses a PowerShell number literal or numeric string ("0x1F", "1e3", "12kb").
std::optional<Value> parse_number(std::string_view text);
// The items a value enumerates to in a pipeline (arrays unroll; everything else is itself).
std::vector<Value> enumerate(const Value& v);
// PowerShell equality (right operand converted to the left one's type).
bool values_equal(const Value& a, const Value& b, bool case_sensitive = false);
// Ordering as Sort-Object and -lt/-gt do; nullopt when not comparable.
std::optional<int> compare_values(const Value& a, const Value& b, bool case_sensitive = false);
// Reads a property through objects, hashtables and the built-in properties of scalars
// (Length of strings, Count of arrays, Year of dates...). Arrays apply it to every element.
Value get_member(const Value& target, std::string_view name);
// The names of a value's properties, in order (for formatting and Select-Object *).
std::vector<std::string> property_names(const Value& v);
// PowerShell wildcard matching (* ? [a-z]), case-insensitive unless asked otherwise.
bool wildcard_match(std::string_view pattern, std::string_view text, bool case_sensitive = false);
bool has_wildcard(std::string_view pattern);
// Date helpers.
DateTime now_local();
std::string format_date(const DateTime& d, std::string_view format);  // .NET custom format
std::optional<DateTime> parse_date(std::string_view text);

}  // namespace cimnet::shell

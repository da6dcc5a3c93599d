#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cimnet::cim {

// The DSP0004 intrinsic types. kInstance is an embedded object or instance
// (a string property with the EmbeddedObject / EmbeddedInstance qualifier).
enum class Type : uint8_t {
  kBoolean,
  kString,
  kChar16,
  kUint8,
  kSint8,
  kUint16,
  kSint16,
  kUint32,
  kSint32,
  kUint64,
  kSint64,
  kReal32,
  kReal64,
  kDatetime,
  kReference,
  kInstance,
};

// MOF spelling: "boolean", "uint16", "datetime", "ref", "instance".
std::string_view type_name(Type type);
// Parses a MOF type keyword (case-insensitive); nullopt for anything else.
std::optional<Type> parse_type_name(std::string_view name);
bool is_integer_type(Type type);
bool is_signed_type(Type type);
bool is_real_type(Type type);

// The smallest and largest value of an integer type ({0, 0} for others).
struct IntegerLimits {
  int64_t min;
  uint64_t max;
};
IntegerLimits integer_limits(Type type);

// A CIM datetime: a timestamp (with a UTC offset in minutes), a time of day
// (a timestamp whose date is not significant: "********hhmmss.mmmmmmsutc",
// xs:time) or an interval. All keep microsecond precision, as DSP0004 does.
class Datetime {
 public:
  static Datetime timestamp(int year, int month, int day, int hour, int minute, int second,
                            uint32_t microsecond, int utc_offset_minutes);
  static Datetime time_of_day(int hour, int minute, int second, uint32_t microsecond,
                              int utc_offset_minutes);
  static Datetime interval(uint64_t days, int hours, int minutes, int seconds,
                           uint32_t microseconds);

  // DSP0004 string form: "yyyymmddhhmmss.mmmmmmsutc" (timestamp, s is + or -)
  // or "ddddddddhhmmss.mmmmmm:000" (interval). Throws Error(kInvalidParameter).
  static Datetime parse_cim(std::string_view text);
  // DSP0230 forms: xs:dateTime ("2010-12-31T12:30:03.123456+06:00" or "...Z"),
  // xs:duration ("P1DT10H11M12.5S"), xs:date (midnight of that day), xs:time,
  // or the DSP0004 form. Throws Error(kInvalidParameter).
  static Datetime parse_xml(std::string_view text);

  std::string to_cim() const;
  // xs:dateTime for timestamps (fraction only when non-zero, Z for offset 0),
  // xs:time for times of day, xs:duration for intervals.
  std::string to_xml() const;

  bool is_interval() const { return interval_; }
  bool is_time_of_day() const { return time_of_day_; }
  int year() const { return year_; }
  int month() const { return month_; }
  int day() const { return day_; }
  uint64_t days() const { return days_; }
  int hour() const { return hour_; }
  int minute() const { return minute_; }
  int second() const { return second_; }
  uint32_t microsecond() const { return microsecond_; }
  int utc_offset_minutes() const { return utc_offset_; }

  bool operator==(const Datetime& other) const = default;

 private:
  Datetime() = default;
  // A checked time of day with its UTC offset; the date fields are unset.
  static Datetime clock(int hour, int minute, int second, uint32_t microsecond,
                        int utc_offset_minutes);
  bool interval_ = false;
  bool time_of_day_ = false;
  int year_ = 0, month_ = 0, day_ = 0;
  uint64_t days_ = 0;
  int hour_ = 0, minute_ = 0, second_ = 0;
  uint32_t microsecond_ = 0;
  int utc_offset_ = 0;
};

class ObjectPath;
class Instance;

// A CIM value: one typed scalar, an array of scalars of one type, or NULL
// (which keeps its type). Values are immutable once built and cheap to copy
// for everything but long arrays and strings.
class Value {
 public:
  // NULL string.
  Value();
  static Value null(Type type, bool array = false);

  static Value boolean(bool v);
  static Value string(std::string v);
  static Value char16(char16_t v);
  // Integers of any width: throws Error(kInvalidParameter) when v does not fit `type`.
  static Value integer(Type type, int64_t v);
  static Value unsigned_integer(Type type, uint64_t v);
  static Value uint8(uint8_t v) { return unsigned_integer(Type::kUint8, v); }
  static Value uint16(uint16_t v) { return unsigned_integer(Type::kUint16, v); }
  static Value uint32(uint32_t v) { return unsigned_integer(Type::kUint32, v); }
  static Value uint64(uint64_t v) { return unsigned_integer(Type::kUint64, v); }
  static Value sint8(int8_t v) { return integer(Type::kSint8, v); }
  static Value sint16(int16_t v) { return integer(Type::kSint16, v); }
  static Value sint32(int32_t v) { return integer(Type::kSint32, v); }
  static Value sint64(int64_t v) { return integer(Type::kSint64, v); }
  static Value real32(float v);
  static Value real64(double v);
  static Value datetime(Datetime v);
  static Value reference(ObjectPath v);
  static Value instance(Instance v);
  // An array of `type` from scalar, non-NULL elements of that type
  // (throws Error(kTypeMismatch) otherwise).
  static Value array(Type type, const std::vector<Value>& elements);

  // Parses the DSP0230 text form of one scalar of `type`: decimal integers
  // (range-checked), true/false/1/0, xs:float/xs:double (INF, -INF, NaN),
  // one UTF-16 code unit for char16, datetimes per Datetime::parse_xml.
  // References and instances have no text form here (they are XML
  // structures). Throws Error(kInvalidParameter) naming the type and value.
  static Value from_text(Type type, std::string_view text);

  Type type() const { return type_; }
  bool is_array() const { return array_; }
  bool is_null() const { return null_; }

  // Array access (requires a non-NULL array).
  size_t size() const;
  Value at(size_t index) const;

  // Scalar access; throws Error(kTypeMismatch) when the value is NULL, an
  // array or of another kind.
  bool as_bool() const;
  int64_t as_int() const;    // any integer type that fits in int64
  uint64_t as_uint() const;  // any non-negative integer
  double as_real() const;    // reals and integers
  const std::string& as_string() const;
  char16_t as_char16() const;
  const Datetime& as_datetime() const;
  const ObjectPath& as_reference() const;
  const Instance& as_instance() const;

  // DSP0230 text of a scalar (integers in decimal, true/false, shortest
  // round-tripping reals, datetimes per Datetime::to_xml). Throws for NULL,
  // arrays, references and instances.
  std::string to_text() const;
  // MOF literal (strings quoted and escaped, arrays in braces, NULL as null,
  // references as quoted object paths).
  std::string to_mof() const;

  // Converts to another type with the same range checks as from_text
  // (integer widths, integer to real, string to anything via from_text).
  Value convert_to(Type type) const;

  bool operator==(const Value& other) const;
  bool operator!=(const Value& other) const { return !(*this == other); }

 private:
  using Scalar =
      std::variant<std::monostate, bool, uint64_t, int64_t, double, std::string, Datetime,
                   std::shared_ptr<const ObjectPath>, std::shared_ptr<const Instance>>;
  Value(Type type, bool array, bool null) : type_(type), array_(array), null_(null) {}
  static Value scalar(Type type, Scalar s);
  const Scalar& scalar_ref(const char* wanted) const;
  static std::string scalar_text(Type type, const Scalar& s);
  static std::string scalar_mof(Type type, const Scalar& s);

  Type type_ = Type::kString;
  bool array_ = false;
  bool null_ = true;
  Scalar scalar_;
  std::vector<Scalar> items_;
};

// One key binding of an object path.
struct KeyBinding {
  std::string name;
  Value value;
  bool operator==(const KeyBinding& other) const;
};

// A CIM object path (an instance name): namespace, class and its keys. This
// is what a reference value holds.
class ObjectPath {
 public:
  ObjectPath() = default;
  ObjectPath(std::string ns, std::string class_name, std::vector<KeyBinding> keys = {});

  // Parses the DSP0004 form: [//host/][namespace:]Class[.Key=value,...] with
  // string values in double quotes, numbers and booleans bare, and nested
  // references quoted. Key values keep their literal type (string, sint64,
  // uint64, real64, boolean). Throws Error(kInvalidParameter).
  static ObjectPath parse(std::string_view text);

  const std::string& ns() const { return ns_; }
  const std::string& class_name() const { return class_name_; }
  const std::vector<KeyBinding>& keys() const { return keys_; }
  void set_namespace(std::string ns) { ns_ = std::move(ns); }
  void add_key(std::string name, Value value);
  const Value* key(std::string_view name) const;

  // DSP0004 form, keys in the order given.
  std::string to_string() const;
  // Same namespace, class and key values (names and classes compared without
  // case, key order ignored).
  bool operator==(const ObjectPath& other) const;

 private:
  std::string ns_;
  std::string class_name_;
  std::vector<KeyBinding> keys_;
};

}  // namespace cimnet::cim

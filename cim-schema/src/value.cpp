#include "cimnet/cim/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cimnet/cim/error.h"
#include "cimnet/cim/instance.h"
#include "cimnet/cim/names.h"
#include "utf8.h"

namespace cimnet::cim {

namespace {

struct TypeInfo {
  Type type;
  std::string_view name;
};

constexpr TypeInfo kTypes[] = {
    {Type::kBoolean, "boolean"},   {Type::kString, "string"},     {Type::kChar16, "char16"},
    {Type::kUint8, "uint8"},       {Type::kSint8, "sint8"},       {Type::kUint16, "uint16"},
    {Type::kSint16, "sint16"},     {Type::kUint32, "uint32"},     {Type::kSint32, "sint32"},
    {Type::kUint64, "uint64"},     {Type::kSint64, "sint64"},     {Type::kReal32, "real32"},
    {Type::kReal64, "real64"},     {Type::kDatetime, "datetime"}, {Type::kReference, "ref"},
    {Type::kInstance, "instance"},
};

[[noreturn]] void invalid(const std::string& message) {
  throw Error(Status::kInvalidParameter, message);
}

[[noreturn]] void mismatch(const std::string& message) {
  throw Error(Status::kTypeMismatch, message);
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses exactly `s` as an unsigned decimal number of at most `max`.
bool parse_uint(std::string_view s, uint64_t& out) {
  if (!all_digits(s)) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int fixed_int(std::string_view s) {
  uint64_t v = 0;
  if (!parse_uint(s, v)) invalid("expected digits, got '" + std::string(s) + "'");
  return static_cast<int>(v);
}

std::string range_text(Type type) {
  IntegerLimits l = integer_limits(type);
  return std::to_string(l.min) + ".." + std::to_string(l.max);
}

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

void check_clock(int hour, int minute, int second, uint32_t us) {
  if (hour < 0 || hour > 23) invalid("hour " + std::to_string(hour) + " is not in 0..23");
  if (minute < 0 || minute > 59) invalid("minute " + std::to_string(minute) + " is not in 0..59");
  if (second < 0 || second > 59) invalid("second " + std::to_string(second) + " is not in 0..59");
  if (us > 999999) invalid("microsecond " + std::to_string(us) + " is not in 0..999999");
}

void check_offset(int offset) {
  if (offset < -999 || offset > 999) {
    invalid("UTC offset " + std::to_string(offset) + " minutes is not in -999..999");
  }
}

std::string two(int v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

// ".123456" trimmed of nothing: DSP0230 keeps the fraction exact.
std::string fraction(uint32_t us) {
  if (us == 0) return {};
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06u", us);
  return buf;
}

std::string xml_offset(int offset) {
  if (offset == 0) return "Z";
  int a = offset < 0 ? -offset : offset;
  return std::string(offset < 0 ? "-" : "+") + two(a / 60) + ":" + two(a % 60);
}

// Parses "[.fraction]" (up to six digits, or more when the rest are zeros).
uint32_t parse_fraction(std::string_view digits) {
  if (!all_digits(digits)) invalid("bad fraction of a second '." + std::string(digits) + "'");
  std::string six(digits.substr(0, std::min<size_t>(6, digits.size())));
  for (size_t i = 6; i < digits.size(); ++i) {
    if (digits[i] != '0')
      invalid("more than microsecond precision in '" + std::string(digits) + "'");
  }
  while (six.size() < 6) six.push_back('0');
  return static_cast<uint32_t>(fixed_int(six));
}

// Parses "hh:mm:ss[.f]" and an optional zone; returns the rest.
void parse_xml_clock(std::string_view s, int& h, int& m, int& sec, uint32_t& us, int& offset) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':')
    invalid("expected hh:mm:ss in '" + std::string(s) + "'");
  h = fixed_int(s.substr(0, 2));
  m = fixed_int(s.substr(3, 2));
  sec = fixed_int(s.substr(6, 2));
  std::string_view rest = s.substr(8);
  us = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t end = 1;
    while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
    us = parse_fraction(rest.substr(1, end - 1));
    rest = rest.substr(end);
  }
  offset = 0;
  if (rest.empty() || rest == "Z") return;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') {
    invalid("bad time zone '" + std::string(rest) + "'");
  }
  int oh = fixed_int(rest.substr(1, 2));
  int om = fixed_int(rest.substr(4, 2));
  if (oh > 14 || om > 59) invalid("bad time zone '" + std::string(rest) + "'");
  offset = (oh * 60 + om) * (rest[0] == '-' ? -1 : 1);
}

Datetime parse_duration(std::string_view s) {
  // PnYnMnDTnHnMnS (years and months are not exact intervals and are refused).
  if (s.empty() || s[0] != 'P') invalid("interval must start with 'P'");
  size_t i = 1;
  bool in_time = false;
  bool any = false;
  uint64_t days = 0, hours = 0, minutes = 0, seconds = 0;
  uint32_t us = 0;
  while (i < s.size()) {
    if (s[i] == 'T') {
      if (in_time) invalid("second 'T' in interval");
      in_time = true;
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    std::string_view num = s.substr(start, i - start);
    uint32_t frac = 0;
    bool has_frac = false;
    if (i < s.size() && s[i] == '.') {
      size_t fs = ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      frac = parse_fraction(s.substr(fs, i - fs));
      has_frac = true;
    }
    if (i >= s.size() || num.empty()) invalid("bad interval '" + std::string(s) + "'");
    uint64_t v = 0;
    if (!parse_uint(num, v)) invalid("interval component too large in '" + std::string(s) + "'");
    char unit = s[i++];
    if (has_frac && !(in_time && unit == 'S'))
      invalid("only seconds may have a fraction in an interval");
    any = true;
    if (!in_time && unit == 'D') {
      days += v;
    } else if (!in_time && (unit == 'Y' || unit == 'M')) {
      if (v != 0)
        invalid("years and months are not exact; use days in interval '" + std::string(s) + "'");
    } else if (in_time && unit == 'H') {
      hours += v;
    } else if (in_time && unit == 'M') {
      minutes += v;
    } else if (in_time && unit == 'S') {
      seconds += v;
      us = frac;
    } else {
      invalid("bad interval unit '" + std::string(1, unit) + "' in '" + std::string(s) + "'");
    }
  }
  if (!any) invalid("empty interval '" + std::string(s) + "'");
  // Normalise (PT36H is 1 day 12 hours); guard against overflow.
  const uint64_t kMax = std::numeric_limits<uint64_t>::max() / 4;
  if (hours > kMax || minutes > kMax || seconds > kMax) invalid("interval too large");
  minutes += seconds / 60;
  seconds %= 60;
  hours += minutes / 60;
  minutes %= 60;
  days += hours / 24;
  hours %= 24;
  if (days > 99999999) invalid("interval of more than 99999999 days");
  return Datetime::interval(days, static_cast<int>(hours), static_cast<int>(minutes),
                            static_cast<int>(seconds), us);
}

std::string quote_mof(std::string_view s, char q) {
  std::string out(1, q);
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += q == '"' ? "\\\"" : "\"";
        break;
      case '\'':
        out += q == '\'' ? "\\'" : "'";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%04X", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back(q);
  return out;
}

// Decodes one UTF-8 code point from the whole of `s`; false when `s` is not
// exactly one valid code point.
bool single_code_point(std::string_view s, uint32_t& cp) {
  if (s.empty()) return false;
  auto b0 = static_cast<unsigned char>(s[0]);
  size_t len;
  if (b0 < 0x80) {
    cp = b0;
    len = 1;
  } else if ((b0 & 0xe0) == 0xc0) {
    cp = b0 & 0x1f;
    len = 2;
  } else if ((b0 & 0xf0) == 0xe0) {
    cp = b0 & 0x0f;
    len = 3;
  } else if ((b0 & 0xf8) == 0xf0) {
    cp = b0 & 0x07;
    len = 4;
  } else {
    return false;
  }
  if (s.size() != len) return false;
  for (size_t i = 1; i < len; ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3f);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  return cp >= kMin[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

template <typename F>
std::string real_text(F v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-INF" : "INF";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) throw Error(Status::kFailed, "cannot format a real number");
  return std::string(buf, p);
}

double parse_real(Type type, std::string_view text) {
  std::string_view s = trim(text);
  if (s == "INF" || s == "+INF") return std::numeric_limits<double>::infinity();
  if (s == "-INF") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  // xs:double lexical space: sign, digits, optional fraction, optional exponent.
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t mantissa = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++mantissa;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++mantissa;
  }
  if (mantissa == 0)
    invalid("'" + std::string(text) + "' is not a valid " + std::string(type_name(type)));
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
    if (exp == 0)
      invalid("'" + std::string(text) + "' is not a valid " + std::string(type_name(type)));
  }
  if (i != s.size())
    invalid("'" + std::string(text) + "' is not a valid " + std::string(type_name(type)));
  std::string copy(s[0] == '+' ? s.substr(1) : s);
  const char* first = copy.data();
  const char* last = copy.data() + copy.size();
  auto out_of_range = [&]() -> double {
    invalid("'" + std::string(text) + "' is out of range for " + std::string(type_name(type)));
  };
  // The magnitude decides between overflow (an error) and underflow (rounds
  // to a signed zero, as XML Schema does).
  auto underflow = [&]() {
    return copy.find_first_of("eE") != std::string::npos &&
           copy[copy.find_first_of("eE") + 1] == '-';
  };
  double v = 0;
  if (type == Type::kReal32) {
    float f = 0;
    auto [p, ec] = std::from_chars(first, last, f);
    if (ec == std::errc::result_out_of_range) {
      return underflow() ? (copy[0] == '-' ? -0.0 : 0.0) : out_of_range();
    }
    if (ec != std::errc() || p != last || std::isinf(f)) return out_of_range();
    return f;
  }
  auto [p, ec] = std::from_chars(first, last, v);
  if (ec == std::errc::result_out_of_range) {
    return underflow() ? (copy[0] == '-' ? -0.0 : 0.0) : out_of_range();
  }
  if (ec != std::errc() || p != last || std::isinf(v)) return out_of_range();
  return v;
}

}  // namespace

// ---- types ----------------------------------------------------------------

std::string_view type_name(Type type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "unknown";
}

std::optional<Type> parse_type_name(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.type != Type::kReference && t.type != Type::kInstance && iequals(t.name, name)) {
      return t.type;
    }
  }
  return std::nullopt;
}

bool is_integer_type(Type type) {
  switch (type) {
    case Type::kUint8:
    case Type::kSint8:
    case Type::kUint16:
    case Type::kSint16:
    case Type::kUint32:
    case Type::kSint32:
    case Type::kUint64:
    case Type::kSint64:
      return true;
    default:
      return false;
  }
}

bool is_signed_type(Type type) {
  return type == Type::kSint8 || type == Type::kSint16 || type == Type::kSint32 ||
         type == Type::kSint64;
}

bool is_real_type(Type type) {
  return type == Type::kReal32 || type == Type::kReal64;
}

IntegerLimits integer_limits(Type type) {
  switch (type) {
    case Type::kUint8:
      return {0, 0xff};
    case Type::kSint8:
      return {-128, 127};
    case Type::kUint16:
      return {0, 0xffff};
    case Type::kSint16:
      return {-32768, 32767};
    case Type::kUint32:
      return {0, 0xffffffffu};
    case Type::kSint32:
      return {std::numeric_limits<int32_t>::min(), 0x7fffffff};
    case Type::kUint64:
      return {0, std::numeric_limits<uint64_t>::max()};
    case Type::kSint64:
      return {std::numeric_limits<int64_t>::min(),
              static_cast<uint64_t>(std::numeric_limits<int64_t>::max())};
    default:
      return {0, 0};
  }
}

// ---- Datetime ---------------------------------------------------------------

Datetime Datetime::timestamp(int year, int month, int day, int hour, int minute, int second,
                             uint32_t microsecond, int utc_offset_minutes) {
  if (year < 0 || year > 9999) invalid("year " + std::to_string(year) + " is not in 0..9999");
  if (month < 1 || month > 12) invalid("month " + std::to_string(month) + " is not in 1..12");
  if (day < 1 || day > days_in_month(year, month)) {
    invalid("day " + std::to_string(day) + " does not exist in " + std::to_string(year) + "-" +
            two(month));
  }
  Datetime d = clock(hour, minute, second, microsecond, utc_offset_minutes);
  d.year_ = year;
  d.month_ = month;
  d.day_ = day;
  return d;
}

Datetime Datetime::time_of_day(int hour, int minute, int second, uint32_t microsecond,
                               int utc_offset_minutes) {
  Datetime d = clock(hour, minute, second, microsecond, utc_offset_minutes);
  d.time_of_day_ = true;
  return d;
}

Datetime Datetime::clock(int hour, int minute, int second, uint32_t microsecond,
                         int utc_offset_minutes) {
  check_clock(hour, minute, second, microsecond);
  check_offset(utc_offset_minutes);
  Datetime d;
  d.hour_ = hour;
  d.minute_ = minute;
  d.second_ = second;
  d.microsecond_ = microsecond;
  d.utc_offset_ = utc_offset_minutes;
  return d;
}

Datetime Datetime::interval(uint64_t days, int hours, int minutes, int seconds,
                            uint32_t microseconds) {
  if (days > 99999999)
    invalid("interval of " + std::to_string(days) + " days is more than 99999999");
  check_clock(hours, minutes, seconds, microseconds);
  Datetime d;
  d.interval_ = true;
  d.days_ = days;
  d.hour_ = hours;
  d.minute_ = minutes;
  d.second_ = seconds;
  d.microsecond_ = microseconds;
  return d;
}

Datetime Datetime::parse_cim(std::string_view text) {
  std::string_view s = trim(text);
  if (s.size() != 25 || s[14] != '.') {
    invalid("'" + std::string(text) +
            "' is not a CIM datetime (yyyymmddhhmmss.mmmmmmsutc or ddddddddhhmmss.mmmmmm:000)");
  }
  if (s[21] == ':') {
    if (s.substr(22) != "000") invalid("interval '" + std::string(text) + "' must end in ':000'");
    uint64_t days = 0;
    if (!parse_uint(s.substr(0, 8), days))
      invalid("bad days in interval '" + std::string(text) + "'");
    return interval(days, fixed_int(s.substr(8, 2)), fixed_int(s.substr(10, 2)),
                    fixed_int(s.substr(12, 2)), static_cast<uint32_t>(fixed_int(s.substr(15, 6))));
  }
  if (s[21] != '+' && s[21] != '-') {
    invalid("'" + std::string(text) + "': expected '+', '-' or ':' at position 22");
  }
  int offset = fixed_int(s.substr(22, 3)) * (s[21] == '-' ? -1 : 1);
  int hour = fixed_int(s.substr(8, 2));
  int minute = fixed_int(s.substr(10, 2));
  int second = fixed_int(s.substr(12, 2));
  auto us = static_cast<uint32_t>(fixed_int(s.substr(15, 6)));
  if (s.substr(0, 8) == "********") return time_of_day(hour, minute, second, us, offset);
  if (s.find('*') != std::string_view::npos) {
    invalid("'" + std::string(text) +
            "': wildcard ('*') fields other than a whole date are not supported");
  }
  return timestamp(fixed_int(s.substr(0, 4)), fixed_int(s.substr(4, 2)), fixed_int(s.substr(6, 2)),
                   hour, minute, second, us, offset);
}

Datetime Datetime::parse_xml(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) invalid("empty datetime");
  if (s[0] == 'P') return parse_duration(s);
  if (s[0] == '-' && s.size() > 1 && s[1] == 'P') invalid("negative intervals do not exist in CIM");
  if (s.size() == 25 && s[14] == '.') return parse_cim(s);
  size_t t = s.find('T');
  if (t != std::string_view::npos) {
    // xs:dateTime: YYYY-MM-DDThh:mm:ss[.f][zone]
    std::string_view date = s.substr(0, t);
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') {
      invalid("'" + std::string(text) + "' is not an xs:dateTime");
    }
    int h, m, sec, offset;
    uint32_t us;
    parse_xml_clock(s.substr(t + 1), h, m, sec, us, offset);
    return timestamp(fixed_int(date.substr(0, 4)), fixed_int(date.substr(5, 2)),
                     fixed_int(date.substr(8, 2)), h, m, sec, us, offset);
  }
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    // xs:date with an optional zone.
    int offset = 0;
    std::string_view zone = s.substr(10);
    if (!zone.empty()) {
      int h, m, sec;
      uint32_t us;
      std::string clock = "00:00:00" + std::string(zone);
      parse_xml_clock(clock, h, m, sec, us, offset);
    }
    return timestamp(fixed_int(s.substr(0, 4)), fixed_int(s.substr(5, 2)),
                     fixed_int(s.substr(8, 2)), 0, 0, 0, 0, offset);
  }
  if (s.size() >= 8 && s[2] == ':') {
    int h, m, sec, offset;
    uint32_t us;
    parse_xml_clock(s, h, m, sec, us, offset);
    return time_of_day(h, m, sec, us, offset);
  }
  invalid("'" + std::string(text) +
          "' is not a datetime (xs:dateTime, xs:date, xs:time, "
          "xs:duration or CIM datetime)");
}

std::string Datetime::to_cim() const {
  char buf[40];
  if (interval_) {
    std::snprintf(buf, sizeof buf, "%08llu%02d%02d%02d.%06u:000",
                  static_cast<unsigned long long>(days_), hour_, minute_, second_, microsecond_);
    return buf;
  }
  int a = utc_offset_ < 0 ? -utc_offset_ : utc_offset_;
  if (time_of_day_) {
    std::snprintf(buf, sizeof buf, "********%02d%02d%02d.%06u%c%03d", hour_, minute_, second_,
                  microsecond_, utc_offset_ < 0 ? '-' : '+', a);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d.%06u%c%03d", year_, month_, day_, hour_,
                minute_, second_, microsecond_, utc_offset_ < 0 ? '-' : '+', a);
  return buf;
}

std::string Datetime::to_xml() const {
  if (interval_) {
    std::string out = "P";
    if (days_ != 0) out += std::to_string(days_) + "D";
    if (hour_ == 0 && minute_ == 0 && second_ == 0 && microsecond_ == 0) {
      return days_ != 0 ? out : "PT0S";
    }
    out += "T";
    if (hour_ != 0) out += std::to_string(hour_) + "H";
    if (minute_ != 0) out += std::to_string(minute_) + "M";
    if (second_ != 0 || microsecond_ != 0)
      out += std::to_string(second_) + fraction(microsecond_) + "S";
    return out;
  }
  std::string clock = two(hour_) + ":" + two(minute_) + ":" + two(second_) +
                      fraction(microsecond_) + xml_offset(utc_offset_);
  if (time_of_day_) return clock;
  char date[16];
  std::snprintf(date, sizeof date, "%04d-%02d-%02dT", year_, month_, day_);
  return date + clock;
}

// ---- Value ------------------------------------------------------------------

Value::Value() = default;

Value Value::null(Type type, bool array) {
  return Value(type, array, true);
}

Value Value::scalar(Type type, Scalar s) {
  Value v(type, false, false);
  v.scalar_ = std::move(s);
  return v;
}

Value Value::boolean(bool v) {
  return scalar(Type::kBoolean, v);
}
Value Value::string(std::string v) {
  return scalar(Type::kString, std::move(v));
}
Value Value::char16(char16_t v) {
  if (v >= 0xd800 && v <= 0xdfff) invalid("char16 value is a lone UTF-16 surrogate");
  return scalar(Type::kChar16, static_cast<uint64_t>(v));
}

Value Value::integer(Type type, int64_t v) {
  if (!is_integer_type(type)) mismatch(std::string(type_name(type)) + " is not an integer type");
  if (v >= 0) return unsigned_integer(type, static_cast<uint64_t>(v));
  if (v < integer_limits(type).min) {
    invalid(std::to_string(v) + " is out of range for " + std::string(type_name(type)) + " (" +
            range_text(type) + ")");
  }
  return scalar(type, v);
}

Value Value::unsigned_integer(Type type, uint64_t v) {
  if (!is_integer_type(type)) mismatch(std::string(type_name(type)) + " is not an integer type");
  if (v > integer_limits(type).max) {
    invalid(std::to_string(v) + " is out of range for " + std::string(type_name(type)) + " (" +
            range_text(type) + ")");
  }
  if (is_signed_type(type)) return scalar(type, static_cast<int64_t>(v));
  return scalar(type, v);
}

Value Value::real32(float v) {
  return scalar(Type::kReal32, static_cast<double>(v));
}
Value Value::real64(double v) {
  return scalar(Type::kReal64, v);
}
Value Value::datetime(Datetime v) {
  return scalar(Type::kDatetime, v);
}
Value Value::reference(ObjectPath v) {
  return scalar(Type::kReference, std::make_shared<const ObjectPath>(std::move(v)));
}
Value Value::instance(Instance v) {
  return scalar(Type::kInstance, std::make_shared<const Instance>(std::move(v)));
}

Value Value::array(Type type, const std::vector<Value>& elements) {
  Value out(type, true, false);
  out.items_.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    const Value& e = elements[i];
    if (e.is_null() || e.is_array()) {
      mismatch("array element " + std::to_string(i) + " is " + (e.is_null() ? "NULL" : "an array") +
               "; elements must be " + std::string(type_name(type)) + " scalars");
    }
    if (e.type() != type) {
      mismatch("array element " + std::to_string(i) + " is " + std::string(type_name(e.type())) +
               ", not " + std::string(type_name(type)));
    }
    out.items_.push_back(e.scalar_);
  }
  return out;
}

Value Value::from_text(Type type, std::string_view text) {
  switch (type) {
    case Type::kString:
      return string(std::string(text));
    case Type::kBoolean: {
      std::string_view s = trim(text);
      if (s == "1" || iequals(s, "true")) return boolean(true);
      if (s == "0" || iequals(s, "false")) return boolean(false);
      invalid("'" + std::string(text) + "' is not a boolean (true, false, 1 or 0)");
    }
    case Type::kChar16: {
      uint32_t cp = 0;
      if (!single_code_point(text, cp) || cp > 0xffff) {
        invalid("'" + std::string(text) + "' is not a single char16 character");
      }
      return char16(static_cast<char16_t>(cp));
    }
    case Type::kReal32:
    case Type::kReal64: {
      double v = parse_real(type, text);
      return scalar(type, v);
    }
    case Type::kDatetime:
      return datetime(Datetime::parse_xml(text));
    case Type::kReference:
    case Type::kInstance:
      invalid(std::string(type_name(type)) + " values have no text form");
    default:
      break;
  }
  // Integers: optional sign, decimal digits.
  std::string_view s = trim(text);
  bool negative = false;
  std::string_view digits = s;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    digits = s.substr(1);
  }
  uint64_t magnitude = 0;
  if (!all_digits(digits)) {
    invalid("'" + std::string(text) + "' is not a valid " + std::string(type_name(type)));
  }
  if (!parse_uint(digits, magnitude)) {
    invalid("'" + std::string(text) + "' is out of range for " + std::string(type_name(type)) +
            " (" + range_text(type) + ")");
  }
  if (!negative || magnitude == 0) return unsigned_integer(type, magnitude);
  if (!is_signed_type(type) ||
      magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
    invalid("'" + std::string(text) + "' is out of range for " + std::string(type_name(type)) +
            " (" + range_text(type) + ")");
  }
  return integer(type, magnitude == static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1
                           ? std::numeric_limits<int64_t>::min()
                           : -static_cast<int64_t>(magnitude));
}

size_t Value::size() const {
  if (!array_ || null_) mismatch("value is not a non-NULL array");
  return items_.size();
}

Value Value::at(size_t index) const {
  if (index >= size()) {
    invalid("array index " + std::to_string(index) + " is past the end (" +
            std::to_string(items_.size()) + " elements)");
  }
  return scalar(type_, items_[index]);
}

const Value::Scalar& Value::scalar_ref(const char* wanted) const {
  if (null_) mismatch(std::string("value is NULL, not ") + wanted);
  if (array_) mismatch(std::string("value is an array, not ") + wanted);
  return scalar_;
}

bool Value::as_bool() const {
  const Scalar& s = scalar_ref("a boolean");
  if (type_ != Type::kBoolean) mismatch(std::string(type_name(type_)) + " value is not a boolean");
  return std::get<bool>(s);
}

int64_t Value::as_int() const {
  const Scalar& s = scalar_ref("an integer");
  if (auto* i = std::get_if<int64_t>(&s); i && is_integer_type(type_)) return *i;
  if (auto* u = std::get_if<uint64_t>(&s); u && is_integer_type(type_)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      mismatch(std::to_string(*u) + " does not fit in sint64");
    }
    return static_cast<int64_t>(*u);
  }
  mismatch(std::string(type_name(type_)) + " value is not an integer");
}

uint64_t Value::as_uint() const {
  const Scalar& s = scalar_ref("an integer");
  if (auto* u = std::get_if<uint64_t>(&s); u && is_integer_type(type_)) return *u;
  if (auto* i = std::get_if<int64_t>(&s); i && is_integer_type(type_)) {
    if (*i < 0) mismatch(std::to_string(*i) + " is negative");
    return static_cast<uint64_t>(*i);
  }
  mismatch(std::string(type_name(type_)) + " value is not an integer");
}

double Value::as_real() const {
  const Scalar& s = scalar_ref("a number");
  if (auto* d = std::get_if<double>(&s)) return *d;
  if (is_integer_type(type_)) {
    if (auto* i = std::get_if<int64_t>(&s)) return static_cast<double>(*i);
    return static_cast<double>(std::get<uint64_t>(s));
  }
  mismatch(std::string(type_name(type_)) + " value is not a number");
}

const std::string& Value::as_string() const {
  const Scalar& s = scalar_ref("a string");
  if (auto* str = std::get_if<std::string>(&s)) return *str;
  mismatch(std::string(type_name(type_)) + " value is not a string");
}

char16_t Value::as_char16() const {
  const Scalar& s = scalar_ref("a char16");
  if (type_ != Type::kChar16) mismatch(std::string(type_name(type_)) + " value is not a char16");
  return static_cast<char16_t>(std::get<uint64_t>(s));
}

const Datetime& Value::as_datetime() const {
  const Scalar& s = scalar_ref("a datetime");
  if (auto* d = std::get_if<Datetime>(&s)) return *d;
  mismatch(std::string(type_name(type_)) + " value is not a datetime");
}

const ObjectPath& Value::as_reference() const {
  const Scalar& s = scalar_ref("a reference");
  if (auto* p = std::get_if<std::shared_ptr<const ObjectPath>>(&s)) return **p;
  mismatch(std::string(type_name(type_)) + " value is not a reference");
}

const Instance& Value::as_instance() const {
  const Scalar& s = scalar_ref("an embedded instance");
  if (auto* p = std::get_if<std::shared_ptr<const Instance>>(&s)) return **p;
  mismatch(std::string(type_name(type_)) + " value is not an embedded instance");
}

std::string Value::scalar_text(Type type, const Scalar& s) {
  switch (type) {
    case Type::kBoolean:
      return std::get<bool>(s) ? "true" : "false";
    case Type::kString:
      return std::get<std::string>(s);
    case Type::kChar16: {
      std::string out;
      append_utf8(out, static_cast<uint32_t>(std::get<uint64_t>(s)));
      return out;
    }
    case Type::kReal32:
      return real_text(static_cast<float>(std::get<double>(s)));
    case Type::kReal64:
      return real_text(std::get<double>(s));
    case Type::kDatetime:
      return std::get<Datetime>(s).to_xml();
    case Type::kReference:
    case Type::kInstance:
      invalid(std::string(type_name(type)) + " values have no text form");
    default:
      if (auto* i = std::get_if<int64_t>(&s)) return std::to_string(*i);
      return std::to_string(std::get<uint64_t>(s));
  }
}

std::string Value::to_text() const {
  return scalar_text(type_, scalar_ref("text"));
}

std::string Value::scalar_mof(Type type, const Scalar& s) {
  switch (type) {
    case Type::kString:
      return quote_mof(std::get<std::string>(s), '"');
    case Type::kChar16:
      return quote_mof(scalar_text(type, s), '\'');
    case Type::kDatetime:
      return "\"" + std::get<Datetime>(s).to_cim() + "\"";
    case Type::kReference:
      return quote_mof(std::get<std::shared_ptr<const ObjectPath>>(s)->to_string(), '"');
    case Type::kInstance: {
      const Instance& inst = *std::get<std::shared_ptr<const Instance>>(s);
      std::string out = "instance of " + inst.class_name() + " {";
      for (const auto& p : inst.properties()) out += " " + p.name + " = " + p.value.to_mof() + ";";
      return out + " }";
    }
    default:
      return scalar_text(type, s);
  }
}

std::string Value::to_mof() const {
  if (null_) return "null";
  if (!array_) return scalar_mof(type_, scalar_);
  std::string out = "{";
  for (size_t i = 0; i < items_.size(); ++i) {
    if (i) out += ", ";
    out += scalar_mof(type_, items_[i]);
  }
  return out + "}";
}

Value Value::convert_to(Type type) const {
  if (type == type_) return *this;
  if (null_) return null(type, array_);
  if (array_) {
    std::vector<Value> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(scalar(type_, item).convert_to(type));
    return array(type, out);
  }
  if (is_integer_type(type_) && is_integer_type(type)) {
    if (auto* i = std::get_if<int64_t>(&scalar_)) return integer(type, *i);
    return unsigned_integer(type, std::get<uint64_t>(scalar_));
  }
  if (is_integer_type(type_) && is_real_type(type)) {
    double d = as_real();
    return type == Type::kReal32 ? real32(static_cast<float>(d)) : real64(d);
  }
  if (is_real_type(type_) && is_real_type(type)) {
    double d = std::get<double>(scalar_);
    if (type == Type::kReal32 && std::isfinite(d) &&
        std::fabs(d) > std::numeric_limits<float>::max()) {
      invalid(real_text(d) + " is out of range for real32");
    }
    return type == Type::kReal32 ? real32(static_cast<float>(d)) : real64(d);
  }
  if (type_ == Type::kString) {
    if (type == Type::kReference)
      return reference(ObjectPath::parse(std::get<std::string>(scalar_)));
    return from_text(type, std::get<std::string>(scalar_));
  }
  if (type == Type::kString && type_ != Type::kReference && type_ != Type::kInstance) {
    if (type_ == Type::kDatetime) return string(std::get<Datetime>(scalar_).to_cim());
    return string(to_text());
  }
  mismatch("cannot convert " + std::string(type_name(type_)) + " to " +
           std::string(type_name(type)));
}

namespace {
bool scalar_equal(const auto& a, const auto& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, double>) {
          return (std::isnan(x) && std::isnan(y)) || x == y;
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const ObjectPath>> ||
                             std::is_same_v<T, std::shared_ptr<const Instance>>) {
          return x == y || (x && y && *x == *y);
        } else {
          return x == y;
        }
      },
      a);
}
}  // namespace

bool Value::operator==(const Value& other) const {
  if (type_ != other.type_ || array_ != other.array_ || null_ != other.null_) return false;
  if (null_) return true;
  if (!array_) return scalar_equal(scalar_, other.scalar_);
  if (items_.size() != other.items_.size()) return false;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (!scalar_equal(items_[i], other.items_[i])) return false;
  }
  return true;
}

// ---- ObjectPath ---------------------------------------------------------------

bool KeyBinding::operator==(const KeyBinding& other) const {
  return iequals(name, other.name) && value == other.value;
}

ObjectPath::ObjectPath(std::string ns, std::string class_name, std::vector<KeyBinding> keys)
    : ns_(canonical_namespace(ns)), class_name_(std::move(class_name)), keys_(std::move(keys)) {}

void ObjectPath::add_key(std::string name, Value value) {
  for (auto& k : keys_) {
    if (iequals(k.name, name)) {
      k.value = std::move(value);
      return;
    }
  }
  keys_.push_back({std::move(name), std::move(value)});
}

const Value* ObjectPath::key(std::string_view name) const {
  for (const auto& k : keys_) {
    if (iequals(k.name, name)) return &k.value;
  }
  return nullptr;
}

namespace {

bool name_char(char c, bool first) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
         (!first && c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
}

std::string key_text(const Value& v) {
  if (v.is_null()) return "null";
  switch (v.type()) {
    case Type::kString:
    case Type::kChar16:
      return quote_mof(v.to_text(), '"');
    case Type::kDatetime:
      return "\"" + v.as_datetime().to_cim() + "\"";
    case Type::kReference:
      return quote_mof(v.as_reference().to_string(), '"');
    case Type::kBoolean:
      return v.as_bool() ? "TRUE" : "FALSE";
    case Type::kInstance:
      invalid("an embedded instance cannot be a key");
    default:
      return v.to_text();
  }
}

}  // namespace

ObjectPath ObjectPath::parse(std::string_view text) {
  std::string_view s = trim(text);
  auto fail = [&](const std::string& why) -> void {
    invalid("bad object path '" + std::string(text) + "': " + why);
  };
  if (s.substr(0, 2) == "//") {
    size_t slash = s.find('/', 2);
    if (slash == std::string_view::npos) fail("host without a namespace or class");
    s = s.substr(slash + 1);
  }
  size_t dot = s.find('.');
  size_t eq_at = s.find('=');
  size_t colon = s.find(':');
  std::string ns;
  if (colon != std::string_view::npos && (dot == std::string_view::npos || colon < dot) &&
      (eq_at == std::string_view::npos || colon < eq_at)) {
    ns = canonical_namespace(s.substr(0, colon));
    s = s.substr(colon + 1);
  }
  size_t i = 0;
  while (i < s.size() && name_char(s[i], i == 0)) ++i;
  if (i == 0) fail("missing class name");
  ObjectPath path(ns, std::string(s.substr(0, i)));
  if (i == s.size()) return path;
  if (s.substr(i) == "=@") return path;  // singleton
  if (s[i] != '.') fail("expected '.' after the class name");
  ++i;
  while (true) {
    size_t start = i;
    while (i < s.size() && name_char(s[i], i == start)) ++i;
    if (i == start) fail("missing key name");
    std::string name(s.substr(start, i - start));
    if (i >= s.size() || s[i] != '=') fail("expected '=' after key " + name);
    ++i;
    if (i >= s.size()) fail("missing value for key " + name);
    Value value;
    if (s[i] == '"') {
      std::string str;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\\' && i < s.size()) {
          char e = s[i++];
          switch (e) {
            case 'n':
              str.push_back('\n');
              break;
            case 't':
              str.push_back('\t');
              break;
            case 'r':
              str.push_back('\r');
              break;
            default:
              str.push_back(e);
          }
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          str.push_back(c);
        }
      }
      if (!closed) fail("unterminated string for key " + name);
      value = Value::string(std::move(str));
    } else {
      size_t vs = i;
      while (i < s.size() && s[i] != ',') ++i;
      std::string_view lit = trim(s.substr(vs, i - vs));
      if (iequals(lit, "true")) {
        value = Value::boolean(true);
      } else if (iequals(lit, "false")) {
        value = Value::boolean(false);
      } else if (!lit.empty() && lit[0] == '-') {
        value = lit.find_first_of(".eE") != std::string_view::npos
                    ? Value::from_text(Type::kReal64, lit)
                    : Value::from_text(Type::kSint64, lit);
      } else if (lit.find_first_of(".eE") != std::string_view::npos) {
        value = Value::from_text(Type::kReal64, lit);
      } else {
        value = Value::from_text(Type::kUint64, lit);
      }
    }
    path.add_key(std::move(name), std::move(value));
    if (i == s.size()) break;
    if (s[i] != ',') fail("expected ',' between keys");
    ++i;
  }
  return path;
}

std::string ObjectPath::to_string() const {
  std::string out;
  if (!ns_.empty()) out = ns_ + ":";
  out += class_name_;
  for (size_t i = 0; i < keys_.size(); ++i) {
    out += i == 0 ? "." : ",";
    out += keys_[i].name + "=" + key_text(keys_[i].value);
  }
  return out;
}

bool ObjectPath::operator==(const ObjectPath& other) const {
  if (!iequals(ns_, other.ns_) || !iequals(class_name_, other.class_name_) ||
      keys_.size() != other.keys_.size()) {
    return false;
  }
  for (const auto& k : keys_) {
    const Value* v = other.key(k.name);
    if (!v) return false;
    if (*v == k.value) continue;
    // Key literals parsed from text carry generic types; compare by text.
    if (v->is_null() || k.value.is_null() || v->is_array() || k.value.is_array()) return false;
    if (key_text(*v) != key_text(k.value)) return false;
  }
  return true;
}

}  // namespace cimnet::cim

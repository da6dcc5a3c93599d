#include "cimnet/shell/value.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "cimnet/shell/ast.h"

namespace cimnet::shell {

Value Value::array(Array items) {
  return Value(std::make_shared<Array>(std::move(items)));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string to_lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string to_upper(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r;
}

const Value* Hashtable::find(std::string_view key) const {
  for (auto& [k, v] : entries_)
    if (iequals(k, key)) return &v;
  return nullptr;
}
Value* Hashtable::find(std::string_view key) {
  for (auto& [k, v] : entries_)
    if (iequals(k, key)) return &v;
  return nullptr;
}
void Hashtable::set(const std::string& key, Value v) {
  if (auto* p = find(key)) {
    *p = std::move(v);
    return;
  }
  entries_.emplace_back(key, std::move(v));
}
bool Hashtable::remove(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (iequals(it->first, key)) {
      entries_.erase(it);
      return true;
    }
  return false;
}

const Value* Object::get(std::string_view name) const {
  for (auto& p : properties)
    if (iequals(p.name, name)) return &p.value;
  return nullptr;
}
Value* Object::get(std::string_view name) {
  for (auto& p : properties)
    if (iequals(p.name, name)) return &p.value;
  return nullptr;
}
void Object::set(const std::string& name, Value v) {
  if (auto* p = get(name)) {
    *p = std::move(v);
    return;
  }
  properties.push_back({name, std::move(v)});
}
bool Object::is_a(std::string_view type) const {
  for (auto& t : type_names)
    if (iequals(t, type)) return true;
  return false;
}

std::shared_ptr<Object> make_object(std::vector<Property> props, std::string type) {
  auto o = std::make_shared<Object>();
  o->type_names = {std::move(type)};
  if (o->type_names.front() != "System.Management.Automation.PSCustomObject")
    o->type_names.push_back("System.Management.Automation.PSCustomObject");
  o->properties = std::move(props);
  return o;
}

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return buf;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15G", d);
  std::string s = buf;
  // .NET writes exponents as E+XX.
  auto e = s.find('E');
  if (e != std::string::npos) {
    std::string mant = s.substr(0, e), exp = s.substr(e + 1);
    char sign = '+';
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) {
      sign = exp[0];
      exp = exp.substr(1);
    }
    while (exp.size() > 1 && exp[0] == '0') exp.erase(0, 1);
    if (exp.size() < 2) exp = "0" + exp;
    s = mant + "E" + sign + exp;
  }
  return s;
}

std::string type_name_of(const Value& v) {
  struct V {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool) const { return "System.Boolean"; }
    std::string operator()(int64_t i) const {
      return (i >= INT32_MIN && i <= INT32_MAX) ? "System.Int32" : "System.Int64";
    }
    std::string operator()(double) const { return "System.Double"; }
    std::string operator()(const std::string&) const { return "System.String"; }
    std::string operator()(const DateTime&) const { return "System.DateTime"; }
    std::string operator()(const std::shared_ptr<Array>&) const { return "System.Object[]"; }
    std::string operator()(const std::shared_ptr<Hashtable>& h) const {
      return h->ordered ? "System.Collections.Specialized.OrderedDictionary"
                        : "System.Collections.Hashtable";
    }
    std::string operator()(const std::shared_ptr<Object>& o) const { return o->type_name(); }
    std::string operator()(const std::shared_ptr<ScriptBlock>&) const {
      return "System.Management.Automation.ScriptBlock";
    }
  };
  return std::visit(V{}, v.storage());
}

static std::string object_to_string(const Object& o) {
  if (o.display) return *o.display;
  if (!o.is_a("System.Management.Automation.PSCustomObject")) return o.type_name();
  std::string s = "@{";
  bool first = true;
  for (auto& p : o.properties) {
    if (!first) s += "; ";
    first = false;
    s += p.name + "=" + to_string(p.value);
  }
  return s + "}";
}

std::string to_string(const Value& v) {
  struct V {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return format_double(d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const DateTime& d) const {
      return format_date(d, "MM/dd/yyyy HH:mm:ss");
    }
    std::string operator()(const std::shared_ptr<Array>& a) const {
      std::string s;
      for (size_t i = 0; i < a->size(); ++i) {
        if (i) s += ' ';
        s += to_string((*a)[i]);
      }
      return s;
    }
    std::string operator()(const std::shared_ptr<Hashtable>& h) const {
      return h->ordered ? "System.Collections.Specialized.OrderedDictionary"
                        : "System.Collections.Hashtable";
    }
    std::string operator()(const std::shared_ptr<Object>& o) const { return object_to_string(*o); }
    std::string operator()(const std::shared_ptr<ScriptBlock>& s) const { return s->text(); }
  };
  return std::visit(V{}, v.storage());
}

bool to_bool(const Value& v) {
  if (v.is_null()) return false;
  if (v.is_bool()) return v.as_bool_raw();
  if (v.is_int()) return v.as_int_raw() != 0;
  if (v.is_double()) return v.as_double_raw() != 0.0;
  if (v.is_string()) return !v.as_string_raw().empty();
  if (v.is_array()) {
    auto& a = *v.as_array();
    if (a.empty()) return false;
    if (a.size() == 1) return to_bool(a[0]);
    return true;
  }
  return true;
}

static std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::optional<Value> parse_number(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  bool neg = false;
  size_t i = 0;
  if (t[0] == '-' || t[0] == '+') {
    neg = t[0] == '-';
    i = 1;
  }
  std::string body = t.substr(i);
  int64_t mult = 1;
  auto lower = to_lower(body);
  static const std::pair<const char*, int64_t> suffixes[] = {{"kb", 1024LL},
                                                             {"mb", 1024LL * 1024},
                                                             {"gb", 1024LL * 1024 * 1024},
                                                             {"tb", 1024LL * 1024 * 1024 * 1024}};
  for (auto& [suf, m] : suffixes)
    if (lower.size() > 2 && lower.ends_with(suf)) {
      mult = m;
      body = body.substr(0, body.size() - 2);
      lower = lower.substr(0, lower.size() - 2);
      break;
    }
  if (body.empty()) return std::nullopt;
  if (lower.starts_with("0x")) {
    if (lower.size() == 2) return std::nullopt;
    for (size_t k = 2; k < lower.size(); ++k)
      if (!std::isxdigit(static_cast<unsigned char>(lower[k]))) return std::nullopt;
    int64_t v = static_cast<int64_t>(std::strtoull(lower.c_str() + 2, nullptr, 16));
    return Value(neg ? -v * mult : v * mult);
  }
  bool is_int = true, digits = false;
  for (size_t k = 0; k < body.size(); ++k) {
    char c = body[k];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
      continue;
    }
    if (c == '.' || c == 'e' || c == 'E') {
      is_int = false;
      if ((c == 'e' || c == 'E') && k + 1 < body.size() &&
          (body[k + 1] == '+' || body[k + 1] == '-'))
        ++k;
      continue;
    }
    return std::nullopt;
  }
  if (!digits) return std::nullopt;
  if (is_int) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(body.c_str(), &end, 10);
    if (errno == 0 && *end == 0) {
      __int128 r = static_cast<__int128>(v) * mult;
      if (r <= INT64_MAX) return Value(static_cast<int64_t>(neg ? -r : r));
    }
  }
  char* end = nullptr;
  double d = std::strtod(body.c_str(), &end);
  if (!end || *end != 0) return std::nullopt;
  d *= static_cast<double>(mult);
  return Value(neg ? -d : d);
}

std::optional<int64_t> to_int(const Value& v) {
  if (v.is_int()) return v.as_int_raw();
  if (v.is_bool()) return v.as_bool_raw() ? 1 : 0;
  if (v.is_null()) return 0;
  if (v.is_double()) {
    double d = v.as_double_raw();
    if (std::isnan(d) || std::fabs(d) > 9.2e18) return std::nullopt;
    // .NET rounds half to even when converting to an integer.
    return static_cast<int64_t>(std::nearbyint(d));
  }
  if (v.is_string()) {
    if (trim(v.as_string_raw()).empty()) return 0;
    auto n = parse_number(v.as_string_raw());
    if (!n) return std::nullopt;
    return to_int(*n);
  }
  if (v.is_array() && v.as_array()->size() == 1) return to_int((*v.as_array())[0]);
  return std::nullopt;
}

std::optional<double> to_double(const Value& v) {
  if (v.is_double()) return v.as_double_raw();
  if (v.is_int()) return static_cast<double>(v.as_int_raw());
  if (v.is_bool()) return v.as_bool_raw() ? 1.0 : 0.0;
  if (v.is_null()) return 0.0;
  if (v.is_string()) {
    if (trim(v.as_string_raw()).empty()) return 0.0;
    auto n = parse_number(v.as_string_raw());
    if (!n) return std::nullopt;
    return to_double(*n);
  }
  if (v.is_array() && v.as_array()->size() == 1) return to_double((*v.as_array())[0]);
  return std::nullopt;
}

std::vector<Value> enumerate(const Value& v) {
  if (v.is_array()) return *v.as_array();
  return {v};
}

static int icompare(std::string_view a, std::string_view b, bool cs) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[i]);
    if (!cs) {
      ca = std::tolower(ca);
      cb = std::tolower(cb);
    }
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return 0;
}

bool values_equal(const Value& a, const Value& b, bool cs) {
  if (a.is_null()) return b.is_null();
  if (b.is_null()) return false;
  if (a.is_string()) return icompare(a.as_string_raw(), to_string(b), cs) == 0;
  if (a.is_bool()) return a.as_bool_raw() == to_bool(b);
  if (a.is_number()) {
    if (b.is_string() && trim(b.as_string_raw()).empty()) return false;
    auto db = to_double(b);
    if (!db) return false;
    if (a.is_int() && b.is_int()) return a.as_int_raw() == b.as_int_raw();
    return *to_double(a) == *db;
  }
  if (a.is_date()) {
    if (b.is_date()) return a.as_date().micros == b.as_date().micros;
    auto d = b.is_string() ? parse_date(b.as_string_raw()) : std::nullopt;
    return d && d->micros == a.as_date().micros;
  }
  if (a.is_array() && b.is_array()) return a.as_array() == b.as_array();
  if (a.is_hashtable() && b.is_hashtable()) return a.as_hashtable() == b.as_hashtable();
  if (a.is_object() && b.is_object()) return a.as_object() == b.as_object();
  if (a.is_scriptblock() && b.is_scriptblock()) return a.as_scriptblock() == b.as_scriptblock();
  if (a.is_object() && b.is_string()) return icompare(to_string(a), b.as_string_raw(), cs) == 0;
  return false;
}

std::optional<int> compare_values(const Value& a, const Value& b, bool cs) {
  if (a.is_null() && b.is_null()) return 0;
  if (a.is_null()) return -1;
  if (b.is_null()) return 1;
  if (a.is_number() || a.is_bool()) {
    auto db = to_double(b);
    if (!db) return std::nullopt;
    if (a.is_int() && b.is_int())
      return a.as_int_raw() < b.as_int_raw() ? -1 : a.as_int_raw() > b.as_int_raw() ? 1 : 0;
    double da = *to_double(a);
    return da < *db ? -1 : da > *db ? 1 : 0;
  }
  if (a.is_date()) {
    std::optional<DateTime> db;
    if (b.is_date())
      db = b.as_date();
    else if (b.is_string())
      db = parse_date(b.as_string_raw());
    if (!db) return std::nullopt;
    return a.as_date().micros < db->micros ? -1 : a.as_date().micros > db->micros ? 1 : 0;
  }
  if (a.is_string() || a.is_object()) return icompare(to_string(a), to_string(b), cs);
  return std::nullopt;
}

static Value date_member(const DateTime& d, std::string_view name) {
  time_t secs = static_cast<time_t>(d.micros / 1000000);
  if (d.micros < 0 && d.micros % 1000000) --secs;
  struct tm tm {};
  gmtime_r(&secs, &tm);
  if (iequals(name, "Year")) return Value(int64_t{tm.tm_year + 1900});
  if (iequals(name, "Month")) return Value(int64_t{tm.tm_mon + 1});
  if (iequals(name, "Day")) return Value(int64_t{tm.tm_mday});
  if (iequals(name, "Hour")) return Value(int64_t{tm.tm_hour});
  if (iequals(name, "Minute")) return Value(int64_t{tm.tm_min});
  if (iequals(name, "Second")) return Value(int64_t{tm.tm_sec});
  if (iequals(name, "Millisecond"))
    return Value(int64_t{((d.micros % 1000000) + 1000000) % 1000000 / 1000});
  if (iequals(name, "DayOfYear")) return Value(int64_t{tm.tm_yday + 1});
  if (iequals(name, "DayOfWeek")) {
    static const char* names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                  "Thursday", "Friday", "Saturday"};
    return Value(names[tm.tm_wday]);
  }
  if (iequals(name, "Kind")) return Value(d.utc ? "Utc" : "Local");
  if (iequals(name, "Ticks"))
    return Value(static_cast<int64_t>(d.micros * 10 + 621355968000000000LL));
  if (iequals(name, "Date")) {
    DateTime r = d;
    r.micros -= ((d.micros % 86400000000LL) + 86400000000LL) % 86400000000LL;
    return Value(r);
  }
  return Value();
}

Value get_member(const Value& target, std::string_view name) {
  if (target.is_object()) {
    if (auto* p = target.as_object()->get(name)) return *p;
    if (iequals(name, "PSObject")) {
      // the adapter view scripts use to list properties generically
      const Object& o = *target.as_object();
      Array props;
      for (auto& p : o.properties)
        props.push_back(Value(make_object({{"Name", Value(p.name)},
                                           {"Value", p.value},
                                           {"MemberType", Value("NoteProperty")},
                                           {"TypeNameOfValue", Value(type_name_of(p.value))}},
                                          "System.Management.Automation.PSNoteProperty")));
      Array types;
      for (auto& t : o.type_names) types.push_back(Value(t));
      return Value(make_object({{"Properties", Value::array(std::move(props))},
                                {"TypeNames", Value::array(std::move(types))}},
                               "System.Management.Automation.PSMemberSet"));
    }
    return Value();
  }
  if (target.is_hashtable()) {
    auto& h = *target.as_hashtable();
    if (auto* p = h.find(name)) return *p;
    if (iequals(name, "Count")) return Value(h.size());
    if (iequals(name, "Keys") || iequals(name, "Values")) {
      Array out;
      bool keys = iequals(name, "Keys");
      for (auto& [k, v] : h.entries()) out.push_back(keys ? Value(k) : v);
      return Value::array(std::move(out));
    }
    return Value();
  }
  if (target.is_array()) {
    auto& a = *target.as_array();
    if (iequals(name, "Count") || iequals(name, "Length")) return Value(a.size());
    Array out;
    for (auto& item : a) {
      Value m = get_member(item, name);
      if (m.is_array())
        for (auto& x : *m.as_array()) out.push_back(x);
      else if (!m.is_null())
        out.push_back(m);
    }
    if (out.size() == 1) return out[0];
    return Value::array(std::move(out));
  }
  if (target.is_string()) {
    if (iequals(name, "Length")) return Value(target.as_string_raw().size());
    return Value();
  }
  if (target.is_date()) return date_member(target.as_date(), name);
  if (target.is_scriptblock()) return Value();
  if (target.is_null())
    return (iequals(name, "Count") || iequals(name, "Length")) ? Value(int64_t{0}) : Value();
  if (iequals(name, "Count") || iequals(name, "Length")) return Value(int64_t{1});
  return Value();
}

std::vector<std::string> property_names(const Value& v) {
  std::vector<std::string> out;
  if (v.is_object()) {
    for (auto& p : v.as_object()->properties) out.push_back(p.name);
  } else if (v.is_string()) {
    out.push_back("Length");
  } else if (v.is_date()) {
    for (auto* n : {"Date", "Day", "DayOfWeek", "DayOfYear", "Hour", "Kind", "Millisecond",
                    "Minute", "Month", "Second", "Ticks", "Year"})
      out.push_back(n);
  } else if (v.is_hashtable()) {
    for (auto* n : {"Count", "Keys", "Values"}) out.push_back(n);
  }
  return out;
}

bool has_wildcard(std::string_view p) {
  return p.find_first_of("*?[") != std::string_view::npos;
}

static bool wm(std::string_view p, std::string_view t, bool cs) {
  size_t pi = 0, ti = 0, star_p = std::string_view::npos, star_t = 0;
  auto eq = [cs](char a, char b) {
    return cs ? a == b
              : std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
  };
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_t = ti;
      continue;
    }
    if (pi < p.size() && p[pi] == '[') {
      size_t close = p.find(']', pi + 1);
      if (close != std::string_view::npos) {
        bool match = false;
        for (size_t k = pi + 1; k < close; ++k) {
          if (k + 2 < close && p[k + 1] == '-') {
            char lo = p[k], hi = p[k + 2];
            char c = t[ti];
            if (!cs) {
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
              lo = static_cast<char>(std::tolower(static_cast<unsigned char>(lo)));
              hi = static_cast<char>(std::tolower(static_cast<unsigned char>(hi)));
            }
            if (c >= lo && c <= hi) match = true;
            k += 2;
          } else if (eq(p[k], t[ti])) {
            match = true;
          }
        }
        if (match) {
          pi = close + 1;
          ++ti;
          continue;
        }
      }
    } else if (pi < p.size() &&
               (p[pi] == '?' || (p[pi] == '`' && pi + 1 < p.size() && eq(p[pi + 1], t[ti])) ||
                eq(p[pi], t[ti]))) {
      pi += (p[pi] == '`') ? 2 : 1;
      ++ti;
      continue;
    }
    if (star_p != std::string_view::npos) {
      pi = star_p + 1;
      ti = ++star_t;
      continue;
    }
    return false;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool wildcard_match(std::string_view pattern, std::string_view text, bool cs) {
  return wm(pattern, text, cs);
}

DateTime now_local() {
  auto now = std::chrono::system_clock::now();
  int64_t us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(us / 1000000);
  struct tm lt {};
  localtime_r(&secs, &lt);
  return DateTime{us + static_cast<int64_t>(lt.tm_gmtoff) * 1000000, false};
}

static void split_date(const DateTime& d, struct tm& tm, int64_t& frac_us) {
  int64_t secs = d.micros / 1000000;
  frac_us = d.micros % 1000000;
  if (frac_us < 0) {
    frac_us += 1000000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  gmtime_r(&t, &tm);
}

std::string format_date(const DateTime& d, std::string_view f) {
  struct tm tm {};
  int64_t frac = 0;
  split_date(d, tm, frac);
  static const char* months[] = {"January",   "February", "March",    "April",
                                 "May",       "June",     "July",     "August",
                                 "September", "October",  "November", "December"};
  static const char* days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                               "Thursday", "Friday", "Saturday"};
  // Standard single-letter formats.
  if (f.size() == 1) {
    switch (f[0]) {
      case 'd':
        return format_date(d, "M/d/yyyy");
      case 'D':
        return format_date(d, "dddd, MMMM d, yyyy");
      case 't':
        return format_date(d, "h:mm tt");
      case 'T':
        return format_date(d, "h:mm:ss tt");
      case 'g':
        return format_date(d, "M/d/yyyy h:mm tt");
      case 'G':
        return format_date(d, "M/d/yyyy h:mm:ss tt");
      case 'F':
        return format_date(d, "dddd, MMMM d, yyyy h:mm:ss tt");
      case 's':
        return format_date(d, "yyyy-MM-ddTHH:mm:ss");
      case 'u':
        return format_date(d, "yyyy-MM-dd HH:mm:ssZ");
      case 'o':
      case 'O':
        return format_date(d, "yyyy-MM-ddTHH:mm:ss.fffffff") + (d.utc ? "Z" : "");
      default:
        break;
    }
  }
  std::string out;
  size_t i = 0;
  auto pad = [](int64_t v, int w) {
    std::string s = std::to_string(v);
    while (static_cast<int>(s.size()) < w) s = "0" + s;
    return s;
  };
  while (i < f.size()) {
    char c = f[i];
    size_t n = 1;
    while (i + n < f.size() && f[i + n] == c) ++n;
    switch (c) {
      case 'y':
        out += n <= 2 ? pad((tm.tm_year + 1900) % 100, static_cast<int>(n))
                      : pad(tm.tm_year + 1900, static_cast<int>(n));
        break;
      case 'M':
        out += n >= 4   ? months[tm.tm_mon]
               : n == 3 ? std::string(months[tm.tm_mon]).substr(0, 3)
                        : pad(tm.tm_mon + 1, static_cast<int>(n));
        break;
      case 'd':
        out += n >= 4   ? days[tm.tm_wday]
               : n == 3 ? std::string(days[tm.tm_wday]).substr(0, 3)
                        : pad(tm.tm_mday, static_cast<int>(n));
        break;
      case 'H':
        out += pad(tm.tm_hour, static_cast<int>(std::min<size_t>(n, 2)));
        break;
      case 'h':
        out += pad(tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12,
                   static_cast<int>(std::min<size_t>(n, 2)));
        break;
      case 'm':
        out += pad(tm.tm_min, static_cast<int>(std::min<size_t>(n, 2)));
        break;
      case 's':
        out += pad(tm.tm_sec, static_cast<int>(std::min<size_t>(n, 2)));
        break;
      case 'f': {
        std::string fr = pad(frac, 6) + "0";
        out += fr.substr(0, std::min<size_t>(n, 7));
        break;
      }
      case 't':
        out += (tm.tm_hour < 12 ? std::string("AM") : std::string("PM")).substr(0, n >= 2 ? 2 : 1);
        break;
      case '\\':
        if (i + 1 < f.size()) out += f[i + 1];
        i += 2;
        continue;
      case '\'':
      case '"': {
        size_t close = f.find(c, i + 1);
        if (close == std::string_view::npos) close = f.size();
        out += f.substr(i + 1, close - i - 1);
        i = close + 1;
        continue;
      }
      default:
        out.append(n, c);
        break;
    }
    i += n;
  }
  return out;
}

std::optional<DateTime> parse_date(std::string_view text) {
  std::string t = trim(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = 0;
  int consumed = 0;
  struct tm tm {};
  if (std::sscanf(t.c_str(), "%d-%d-%d%n", &y, &mo, &d, &consumed) == 3) {
    std::string rest = t.substr(static_cast<size_t>(consumed));
    if (!rest.empty()) {
      if (std::sscanf(rest.c_str(), "%c%d:%d:%d", &sep, &h, &mi, &s) < 3 ||
          (sep != 'T' && sep != ' '))
        return std::nullopt;
    }
  } else if (std::sscanf(t.c_str(), "%d/%d/%d%n", &mo, &d, &y, &consumed) == 3) {
    std::string rest = t.substr(static_cast<size_t>(consumed));
    if (!rest.empty() && std::sscanf(rest.c_str(), " %d:%d:%d", &h, &mi, &s) < 2)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  time_t secs = timegm(&tm);
  bool utc = !t.empty() && (t.back() == 'Z' || t.back() == 'z');
  return DateTime{static_cast<int64_t>(secs) * 1000000, utc};
}

}  // namespace cimnet::shell

#include "cimnet/shell/command.h"

#include <algorithm>

#include "cimnet/shell/interpreter.h"

namespace cimnet::shell {

// ---------- errors ----------

const char* category_name(ErrorCategory c) {
  static const char* names[] = {
      "NotSpecified",        "OpenError",           "CloseError",       "DeviceError",
      "DeadlockDetected",    "InvalidArgument",     "InvalidData",      "InvalidOperation",
      "InvalidResult",       "InvalidType",         "MetadataError",    "NotImplemented",
      "NotInstalled",        "ObjectNotFound",      "OperationStopped", "OperationTimeout",
      "SyntaxError",         "ParserError",         "PermissionDenied", "ResourceBusy",
      "ResourceExists",      "ResourceUnavailable", "ReadError",        "WriteError",
      "FromStdErr",          "SecurityError",       "ProtocolError",    "ConnectionError",
      "AuthenticationError", "LimitsExceeded",      "QuotaExceeded",    "NotEnabled"};
  return names[static_cast<int>(c)];
}

Value ErrorRecord::to_value() const {
  auto exc = make_object({{"Message", Value(message)}}, exception_type);
  exc->type_names = {exception_type, "System.Exception"};
  exc->display = message;
  std::string short_type = exception_type.substr(exception_type.rfind('.') + 1);
  auto cat =
      make_object({{"Category", Value(category_name(category))},
                   {"Activity", Value(command)},
                   {"Reason", Value(short_type)},
                   {"TargetName", Value(to_string(target))},
                   {"TargetType", Value(target.is_null() ? std::string() : type_name_of(target))}},
                  "System.Management.Automation.ErrorCategoryInfo");
  cat->display =
      std::string(category_name(category)) + ": (" + to_string(target) + ":" +
      (target.is_null() ? "" : type_name_of(target).substr(type_name_of(target).rfind('.') + 1)) +
      ") [" + command + "], " + short_type;
  std::vector<Property> inv_props = {
      {"MyCommand", Value(command)},
      {"ScriptName", Value(position.source ? position.source->name : std::string())},
      {"ScriptLineNumber", Value(int64_t{position.line})},
      {"OffsetInLine", Value(int64_t{position.column})},
      {"Line", Value(position.source ? position.source->line_text(position.line) : std::string())},
      {"PositionMessage", Value(position.line ? "At line:" + std::to_string(position.line) +
                                                    " char:" + std::to_string(position.column)
                                              : std::string())}};
  auto inv = make_object(std::move(inv_props), "System.Management.Automation.InvocationInfo");
  auto rec = make_object(
      {{"Exception", Value(exc)},
       {"TargetObject", target},
       {"CategoryInfo", Value(cat)},
       {"FullyQualifiedErrorId", Value(command.empty() ? error_id : error_id + "," + command)},
       {"InvocationInfo", Value(inv)},
       {"ScriptStackTrace",
        Value(position.line ? "at <ScriptBlock>, " +
                                  (position.source && !position.source->name.empty()
                                       ? position.source->name
                                       : std::string("<No file>")) +
                                  ": line " + std::to_string(position.line)
                            : std::string())}},
      "System.Management.Automation.ErrorRecord");
  rec->display = message;
  return Value(rec);
}

ErrorRecord ErrorRecord::from_value(const Value& v) {
  ErrorRecord r;
  if (v.is_object() && v.as_object()->is_a("System.Management.Automation.ErrorRecord")) {
    auto& o = *v.as_object();
    r.message = o.display.value_or("");
    if (auto* e = o.get("Exception"); e && e->is_object())
      r.exception_type = e->as_object()->type_name();
    if (auto* t = o.get("TargetObject")) r.target = *t;
    if (auto* id = o.get("FullyQualifiedErrorId")) {
      r.error_id = to_string(*id);
      auto comma = r.error_id.find(',');
      if (comma != std::string::npos) {
        r.command = r.error_id.substr(comma + 1);
        r.error_id = r.error_id.substr(0, comma);
      }
    }
    if (auto* c = o.get("CategoryInfo"); c && c->is_object()) {
      std::string name = to_string(get_member(*c, "Category"));
      for (int i = 0; i <= static_cast<int>(ErrorCategory::NotEnabled); ++i)
        if (name == category_name(static_cast<ErrorCategory>(i)))
          r.category = static_cast<ErrorCategory>(i);
    }
    return r;
  }
  if (v.is_object() && v.as_object()->is_a("System.Exception")) {
    r.message = v.as_object()->display.value_or("");
    r.exception_type = v.as_object()->type_name();
    return r;
  }
  r.message = to_string(v);
  r.target = v;
  r.error_id = v.is_null() ? "ScriptHalted" : to_string(v);
  r.category = ErrorCategory::OperationStopped;
  return r;
}

ErrorRecord make_error(std::string message, std::string id, ErrorCategory cat, Value target) {
  ErrorRecord r;
  r.message = std::move(message);
  r.error_id = std::move(id);
  r.category = cat;
  r.target = std::move(target);
  return r;
}

// ---------- parameters ----------

Param::Param(std::string n, ParamType t) : name(std::move(n)), type(t) {
  sets.push_back(SetMembership{kAllSets});
}

SetMembership& Param::current() {
  return sets.back();
}

Param& Param::array() {
  is_array = true;
  return *this;
}
Param& Param::alias(std::string a) {
  aliases.push_back(std::move(a));
  return *this;
}
Param& Param::set(std::string set_name) {
  // flags given before the first set() apply to every set named afterwards
  if (!explicit_set_) {
    base_ = sets.back();
    sets.clear();
    explicit_set_ = true;
  }
  SetMembership m = base_;
  m.set = std::move(set_name);
  sets.push_back(std::move(m));
  return *this;
}
Param& Param::position(int p) {
  current().position = p;
  return *this;
}
Param& Param::mandatory(bool m) {
  current().mandatory = m;
  return *this;
}
Param& Param::pipeline() {
  current().from_pipeline = true;
  return *this;
}
Param& Param::pipeline_by_name() {
  current().from_pipeline_by_name = true;
  return *this;
}
Param& Param::remaining() {
  current().remaining_arguments = true;
  return *this;
}
Param& Param::validate_set(std::vector<std::string> values) {
  allowed = std::move(values);
  return *this;
}
Param& Param::object_type(std::string t) {
  required_type = std::move(t);
  return *this;
}
Param& Param::help(std::string text) {
  help_text = std::move(text);
  return *this;
}

std::string Param::type_display(bool short_form) const {
  std::string base;
  switch (type) {
    case ParamType::Any:
      base = short_form ? "Object" : "System.Object";
      break;
    case ParamType::String:
      base = short_form ? "string" : "System.String";
      break;
    case ParamType::Int:
      base = short_form ? "int" : "System.Int32";
      break;
    case ParamType::Double:
      base = short_form ? "double" : "System.Double";
      break;
    case ParamType::Bool:
      base = short_form ? "bool" : "System.Boolean";
      break;
    case ParamType::Switch:
      base = short_form ? "switch" : "System.Management.Automation.SwitchParameter";
      break;
    case ParamType::ScriptBlock:
      base = short_form ? "scriptblock" : "System.Management.Automation.ScriptBlock";
      break;
    case ParamType::Hashtable:
      base = short_form ? "hashtable" : "System.Collections.Hashtable";
      break;
    case ParamType::DateTime:
      base = short_form ? "datetime" : "System.DateTime";
      break;
    case ParamType::Object:
      base =
          required_type.empty()
              ? (short_form ? "psobject" : "System.Management.Automation.PSObject")
              : (short_form ? required_type.substr(required_type.rfind('.') + 1) : required_type);
      break;
  }
  return is_array ? base + "[]" : base;
}

// ---------- commands ----------

CommandDef::CommandDef(std::string n) : name(std::move(n)) {}
CommandDef& CommandDef::alias(std::string a) {
  aliases.push_back(std::move(a));
  return *this;
}
CommandDef& CommandDef::synopsis(std::string s) {
  synopsis_text = std::move(s);
  return *this;
}
CommandDef& CommandDef::description(std::string d) {
  description_text = std::move(d);
  return *this;
}
CommandDef& CommandDef::example(std::string code, std::string remarks) {
  examples.emplace_back(std::move(code), std::move(remarks));
  return *this;
}
CommandDef& CommandDef::param(Param p) {
  params.push_back(std::move(p));
  return *this;
}
CommandDef& CommandDef::default_set(std::string s) {
  default_set_name = std::move(s);
  return *this;
}
CommandDef& CommandDef::should_process(ConfirmImpact i) {
  supports_should_process = true;
  impact = i;
  return *this;
}
CommandDef& CommandDef::output_type(std::string t) {
  output_types.push_back(std::move(t));
  return *this;
}
CommandDef& CommandDef::notes(std::string n) {
  notes_text = std::move(n);
  return *this;
}

std::vector<std::string> CommandDef::set_names() const {
  std::vector<std::string> out;
  for (auto& p : params)
    for (auto& m : p.sets)
      if (m.set != kAllSets && std::find(out.begin(), out.end(), m.set) == out.end())
        out.push_back(m.set);
  if (out.empty()) out.push_back(kAllSets);
  return out;
}

const Param* CommandDef::find_param(std::string_view n) const {
  for (auto& p : params) {
    if (iequals(p.name, n)) return &p;
    for (auto& a : p.aliases)
      if (iequals(a, n)) return &p;
  }
  return nullptr;
}

static const SetMembership* membership(const Param& p, const std::string& set) {
  for (auto& m : p.sets)
    if (m.set == set || m.set == kAllSets) return &m;
  return nullptr;
}

std::vector<std::string> CommandDef::syntax() const {
  std::vector<std::string> lines;
  auto sets = set_names();
  // the default set first, as Get-Help does
  if (!default_set_name.empty()) {
    auto it = std::find(sets.begin(), sets.end(), default_set_name);
    if (it != sets.end()) std::rotate(sets.begin(), it, it + 1);
  }
  for (auto& set : sets) {
    struct Entry {
      const Param* p;
      const SetMembership* m;
    };
    std::vector<Entry> positional, named;
    for (auto& p : params) {
      if (p.is_common) continue;
      auto* m = membership(p, set);
      if (!m) continue;
      (m->position >= 0 ? positional : named).push_back({&p, m});
    }
    std::stable_sort(positional.begin(), positional.end(),
                     [](const Entry& a, const Entry& b) { return a.m->position < b.m->position; });
    std::stable_sort(named.begin(), named.end(), [](const Entry& a, const Entry& b) {
      return a.m->mandatory && !b.m->mandatory;
    });
    std::string line = name;
    auto type_of = [](const Param& p) {
      std::string t = p.type_display(true);
      if (!p.allowed.empty()) {
        t = "{";
        for (size_t i = 0; i < p.allowed.size(); ++i) t += (i ? " | " : "") + p.allowed[i];
        t += "}";
      }
      return t;
    };
    auto arg_of = [&](const Param& p) {
      std::string t = type_of(p);
      return t[0] == '{' ? t : "<" + t + ">";
    };
    for (auto& e : positional) {
      std::string core = "[-" + e.p->name + "] " + arg_of(*e.p);
      if (e.p->type == ParamType::Switch) core = "[-" + e.p->name + "]";
      line += " " + (e.m->mandatory ? core : "[" + core + "]");
    }
    for (auto& e : named) {
      std::string core =
          "-" + e.p->name + (e.p->type == ParamType::Switch ? "" : " " + arg_of(*e.p));
      line += " " + (e.m->mandatory ? core : "[" + core + "]");
    }
    if (supports_should_process) line += " [-WhatIf] [-Confirm]";
    if (advanced) line += " [<CommonParameters>]";
    lines.push_back(line);
  }
  return lines;
}

void CommandRegistry::add(CommandDef def) {
  if (def.advanced) {
    struct Common {
      const char* name;
      const char* alias;
      ParamType type;
    };
    static const Common commons[] = {{"Verbose", "vb", ParamType::Switch},
                                     {"Debug", "db", ParamType::Switch},
                                     {"ErrorAction", "ea", ParamType::String},
                                     {"WarningAction", "wa", ParamType::String},
                                     {"InformationAction", "infa", ParamType::String},
                                     {"ErrorVariable", "ev", ParamType::String},
                                     {"WarningVariable", "wv", ParamType::String},
                                     {"InformationVariable", "iv", ParamType::String},
                                     {"OutVariable", "ov", ParamType::String},
                                     {"OutBuffer", "ob", ParamType::Int},
                                     {"PipelineVariable", "pv", ParamType::String}};
    static const std::vector<std::string> actions = {
        "SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break"};
    for (auto& c : commons) {
      if (def.find_param(c.name)) continue;
      Param p(c.name, c.type);
      p.alias(c.alias);
      p.is_common = true;
      if (std::string(c.name).ends_with("Action")) p.validate_set(actions);
      def.params.push_back(std::move(p));
    }
    if (def.supports_should_process) {
      for (auto [n, a] : {std::pair{"WhatIf", "wi"}, std::pair{"Confirm", "cf"}}) {
        if (def.find_param(n)) continue;
        Param p(n, ParamType::Switch);
        p.alias(a);
        p.is_common = true;
        def.params.push_back(std::move(p));
      }
    }
  }
  std::string key = to_lower(def.name);
  for (auto& a : def.aliases) aliases_[to_lower(a)] = def.name;
  commands_[key] = std::make_unique<CommandDef>(std::move(def));
}

const CommandDef* CommandRegistry::find(std::string_view n) const {
  auto it = commands_.find(to_lower(n));
  if (it != commands_.end()) return it->second.get();
  auto al = aliases_.find(to_lower(n));
  if (al != aliases_.end()) {
    auto c = commands_.find(to_lower(al->second));
    if (c != commands_.end()) return c->second.get();
  }
  return nullptr;
}

bool CommandRegistry::remove(std::string_view n) {
  return commands_.erase(to_lower(n)) > 0;
}

std::vector<const CommandDef*> CommandRegistry::all() const {
  std::vector<const CommandDef*> out;
  for (auto& [k, v] : commands_) out.push_back(v.get());
  return out;
}

void CommandRegistry::add_alias(const std::string& alias, const std::string& target) {
  aliases_[to_lower(alias)] = target;
}

bool BoundParameters::has(std::string_view n) const {
  return find(n) != nullptr;
}
const Value* BoundParameters::find(std::string_view n) const {
  for (auto& [k, v] : values)
    if (iequals(k, n)) return &v;
  return nullptr;
}

Value CommandRuntime::get(std::string_view n) const {
  auto* v = parameters().find(n);
  return v ? *v : Value();
}
std::string CommandRuntime::get_string(std::string_view n, std::string fallback) const {
  auto* v = parameters().find(n);
  return v ? to_string(*v) : fallback;
}
int64_t CommandRuntime::get_int(std::string_view n, int64_t fallback) const {
  auto* v = parameters().find(n);
  if (!v) return fallback;
  return to_int(*v).value_or(fallback);
}
bool CommandRuntime::get_switch(std::string_view n) const {
  auto* v = parameters().find(n);
  return v && to_bool(*v);
}
std::vector<Value> CommandRuntime::get_array(std::string_view n) const {
  auto* v = parameters().find(n);
  if (!v || v->is_null()) return {};
  return enumerate(*v);
}

// ---------- conversion ----------

static std::string quote_value(const Value& v) {
  return "\"" + to_string(v) + "\"";
}

std::optional<Value> convert_to(const Value& v, ParamType type, bool array, std::string& error,
                                bool allow) {
  if (array) {
    Array out;
    for (auto& item : enumerate(v)) {
      auto c = convert_to(item, type, false, error, allow);
      if (!c) return std::nullopt;
      out.push_back(*c);
    }
    return Value::array(std::move(out));
  }
  auto type_name = [&]() { return Param("x", type).type_display(false); };
  switch (type) {
    case ParamType::Any:
      return v;
    case ParamType::Object:
      if (v.is_object() || allow) return v;
      return std::nullopt;
    case ParamType::String:
      if (v.is_string()) return v;
      if (!allow) return std::nullopt;
      if (v.is_array()) {
        error =
            "Cannot convert 'System.Object[]' to the type 'System.String' required by parameter. "
            "Specified method is not supported.";
        return std::nullopt;
      }
      return Value(to_string(v));
    case ParamType::Int:
    case ParamType::Double: {
      if (type == ParamType::Int && v.is_int()) return v;
      if (type == ParamType::Double && v.is_double()) return v;
      if (!allow) return std::nullopt;
      if (v.is_array() && v.as_array()->size() != 1) {
        error = "Cannot convert the \"" + to_string(v) +
                "\" value of type \"System.Object[]\" to type \"" + type_name() + "\".";
        return std::nullopt;
      }
      if (type == ParamType::Int) {
        auto i = to_int(v);
        if (!i || *i > INT32_MAX || *i < INT32_MIN) {
          error = "Cannot convert value " + quote_value(v) +
                  " to type \"System.Int32\". Error: \"" +
                  std::string(i ? "Value was either too large or too small for an Int32."
                                : "Input string was not in a correct format.") +
                  "\"";
          return std::nullopt;
        }
        return Value(*i);
      }
      auto d = to_double(v);
      if (!d) {
        error = "Cannot convert value " + quote_value(v) +
                " to type \"System.Double\". Error: \"Input string was not in a correct format.\"";
        return std::nullopt;
      }
      return Value(*d);
    }
    case ParamType::Bool:
    case ParamType::Switch:
      if (v.is_bool()) return v;
      if (!allow) return std::nullopt;
      if (v.is_string() && type == ParamType::Bool) {
        error =
            "Cannot convert value \"System.String\" to type \"System.Boolean\". Boolean parameters "
            "accept only Boolean values and numbers, such as $True, $False, 1 or 0.";
        return std::nullopt;
      }
      return Value(to_bool(v));
    case ParamType::ScriptBlock:
      if (v.is_scriptblock()) return v;
      if (!allow) return std::nullopt;
      error = "Cannot convert the " + quote_value(v) + " value of type \"" + type_name_of(v) +
              "\" to type \"System.Management.Automation.ScriptBlock\".";
      return std::nullopt;
    case ParamType::Hashtable:
      if (v.is_hashtable()) return v;
      if (!allow) return std::nullopt;
      error = "Cannot convert the " + quote_value(v) + " value of type \"" + type_name_of(v) +
              "\" to type \"System.Collections.Hashtable\".";
      return std::nullopt;
    case ParamType::DateTime: {
      if (v.is_date()) return v;
      if (!allow) return std::nullopt;
      if (v.is_string())
        if (auto d = parse_date(v.as_string_raw())) return Value(*d);
      error = "Cannot convert value " + quote_value(v) +
              " to type \"System.DateTime\". Error: \"String '" + to_string(v) +
              "' was not recognized as a valid DateTime.\"";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace cimnet::shell

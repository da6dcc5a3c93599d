#include "cimnet/shell/binder.h"

#include <algorithm>

#include "cimnet/shell/interpreter.h"

namespace cimnet::shell {

namespace {

const SetMembership* member_of(const Param& p, const std::string& set) {
  for (auto& m : p.sets)
    if (m.set == set || m.set == kAllSets) return &m;
  return nullptr;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

ParameterBinder::ParameterBinder(const CommandDef& def, bool expects_input)
    : def_(def), expects_input_(expects_input), all_sets_(def.set_names()) {
  candidates_.insert(all_sets_.begin(), all_sets_.end());
}

void ParameterBinder::fail(const std::string& msg, const std::string& id, const Extent& at,
                           ErrorCategory cat) const {
  ErrorRecord r = make_error(msg, id, cat);
  r.exception_type = "System.Management.Automation.ParameterBindingException";
  r.command = def_.name;
  r.position = at;
  throw RuntimeError(std::move(r), false);
}

const Param* ParameterBinder::resolve_name(const std::string& typed, const Extent& at) const {
  if (auto* p = def_.find_param(typed)) return p;
  std::vector<const Param*> matches;
  for (auto& p : def_.params) {
    bool hit = istarts_with(p.name, typed);
    for (auto& a : p.aliases) hit = hit || istarts_with(a, typed);
    if (hit) matches.push_back(&p);
  }
  if (matches.size() == 1) return matches[0];
  if (matches.empty())
    fail("A parameter cannot be found that matches parameter name '" + typed + "'.",
         "NamedParameterNotFound", at);
  std::vector<std::string> names;
  for (auto* m : matches) names.push_back("-" + m->name);
  fail("Parameter cannot be processed because the parameter name '" + typed +
           "' is ambiguous. Possible matches include: " + join(names, " ") + ".",
       "AmbiguousParameter", at);
}

bool ParameterBinder::in_candidates(const Param& p) const {
  for (auto& m : p.sets)
    if (m.set == kAllSets || candidates_.count(m.set)) return true;
  return false;
}

void ParameterBinder::narrow(const Param& p) {
  for (auto& m : p.sets)
    if (m.set == kAllSets) return;
  std::set<std::string> next;
  for (auto& m : p.sets)
    if (candidates_.count(m.set)) next.insert(m.set);
  candidates_ = std::move(next);
}

bool ParameterBinder::try_bind(const Param& p, const Value& v, bool allow, std::string& error) {
  auto c = convert_to(v, p.type, p.is_array, error, allow);
  if (!c) return false;
  if (!p.required_type.empty()) {
    for (auto& item : enumerate(*c)) {
      if (!item.is_object() || !item.as_object()->is_a(p.required_type)) {
        if (allow)
          error = "Cannot convert the \"" + to_string(item) + "\" value of type \"" +
                  type_name_of(item) + "\" to type \"" + p.required_type + "\".";
        return false;
      }
    }
  }
  if (!p.allowed.empty()) {
    for (auto& item : enumerate(*c)) {
      std::string s = to_string(item);
      bool ok = std::any_of(p.allowed.begin(), p.allowed.end(),
                            [&](const std::string& a) { return iequals(a, s); });
      if (!ok) {
        error = "Cannot validate argument on parameter '" + p.name + "'. The argument \"" + s +
                "\" does not belong to the set \"" + join(p.allowed, ",") +
                "\" specified by the ValidateSet attribute. Supply an argument that is in the set "
                "and then try the command again.";
        return false;
      }
    }
  }
  current_.values[p.name] = *c;
  narrow(p);
  return true;
}

void ParameterBinder::bind_command_line(const std::vector<ArgumentValue>& args) {
  std::vector<const ArgumentValue*> positional;
  // 1. named
  for (size_t i = 0; i < args.size(); ++i) {
    const ArgumentValue& a = args[i];
    if (!a.is_parameter) {
      positional.push_back(&a);
      continue;
    }
    const Param* p = resolve_name(a.name, a.extent);
    if (current_.values.count(p->name))
      fail("Cannot bind parameter because parameter '" + p->name +
               "' is specified more than once. To provide multiple values to parameters that can "
               "accept multiple values, use the array syntax. For example, \"-parameter "
               "value1,value2,value3\".",
           "ParameterAlreadyBound", a.extent);
    Value value;
    if (p->type == ParamType::Switch) {
      value = a.colon ? a.value : Value(true);
    } else if (a.colon) {
      value = a.value;
    } else {
      if (i + 1 >= args.size() || args[i + 1].is_parameter)
        fail("Missing an argument for parameter '" + p->name + "'. Specify a parameter of type '" +
                 p->type_display(false) + "' and try again.",
             "MissingArgument", a.extent);
      value = args[++i].value;
    }
    if (!in_candidates(*p))
      fail(
          "Parameter set cannot be resolved using the specified named parameters. One or more "
          "parameters issued cannot be used together or an insufficient number of parameters were "
          "provided.",
          "AmbiguousParameterSet", a.extent);
    std::string error;
    if (!try_bind(*p, value, true, error)) {
      if (error.starts_with("Cannot validate"))
        fail(error, "ParameterArgumentValidationError", a.extent, ErrorCategory::InvalidData);
      fail("Cannot bind parameter '" + p->name + "'. " + error, "CannotConvertArgumentNoMessage",
           a.extent);
    }
  }
  // 2. positional: parameters by position over the candidate sets, default set preferred
  size_t next_arg = 0;
  std::set<int> positions;
  for (auto& p : def_.params)
    for (auto& m : p.sets)
      if (m.position >= 0) positions.insert(m.position);
  for (int pos : positions) {
    if (next_arg >= positional.size()) break;
    std::vector<const Param*> at_pos;
    for (auto& p : def_.params) {
      if (current_.values.count(p.name)) continue;
      for (auto& m : p.sets) {
        if (m.position != pos) continue;
        if (m.set != kAllSets && !candidates_.count(m.set)) continue;
        if (std::find(at_pos.begin(), at_pos.end(), &p) == at_pos.end()) at_pos.push_back(&p);
      }
    }
    if (at_pos.empty()) continue;
    // default set's parameter first
    std::stable_sort(at_pos.begin(), at_pos.end(), [&](const Param* a, const Param* b) {
      return member_of(*a, def_.default_set_name) && !member_of(*b, def_.default_set_name);
    });
    const ArgumentValue& arg = *positional[next_arg];
    bool bound = false;
    std::string error;
    for (bool allow : {false, true}) {
      for (auto* p : at_pos) {
        std::string e;
        Value v = arg.value;
        bool remaining = false;
        for (auto& m : p->sets) remaining = remaining || m.remaining_arguments;
        if (remaining) {
          Array rest;
          for (size_t k = next_arg; k < positional.size(); ++k) {
            if (positional[k]->value.is_array() && p->is_array && positional.size() - next_arg == 1)
              rest = *positional[k]->value.as_array();
            else
              rest.push_back(positional[k]->value);
          }
          v = Value::array(std::move(rest));
        }
        if (try_bind(*p, v, allow, e)) {
          bound = true;
          next_arg = remaining ? positional.size() : next_arg + 1;
          break;
        }
        if (error.empty()) error = e;
      }
      if (bound) break;
    }
    if (!bound) {
      if (!error.empty()) {
        if (error.starts_with("Cannot validate"))
          fail(error, "ParameterArgumentValidationError", arg.extent, ErrorCategory::InvalidData);
        fail("Cannot bind parameter '" + at_pos[0]->name + "'. " + error,
             "CannotConvertArgumentNoMessage", arg.extent);
      }
    }
  }
  if (next_arg < positional.size()) {
    const ArgumentValue& extra = *positional[next_arg];
    fail("A positional parameter cannot be found that accepts argument '" + to_string(extra.value) +
             "'.",
         "PositionalParameterNotFound", extra.extent);
  }
  // mandatory parameters that no pipeline object could supply
  if (expects_input_) {
    bool some_set_ok = false;
    std::vector<std::string> first_missing;
    for (auto& set : all_sets_) {
      if (!candidates_.count(set)) continue;
      std::vector<std::string> missing;
      for (auto& p : def_.params) {
        auto* m = member_of(p, set);
        if (!m || !m->mandatory || current_.values.count(p.name)) continue;
        if (m->from_pipeline || m->from_pipeline_by_name) continue;
        missing.push_back(p.name);
      }
      if (missing.empty())
        some_set_ok = true;
      else if (first_missing.empty())
        first_missing = missing;
    }
    if (!some_set_ok && !first_missing.empty())
      fail("Cannot process command because of one or more missing mandatory parameters: " +
               join(first_missing, " ") + ".",
           "MissingMandatoryParameter", Extent{});
  }
  cl_candidates_ = candidates_;
  cl_bound_ = current_;
}

std::vector<std::string> ParameterBinder::missing_mandatory(const std::string& set) const {
  std::vector<std::string> missing;
  for (auto& p : def_.params) {
    auto* m = member_of(p, set);
    if (m && m->mandatory && !current_.values.count(p.name)) missing.push_back(p.name);
  }
  return missing;
}

std::string ParameterBinder::resolve_set(std::vector<std::string>* missing) const {
  std::vector<std::string> complete;
  for (auto& set : all_sets_)
    if (candidates_.count(set) && missing_mandatory(set).empty()) complete.push_back(set);
  if (complete.empty()) {
    std::string set = candidates_.count(def_.default_set_name)
                          ? def_.default_set_name
                          : (candidates_.empty() ? all_sets_[0] : *candidates_.begin());
    // the first candidate in declaration order
    for (auto& s : all_sets_)
      if (candidates_.count(s) && !candidates_.count(def_.default_set_name)) {
        set = s;
        break;
      }
    if (missing) *missing = missing_mandatory(set);
    return "";
  }
  if (complete.size() == 1) return complete[0];
  if (std::find(complete.begin(), complete.end(), def_.default_set_name) != complete.end())
    return def_.default_set_name;
  // several complete sets: the one whose parameters were actually used wins if unique
  std::vector<std::string> used;
  for (auto& set : complete) {
    bool specific = false;
    for (auto& [name, v] : current_.values) {
      auto* p = def_.find_param(name);
      if (!p) continue;
      for (auto& m : p->sets)
        if (m.set == set) specific = true;
    }
    if (specific) used.push_back(set);
  }
  if (used.size() == 1) return used[0];
  return "?";
}

void ParameterBinder::finish() {
  std::vector<std::string> missing;
  std::string set = resolve_set(&missing);
  if (set == "?")
    fail(
        "Parameter set cannot be resolved using the specified named parameters. One or more "
        "parameters issued cannot be used together or an insufficient number of parameters were "
        "provided.",
        "AmbiguousParameterSet", Extent{});
  if (set.empty())
    fail("Cannot process command because of one or more missing mandatory parameters: " +
             join(missing, " ") + ".",
         "MissingMandatoryParameter", Extent{});
  current_.set = set;
  // default values for switches are absent; cmdlets use get_switch()
}

bool ParameterBinder::bind_pipeline_object(const Value& input, ErrorRecord& err) {
  current_ = cl_bound_;
  candidates_ = cl_candidates_;
  bool any = false;
  bool has_pipeline_params = false;
  // ByValue, first without then with conversion
  for (bool allow : {false, true}) {
    if (any) break;
    for (auto& p : def_.params) {
      if (current_.values.count(p.name) || !in_candidates(p)) continue;
      bool by_value = false;
      for (auto& m : p.sets)
        if (m.from_pipeline && (m.set == kAllSets || candidates_.count(m.set))) by_value = true;
      if (!by_value) continue;
      has_pipeline_params = true;
      std::string e;
      if (try_bind(p, input, allow, e)) {
        any = true;
        break;
      }
    }
  }
  // ByPropertyName
  for (auto& p : def_.params) {
    if (current_.values.count(p.name) || !in_candidates(p)) continue;
    bool by_name = false;
    for (auto& m : p.sets)
      if (m.from_pipeline_by_name && (m.set == kAllSets || candidates_.count(m.set)))
        by_name = true;
    if (!by_name) continue;
    has_pipeline_params = true;
    if (!input.is_object() && !input.is_hashtable()) continue;
    std::vector<std::string> names{p.name};
    names.insert(names.end(), p.aliases.begin(), p.aliases.end());
    for (auto& n : names) {
      bool present = input.is_object() ? input.as_object()->get(n) != nullptr
                                       : input.as_hashtable()->find(n) != nullptr;
      if (!present) continue;
      std::string e;
      if (try_bind(p, get_member(input, n), true, e)) any = true;
      break;
    }
  }
  (void)has_pipeline_params;
  if (!any) {
    err = make_error(
        "The input object cannot be bound to any parameters for the command either because the "
        "command does not take pipeline input or the input and its properties do not match any of "
        "the parameters that take pipeline input.",
        "InputObjectNotBound", ErrorCategory::InvalidArgument, input);
    err.exception_type = "System.Management.Automation.ParameterBindingException";
    err.command = def_.name;
    return false;
  }
  std::vector<std::string> missing;
  std::string set = resolve_set(&missing);
  if (set == "?") {
    err = make_error(
        "Parameter set cannot be resolved using the specified named parameters. One or more "
        "parameters issued cannot be used together or an insufficient number of parameters were "
        "provided.",
        "AmbiguousParameterSet", ErrorCategory::InvalidArgument, input);
    err.command = def_.name;
    return false;
  }
  if (set.empty()) {
    err = make_error(
        "The input object cannot be bound because it did not contain the information required to "
        "bind all mandatory parameters:  " +
            join(missing, " "),
        "InputObjectMissingMandatory", ErrorCategory::InvalidArgument, input);
    err.command = def_.name;
    return false;
  }
  current_.set = set;
  return true;
}

}  // namespace cimnet::shell

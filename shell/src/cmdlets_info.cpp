// Discovery cmdlets: Get-Member, Get-Command, Get-Help.

#include <algorithm>
#include <set>

#include "cimnet/shell/interpreter.h"

namespace cimnet::shell {

namespace {

std::string short_type_name(const Value& v) {
  std::string t = type_name_of(v);
  if (t == "System.Int32") return "int";
  if (t == "System.Int64") return "long";
  if (t == "System.Double") return "double";
  if (t == "System.String") return "string";
  if (t == "System.Boolean") return "bool";
  if (t == "System.Collections.Hashtable") return "hashtable";
  if (t == "System.DateTime") return "datetime";
  if (t == "null") return "object";
  return t;
}

struct Member {
  std::string name, type, definition;
};

std::vector<Member> members_of(const Value& v) {
  std::vector<Member> props, methods;
  auto method = [&](const std::string& n, const std::string& def) {
    methods.push_back({n, "Method", def});
  };
  method("Equals", "bool Equals(System.Object obj)");
  method("GetHashCode", "int GetHashCode()");
  method("GetType", "type GetType()");
  method("ToString", "string ToString()");
  if (v.is_object()) {
    for (auto& p : v.as_object()->properties) {
      std::string val = to_string(p.value);
      props.push_back(
          {p.name, "NoteProperty", short_type_name(p.value) + " " + p.name + "=" + val});
    }
  } else if (v.is_string()) {
    for (auto* m : {"Contains", "EndsWith", "IndexOf", "Insert", "LastIndexOf", "PadLeft",
                    "PadRight", "Remove", "Replace", "Split", "StartsWith", "Substring",
                    "ToCharArray", "ToLower", "ToUpper", "Trim", "TrimEnd", "TrimStart"})
      method(m, std::string("string ") + m + "(...)");
    props.push_back({"Length", "Property", "int Length {get;}"});
  } else if (v.is_hashtable()) {
    for (auto* m : {"Add", "Clear", "Clone", "Contains", "ContainsKey", "ContainsValue",
                    "GetEnumerator", "Remove"})
      method(m, std::string(m) + "(...)");
    for (auto* p : {"Count", "Keys", "Values"})
      props.push_back({p, "Property", std::string(p) + " {get;}"});
  } else if (v.is_date()) {
    for (auto* m : {"AddDays", "AddHours", "AddMilliseconds", "AddMinutes", "AddSeconds",
                    "ToLongDateString", "ToShortDateString"})
      method(m, std::string("datetime ") + m + "(...)");
    for (auto& p : property_names(v))
      props.push_back({p, "Property", short_type_name(get_member(v, p)) + " " + p + " {get;}"});
  } else if (v.is_number()) {
    method("CompareTo", "int CompareTo(System.Object value)");
  }
  auto by_name = [](const Member& a, const Member& b) {
    return to_lower(a.name) < to_lower(b.name);
  };
  std::sort(methods.begin(), methods.end(), by_name);
  std::sort(props.begin(), props.end(), by_name);
  methods.insert(methods.end(), props.begin(), props.end());
  return methods;
}

class GetMember : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Value v = rt.expecting_input() ? rt.input() : rt.get("InputObject");
    if (!rt.expecting_input() && !rt.has("InputObject")) return;
    any_ = true;
    std::string type = type_name_of(v);
    if (!seen_.insert(type).second) return;
    std::vector<std::string> names;
    for (auto& n : rt.get_array("Name")) names.push_back(to_string(n));
    std::string member_type = rt.get_string("MemberType");
    for (auto& m : members_of(v)) {
      if (!names.empty() && std::none_of(names.begin(), names.end(),
                                         [&](auto& p) { return wildcard_match(p, m.name); }))
        continue;
      if (!member_type.empty() && !iequals(member_type, m.type) &&
          !(iequals(member_type, "Properties") && m.type.ends_with("Property")))
        continue;
      auto o = make_object({{"TypeName", Value(type)},
                            {"Name", Value(m.name)},
                            {"MemberType", Value(m.type)},
                            {"Definition", Value(m.definition)}},
                           "Microsoft.PowerShell.Commands.MemberDefinition");
      rt.write_object(Value(o), false);
    }
  }
  void end(CommandRuntime& rt) override {
    if (!any_)
      rt.write_error(make_error("You must specify an object for the Get-Member cmdlet.",
                                "NoObjectInGetMember", ErrorCategory::CloseError));
  }

 private:
  std::set<std::string> seen_;
  bool any_ = false;
};

class GetCommand : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Interpreter& in = rt.interpreter();
    std::vector<std::string> patterns;
    for (auto& n : rt.get_array("Name")) patterns.push_back(to_string(n));
    std::string verb = rt.get_string("Verb"), noun = rt.get_string("Noun"),
                type = rt.get_string("CommandType");
    std::vector<Value> out;
    auto add = [&](const std::string& kind, const std::string& name, const std::string& source,
                   const std::string& definition) {
      auto o = make_object({{"CommandType", Value(kind)},
                            {"Name", Value(name)},
                            {"Version", Value("")},
                            {"Source", Value(source)},
                            {"Definition", Value(definition)}},
                           "System.Management.Automation.CommandInfo");
      out.push_back(Value(o));
    };
    auto matches = [&](const std::string& name) {
      if (!patterns.empty() && std::none_of(patterns.begin(), patterns.end(),
                                            [&](auto& p) { return wildcard_match(p, name); }))
        return false;
      auto dash = name.find('-');
      if (!verb.empty() &&
          (dash == std::string::npos || !wildcard_match(verb, name.substr(0, dash))))
        return false;
      if (!noun.empty() &&
          (dash == std::string::npos || !wildcard_match(noun, name.substr(dash + 1))))
        return false;
      return true;
    };
    for (auto* c : in.all_commands()) {
      if (!type.empty() && !iequals(type, c->kind) && !iequals(type, "All")) continue;
      if (matches(c->name))
        add(c->kind, c->name, c->source, c->syntax().empty() ? "" : c->syntax()[0]);
    }
    if ((type.empty() || iequals(type, "Alias") || iequals(type, "All")) && verb.empty() &&
        noun.empty()) {
      for (auto& [alias, target] : in.commands().aliases())
        if (!patterns.empty() && matches(alias)) add("Alias", alias + " -> " + target, "", target);
    }
    std::stable_sort(out.begin(), out.end(), [](const Value& a, const Value& b) {
      return to_lower(to_string(get_member(a, "Name"))) <
             to_lower(to_string(get_member(b, "Name")));
    });
    for (auto& p : patterns) {
      if (has_wildcard(p)) continue;
      bool found = std::any_of(out.begin(), out.end(), [&](const Value& v) {
        std::string n = to_string(get_member(v, "Name"));
        return iequals(n, p) || istarts_with(n, p + " -> ");
      });
      if (!found)
        rt.write_error(
            make_error("The term '" + p +
                           "' is not recognized as a name of a cmdlet, function, script file, or "
                           "executable program.\nCheck the spelling of the name, or if a path was "
                           "included, verify that the path is correct and try again.",
                       "CommandNotFoundException", ErrorCategory::ObjectNotFound, Value(p)));
    }
    for (auto& v : out) rt.write_object(v, false);
  }
};

// Indents `text` by `pad`, wrapping lines at 80 columns on word boundaries.
std::string indent_text(const std::string& text, const std::string& pad) {
  std::string out;
  size_t b = 0;
  const size_t width = 80 - pad.size();
  while (b <= text.size()) {
    size_t nl = text.find('\n', b);
    std::string line = text.substr(b, nl == std::string::npos ? std::string::npos : nl - b);
    while (line.size() > width) {
      size_t cut = line.rfind(' ', width);
      if (cut == std::string::npos || cut == 0) break;
      out += pad + line.substr(0, cut) + "\n";
      line = line.substr(cut + 1);
    }
    out += line.empty() ? "\n" : pad + line + "\n";
    if (nl == std::string::npos) break;
    b = nl + 1;
  }
  return out;
}

std::string parameter_help(const CommandDef& d, const Param& p) {
  std::string out = "    -" + p.name +
                    (p.type == ParamType::Switch ? "" : " <" + p.type_display(false) + ">") + "\n";
  if (!p.help_text.empty()) out += indent_text(p.help_text, "        ");
  if (!p.allowed.empty()) {
    std::string vals;
    for (size_t i = 0; i < p.allowed.size(); ++i) vals += (i ? ", " : "") + p.allowed[i];
    out += "        Accepted values: " + vals + "\n";
  }
  out += "\n";
  bool mandatory = false, pipe = false, by_name = false;
  std::string position = "named", sets;
  for (auto& m : p.sets) {
    mandatory = mandatory || m.mandatory;
    pipe = pipe || m.from_pipeline;
    by_name = by_name || m.from_pipeline_by_name;
    if (m.position >= 0) position = std::to_string(m.position);
    sets += (sets.empty() ? "" : ", ") + (m.set == kAllSets ? std::string("(All)") : m.set);
  }
  std::string pipeline = pipe && by_name ? "true (ByValue, ByPropertyName)"
                         : pipe          ? "true (ByValue)"
                         : by_name       ? "true (ByPropertyName)"
                                         : "false";
  std::string aliases;
  for (auto& a : p.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
  out += "        Required?                    " + std::string(mandatory ? "true" : "false") + "\n";
  out += "        Position?                    " + position + "\n";
  out += "        Accept pipeline input?       " + pipeline + "\n";
  out += "        Parameter set name           " + sets + "\n";
  out += "        Aliases                      " +
         (aliases.empty() ? std::string("None") : aliases) + "\n";
  out += "        Accept wildcard characters?  false\n\n";
  (void)d;
  return out;
}

std::string help_text(const CommandDef& d, bool full, bool detailed, bool examples_only) {
  std::string out = "\nNAME\n    " + d.name + "\n\n";
  if (examples_only) {
    out += "SYNOPSIS\n" + indent_text(d.synopsis_text, "    ") + "\n";
  } else {
    out += "SYNOPSIS\n" + indent_text(d.synopsis_text.empty() ? d.name : d.synopsis_text, "    ") +
           "\n\n";
    out += "SYNTAX\n";
    for (auto& s : d.syntax()) out += "    " + s + "\n\n";
    if (!d.description_text.empty())
      out += "\nDESCRIPTION\n" + indent_text(d.description_text, "    ") + "\n";
    if (full || detailed) {
      out += "\nPARAMETERS\n";
      for (auto& p : d.params)
        if (!p.is_common) out += parameter_help(d, p);
      if (d.advanced)
        out +=
            "    <CommonParameters>\n        This cmdlet supports the common parameters: Verbose, "
            "Debug,\n        ErrorAction, ErrorVariable, WarningAction, WarningVariable,\n        "
            "OutBuffer, PipelineVariable, and OutVariable.\n\n";
    }
  }
  if (full || detailed || examples_only) {
    int n = 1;
    for (auto& [code, remarks] : d.examples) {
      out += "    ---------- Example " + std::to_string(n++) + " ----------\n\n    " + code +
             "\n\n" + indent_text(remarks, "    ") + "\n";
    }
  }
  if (!d.aliases.empty()) {
    out += "ALIASES\n";
    for (auto& a : d.aliases) out += "    " + a + "\n";
    out += "\n";
  }
  if (!full && !detailed && !examples_only) {
    out += "\nREMARKS\n";
    out += "    To see the examples, type: \"Get-Help " + d.name + " -Examples\".\n";
    out += "    For more information, type: \"Get-Help " + d.name + " -Detailed\".\n";
    out += "    For technical information, type: \"Get-Help " + d.name + " -Full\".\n";
  }
  return out;
}

class GetHelp : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Interpreter& in = rt.interpreter();
    std::string name = rt.get_string("Name");
    if (name.empty()) {
      rt.write_object(Value(std::string(
          "\nTOPIC\n    cimsh help\n\nSHORT DESCRIPTION\n    cimsh is a PowerShell-like shell for "
          "managing cimnet switches and hosts.\n\n"
          "LONG DESCRIPTION\n    Get-Command lists the commands; Get-Help <command> shows one "
          "command's\n"
          "    syntax, description and examples (-Full adds the parameters, -Examples\n    shows "
          "only the examples, -Parameter <name> one parameter).\n")));
      return;
    }
    if (has_wildcard(name)) {
      for (auto* c : in.all_commands()) {
        if (!wildcard_match(name, c->name)) continue;
        auto o = make_object({{"Name", Value(c->name)},
                              {"Category", Value(c->kind)},
                              {"Synopsis", Value(c->synopsis_text)}},
                             "cimnet.HelpInfoShort");
        rt.write_object(Value(o), false);
      }
      return;
    }
    const CommandDef* d = in.resolve_command(name);
    if (!d) {
      rt.write_error(
          make_error("Get-Help could not find " + name + " in a help file in this session.",
                     "HelpNotFound", ErrorCategory::ResourceUnavailable, Value(name)));
      return;
    }
    if (rt.has("Parameter")) {
      std::string pattern = rt.get_string("Parameter");
      std::string out;
      for (auto& p : d->params)
        if (!p.is_common && wildcard_match(pattern, p.name)) out += parameter_help(*d, p);
      if (out.empty()) {
        rt.write_error(make_error("No parameter matches criteria " + pattern + ".", "NoParmsFound",
                                  ErrorCategory::InvalidArgument, Value(pattern)));
        return;
      }
      rt.write_object(Value(out));
      return;
    }
    rt.write_object(Value(help_text(*d, rt.get_switch("Full"), rt.get_switch("Detailed"),
                                    rt.get_switch("Examples"))));
  }
};

}  // namespace

void register_info_cmdlets(CommandRegistry& r) {
  {
    CommandDef d("Get-Member");
    d.alias("gm")
        .synopsis("Gets the properties and methods of objects.")
        .description(
            "Get-Member lists the members of each distinct type of object it receives: its "
            "properties (NoteProperty for object properties) and the methods cimsh supports on it.")
        .example("$port | Get-Member -MemberType NoteProperty", "The properties of a port.");
    d.param(Param("InputObject", ParamType::Any)
                .pipeline()
                .help("The objects whose members are listed."));
    d.param(Param("Name", ParamType::String)
                .array()
                .position(0)
                .help("Only members whose name matches these wildcards."));
    d.param(Param("MemberType", ParamType::String)
                .alias("Type")
                .help("Only members of this kind (NoteProperty, Property, Method, Properties)."));
    d.param(Param("Force", ParamType::Switch).help("Accepted for compatibility."));
    d.make<GetMember>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-Command");
    d.alias("gcm")
        .synopsis("Gets all commands.")
        .description(
            "Get-Command lists the cmdlets, functions and aliases this session knows, filtered by "
            "name wildcards, -Verb, -Noun or -CommandType.")
        .example("Get-Command *-Object", "The object-pipeline cmdlets.");
    d.param(Param("Name", ParamType::String)
                .array()
                .position(0)
                .pipeline_by_name()
                .help("Names (wildcards allowed)."));
    d.param(Param("Verb", ParamType::String).help("Only commands with this verb."));
    d.param(Param("Noun", ParamType::String).help("Only commands with this noun."));
    d.param(
        Param("CommandType", ParamType::String)
            .alias("Type")
            .validate_set({"Alias", "Function", "Cmdlet", "All", "Application", "ExternalScript"})
            .help("Only commands of this type."));
    d.make<GetCommand>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-Help");
    d.alias("help")
        .alias("man")
        .synopsis("Displays information about cimsh commands.")
        .description(
            "Get-Help shows a command's syntax (generated from its parameter sets), description, "
            "parameters and examples, from the help text registered with the command.")
        .example("Get-Help Where-Object -Full", "Everything about Where-Object.");
    d.param(Param("Name", ParamType::String)
                .position(0)
                .pipeline_by_name()
                .help("The command to describe (wildcards list matching commands)."));
    d.param(Param("Full", ParamType::Switch)
                .set("AllUsersView")
                .help("Adds parameter details and examples."));
    d.param(Param("Detailed", ParamType::Switch)
                .set("DetailedView")
                .mandatory()
                .help("Adds parameter details and examples."));
    d.param(Param("Examples", ParamType::Switch)
                .set("Examples")
                .mandatory()
                .help("Shows only the examples."));
    d.param(Param("Parameter", ParamType::String)
                .set("Parameters")
                .mandatory()
                .help("Shows one parameter (wildcards allowed)."));
    d.default_set("AllUsersView");
    d.make<GetHelp>();
    r.add(std::move(d));
  }
}

}  // namespace cimnet::shell

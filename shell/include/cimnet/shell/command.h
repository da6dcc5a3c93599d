#pragma once
// The cmdlet interface: metadata (parameter sets, pipeline flags, help) declared next to
// each cmdlet, and the runtime a cmdlet uses to read its parameters and write output.
//
// Adding a cmdlet is one registration:
//
//   registry.add(CommandDef("Get-Thing")
//       .alias("gth")
//       .synopsis("Gets things.")
//       .param(Param("Name", ParamType::String).array().position(0))
//       .param(Param("InputObject", ParamType::Object).pipeline().mandatory().set("Object"))
//       .default_set("Name")
//       .should_process(ConfirmImpact::Medium)
//       .example("Get-Thing -Name a*", "Gets the things whose name starts with a.")
//       .make<GetThingCmdlet>());
//
// The binder does the rest: named/positional/pipeline binding, parameter sets, prefixes,
// aliases, common parameters, -WhatIf/-Confirm through CommandRuntime::should_process.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cimnet/shell/errors.h"
#include "cimnet/shell/value.h"

namespace cimnet::shell {

class Interpreter;
class CommandRuntime;

// The type a parameter converts its argument to.
enum class ParamType {
  Any,
  String,
  Int,
  Double,
  Bool,
  Switch,
  ScriptBlock,
  Hashtable,
  DateTime,
  Object
};

// How a parameter takes part in one parameter set.
struct SetMembership {
  std::string set;  // "__AllParameterSets" when the parameter is in every set
  int position = -1;
  bool mandatory = false;
  bool from_pipeline = false;          // ValueFromPipeline (ByValue)
  bool from_pipeline_by_name = false;  // ValueFromPipelineByPropertyName
  bool remaining_arguments = false;    // ValueFromRemainingArguments
};

inline constexpr const char* kAllSets = "__AllParameterSets";

// One parameter of a command. The fluent setters after set() apply to that set; before any
// set() they apply to every set.
struct Param {
  Param(std::string name, ParamType type = ParamType::Any);
  // Fluent setters; each returns *this.
  Param& array();  // takes several values (String[] etc.)
  Param& alias(std::string a);
  Param& set(std::string set_name);  // joins a parameter set
  Param& position(int p);
  Param& mandatory(bool m = true);
  Param& pipeline();          // ByValue
  Param& pipeline_by_name();  // ByPropertyName
  Param& remaining();         // ValueFromRemainingArguments
  Param& validate_set(std::vector<std::string> values);
  Param& object_type(std::string type_name);  // ParamType::Object must be this type
  Param& help(std::string text);

  std::string name;
  ParamType type;
  bool is_array = false;
  bool is_common = false;
  std::vector<std::string> aliases;
  std::vector<SetMembership> sets;  // never empty
  std::vector<std::string> allowed;
  std::string required_type;
  std::string help_text;
  // The type as help and error messages show it ("System.Int32", "string[]").
  std::string type_display(bool short_form) const;

 private:
  SetMembership& current();
  bool explicit_set_ = false;
  SetMembership base_;
};

enum class ConfirmImpact { None, Low, Medium, High };

// A cmdlet instance: begin once, process per input object (or once without input), end once.
class Cmdlet {
 public:
  virtual ~Cmdlet() = default;
  virtual void begin(CommandRuntime&) {}
  virtual void process(CommandRuntime&) {}
  virtual void end(CommandRuntime&) {}
};

// Everything the shell knows about a command: metadata, help and how to make an instance.
struct CommandDef {
  explicit CommandDef(std::string name);
  // Fluent setters for the metadata that binding, Get-Help and Get-Command use;
  // should_process() adds -WhatIf/-Confirm; make<T>() says which Cmdlet class runs it.
  CommandDef& alias(std::string a);
  CommandDef& synopsis(std::string s);
  CommandDef& description(std::string d);
  CommandDef& example(std::string code, std::string remarks);
  CommandDef& param(Param p);
  CommandDef& default_set(std::string s);
  CommandDef& should_process(ConfirmImpact impact = ConfirmImpact::Medium);
  CommandDef& output_type(std::string t);
  CommandDef& notes(std::string n);
  template <class T>
  CommandDef& make() {
    factory = [] { return std::make_unique<T>(); };
    return *this;
  }

  std::string name;
  std::string kind = "Cmdlet";  // "Cmdlet" or "Function"
  std::string source = "cimnet";
  std::vector<std::string> aliases;
  std::string synopsis_text, description_text, notes_text;
  std::vector<std::pair<std::string, std::string>> examples;
  std::vector<Param> params;
  std::string default_set_name;
  bool supports_should_process = false;
  ConfirmImpact impact = ConfirmImpact::Medium;
  bool advanced = true;          // gets the common parameters
  bool takes_any_input = false;  // simple functions: input goes to $input/$_ unbound
  std::vector<std::string> output_types;
  std::function<std::unique_ptr<Cmdlet>()> factory;

  // The set names, in declaration order ("__AllParameterSets" when there are none).
  std::vector<std::string> set_names() const;
  // Finds a parameter by exact name or alias.
  const Param* find_param(std::string_view n) const;
  // One syntax line per set, as Get-Help shows it.
  std::vector<std::string> syntax() const;
};

// The commands a shell knows, by name and alias (case-insensitive).
class CommandRegistry {
 public:
  // Adds the common parameters and registers; replaces a command of the same name.
  void add(CommandDef def);
  const CommandDef* find(std::string_view name_or_alias) const;
  bool remove(std::string_view name);
  std::vector<const CommandDef*> all() const;
  // alias -> command name
  const std::map<std::string, std::string>& aliases() const { return aliases_; }
  void add_alias(const std::string& alias, const std::string& target);

 private:
  std::map<std::string, std::unique_ptr<CommandDef>> commands_;  // key: lower-case name
  std::map<std::string, std::string> aliases_;                   // key: lower-case alias
};

// The values bound to a command's parameters for one invocation.
struct BoundParameters {
  std::map<std::string, Value> values;  // key: parameter name as declared
  std::string set;                      // the resolved parameter set
  bool has(std::string_view name) const;
  const Value* find(std::string_view name) const;
};

// What a cmdlet sees while it runs.
class CommandRuntime {
 public:
  virtual ~CommandRuntime() = default;
  virtual const CommandDef& command() const = 0;
  virtual const BoundParameters& parameters() const = 0;
  // The current pipeline object in process() (null without pipeline input).
  virtual const Value& input() const = 0;
  // True when an upstream command feeds this one.
  virtual bool expecting_input() const = 0;
  // Sends an object downstream (arrays unroll when `enumerate`).
  virtual void write_object(const Value& v, bool enumerate = true) = 0;
  // A non-terminating error: honours -ErrorAction, -ErrorVariable, $ErrorActionPreference.
  virtual void write_error(ErrorRecord rec) = 0;
  // Ends the statement with `rec`.
  [[noreturn]] virtual void throw_terminating(ErrorRecord rec) = 0;
  virtual void write_verbose(const std::string& text) = 0;
  virtual void write_warning(const std::string& text) = 0;
  virtual void write_host(const std::string& text, bool newline = true) = 0;
  // -WhatIf / -Confirm / $ConfirmPreference: true when the action should go ahead.
  virtual bool should_process(const std::string& target, const std::string& action) = 0;
  virtual Interpreter& interpreter() = 0;

  // Convenience accessors over parameters().
  bool has(std::string_view name) const { return parameters().has(name); }
  Value get(std::string_view name) const;
  std::string get_string(std::string_view name, std::string fallback = "") const;
  int64_t get_int(std::string_view name, int64_t fallback = 0) const;
  bool get_switch(std::string_view name) const;
  std::vector<Value> get_array(std::string_view name) const;
  const std::string& parameter_set() const { return parameters().set; }
};

// Makes an error record for the running command.
ErrorRecord make_error(std::string message, std::string id, ErrorCategory cat, Value target = {});

}  // namespace cimnet::shell

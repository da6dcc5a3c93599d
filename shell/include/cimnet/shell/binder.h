#pragma once
// Parameter binding as PowerShell does it (see shell.md 3.2): named, then positional, then
// per pipeline object ByValue and ByPropertyName, narrowing the candidate parameter sets.

#include <set>
#include <string>
#include <vector>

#include "cimnet/shell/command.h"

namespace cimnet::shell {

// One evaluated command-line element: `-Name`, `-Name:value` or a plain argument.
struct ArgumentValue {
  bool is_parameter = false;
  std::string name;  // parameter name as typed (without '-')
  bool colon = false;
  Value value;
  Extent extent;
};

// Binds one invocation of one command. Binding errors are thrown as statement-terminating
// RuntimeErrors with PowerShell's messages and error ids.
class ParameterBinder {
 public:
  ParameterBinder(const CommandDef& def, bool expects_input);

  // Named then positional binding of the command-line arguments.
  void bind_command_line(const std::vector<ArgumentValue>& args);
  // Called when no pipeline object will come (first command of a pipeline): resolves the
  // parameter set and checks mandatory parameters.
  void finish();
  // Binds one pipeline object on top of the command-line bindings. False (with `err`) when
  // the object binds to nothing or leaves a mandatory parameter unbound.
  bool bind_pipeline_object(const Value& input, ErrorRecord& err);

  const BoundParameters& bound() const { return current_; }

 private:
  const Param* resolve_name(const std::string& typed, const Extent& at) const;
  bool in_candidates(const Param& p) const;
  void narrow(const Param& p);
  bool try_bind(const Param& p, const Value& v, bool allow_conversion, std::string& error);
  std::string resolve_set(std::vector<std::string>* missing) const;
  std::vector<std::string> missing_mandatory(const std::string& set) const;
  [[noreturn]] void fail(const std::string& msg, const std::string& id, const Extent& at,
                         ErrorCategory cat = ErrorCategory::InvalidArgument) const;

  const CommandDef& def_;
  bool expects_input_;
  std::vector<std::string> all_sets_;
  std::set<std::string> candidates_;
  BoundParameters current_;
  // backup of the command-line state restored before each pipeline object
  std::set<std::string> cl_candidates_;
  BoundParameters cl_bound_;
};

}  // namespace cimnet::shell

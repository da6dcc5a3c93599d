#pragma once
// Helpers shared by the interpreter's translation units (not part of the public API).

#include <string>
#include <vector>

#include "cimnet/shell/interpreter.h"

namespace cimnet::shell::internal {

// Evaluates an expression in the interpreter's current scope.
inline Value eval_expr(Interpreter& in, const Expr& e) {
  return in.eval_expression(e);
}
// + - * / % with PowerShell's conversions; throws RuntimeError on bad operands.
Value arithmetic(Interpreter& in, const std::string& op, const Value& a, const Value& b,
                 const Extent& at);
// Comparison operators (-eq, -clike, -match, -in, -replace, -split ...) on evaluated operands.
Value comparison(Interpreter& in, const std::string& op, const Value& l, const Value& r,
                 const Extent& at);
// Ends the commands upstream of `rt` (Select-Object -First).
[[noreturn]] void stop_upstream(CommandRuntime& rt);
// .NET composite formatting ("{0,-8:N2}") as the -f operator does it.
std::string format_composite(const std::string& fmt, const std::vector<Value>& args,
                             std::string& error);
// Converts for a cast [type]; false with `error` when the type is unknown or the value unfit.
bool cast_value(const std::string& type, const Value& v, Value& out, std::string& error);

// Sets the interpreter's current cmdlet for the lifetime of this object.
class CurrentCmdlet {
 public:
  CurrentCmdlet(Interpreter& in, CommandRuntime* rt) : in_(in), saved_(in.current_cmdlet()) {
    in.set_current_cmdlet(rt);
  }
  ~CurrentCmdlet() { in_.set_current_cmdlet(saved_); }
  CurrentCmdlet(const CurrentCmdlet&) = delete;
  CurrentCmdlet& operator=(const CurrentCmdlet&) = delete;

 private:
  Interpreter& in_;
  CommandRuntime* saved_;
};

// A cmdlet that needs all of its input before it can answer (Sort-Object,
// Group-Object, Format-Table, ConvertTo-Json ...): process() gathers each
// pipeline object, or -InputObject when nothing is piped, into items_.
class CollectingCmdlet : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    if (rt.expecting_input())
      items_.push_back(rt.input());
    else if (rt.has("InputObject"))
      items_.push_back(rt.get("InputObject"));
  }

 protected:
  std::vector<Value> items_;
};

}  // namespace cimnet::shell::internal

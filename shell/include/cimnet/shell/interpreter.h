#pragma once
// The cimsh interpreter: scopes, statement execution, pipelines and the error streams.

#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cimnet/shell/ast.h"
#include "cimnet/shell/command.h"
#include "cimnet/shell/errors.h"
#include "cimnet/shell/format.h"
#include "cimnet/shell/value.h"

namespace cimnet::shell {

// Where the shell's text goes: standard output, the error stream, and the user's answers
// to confirmation prompts.
class Host {
 public:
  virtual ~Host() = default;
  virtual void out(const std::string& text) = 0;  // standard output
  virtual void err(const std::string& text) = 0;  // errors, warnings, verbose
  // One line typed by the user, or nullopt at end of input.
  virtual std::optional<std::string> read_line(const std::string& prompt) = 0;
  // Columns available for tables.
  virtual int width() const = 0;
  // Shows (or with empty text, clears) the one-line progress display; hosts that are not
  // terminals ignore it, as PowerShell does when output is redirected.
  virtual void progress(const std::string& /*line*/) {}
};

// Host on the process's stdin/stdout/stderr; width from the terminal, else $COLUMNS, else 120.
class ConsoleHost : public Host {
 public:
  void out(const std::string& text) override;
  void err(const std::string& text) override;
  std::optional<std::string> read_line(const std::string& prompt) override;
  int width() const override;
  void progress(const std::string& line) override;
};

// Host that records everything (tests, Out-String).
class StringHost : public Host {
 public:
  void out(const std::string& text) override { output += text; }
  void err(const std::string& text) override { errors += text; }
  std::optional<std::string> read_line(const std::string&) override;
  int width() const override { return columns; }
  void progress(const std::string& line) override { progress_lines.push_back(line); }
  std::string output, errors;
  std::vector<std::string> progress_lines;
  std::vector<std::string> answers;
  int columns = 120;
};

// A scope of variables and functions; child scopes see their parents.
struct Scope {
  Scope* parent = nullptr;
  std::map<std::string, Value> variables;  // key: lower-case name
  std::map<std::string, std::string> display_names;
  std::map<std::string, std::shared_ptr<CommandDef>> functions;
};

using OutputSink = std::function<void(const Value&)>;

// Runs scripts. One instance is one shell session.
class Interpreter {
 public:
  explicit Interpreter(Host& host);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  CommandRegistry& commands() { return registry_; }
  Host& host() { return host_; }
  Formatter& formatter() { return formatter_; }

  // Runs a whole script (top level): output goes to Out-Default, errors are reported and
  // statement-terminating errors let the next statement run. Returns false when a
  // script-terminating error stopped it. Parse errors are reported and return false.
  bool run_script(const std::string& name, const std::string& text);
  // Parses and runs `text`, collecting its output (errors still go to the error stream).
  std::vector<Value> evaluate(const std::string& text);
  // Runs a script block with $_ = `dollar_underscore` (when not null) and `args` as $args,
  // in a new scope unless `same_scope`. Output goes to `sink`.
  void invoke(const ScriptBlock& block, const Value* dollar_underscore,
              const std::vector<Value>& args, const OutputSink& sink, bool same_scope = false);
  // Same, collecting the output.
  std::vector<Value> invoke_collect(const ScriptBlock& block, const Value* dollar_underscore,
                                    const std::vector<Value>& args = {}, bool same_scope = false);

  // Variables ($global: for the outermost scope).
  Value get_variable(std::string_view name) const;
  bool has_variable(std::string_view name) const;
  void set_variable(std::string_view name, Value v);
  void set_global(std::string_view name, Value v);
  std::vector<std::string> variable_names() const;

  // Reports an error on the error stream, adds it to $Error and marks $? false.
  void report_error(const ErrorRecord& rec, bool record_in_error_list = true);
  // Text PowerShell's concise view shows for an error.
  std::string format_error(const ErrorRecord& rec) const;

  // The command a name resolves to (function, cmdlet or alias), or nullptr.
  const CommandDef* resolve_command(std::string_view name) const;
  std::vector<const CommandDef*> all_commands() const;

  // Exit code requested by `exit N` (nullopt when the script did not call exit).
  std::optional<int> exit_code() const { return exit_code_; }
  bool last_status() const { return last_status_; }
  // Script arguments ($args at the top level of a -File script).
  void set_script_args(std::vector<Value> args) { script_args_ = std::move(args); }

  // Internal: run by the pipeline machinery.
  void execute_statements(const StatementList& list, const OutputSink& sink);
  Scope& current_scope() { return *scope_; }
  int try_depth() const { return try_depth_; }
  void set_last_status(bool ok) { last_status_ = ok; }
  Value call_method(const Value& target, const std::string& name, const std::vector<Value>& args,
                    const Extent& at);
  // The cmdlet whose code is running ($PSCmdlet in advanced functions).
  CommandRuntime* current_cmdlet() const { return current_cmdlet_; }
  void set_current_cmdlet(CommandRuntime* rt) { current_cmdlet_ = rt; }
  Value eval_expression(const Expr& e) { return eval(e); }

  // Counts nested script block and function calls; throws past `kMaxCallDepth` as
  // PowerShell does ("call depth overflow") instead of overflowing the stack.
  static constexpr int kMaxCallDepth = 100;
  class CallDepth {
   public:
    explicit CallDepth(Interpreter& in);
    ~CallDepth() { --in_.call_depth_; }
    CallDepth(const CallDepth&) = delete;
    CallDepth& operator=(const CallDepth&) = delete;

   private:
    Interpreter& in_;
  };

  // Names of the functions being run, innermost last (errors they write carry the name).
  std::vector<std::string>& function_stack() { return function_stack_; }

  // Set from a signal handler (Ctrl-C): the running pipeline stops at the next object.
  void request_stop() { stop_requested_ = 1; }
  void clear_stop() { stop_requested_ = 0; }
  // Throws "The pipeline has been stopped." when a stop was requested.
  void check_stop();

  // Makes `scope` current until destroyed (functions keep their scope across begin/process/end).
  class ScopeSwitch {
   public:
    ScopeSwitch(Interpreter& in, Scope* scope) : in_(in), saved_(in.scope_) { in.scope_ = scope; }
    ~ScopeSwitch() { in_.scope_ = saved_; }
    ScopeSwitch(const ScopeSwitch&) = delete;
    ScopeSwitch& operator=(const ScopeSwitch&) = delete;

   private:
    Interpreter& in_;
    Scope* saved_;
  };

 private:
  friend class PipelineRunner;
  friend class ExprEvaluator;
  struct ScopeGuard;

  void execute(const Statement& st, const OutputSink& sink);
  void execute_pipeline(const PipelineStatement& st, const OutputSink& sink);
  void execute_assignment(const AssignmentStatement& st, const OutputSink& sink);
  void execute_try(const TryStatement& st, const OutputSink& sink);
  void execute_loop(const LoopStatement& st, const OutputSink& sink);
  void execute_switch(const SwitchStatement& st, const OutputSink& sink);
  Value eval(const Expr& e);
  std::vector<Value> eval_statement_collect(const Statement& st);
  Value eval_statement_value(const Statement& st);
  void assign(const Expr& target, Value v, const Extent& at);
  Value eval_binary(const BinaryExpr& b);
  Value eval_unary(const UnaryExpr& u);
  Value eval_member(const MemberExpr& m);
  Value eval_index(const IndexExpr& ix);
  Value eval_cast(const CastExpr& c);
  Value eval_string(const ExpandableStringExpr& s);
  Value eval_static(const std::string& type, const std::string& name,
                    const std::vector<Value>* args, const Extent& at);
  Value eval_variable(const VariableExpr& v);
  void define_function(const FunctionStatement& f);
  [[noreturn]] void fail(const std::string& message, const std::string& id, ErrorCategory cat,
                         const Extent& at, bool script_terminating = false);

  Host& host_;
  CommandRegistry registry_;
  Formatter formatter_;
  std::unique_ptr<Scope> global_;
  Scope* scope_ = nullptr;
  std::vector<std::shared_ptr<ParsedScript>> scripts_;  // keep parsed scripts alive
  int try_depth_ = 0;
  bool last_status_ = true;
  std::optional<int> exit_code_;
  std::vector<Value> script_args_;
  std::shared_ptr<const ParsedScript> current_script_;
  CommandRuntime* current_cmdlet_ = nullptr;
  int call_depth_ = 0;
  int silenced_errors_ = 0;  // > 0 inside a pipeline redirected with 2>$null
  int merged_errors_ = 0;    // > 0 inside a pipeline redirected with 2>&1
  std::vector<std::string> function_stack_;
  volatile std::sig_atomic_t stop_requested_ = 0;
};

// Converts `v` to parameter type `type`; nullopt with `error` set when it cannot.
std::optional<Value> convert_to(const Value& v, ParamType type, bool array, std::string& error,
                                bool allow_conversion = true);

// Registers the utility cmdlets (Where-Object ... Get-Date).
void register_utility_cmdlets(CommandRegistry& registry);

}  // namespace cimnet::shell

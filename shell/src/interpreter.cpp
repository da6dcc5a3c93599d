#include "cimnet/shell/interpreter.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cimnet/shell/binder.h"
#include "internal.h"
#include "regex.h"

extern char** environ;

namespace cimnet::shell {

// ---------- hosts ----------

void ConsoleHost::out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}
void ConsoleHost::err(const std::string& text) {
  std::fflush(stdout);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}
std::optional<std::string> ConsoleHost::read_line(const std::string& prompt) {
  out(prompt);
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  return line;
}
int ConsoleHost::width() const {
  struct winsize ws {};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 120;
}

void ConsoleHost::progress(const std::string& line) {
  if (!isatty(STDERR_FILENO)) return;
  std::string text = "\r\x1b[K" + line;  // carriage return, clear to end of line
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::optional<std::string> StringHost::read_line(const std::string& prompt) {
  output += prompt;
  if (answers.empty()) return std::nullopt;
  std::string a = answers.front();
  answers.erase(answers.begin());
  output += a + "\n";
  return a;
}

// ---------- control flow signals ----------

struct BreakSignal {
  std::string label;
};
struct ContinueSignal {
  std::string label;
};
struct ReturnSignal {};
struct ExitSignal {
  int code;
};

struct Interpreter::ScopeGuard {
  Interpreter& in;
  Scope* saved;
  std::unique_ptr<Scope> owned;
  ScopeGuard(Interpreter& i, bool new_scope) : in(i), saved(i.scope_) {
    if (new_scope) {
      owned = std::make_unique<Scope>();
      owned->parent = i.scope_;
      i.scope_ = owned.get();
    }
  }
  ScopeGuard(Interpreter& i, Scope* use) : in(i), saved(i.scope_) { i.scope_ = use; }
  ~ScopeGuard() { in.scope_ = saved; }
};

// ---------- construction ----------

Interpreter::Interpreter(Host& host) : host_(host) {
  global_ = std::make_unique<Scope>();
  scope_ = global_.get();
  set_variable("ErrorActionPreference", Value("Continue"));
  set_variable("ConfirmPreference", Value("High"));
  set_variable("WhatIfPreference", Value(false));
  set_variable("VerbosePreference", Value("SilentlyContinue"));
  set_variable("WarningPreference", Value("Continue"));
  set_variable("Error", Value::array());
  set_variable("PID", Value(static_cast<int64_t>(getpid())));
  set_variable("FormatEnumerationLimit", Value(int64_t{4}));
  if (const char* h = std::getenv("HOME")) set_variable("HOME", Value(h));
  auto ver = std::make_shared<Hashtable>();
  ver->set("PSVersion", Value("7.4"));
  ver->set("PSEdition", Value("cimsh"));
  ver->set("Platform", Value("Unix"));
  set_variable("PSVersionTable", Value(ver));
  register_utility_cmdlets(registry_);
}

Interpreter::~Interpreter() = default;

Interpreter::CallDepth::CallDepth(Interpreter& in) : in_(in) {
  if (++in_.call_depth_ > kMaxCallDepth) {
    --in_.call_depth_;
    ErrorRecord r = make_error("The script failed due to call depth overflow.", "CallDepthOverflow",
                               ErrorCategory::InvalidOperation);
    r.exception_type = "System.Management.Automation.ScriptCallDepthException";
    throw RuntimeError(std::move(r), true);
  }
}

void Interpreter::check_stop() {
  if (!stop_requested_) return;
  stop_requested_ = 0;
  ErrorRecord r = make_error("The pipeline has been stopped.", "PipelineStopped",
                             ErrorCategory::OperationStopped);
  r.exception_type = "System.Management.Automation.PipelineStoppedException";
  throw RuntimeError(std::move(r), true);
}

// ---------- variables ----------

static std::string var_key(std::string_view n) {
  return to_lower(n);
}

Value Interpreter::get_variable(std::string_view name) const {
  std::string k = var_key(name);
  for (Scope* s = scope_; s; s = s->parent) {
    auto it = s->variables.find(k);
    if (it != s->variables.end()) return it->second;
  }
  return Value();
}

bool Interpreter::has_variable(std::string_view name) const {
  std::string k = var_key(name);
  for (Scope* s = scope_; s; s = s->parent)
    if (s->variables.count(k)) return true;
  return false;
}

void Interpreter::set_variable(std::string_view name, Value v) {
  std::string k = var_key(name);
  scope_->variables[k] = std::move(v);
  scope_->display_names[k] = std::string(name);
}

void Interpreter::set_global(std::string_view name, Value v) {
  std::string k = var_key(name);
  global_->variables[k] = std::move(v);
  global_->display_names[k] = std::string(name);
}

std::vector<std::string> Interpreter::variable_names() const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (Scope* s = scope_; s; s = s->parent)
    for (auto& [k, v] : s->variables)
      if (seen.insert(k).second)
        out.push_back(s->display_names.count(k) ? s->display_names.at(k) : k);
  for (auto* n :
       {"true", "false", "null", "_", "PSItem", "args", "input", "LASTEXITCODE", "Matches"})
    if (seen.insert(to_lower(n)).second) out.push_back(n);
  return out;
}

// ---------- errors ----------

void Interpreter::fail(const std::string& message, const std::string& id, ErrorCategory cat,
                       const Extent& at, bool script_terminating) {
  ErrorRecord r = make_error(message, id, cat);
  r.position = at;
  throw RuntimeError(std::move(r), script_terminating);
}

std::string Interpreter::format_error(const ErrorRecord& rec) const {
  // PowerShell's concise view names the command, or else the category (or the exception
  // type for uncategorised errors; "Exception" for `throw`).
  std::string head = rec.command;
  if (rec.error_id == "CommandNotFoundException") head = to_string(rec.target);
  if (head.empty()) {
    if (rec.category == ErrorCategory::OperationStopped ||
        rec.category == ErrorCategory::ParserError)
      head = rec.category == ErrorCategory::ParserError ? "ParserError" : "Exception";
    else if (rec.category == ErrorCategory::NotSpecified)
      head = rec.exception_type.substr(rec.exception_type.rfind('.') + 1);
    else
      head = category_name(rec.category);
  }
  const Extent& p = rec.position;
  bool show_block = p.line > 0 && p.source &&
                    (!p.source->name.empty() || rec.category == ErrorCategory::ParserError ||
                     p.source->line_starts.size() > 1);
  if (!show_block) return head + ": " + rec.message + "\n";
  std::string where = p.source->name.empty() ? "" : p.source->name + ":";
  std::string out =
      head + ": " + where + std::to_string(p.line) + ":" + std::to_string(p.column) + "\n";
  std::string num = std::to_string(p.line);
  std::string pad(std::max<size_t>(4, num.size()), ' ');
  std::string lineno = std::string(pad.size() - num.size(), ' ') + num;
  std::string text = p.source->line_text(p.line);
  for (auto& c : text)
    if (c == '\t') c = ' ';
  size_t col = static_cast<size_t>(p.column - 1);
  // long lines are shown as a window around the error, as PowerShell does
  if (text.size() > 100) {
    size_t from = col > 50 ? col - 50 : 0;
    std::string window = text.substr(from, 100);
    if (from > 0) {
      window = "\xE2\x80\xA6" + window;  // the ellipsis is one column wide
      col = col - from + 1;
    }
    if (from + 100 < text.size()) window += "\xE2\x80\xA6";
    text = window;
  }
  out += "Line |\n";
  out += lineno + " |  " + text + "\n";
  size_t len = std::max<size_t>(1, std::min<size_t>(std::min<size_t>(p.length, 100),
                                                    text.size() > col ? text.size() - col : 1));
  out += pad + " |  " + std::string(col, ' ') + std::string(len, '~') + "\n";
  std::string msg = rec.message;
  size_t start = 0;
  for (;;) {
    size_t nl = msg.find('\n', start);
    out += pad + " | " +
           msg.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

void Interpreter::report_error(const ErrorRecord& rec, bool record_in_error_list) {
  if (record_in_error_list) {
    Value list = global_->variables["error"];
    if (!list.is_array()) list = Value::array();
    list.as_array()->insert(list.as_array()->begin(), rec.to_value());
    if (list.as_array()->size() > 256) list.as_array()->pop_back();
    global_->variables["error"] = list;
  }
  formatter_.flush(host_.width(), [this](const std::string& s) { host_.out(s); });
  host_.err(format_error(rec));
  last_status_ = false;
}

// ---------- running scripts ----------

bool Interpreter::run_script(const std::string& name, const std::string& text) {
  std::shared_ptr<ParsedScript> script;
  try {
    script = parse_script(name, text);
  } catch (const ParseError& e) {
    ErrorRecord r = make_error(e.what(), e.error_id, ErrorCategory::ParserError);
    r.position = e.extent;
    r.exception_type = "System.Management.Automation.ParseException";
    report_error(r);
    return false;
  }
  scripts_.push_back(script);
  auto saved = current_script_;
  current_script_ = script;
  auto emit = [this](const std::string& s) { host_.out(s); };
  OutputSink sink = [this, &emit](const Value& v) { formatter_.write(v, host_.width(), emit); };
  bool ok = true;
  if (!script_args_.empty() || !has_variable("args"))
    set_variable("args", Value::array(script_args_));
  try {
    for (auto& st : script->root->end) {
      try {
        execute(*st, sink);
      } catch (RuntimeError& e) {
        if (e.script_terminating) throw;
        report_error(e.record);
      }
      formatter_.flush(host_.width(), emit);
    }
  } catch (RuntimeError& e) {
    formatter_.flush(host_.width(), emit);
    // Ctrl-C ends the pipeline quietly, as in PowerShell
    if (e.record.error_id == "PipelineStopped")
      host_.out("\n");
    else
      report_error(e.record);
    ok = false;
  } catch (ExitSignal& e) {
    formatter_.flush(host_.width(), emit);
    exit_code_ = e.code;
    set_global("LASTEXITCODE", Value(int64_t{e.code}));
  } catch (BreakSignal&) {
    formatter_.flush(host_.width(), emit);
  } catch (ContinueSignal&) {
    formatter_.flush(host_.width(), emit);
  } catch (ReturnSignal&) {
    formatter_.flush(host_.width(), emit);
  }
  current_script_ = saved;
  return ok;
}

std::vector<Value> Interpreter::evaluate(const std::string& text) {
  auto script = parse_script("", text);
  scripts_.push_back(script);
  std::vector<Value> out;
  auto saved = current_script_;
  current_script_ = script;
  try {
    execute_statements(script->root->end, [&](const Value& v) { out.push_back(v); });
  } catch (...) {
    current_script_ = saved;
    throw;
  }
  current_script_ = saved;
  return out;
}

void Interpreter::execute_statements(const StatementList& list, const OutputSink& sink) {
  for (auto& st : list) {
    try {
      execute(*st, sink);
    } catch (RuntimeError& e) {
      if (e.script_terminating || try_depth_ > 0) throw;
      report_error(e.record);
    }
  }
}

std::vector<Value> Interpreter::eval_statement_collect(const Statement& st) {
  std::vector<Value> out;
  execute(st, [&](const Value& v) { out.push_back(v); });
  return out;
}

// A statement's output as one value: nothing -> $null, one -> itself, more -> array.
Value Interpreter::eval_statement_value(const Statement& st) {
  if (st.kind == Statement::Kind::Pipeline) {
    auto& p = static_cast<const PipelineStatement&>(st);
    if (p.elements.size() == 1 && p.elements[0].expression && p.elements[0].redirections.empty())
      return eval(*p.elements[0].expression);
  }
  auto out = eval_statement_collect(st);
  if (out.empty()) return Value();
  if (out.size() == 1) return out[0];
  return Value::array(std::move(out));
}

void Interpreter::execute(const Statement& st, const OutputSink& sink) {
  check_stop();
  switch (st.kind) {
    case Statement::Kind::Pipeline:
      execute_pipeline(static_cast<const PipelineStatement&>(st), sink);
      return;
    case Statement::Kind::Assignment:
      execute_assignment(static_cast<const AssignmentStatement&>(st), sink);
      return;
    case Statement::Kind::If: {
      auto& s = static_cast<const IfStatement&>(st);
      for (auto& [cond, body] : s.clauses) {
        if (to_bool(eval_statement_value(*cond))) {
          execute_statements(body, sink);
          return;
        }
      }
      if (s.else_body) execute_statements(*s.else_body, sink);
      return;
    }
    case Statement::Kind::While:
    case Statement::Kind::DoWhile:
    case Statement::Kind::For:
    case Statement::Kind::Foreach:
      execute_loop(static_cast<const LoopStatement&>(st), sink);
      return;
    case Statement::Kind::Function:
      define_function(static_cast<const FunctionStatement&>(st));
      return;
    case Statement::Kind::Try:
      execute_try(static_cast<const TryStatement&>(st), sink);
      return;
    case Statement::Kind::Throw: {
      auto& s = static_cast<const FlowStatement&>(st);
      Value v = s.value ? eval_statement_value(*s.value) : Value();
      if (!s.value) {
        // a bare `throw` in a catch block rethrows the error being handled
        Value current = get_variable("_");
        if (current.is_object() &&
            current.as_object()->is_a("System.Management.Automation.ErrorRecord"))
          v = current;
      }
      ErrorRecord r;
      if (v.is_object() && (v.as_object()->is_a("System.Management.Automation.ErrorRecord") ||
                            v.as_object()->is_a("System.Exception"))) {
        r = ErrorRecord::from_value(v);
      } else {
        r.message = v.is_null() ? "ScriptHalted" : to_string(v);
        r.error_id = r.message;
        r.target = v;
        r.category = ErrorCategory::OperationStopped;
      }
      if (r.position.line == 0) r.position = st.extent;
      throw RuntimeError(std::move(r), true);
    }
    case Statement::Kind::Return: {
      auto& s = static_cast<const FlowStatement&>(st);
      if (s.value) execute(*s.value, sink);
      throw ReturnSignal{};
    }
    case Statement::Kind::Exit: {
      auto& s = static_cast<const FlowStatement&>(st);
      int code = 0;
      if (s.value) code = static_cast<int>(to_int(eval_statement_value(*s.value)).value_or(0));
      throw ExitSignal{code};
    }
    case Statement::Kind::Break:
      throw BreakSignal{static_cast<const FlowStatement&>(st).label};
    case Statement::Kind::Continue:
      throw ContinueSignal{static_cast<const FlowStatement&>(st).label};
    case Statement::Kind::Block:
      execute_statements(static_cast<const BlockStatement&>(st).body, sink);
      return;
    case Statement::Kind::Switch:
      execute_switch(static_cast<const SwitchStatement&>(st), sink);
      return;
  }
}

void Interpreter::execute_switch(const SwitchStatement& st, const OutputSink& sink) {
  Value v = eval_statement_value(*st.value);
  std::vector<Value> items = v.is_array() ? *v.as_array() : std::vector<Value>{v};
  Value saved = get_variable("_");
  auto matches = [&](const SwitchStatement::Clause& c, const Value& item) -> bool {
    if (c.condition->kind == Expr::Kind::ScriptBlock) {
      auto sb = eval(*c.condition);
      auto out = invoke_collect(*sb.as_scriptblock(), &item, {}, true);
      return to_bool(out.empty() ? Value() : out.size() == 1 ? out[0] : Value::array(out));
    }
    Value cond = eval(*c.condition);
    std::string prefix = st.case_sensitive ? "-c" : "-";
    if (st.mode == "regex")
      return to_bool(internal::comparison(*this, prefix + "match", Value(to_string(item)), cond,
                                          c.condition->extent));
    if (st.mode == "wildcard")
      return to_bool(internal::comparison(*this, prefix + "like", Value(to_string(item)), cond,
                                          c.condition->extent));
    return values_equal(item, cond, st.case_sensitive) ||
           (!item.is_string() && values_equal(cond, item, st.case_sensitive));
  };
  try {
    for (auto& item : items) {
      bool any = false;
      try {
        for (auto& c : st.clauses) {
          if (!c.condition) continue;
          set_variable("_", item);
          if (!matches(c, item)) continue;
          any = true;
          set_variable("_", item);
          execute_statements(c.body, sink);
        }
        if (!any)
          for (auto& c : st.clauses)
            if (!c.condition) {
              set_variable("_", item);
              execute_statements(c.body, sink);
            }
      } catch (ContinueSignal& c) {
        if (!c.label.empty() && !iequals(c.label, st.label)) throw;
      }
    }
  } catch (BreakSignal& b) {
    if (!b.label.empty() && !iequals(b.label, st.label)) {
      set_variable("_", saved);
      throw;
    }
  }
  set_variable("_", saved);
}

void Interpreter::execute_loop(const LoopStatement& st, const OutputSink& sink) {
  auto run_body = [&]() -> bool {  // false = break
    try {
      execute_statements(st.body, sink);
    } catch (BreakSignal& b) {
      if (!b.label.empty() && !iequals(b.label, st.label)) throw;
      return false;
    } catch (ContinueSignal& c) {
      if (!c.label.empty() && !iequals(c.label, st.label)) throw;
    }
    return true;
  };
  switch (st.kind) {
    case Statement::Kind::While:
      while (to_bool(eval_statement_value(*st.condition)))
        if (!run_body()) break;
      break;
    case Statement::Kind::DoWhile:
      for (;;) {
        if (!run_body()) break;
        bool c = to_bool(eval_statement_value(*st.condition));
        if (st.until ? c : !c) break;
      }
      break;
    case Statement::Kind::For:
      if (st.init) eval_statement_collect(*st.init);
      for (;;) {
        if (st.condition && !to_bool(eval_statement_value(*st.condition))) break;
        if (!run_body()) break;
        if (st.iterator) eval_statement_collect(*st.iterator);
      }
      break;
    case Statement::Kind::Foreach: {
      Value coll = eval_statement_value(*st.collection);
      std::vector<Value> items;
      if (coll.is_null()) break;
      items = enumerate(coll);
      for (auto& item : items) {
        set_variable(st.variable, item);
        if (!run_body()) break;
      }
      break;
    }
    default:
      break;
  }
}

static bool catch_matches(const std::vector<std::string>& types, const ErrorRecord& r) {
  if (types.empty()) return true;
  for (auto& t : types) {
    std::string full = r.exception_type;
    std::string tl = to_lower(t), fl = to_lower(full);
    if (tl == fl || fl.ends_with("." + tl)) return true;
    if (tl == "exception" || tl == "system.exception") return true;
    if ((tl == "system.management.automation.runtimeexception" || tl == "runtimeexception") &&
        fl.find("automation") != std::string::npos)
      return true;
  }
  return false;
}

void Interpreter::execute_try(const TryStatement& st, const OutputSink& sink) {
  std::optional<RuntimeError> pending;
  bool handled = false;
  try {
    ++try_depth_;
    try {
      execute_statements(st.body, sink);
    } catch (...) {
      --try_depth_;
      throw;
    }
    --try_depth_;
  } catch (RuntimeError& e) {
    for (auto& c : st.catches) {
      if (!catch_matches(c.types, e.record)) continue;
      handled = true;
      Value rec = e.record.to_value();
      Value saved_underscore = get_variable("_");
      // errors caught are still recorded in $Error, as PowerShell does
      Value list = global_->variables["error"];
      if (list.is_array()) list.as_array()->insert(list.as_array()->begin(), rec);
      set_variable("_", rec);
      set_variable("PSItem", rec);
      try {
        execute_statements(c.body, sink);
      } catch (...) {
        set_variable("_", saved_underscore);
        if (st.finally_body) execute_statements(*st.finally_body, sink);
        throw;
      }
      set_variable("_", saved_underscore);
      break;
    }
    if (!handled) pending.emplace(e);
  } catch (...) {
    if (st.finally_body) execute_statements(*st.finally_body, sink);
    throw;
  }
  if (st.finally_body) execute_statements(*st.finally_body, sink);
  if (pending) throw *pending;
}

// ---------- functions ----------

namespace {

std::shared_ptr<CommandDef> make_function_def(const std::string& name, const ScriptBlock& body) {
  auto def = std::make_shared<CommandDef>(name);
  def->kind = "Function";
  def->source = "";
  const ScriptBlockAst& ast = *body.ast;
  bool advanced = ast.cmdlet_binding;
  int next_pos = 0;
  for (auto& pa : ast.params)
    if (pa.mandatory || pa.position >= 0 || pa.from_pipeline || pa.from_pipeline_by_name ||
        !pa.parameter_set.empty())
      advanced = true;
  for (auto& pa : ast.params) {
    ParamType t = ParamType::Any;
    std::string tl = to_lower(pa.type);
    bool arr = tl.ends_with("[]");
    if (arr) tl = tl.substr(0, tl.size() - 2);
    if (tl == "string")
      t = ParamType::String;
    else if (tl == "int" || tl == "int32" || tl == "long" || tl == "int64" || tl == "uint16" ||
             tl == "uint32" || tl == "byte")
      t = ParamType::Int;
    else if (tl == "double" || tl == "float" || tl == "decimal" || tl == "single")
      t = ParamType::Double;
    else if (tl == "switch")
      t = ParamType::Switch;
    else if (tl == "bool" || tl == "boolean")
      t = ParamType::Bool;
    else if (tl == "scriptblock")
      t = ParamType::ScriptBlock;
    else if (tl == "hashtable")
      t = ParamType::Hashtable;
    else if (tl == "datetime")
      t = ParamType::DateTime;
    Param p(pa.name, t);
    if (arr) p.array();
    for (auto& a : pa.aliases) p.alias(a);
    if (!pa.validate_set.empty()) p.validate_set(pa.validate_set);
    int pos = pa.position;
    if (pos < 0 && t != ParamType::Switch && !ast.cmdlet_binding) pos = next_pos;
    if (t != ParamType::Switch) ++next_pos;
    if (!pa.parameter_set.empty()) p.set(pa.parameter_set);
    if (pos >= 0) p.position(pos);
    if (pa.mandatory) p.mandatory();
    if (pa.from_pipeline) p.pipeline();
    if (pa.from_pipeline_by_name) p.pipeline_by_name();
    def->params.push_back(std::move(p));
  }
  def->advanced = advanced;
  if (ast.supports_should_process) def->should_process();
  def->default_set_name = ast.default_set;
  if (!advanced) {
    Param rest("__args", ParamType::Any);
    rest.position(1000).remaining();
    rest.is_common = true;
    def->params.push_back(std::move(rest));
    def->takes_any_input = true;
  }
  def->synopsis_text = "";
  return def;
}

}  // namespace

// Runs a script block's begin/process/end as a pipeline command (functions and scripts).
class FunctionCmdlet : public Cmdlet {
 public:
  FunctionCmdlet(Interpreter& in, ScriptBlock body, std::shared_ptr<const CommandDef> def)
      : in_(in), body_(std::move(body)), def_(std::move(def)) {}

  void begin(CommandRuntime& rt) override {
    scope_ = std::make_unique<Scope>();
    scope_->parent = &in_.current_scope();
    Interpreter::ScopeSwitch sw(in_, scope_.get());
    const ScriptBlockAst& ast = *body_.ast;
    auto bound = std::make_shared<Hashtable>();
    Array extra;
    for (auto& pa : ast.params) {
      if (auto* v = rt.parameters().find(pa.name)) {
        in_.set_variable(pa.name, *v);
        bound->set(pa.name, *v);
      } else if (pa.default_value) {
        in_.set_variable(pa.name, internal::eval_expr(in_, *pa.default_value));
      } else {
        const Param* p = def_->find_param(pa.name);
        in_.set_variable(pa.name, p && p->type == ParamType::Switch ? Value(false) : Value());
      }
    }
    if (auto* rest = rt.parameters().find("__args")) extra = enumerate(*rest);
    in_.set_variable("args", Value::array(extra));
    in_.set_variable("PSBoundParameters", Value(bound));
    if (auto* ea = rt.parameters().find("ErrorAction"))
      in_.set_variable("ErrorActionPreference", *ea);
    if (rt.get_switch("Verbose")) in_.set_variable("VerbosePreference", Value("Continue"));
    if (rt.get_switch("WhatIf")) in_.set_variable("WhatIfPreference", Value(true));
    cmdlet_obj_ = make_object({{"ParameterSetName", Value(rt.parameter_set())}},
                              "System.Management.Automation.PSScriptCmdlet");
    in_.set_variable("PSCmdlet", Value(cmdlet_obj_));
    run(ast.begin, rt, nullptr);
  }

  void process(CommandRuntime& rt) override {
    const ScriptBlockAst& ast = *body_.ast;
    if (!rt.expecting_input()) {
      if (ast.named_blocks) run(ast.process, rt, nullptr);
      return;
    }
    if (ast.named_blocks) {
      Interpreter::ScopeSwitch sw(in_, scope_.get());
      // parameters bound from this pipeline object
      for (auto& pa : ast.params)
        if (auto* v = rt.parameters().find(pa.name)) in_.set_variable(pa.name, *v);
      cmdlet_obj_->set("ParameterSetName", Value(rt.parameter_set()));
      run(ast.process, rt, &rt.input());
    } else {
      input_.push_back(rt.input());
    }
  }

  void end(CommandRuntime& rt) override {
    const ScriptBlockAst& ast = *body_.ast;
    Interpreter::ScopeSwitch sw(in_, scope_.get());
    in_.set_variable("input", Value::array(input_));
    run(ast.end, rt, nullptr);
  }

 private:
  void run(const StatementList& list, CommandRuntime& rt, const Value* underscore) {
    if (list.empty()) return;
    Interpreter::CallDepth depth(in_);
    Interpreter::ScopeSwitch sw(in_, scope_.get());
    if (underscore) {
      in_.set_variable("_", *underscore);
      in_.set_variable("PSItem", *underscore);
    }
    internal::CurrentCmdlet cc(in_, &rt);
    in_.function_stack().push_back(def_->name);
    try {
      in_.execute_statements(list, [&](const Value& v) { rt.write_object(v); });
    } catch (ReturnSignal&) {
    } catch (...) {
      in_.function_stack().pop_back();
      throw;
    }
    in_.function_stack().pop_back();
  }

  Interpreter& in_;
  ScriptBlock body_;
  std::shared_ptr<const CommandDef> def_;
  std::unique_ptr<Scope> scope_;
  std::vector<Value> input_;
  std::shared_ptr<Object> cmdlet_obj_;
};

void Interpreter::define_function(const FunctionStatement& f) {
  ScriptBlock sb;
  sb.owner = current_script_;
  sb.shared = f.body;
  sb.ast = f.body.get();
  auto def = make_function_def(f.name, sb);
  def->factory = [this, sb, weak = std::weak_ptr<CommandDef>(def)]() -> std::unique_ptr<Cmdlet> {
    auto d = weak.lock();
    return std::make_unique<FunctionCmdlet>(*this, sb, d);
  };
  registry_.add(*def);  // adds the common parameters for advanced functions
  // keep the registry's copy; the scope table points at it through a shared handle
  auto* reg = registry_.find(f.name);
  auto shared = std::make_shared<CommandDef>(*reg);
  shared->factory = [this, sb,
                     shared_def = std::weak_ptr<CommandDef>(shared)]() -> std::unique_ptr<Cmdlet> {
    return std::make_unique<FunctionCmdlet>(*this, sb, shared_def.lock());
  };
  registry_.remove(f.name);
  scope_->functions[to_lower(f.name)] = shared;
}

const CommandDef* Interpreter::resolve_command(std::string_view name) const {
  std::string k = to_lower(name);
  for (Scope* s = scope_; s; s = s->parent) {
    auto it = s->functions.find(k);
    if (it != s->functions.end()) return it->second.get();
  }
  return registry_.find(name);
}

std::vector<const CommandDef*> Interpreter::all_commands() const {
  std::vector<const CommandDef*> out = registry_.all();
  std::set<std::string> seen;
  for (Scope* s = scope_; s; s = s->parent)
    for (auto& [k, f] : s->functions)
      if (seen.insert(k).second) out.push_back(f.get());
  std::sort(out.begin(), out.end(),
            [](auto* a, auto* b) { return to_lower(a->name) < to_lower(b->name); });
  return out;
}

void Interpreter::invoke(const ScriptBlock& block, const Value* underscore,
                         const std::vector<Value>& args, const OutputSink& sink, bool same_scope) {
  CallDepth depth(*this);
  ScopeGuard guard(*this, !same_scope);
  Value saved_u, saved_p;
  if (same_scope && underscore) {
    saved_u = get_variable("_");
    saved_p = get_variable("PSItem");
  }
  if (underscore) {
    set_variable("_", *underscore);
    set_variable("PSItem", *underscore);
  }
  if (!same_scope) {
    set_variable("args", Value::array(args));
    size_t i = 0;
    for (auto& p : block.ast->params) {
      if (i < args.size())
        set_variable(p.name, args[i]);
      else
        set_variable(p.name, p.default_value ? eval(*p.default_value) : Value());
      ++i;
    }
  }
  auto restore = [&]() {
    if (same_scope && underscore) {
      set_variable("_", saved_u);
      set_variable("PSItem", saved_p);
    }
  };
  try {
    if (block.ast->named_blocks) {
      execute_statements(block.ast->begin, sink);
      execute_statements(block.ast->process, sink);
    }
    execute_statements(block.ast->end, sink);
  } catch (ReturnSignal&) {
  } catch (...) {
    restore();
    throw;
  }
  restore();
}

std::vector<Value> Interpreter::invoke_collect(const ScriptBlock& block, const Value* underscore,
                                               const std::vector<Value>& args, bool same_scope) {
  std::vector<Value> out;
  invoke(
      block, underscore, args, [&](const Value& v) { out.push_back(v); }, same_scope);
  return out;
}

// ---------- pipelines ----------

// Thrown by a cmdlet (Select-Object -First) to stop the commands before it.
struct StopUpstream {
  void* stage;
};

class PipelineRunner {
 public:
  struct Stage;

  class Runtime : public CommandRuntime {
   public:
    Runtime(PipelineRunner& r, Stage& s) : runner_(r), stage_(s) {}
    const CommandDef& command() const override { return *stage_.def; }
    const BoundParameters& parameters() const override { return stage_.params; }
    const Value& input() const override { return stage_.input; }
    bool expecting_input() const override { return stage_.expects_input; }
    void write_object(const Value& v, bool enumerate_it) override {
      if (enumerate_it && v.is_array()) {
        for (auto& item : *v.as_array()) emit(item);
      } else {
        emit(v);
      }
    }
    void emit(const Value& v) {
      if (!stage_.out_variable.empty()) stage_.out_collected.push_back(v);
      runner_.send(stage_.index + 1, v);
    }
    void write_error(ErrorRecord rec) override {
      if (rec.command.empty()) rec.command = stage_.def->name;
      // Write-Error inside a function reports the function, as PowerShell does
      if (iequals(rec.command, "Write-Error") && !runner_.in_.function_stack().empty() &&
          runner_.in_.function_stack().back() != "<ScriptBlock>")
        rec.command = runner_.in_.function_stack().back();
      if (rec.position.line == 0) rec.position = stage_.extent;
      stage_.failed = true;
      std::string action = to_string(runner_.in_.get_variable("ErrorActionPreference"));
      if (auto* ea = stage_.params.find("ErrorAction")) action = to_string(*ea);
      if (auto* ev = stage_.params.find("ErrorVariable")) {
        std::string name = to_string(*ev);
        bool append = !name.empty() && name[0] == '+';
        if (append) name = name.substr(1);
        Value cur = runner_.in_.get_variable(name);
        Array list = (append && cur.is_array()) ? *cur.as_array() : Array{};
        if (!stage_.ev_reset && !append) list.clear();
        if (stage_.ev_reset && cur.is_array()) list = *cur.as_array();
        stage_.ev_reset = true;
        list.push_back(rec.to_value());
        runner_.in_.set_variable(name, Value::array(list));
      }
      if (iequals(action, "Stop")) throw RuntimeError(std::move(rec), true);
      if (runner_.in_.silenced_errors_ > 0 && !iequals(action, "Ignore"))
        action = "SilentlyContinue";
      if (runner_.in_.merged_errors_ > 0 && !iequals(action, "Ignore") &&
          !iequals(action, "SilentlyContinue")) {
        // `2>&1`: the error record travels down the pipeline as an object
        Value rv = rec.to_value();
        Value list = runner_.in_.global_->variables["error"];
        if (list.is_array()) list.as_array()->insert(list.as_array()->begin(), rv);
        runner_.in_.last_status_ = false;
        runner_.send(stage_.index + 1, rv);
        return;
      }
      if (iequals(action, "Ignore")) return;
      if (iequals(action, "SilentlyContinue")) {
        Value list = runner_.in_.global_->variables["error"];
        if (list.is_array()) list.as_array()->insert(list.as_array()->begin(), rec.to_value());
        return;
      }
      runner_.in_.report_error(rec);
    }
    void throw_terminating(ErrorRecord rec) override {
      if (rec.command.empty()) rec.command = stage_.def->name;
      if (rec.position.line == 0) rec.position = stage_.extent;
      throw RuntimeError(std::move(rec), false);
    }
    void write_verbose(const std::string& text) override {
      bool on = stage_.params.has("Verbose")
                    ? get_switch("Verbose")
                    : iequals(to_string(runner_.in_.get_variable("VerbosePreference")), "Continue");
      if (on) runner_.in_.host().out("VERBOSE: " + text + "\n");
    }
    void write_warning(const std::string& text) override {
      std::string pref = to_string(runner_.in_.get_variable("WarningPreference"));
      if (auto* wa = stage_.params.find("WarningAction")) pref = to_string(*wa);
      if (iequals(pref, "SilentlyContinue") || iequals(pref, "Ignore")) return;
      runner_.in_.formatter().flush(runner_.in_.host().width(),
                                    [this](const std::string& s) { runner_.in_.host().out(s); });
      runner_.in_.host().out("WARNING: " + text + "\n");
      if (iequals(pref, "Stop"))
        throw RuntimeError(make_error("The running command stopped because the preference variable "
                                      "\"WarningPreference\" or common parameter is set to Stop: " +
                                          text,
                                      "ActionPreferenceStop", ErrorCategory::OperationStopped),
                           true);
    }
    void write_host(const std::string& text, bool newline) override {
      runner_.in_.formatter().flush(runner_.in_.host().width(),
                                    [this](const std::string& s) { runner_.in_.host().out(s); });
      runner_.in_.host().out(text + (newline ? "\n" : ""));
    }
    bool should_process(const std::string& target, const std::string& action) override {
      bool whatif = stage_.params.has("WhatIf")
                        ? get_switch("WhatIf")
                        : to_bool(runner_.in_.get_variable("WhatIfPreference"));
      if (whatif) {
        runner_.in_.host().out("What if: Performing the operation \"" + action + "\" on target \"" +
                               target + "\".\n");
        return false;
      }
      if (stage_.yes_to_all) return true;
      if (stage_.no_to_all) return false;
      bool confirm;
      if (stage_.params.has("Confirm")) {
        confirm = get_switch("Confirm");
      } else {
        std::string pref = to_string(runner_.in_.get_variable("ConfirmPreference"));
        int pref_level = iequals(pref, "None")     ? 99
                         : iequals(pref, "Low")    ? 1
                         : iequals(pref, "Medium") ? 2
                                                   : 3;
        confirm = static_cast<int>(stage_.def->impact) >= pref_level;
      }
      if (!confirm) return true;
      for (;;) {
        Host& h = runner_.in_.host();
        h.out(
            "\nConfirm\nAre you sure you want to perform this action?\nPerforming the operation "
            "\"" +
            action + "\" on target \"" + target + "\".\n");
        auto answer = h.read_line(
            "[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend  [?] Help (default is "
            "\"Y\"): ");
        std::string a = answer ? to_lower(*answer) : "n";
        while (!a.empty() && std::isspace(static_cast<unsigned char>(a.back()))) a.pop_back();
        if (a.empty() || a == "y") return true;
        if (a == "a") return stage_.yes_to_all = true;
        if (a == "n") return false;
        if (a == "l") {
          stage_.no_to_all = true;
          return false;
        }
        if (a == "s")
          throw_terminating(make_error("The operation was stopped by the user.", "OperationStopped",
                                       ErrorCategory::OperationStopped));
        h.out(
            "Y - Continue with only the next step of the operation.\nA - Continue with all the "
            "steps of the operation.\nN - Skip this operation and proceed with the next "
            "operation.\nL - Skip this operation and all subsequent operations.\nS - Pause the "
            "current pipeline and return to the command prompt.\n");
      }
    }
    Interpreter& interpreter() override { return runner_.in_; }

   private:
    PipelineRunner& runner_;
    Stage& stage_;
  };

  struct Stage {
    size_t index = 0;
    bool expects_input = false;
    const CommandDef* def = nullptr;
    std::shared_ptr<const CommandDef> def_keep;
    std::unique_ptr<Cmdlet> cmdlet;
    std::unique_ptr<ParameterBinder> binder;
    std::unique_ptr<Runtime> rt;
    BoundParameters params;
    Value input;
    Extent extent;
    bool failed = false;
    bool ev_reset = false;
    bool yes_to_all = false, no_to_all = false;
    bool ended = false;
    std::string out_variable;
    std::vector<Value> out_collected;
  };

  PipelineRunner(Interpreter& in, const OutputSink& sink) : in_(in), sink_(sink) {}

  void add_stage(std::unique_ptr<Stage> s) { stages_.push_back(std::move(s)); }

  void send(size_t index, const Value& v) {
    in_.check_stop();
    if (index >= stages_.size()) {
      sink_(v);
      return;
    }
    Stage& s = *stages_[index];
    s.input = v;
    if (s.def->takes_any_input) {
      s.params = s.binder->bound();
    } else {
      ErrorRecord err;
      if (!s.binder->bind_pipeline_object(v, err)) {
        s.rt->write_error(std::move(err));
        return;
      }
      s.params = s.binder->bound();
    }
    internal::CurrentCmdlet cc(in_, s.rt.get());
    s.cmdlet->process(*s.rt);
  }

  // Runs begin/process/end over the stages; `first_input` feeds stage 0 when the pipeline
  // starts with an expression.
  void run(const std::vector<Value>* first_input) {
    size_t start = first_input ? 0 : 0;
    for (auto& s : stages_) {
      s->params = s->binder->bound();
      internal::CurrentCmdlet cc(in_, s->rt.get());
      s->cmdlet->begin(*s->rt);
    }
    try {
      if (first_input) {
        for (auto& v : *first_input) send(0, v);
      } else if (!stages_.empty()) {
        Stage& s = *stages_[start];
        s.params = s.binder->bound();
        internal::CurrentCmdlet cc(in_, s.rt.get());
        s.cmdlet->process(*s.rt);
      }
      for (auto& s : stages_) end_stage(*s);
    } catch (StopUpstream& stop) {
      bool reached = false;
      for (auto& s : stages_) {
        if (static_cast<void*>(s->rt.get()) == stop.stage) reached = true;
        if (reached) end_stage(*s);
      }
    }
    for (auto& s : stages_)
      if (!s->out_variable.empty())
        in_.set_variable(s->out_variable, Value::array(s->out_collected));
  }

  void end_stage(Stage& s) {
    if (s.ended) return;
    s.ended = true;
    s.params = s.binder->bound();
    if (s.params.set.empty()) s.params.set = s.def->default_set_name;
    internal::CurrentCmdlet cc(in_, s.rt.get());
    s.cmdlet->end(*s.rt);
  }

  bool any_failed() const {
    for (auto& s : stages_)
      if (s->failed) return true;
    return false;
  }

  Interpreter& in_;
  const OutputSink& sink_;
  std::vector<std::unique_ptr<Stage>> stages_;
};

namespace internal {

void stop_upstream(CommandRuntime& rt) {
  throw StopUpstream{&rt};
}

}  // namespace internal

// Runs an external program, one output line per string object; sets $LASTEXITCODE.
class ExternalCommand : public Cmdlet {
 public:
  ExternalCommand(std::string path, std::vector<std::string> args)
      : path_(std::move(path)), args_(std::move(args)) {}
  void process(CommandRuntime& rt) override {
    if (rt.expecting_input()) input_.push_back(to_string(rt.input()));
  }
  void end(CommandRuntime& rt) override {
    int out_pipe[2];
    if (pipe(out_pipe) != 0)
      rt.throw_terminating(
          make_error("Cannot create a pipe.", "ProgramNotRun", ErrorCategory::ResourceUnavailable));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
    posix_spawn_file_actions_addclose(&fa, out_pipe[1]);
    char tmpl[] = "/tmp/cimsh-inXXXXXX";
    int in_fd = -1;
    if (rt.expecting_input()) {
      in_fd = mkstemp(tmpl);
      if (in_fd >= 0) {
        unlink(tmpl);
        for (auto& line : input_) {
          std::string l = line + "\n";
          if (write(in_fd, l.data(), l.size()) < 0) break;
        }
        lseek(in_fd, 0, SEEK_SET);
        posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
      }
    }
    std::vector<char*> argv;
    argv.push_back(path_.data());
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    std::fflush(stdout);
    int rc = posix_spawn(&pid, path_.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    if (in_fd >= 0) close(in_fd);
    if (rc != 0) {
      close(out_pipe[0]);
      rt.throw_terminating(make_error("Program '" + path_ + "' failed to run: " + std::strerror(rc),
                                      "ProgramNotRun", ErrorCategory::ResourceUnavailable));
    }
    std::string buf;
    char chunk[4096];
    for (;;) {
      ssize_t n = read(out_pipe[0], chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        buf.erase(0, nl + 1);
        rt.write_object(Value(line));
      }
    }
    if (!buf.empty()) rt.write_object(Value(buf));
    close(out_pipe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    rt.interpreter().set_global("LASTEXITCODE", Value(int64_t{code}));
    if (code != 0) rt.interpreter().set_last_status(false);
    last_code_ = code;
  }
  int last_code_ = 0;

 private:
  std::string path_;
  std::vector<std::string> args_;
  std::vector<std::string> input_;
};

static std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
    return "";
  }
  const char* path = std::getenv("PATH");
  if (!path) return "";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string full = dir + "/" + name;
    struct stat st {};
    if (stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(full.c_str(), X_OK) == 0)
      return full;
  }
  return "";
}

void Interpreter::execute_pipeline(const PipelineStatement& st, const OutputSink& sink) {
  // redirections of the last element apply to the whole statement's output
  OutputSink effective = sink;
  std::vector<Value> redirected;
  std::string redirect_path;
  bool redirect_append = false, discard = false, discard_errors = false, merge_errors = false;
  for (auto& el : st.elements)
    for (auto& r : el.redirections) {
      if (r.merge_to_output) {
        merge_errors = merge_errors || r.stream == "2" || r.stream == "*";
        continue;
      }
      Value target = eval(*r.target);
      bool is_null = target.is_null();
      if (r.stream == "2") {
        if (is_null) discard_errors = true;
        continue;
      }
      if (is_null)
        discard = true;
      else {
        redirect_path = to_string(target);
        redirect_append = r.append;
      }
    }
  if (discard)
    effective = [](const Value&) {};
  else if (!redirect_path.empty())
    effective = [&](const Value& v) { redirected.push_back(v); };

  std::vector<Value> first_input;
  bool expression_first = st.elements[0].expression != nullptr;
  PipelineRunner runner(*this, effective);
  size_t start = 0;
  if (expression_first) {
    Value v = eval(*st.elements[0].expression);
    if (st.elements.size() == 1) {
      auto k = st.elements[0].expression->kind;
      if (k == Expr::Kind::PostIncrement || k == Expr::Kind::PreIncrement) {
        last_status_ = true;
        goto finish;
      }
      if (v.is_array()) {
        for (auto& item : *v.as_array()) effective(item);
      } else if (!v.is_null() || st.elements[0].expression->kind != Expr::Kind::Paren) {
        // $null from an expression is output as nothing only when written as a bare $null
        if (!(v.is_null() && (st.elements[0].expression->kind == Expr::Kind::Variable ||
                              st.elements[0].expression->kind == Expr::Kind::Subexpr ||
                              st.elements[0].expression->kind == Expr::Kind::MethodCall ||
                              st.elements[0].expression->kind == Expr::Kind::Member ||
                              st.elements[0].expression->kind == Expr::Kind::Index)))
          effective(v);
      }
      last_status_ = true;
      goto finish;
    }
    if (v.is_array())
      first_input = *v.as_array();
    else if (!v.is_null())
      first_input.push_back(v);
    start = 1;
  }
  {
    // evaluate every command's arguments and bind the command line, left to right
    for (size_t i = start; i < st.elements.size(); ++i) {
      const CommandElement& el = st.elements[i];
      auto stage = std::make_unique<PipelineRunner::Stage>();
      stage->index = i - start;
      stage->extent = el.extent;
      bool expects_input = i > 0;
      stage->expects_input = expects_input;
      Value name_value = eval(*el.name);
      std::vector<ArgumentValue> args;
      for (auto& a : el.args) {
        if (!a.parameter.empty()) {
          ArgumentValue av;
          av.is_parameter = true;
          av.name = a.parameter;
          av.colon = a.colon;
          av.extent = a.extent;
          if (a.colon) av.value = eval(*a.value);
          args.push_back(std::move(av));
          continue;
        }
        if (a.value->kind == Expr::Kind::Variable &&
            static_cast<const VariableExpr&>(*a.value).splat) {
          Value sp = get_variable(static_cast<const VariableExpr&>(*a.value).name);
          if (sp.is_hashtable()) {
            for (auto& [k, v] : sp.as_hashtable()->entries()) {
              ArgumentValue av;
              av.is_parameter = true;
              av.name = k;
              av.colon = true;
              av.value = v;
              av.extent = a.extent;
              args.push_back(std::move(av));
            }
          } else {
            for (auto& v : enumerate(sp)) {
              ArgumentValue av;
              av.value = v;
              av.extent = a.extent;
              args.push_back(std::move(av));
            }
          }
          continue;
        }
        ArgumentValue av;
        av.value = eval(*a.value);
        av.extent = a.extent;
        args.push_back(std::move(av));
      }
      const CommandDef* def = nullptr;
      std::shared_ptr<const CommandDef> keep;
      if (name_value.is_scriptblock()) {
        ScriptBlock sb = *name_value.as_scriptblock();
        auto d = make_function_def("<ScriptBlock>", sb);
        auto shared = std::shared_ptr<CommandDef>(d);
        shared->factory = [this, sb,
                           w = std::weak_ptr<CommandDef>(shared)]() -> std::unique_ptr<Cmdlet> {
          return std::make_unique<FunctionCmdlet>(*this, sb, w.lock());
        };
        if (shared->advanced) {
          CommandRegistry tmp;
          tmp.add(*shared);
          auto full = std::make_shared<CommandDef>(*tmp.find(shared->name));
          full->factory = [this, sb,
                           w = std::weak_ptr<CommandDef>(full)]() -> std::unique_ptr<Cmdlet> {
            return std::make_unique<FunctionCmdlet>(*this, sb, w.lock());
          };
          shared = full;
        }
        keep = shared;
        def = keep.get();
      } else {
        std::string name = to_string(name_value);
        def = resolve_command(name);
        if (!def) {
          // a script file?
          std::string lower = to_lower(name);
          if (lower.ends_with(".ps1")) {
            std::ifstream f(name);
            if (f) {
              std::stringstream ss;
              ss << f.rdbuf();
              auto script = parse_script(name, ss.str());
              scripts_.push_back(script);
              ScriptBlock sb;
              sb.owner = script;
              sb.ast = script->root.get();
              auto d = make_function_def(name, sb);
              CommandRegistry tmp;
              tmp.add(*d);
              auto full = std::make_shared<CommandDef>(*tmp.find(name));
              full->kind = "ExternalScript";
              full->factory = [this, sb,
                               w = std::weak_ptr<CommandDef>(full)]() -> std::unique_ptr<Cmdlet> {
                return std::make_unique<FunctionCmdlet>(*this, sb, w.lock());
              };
              keep = full;
              def = keep.get();
            }
          }
          if (!def) {
            std::string path = find_in_path(name);
            if (path.empty()) {
              ErrorRecord r = make_error(
                  "The term '" + name +
                      "' is not recognized as a name of a cmdlet, function, script file, or "
                      "executable program.\nCheck the spelling of the name, or if a path was "
                      "included, verify that the path is correct and try again.",
                  "CommandNotFoundException", ErrorCategory::ObjectNotFound, Value(name));
              r.exception_type = "System.Management.Automation.CommandNotFoundException";
              r.position = el.name->extent;
              throw RuntimeError(std::move(r), false);
            }
            std::vector<std::string> argv;
            for (auto& a : args) {
              if (a.is_parameter) {
                argv.push_back("-" + a.name + (a.colon ? ":" + to_string(a.value) : ""));
              } else {
                for (auto& item : enumerate(a.value)) argv.push_back(to_string(item));
              }
            }
            auto ext = std::make_shared<CommandDef>(name);
            ext->kind = "Application";
            ext->advanced = false;
            ext->takes_any_input = true;
            ext->factory = [path, argv]() -> std::unique_ptr<Cmdlet> {
              return std::make_unique<ExternalCommand>(path, argv);
            };
            keep = ext;
            def = keep.get();
            args.clear();
          }
        }
      }
      stage->def = def;
      stage->def_keep = keep;
      stage->binder = std::make_unique<ParameterBinder>(*def, expects_input);
      try {
        stage->binder->bind_command_line(args);
        if (!expects_input) stage->binder->finish();
      } catch (RuntimeError& e) {
        if (e.record.position.line == 0) e.record.position = el.extent;
        throw;
      }
      if (auto* ov = stage->binder->bound().find("OutVariable"))
        stage->out_variable = to_string(*ov);
      stage->cmdlet = def->factory();
      stage->rt = std::make_unique<PipelineRunner::Runtime>(runner, *stage);
      runner.add_stage(std::move(stage));
    }
    // `2>$null` silences the errors the commands write (they still go to $Error)
    struct Silence {
      Interpreter& in;
      bool on;
      bool merge;
      Silence(Interpreter& i, bool o, bool m) : in(i), on(o), merge(m) {
        in.silenced_errors_ += on;
        in.merged_errors_ += merge;
      }
      ~Silence() {
        in.silenced_errors_ -= on;
        in.merged_errors_ -= merge;
      }
    } silence(*this, discard_errors, merge_errors);
    try {
      runner.run(expression_first ? &first_input : nullptr);
    } catch (RuntimeError& e) {
      last_status_ = false;
      throw;
    }
    bool ok = !runner.any_failed();
    if (!runner.stages_.empty() && runner.stages_.back()->def->kind == "Application") {
      ok = to_int(get_variable("LASTEXITCODE")).value_or(0) == 0;
    }
    last_status_ = ok;
  }
finish:
  if (!redirect_path.empty()) {
    std::string text = formatter_.render_default(redirected, host_.width());
    std::ofstream f(redirect_path, redirect_append ? std::ios::app : std::ios::trunc);
    if (!f)
      fail("Could not find a part of the path '" + redirect_path + "'.", "FileOpenFailure",
           ErrorCategory::OpenError, st.extent);
    f << text;
  }
}

// ---------- assignment ----------

void Interpreter::execute_assignment(const AssignmentStatement& st, const OutputSink&) {
  Value v = eval_statement_value(*st.value);
  if (st.op != "=") {
    std::string op = st.op.substr(0, 1);
    Value cur = eval(*st.target);
    v = internal::arithmetic(*this, op, cur, v, st.extent);
  }
  if (st.target->kind == Expr::Kind::ArrayLiteral) {
    auto& arr = static_cast<const ArrayLiteralExpr&>(*st.target);
    std::vector<Value> items = enumerate(v);
    for (size_t i = 0; i < arr.elements.size(); ++i) {
      if (i + 1 == arr.elements.size() && items.size() > arr.elements.size()) {
        assign(*arr.elements[i],
               Value::array(Array(items.begin() + static_cast<long>(i), items.end())), st.extent);
      } else {
        assign(*arr.elements[i], i < items.size() ? items[i] : Value(), st.extent);
      }
    }
    return;
  }
  assign(*st.target, std::move(v), st.extent);
}

void Interpreter::assign(const Expr& target, Value v, const Extent& at) {
  switch (target.kind) {
    case Expr::Kind::Variable: {
      auto& var = static_cast<const VariableExpr&>(target);
      if (var.scope == "env") {
        setenv(var.name.c_str(), to_string(v).c_str(), 1);
        return;
      }
      std::string lname = to_lower(var.name);
      if (lname == "null") return;  // `$null = expr` discards the value
      if (lname == "true" || lname == "false" || lname == "?")
        fail("Cannot overwrite variable " + var.name + " because it is read-only or constant.",
             "VariableNotWritable", ErrorCategory::WriteError, at);
      if (var.scope == "global") {
        set_global(var.name, std::move(v));
      } else if (var.scope == "script") {
        Scope* s = scope_;
        while (s->parent) s = s->parent;
        s->variables[lname] = std::move(v);
        s->display_names[lname] = var.name;
      } else {
        set_variable(var.name, std::move(v));
      }
      return;
    }
    case Expr::Kind::Cast: {
      auto& c = static_cast<const CastExpr&>(target);
      CastExpr tmp;
      tmp.type = c.type;
      auto k = std::make_unique<ConstantExpr>();
      k->value = v;
      tmp.operand = std::move(k);
      tmp.extent = c.extent;
      assign(*c.operand, eval_cast(tmp), at);
      return;
    }
    case Expr::Kind::Member: {
      auto& m = static_cast<const MemberExpr&>(target);
      Value obj = eval(*m.target);
      std::string name = to_string(eval(*m.member));
      if (obj.is_object()) {
        auto& o = *obj.as_object();
        if (!o.get(name) && !o.is_a("System.Management.Automation.PSCustomObject"))
          fail("The property '" + name +
                   "' cannot be found on this object. Verify that the property exists and can be "
                   "set.",
               "PropertyAssignmentException", ErrorCategory::InvalidOperation, at);
        o.set(name, std::move(v));
        return;
      }
      if (obj.is_hashtable()) {
        obj.as_hashtable()->set(name, std::move(v));
        return;
      }
      if (obj.is_null())
        fail(
            "The property '" + name +
                "' cannot be found on this object. Verify that the property exists and can be set.",
            "PropertyNotFound", ErrorCategory::InvalidOperation, at);
      fail("'" + name + "' is a ReadOnly property.", "PropertyAssignmentException",
           ErrorCategory::InvalidOperation, at);
    }
    case Expr::Kind::Index: {
      auto& ix = static_cast<const IndexExpr&>(target);
      Value obj = eval(*ix.target);
      Value idx = eval(*ix.index);
      if (obj.is_hashtable()) {
        obj.as_hashtable()->set(to_string(idx), std::move(v));
        return;
      }
      if (obj.is_array()) {
        auto& a = *obj.as_array();
        auto i = to_int(idx);
        if (!i)
          fail("Array index must be a number.", "InvalidIndex", ErrorCategory::InvalidArgument, at);
        int64_t k = *i < 0 ? static_cast<int64_t>(a.size()) + *i : *i;
        if (k < 0 || k >= static_cast<int64_t>(a.size()))
          fail("Index was outside the bounds of the array.", "IndexOutOfRange",
               ErrorCategory::InvalidOperation, at);
        a[static_cast<size_t>(k)] = std::move(v);
        return;
      }
      if (obj.is_object()) {
        obj.as_object()->set(to_string(idx), std::move(v));
        return;
      }
      if (obj.is_null())
        fail("Cannot index into a null array.", "NullArray", ErrorCategory::InvalidOperation, at);
      fail("Unable to index into an object of type " + type_name_of(obj) + ".", "CannotIndex",
           ErrorCategory::InvalidOperation, at);
    }
    default:
      fail("The assignment expression is not valid.", "InvalidLeftHandSide",
           ErrorCategory::InvalidOperation, at);
  }
}

}  // namespace cimnet::shell

// Lexer and recursive-descent parser for the cimsh language.
//
// PowerShell tokenises differently in command mode (arguments are barewords) and in
// expression mode (operators, numbers), so the lexer below is driven by the parser: each
// parse function asks for the kind of token it expects at the current position.

#include <algorithm>
#include <cctype>
#include <cstring>

#include "cimnet/shell/ast.h"

namespace cimnet::shell {

Source::Source(std::string name_, std::string text_)
    : name(std::move(name_)), text(std::move(text_)) {
  line_starts.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts.push_back(i + 1);
}

std::string Source::line_text(int line) const {
  if (line < 1 || static_cast<size_t>(line) > line_starts.size()) return "";
  size_t b = line_starts[static_cast<size_t>(line) - 1];
  size_t e = text.find('\n', b);
  if (e == std::string::npos) e = text.size();
  if (e > b && text[e - 1] == '\r') --e;
  return text.substr(b, e - b);
}

std::string Extent::text() const {
  if (!source || offset >= source->text.size()) return "";
  return source->text.substr(offset, length);
}

namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_var_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

const char* const kComparisonOps[] = {
    "eq",    "ne",       "gt",       "ge",          "lt", "le",    "like",    "notlike",
    "match", "notmatch", "contains", "notcontains", "in", "notin", "replace", "split"};

// Binary operator precedence (higher binds tighter); 0 = not a binary operator.
int binary_precedence(const std::string& op) {
  if (op == "-and" || op == "-or" || op == "-xor") return 1;
  if (op == "-band" || op == "-bor" || op == "-bxor" || op == "-shl" || op == "-shr") return 3;
  if (op == "+" || op == "-") return 4;
  if (op == "*" || op == "/" || op == "%") return 5;
  if (op == "-f") return 6;
  if (op == "..") return 7;
  if (op == "-is" || op == "-isnot" || op == "-as" || op == "-join") return 2;
  std::string base = op.substr(1);
  if (base.size() > 1 && (base[0] == 'c' || base[0] == 'i')) {
    for (auto* c : kComparisonOps)
      if (base.substr(1) == c) return 2;
  }
  for (auto* c : kComparisonOps)
    if (base == c) return 2;
  return 0;
}

class Parser {
 public:
  Parser(std::shared_ptr<const Source> src) : src_(std::move(src)), s_(src_->text) {}

  std::unique_ptr<ScriptBlockAst> parse_root() {
    auto block = std::make_unique<ScriptBlockAst>();
    block->extent = make_extent(0, s_.size());
    block->text = s_;
    parse_block_body(*block, '\0');
    skip_ws(true);
    if (pos_ < s_.size()) fail_unexpected();
    return block;
  }

 private:
  std::shared_ptr<const Source> src_;
  const std::string& s_;
  size_t pos_ = 0;
  bool no_comma_ = false;  // inside method-call arguments, ',' separates arguments
  int depth_ = 0;

  // Bounds the recursion so that hostile input cannot overflow the stack.
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > 256) {
        --p.depth_;
        p.fail("The script is nested too deeply to parse.", "NestingTooDeep", p.pos_);
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  // Clears no_comma_ for a nested construct ((...), {...}, @{...}) and restores it after.
  struct CommaScope {
    bool& flag;
    bool saved;
    CommaScope(bool& f, bool v) : flag(f), saved(f) { flag = v; }
    ~CommaScope() { flag = saved; }
  };

  // ---------- low-level lexing ----------
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool eof() const { return pos_ >= s_.size(); }

  Extent make_extent(size_t start, size_t end) const {
    Extent e;
    auto it = std::upper_bound(src_->line_starts.begin(), src_->line_starts.end(), start);
    size_t line_idx = static_cast<size_t>(it - src_->line_starts.begin()) - 1;
    e.line = static_cast<int>(line_idx) + 1;
    e.column = static_cast<int>(start - src_->line_starts[line_idx]) + 1;
    e.offset = start;
    e.length = end > start ? end - start : 0;
    e.source = src_;
    return e;
  }

  [[noreturn]] void fail(const std::string& msg, const std::string& id, size_t at, size_t len = 1) {
    bool incomplete = at >= s_.size();
    if (at > s_.size()) at = s_.size();
    throw ParseError(msg, id, make_extent(at, std::min(at + len, s_.size())), incomplete);
  }

  [[noreturn]] void fail_unexpected() {
    size_t start = pos_;
    size_t end = pos_ + 1;
    if (is_word_char(peek()) || peek() == '$')
      while (end < s_.size() && (is_word_char(s_[end]) || s_[end] == '$')) ++end;
    std::string tok = s_.substr(start, end - start);
    fail("Unexpected token '" + tok + "' in expression or statement.", "UnexpectedToken", start,
         end - start);
  }

  // Skips blanks, comments and line continuations; newlines too when `newlines`.
  void skip_ws(bool newlines) {
    while (!eof()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '\r' && peek(1) == '\n' && newlines) {
        pos_ += 2;
      } else if ((c == '\n' || c == '\r') && newlines) {
        ++pos_;
      } else if (c == '`' && (peek(1) == '\n' || (peek(1) == '\r' && peek(2) == '\n'))) {
        pos_ += peek(1) == '\r' ? 3 : 2;
      } else if (c == '#') {
        while (!eof() && peek() != '\n') ++pos_;
      } else if (c == '<' && peek(1) == '#') {
        size_t start = pos_;
        size_t end = s_.find("#>", pos_ + 2);
        if (end == std::string::npos)
          fail("Missing closing '#>' of a block comment.", "MissingEndOfBlockComment", s_.size());
        (void)start;
        pos_ = end + 2;
      } else {
        break;
      }
    }
  }

  bool at_newline() const { return peek() == '\n' || peek() == '\r'; }

  // A keyword at the current position (case-insensitive, followed by a non-word char).
  bool at_keyword(const char* kw) const {
    size_t n = std::strlen(kw);
    if (pos_ + n > s_.size()) return false;
    for (size_t i = 0; i < n; ++i)
      if (std::tolower(static_cast<unsigned char>(s_[pos_ + i])) != kw[i]) return false;
    return pos_ + n == s_.size() || !is_word_char(s_[pos_ + n]);
  }
  bool accept_keyword(const char* kw) {
    if (!at_keyword(kw)) return false;
    pos_ += std::strlen(kw);
    return true;
  }
  void expect_char(char c, const std::string& msg, const std::string& id) {
    if (peek() != c) fail(msg, id, pos_);
    ++pos_;
  }

  // ---------- statements ----------

  // Parses `param(...)`, named blocks or plain statements up to `close` ('}' or '\0').
  void parse_block_body(ScriptBlockAst& block, char close) {
    skip_ws(true);
    // attributes such as [CmdletBinding()] before param()
    while (peek() == '[') {
      size_t save = pos_;
      ++pos_;
      skip_ws(false);
      std::string name = read_word();
      if (iequals(name, "CmdletBinding")) {
        block.cmdlet_binding = true;
        skip_ws(false);
        if (peek() == '(') {
          size_t end = find_matching(pos_, '(', ')');
          std::string args = s_.substr(pos_, end - pos_);
          std::string largs = to_lower(args);
          if (largs.find("supportsshouldprocess") != std::string::npos)
            block.supports_should_process = true;
          auto d = largs.find("defaultparametersetname");
          if (d != std::string::npos) {
            size_t q = args.find_first_of("'\"", d);
            if (q != std::string::npos) {
              size_t e = args.find(args[q], q + 1);
              if (e != std::string::npos) block.default_set = args.substr(q + 1, e - q - 1);
            }
          }
          pos_ = end + 1;
        }
        skip_ws(false);
        expect_char(']', "Missing ] at end of attribute or type literal.",
                    "EndSquareBracketExpectedAtEndOfAttribute");
        skip_ws(true);
      } else {
        pos_ = save;
        break;
      }
    }
    if (at_keyword("param")) {
      size_t save = pos_;
      pos_ += 5;
      skip_ws(true);
      if (peek() == '(') {
        block.has_param_block = true;
        parse_param_list(block.params, ')');
      } else {
        pos_ = save;
      }
    }
    skip_ws(true);
    // named blocks?
    for (;;) {
      skip_ws(true);
      while (peek() == ';') {
        ++pos_;
        skip_ws(true);
      }
      StatementList* target = nullptr;
      size_t save = pos_;
      if (accept_keyword("begin"))
        target = &block.begin;
      else if (accept_keyword("process"))
        target = &block.process;
      else if (accept_keyword("end"))
        target = &block.end;
      if (!target) break;
      skip_ws(true);
      if (peek() != '{') {
        pos_ = save;
        break;
      }
      block.named_blocks = true;
      *target = parse_braced_statements("");
    }
    if (block.named_blocks) {
      skip_ws(true);
      if (close != '\0' && peek() != close) fail_unexpected();
      return;
    }
    block.end = parse_statement_list(close);
  }

  // Parses `( [attr] [type] $name = default, ... )` starting at '('.
  void parse_param_list(std::vector<ParameterAst>& params, char close) {
    ++pos_;  // '('
    for (;;) {
      skip_ws(true);
      if (peek() == close) {
        ++pos_;
        return;
      }
      if (eof())
        fail("Missing ')' in function parameter list.",
             "MissingEndParenthesisInFunctionParameterList", pos_);
      ParameterAst p;
      size_t start = pos_;
      while (peek() == '[') {
        ++pos_;
        skip_ws(false);
        std::string name = read_type_name();
        skip_ws(false);
        if (peek() == '(') {
          // attribute with arguments
          size_t args_start = pos_ + 1;
          size_t end = find_matching(pos_, '(', ')');
          std::string args = s_.substr(args_start, end - args_start);
          apply_attribute(p, name, args, args_start);
          pos_ = end + 1;
          skip_ws(false);
          expect_char(']', "Missing ] at end of attribute or type literal.",
                      "EndSquareBracketExpectedAtEndOfAttribute");
        } else {
          expect_char(']', "Missing ] at end of attribute or type literal.",
                      "EndSquareBracketExpectedAtEndOfType");
          p.type = name;
        }
        skip_ws(true);
      }
      if (peek() != '$')
        fail("Missing parameter name: a parameter must start with '$'.", "InvalidParameterName",
             pos_);
      ++pos_;
      p.name = read_var_name();
      if (p.name.empty()) fail("Missing parameter name.", "InvalidParameterName", pos_);
      skip_ws(true);
      if (peek() == '=') {
        ++pos_;
        skip_ws(true);
        p.default_value = parse_expression();
      }
      p.extent = make_extent(start, pos_);
      params.push_back(std::move(p));
      skip_ws(true);
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == close) {
        ++pos_;
        return;
      }
      fail("Missing ')' in function parameter list.",
           "MissingEndParenthesisInFunctionParameterList", pos_);
    }
  }

  // Understands [Parameter(...)], [Alias(...)], [ValidateSet(...)]; others are ignored.
  void apply_attribute(ParameterAst& p, const std::string& name, const std::string& args,
                       size_t at) {
    auto strings = [&]() {
      std::vector<std::string> out;
      size_t i = 0;
      while (i < args.size()) {
        char q = args[i];
        if (q == '\'' || q == '"') {
          size_t e = args.find(q, i + 1);
          if (e == std::string::npos)
            fail("The string is missing the terminator: " + std::string(1, q) + ".",
                 "TerminatorExpectedAtEndOfString", at + i);
          out.push_back(args.substr(i + 1, e - i - 1));
          i = e + 1;
        } else {
          ++i;
        }
      }
      return out;
    };
    if (iequals(name, "Parameter")) {
      // Named arguments: Mandatory[=$true], Position=N, ValueFromPipeline,
      // ValueFromPipelineByPropertyName, ParameterSetName='x'
      size_t i = 0;
      while (i < args.size()) {
        while (i < args.size() &&
               (std::isspace(static_cast<unsigned char>(args[i])) || args[i] == ','))
          ++i;
        size_t b = i;
        while (i < args.size() && is_var_char(args[i])) ++i;
        std::string key = args.substr(b, i - b);
        while (i < args.size() && std::isspace(static_cast<unsigned char>(args[i]))) ++i;
        std::string val = "$true";
        if (i < args.size() && args[i] == '=') {
          ++i;
          while (i < args.size() && std::isspace(static_cast<unsigned char>(args[i]))) ++i;
          size_t vb = i;
          if (i < args.size() && (args[i] == '\'' || args[i] == '"')) {
            char q = args[i];
            size_t e = args.find(q, i + 1);
            if (e == std::string::npos) e = args.size() - 1;
            val = args.substr(i + 1, e - i - 1);
            i = e + 1;
          } else {
            while (i < args.size() && args[i] != ',' &&
                   !std::isspace(static_cast<unsigned char>(args[i])))
              ++i;
            val = args.substr(vb, i - vb);
          }
        }
        if (key.empty()) {
          if (i < args.size()) ++i;
          continue;
        }
        bool truth = !iequals(val, "$false") && val != "0";
        if (iequals(key, "Mandatory"))
          p.mandatory = truth;
        else if (iequals(key, "Position"))
          p.position = std::atoi(val.c_str());
        else if (iequals(key, "ValueFromPipeline"))
          p.from_pipeline = truth;
        else if (iequals(key, "ValueFromPipelineByPropertyName"))
          p.from_pipeline_by_name = truth;
        else if (iequals(key, "ParameterSetName"))
          p.parameter_set = val;
      }
    } else if (iequals(name, "Alias")) {
      for (auto& s : strings()) p.aliases.push_back(s);
    } else if (iequals(name, "ValidateSet")) {
      p.validate_set = strings();
    }
  }

  // Index of the bracket matching the one at `open_pos`, skipping strings.
  size_t find_matching(size_t open_pos, char open, char close) {
    int depth = 0;
    for (size_t i = open_pos; i < s_.size(); ++i) {
      char c = s_[i];
      if (c == '\'' || c == '"') {
        size_t e = s_.find(c, i + 1);
        if (e == std::string::npos) break;
        i = e;
        continue;
      }
      if (c == open)
        ++depth;
      else if (c == close && --depth == 0)
        return i;
    }
    fail(std::string("Missing closing '") + close + "'.", "MissingEndParenthesis", s_.size());
  }

  std::string read_word() {
    size_t b = pos_;
    while (!eof() && is_word_char(peek())) ++pos_;
    return s_.substr(b, pos_ - b);
  }

  std::string read_type_name() {
    size_t b = pos_;
    while (!eof() && (is_var_char(peek()) || peek() == '.' || peek() == '`' ||
                      (peek() == '[' && peek(1) == ']'))) {
      if (peek() == '[')
        pos_ += 2;
      else
        ++pos_;
    }
    if (b == pos_) fail("Missing type name after '['.", "MissingTypename", pos_);
    return s_.substr(b, pos_ - b);
  }

  StatementList parse_braced_statements(const std::string& missing_msg) {
    size_t open = pos_;
    if (peek() != '{')
      fail(missing_msg.empty() ? "Missing opening '{' of statement block." : missing_msg,
           "MissingStatementBlock", pos_);
    ++pos_;
    StatementList body = parse_statement_list('}');
    skip_ws(true);
    if (peek() != '}')
      fail("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
           eof() ? s_.size() : open);
    ++pos_;
    return body;
  }

  StatementList parse_statement_list(char close) {
    StatementList list;
    for (;;) {
      skip_ws(true);
      while (peek() == ';') {
        ++pos_;
        skip_ws(true);
      }
      if (eof()) break;
      if (close != '\0' && peek() == close) break;
      if (peek() == '}' || peek() == ')') {
        if (close == '\0' || peek() != close) fail_unexpected();
      }
      list.push_back(parse_statement());
      skip_ws(false);
      char c = peek();
      if (c == ';' || c == '\n' || c == '\r' || eof() || (close != '\0' && c == close)) continue;
      if (c == '}' || c == ')') continue;  // reported by the loop above
      fail_unexpected();
    }
    return list;
  }

  StatementPtr parse_statement() {
    DepthGuard guard(*this);
    skip_ws(false);
    size_t start = pos_;
    std::string label;
    if (peek() == ':' && is_var_char(peek(1))) {
      ++pos_;
      label = read_word();
      skip_ws(true);
    }
    StatementPtr st;
    if (at_keyword("if"))
      st = parse_if();
    else if (at_keyword("while"))
      st = parse_while();
    else if (at_keyword("do"))
      st = parse_do();
    else if (at_keyword("for"))
      st = parse_for();
    else if (at_keyword("foreach"))
      st = parse_foreach();
    else if (at_keyword("function") || at_keyword("filter"))
      st = parse_function();
    else if (at_keyword("try"))
      st = parse_try();
    else if (at_keyword("switch"))
      st = parse_switch();
    else if (at_keyword("throw"))
      st = parse_flow(Statement::Kind::Throw, 5);
    else if (at_keyword("return"))
      st = parse_flow(Statement::Kind::Return, 6);
    else if (at_keyword("exit"))
      st = parse_flow(Statement::Kind::Exit, 4);
    else if (at_keyword("break"))
      st = parse_jump(Statement::Kind::Break, 5);
    else if (at_keyword("continue"))
      st = parse_jump(Statement::Kind::Continue, 8);
    else {
      for (auto* kw : {"class", "enum", "trap", "workflow", "data", "using"})
        if (at_keyword(kw))
          fail(std::string("The '") + kw + "' statement is not supported by cimsh yet.",
               "UnsupportedStatement", pos_, std::strlen(kw));
      if (at_keyword("catch") || at_keyword("finally"))
        fail("Unexpected token '" + read_word() + "' in expression or statement.",
             "UnexpectedToken", start);
      if (at_keyword("else") || at_keyword("elseif"))
        fail("Unexpected token '" + read_word() + "' in expression or statement.",
             "UnexpectedToken", start);
      st = parse_pipeline();
    }
    if (!label.empty() && st->kind != Statement::Kind::While && st->kind != Statement::Kind::For &&
        st->kind != Statement::Kind::Foreach && st->kind != Statement::Kind::DoWhile &&
        st->kind != Statement::Kind::Switch)
      fail("A loop label must precede a loop statement.", "LabelNotLoop", start);
    if (!label.empty() && st->kind == Statement::Kind::Switch)
      static_cast<SwitchStatement&>(*st).label = label;
    else if (!label.empty())
      static_cast<LoopStatement&>(*st).label = label;
    st->extent = make_extent(start, pos_);
    return st;
  }

  StatementPtr parse_paren_pipeline(const std::string& keyword) {
    skip_ws(true);
    if (peek() != '(')
      fail("Missing '(' after '" + keyword + "' in " + keyword + " statement.",
           "MissingOpenParenthesisIn" + keyword + "Statement", pos_);
    ++pos_;
    skip_ws(true);
    if (peek() == ')')
      fail("Missing condition in " + keyword + " statement after '" + keyword + " ('.",
           "IfStatementMissingCondition", pos_);
    StatementPtr cond = parse_statement();
    skip_ws(true);
    if (peek() != ')')
      fail("Missing closing ')' after expression in '" + keyword + "' statement.",
           "MissingEndParenthesisAfterStatement", pos_);
    ++pos_;
    return cond;
  }

  StatementPtr parse_if() {
    auto st = std::make_unique<IfStatement>();
    pos_ += 2;
    for (;;) {
      StatementPtr cond = parse_paren_pipeline("if");
      skip_ws(true);
      auto body = parse_braced_statements("Missing statement block after if ( condition ).");
      st->clauses.emplace_back(std::move(cond), std::move(body));
      size_t save = pos_;
      skip_ws(true);
      if (accept_keyword("elseif")) continue;
      if (accept_keyword("else")) {
        skip_ws(true);
        if (at_keyword("if"))
          fail("Use 'elseif' rather than 'else if'.", "MissingStatementBlockAfterElse", pos_);
        st->else_body = std::make_unique<StatementList>(
            parse_braced_statements("Missing statement block after 'else' keyword."));
        return st;
      }
      pos_ = save;
      return st;
    }
  }

  StatementPtr parse_while() {
    auto st = std::make_unique<LoopStatement>(Statement::Kind::While);
    pos_ += 5;
    st->condition = parse_paren_pipeline("while");
    skip_ws(true);
    st->body = parse_braced_statements("Missing open curly brace in while loop.");
    return st;
  }

  StatementPtr parse_do() {
    auto st = std::make_unique<LoopStatement>(Statement::Kind::DoWhile);
    pos_ += 2;
    skip_ws(true);
    st->body = parse_braced_statements("Missing statement block in do loop.");
    skip_ws(true);
    if (accept_keyword("while"))
      st->until = false;
    else if (accept_keyword("until"))
      st->until = true;
    else
      fail("Missing while or until keyword in do loop.", "MissingWhileOrUntilInDoWhile", pos_);
    st->condition = parse_paren_pipeline("do");
    return st;
  }

  StatementPtr parse_for() {
    auto st = std::make_unique<LoopStatement>(Statement::Kind::For);
    pos_ += 3;
    skip_ws(true);
    if (peek() != '(')
      fail("Missing opening '(' after keyword 'for'.", "MissingOpenParenthesisAfterKeyword", pos_);
    ++pos_;
    auto part = [&](char end) -> StatementPtr {
      skip_ws(true);
      if (peek() == end) {
        ++pos_;
        return nullptr;
      }
      StatementPtr p = parse_statement();
      skip_ws(true);
      if (peek() != end && !(end == ';' && at_newline()))
        fail(end == ')' ? "Missing closing ')' after expression in 'for' statement."
                        : "Missing ';' in for statement.",
             "MissingEndParenthesisAfterStatement", pos_);
      ++pos_;
      return p;
    };
    st->init = part(';');
    st->condition = part(';');
    st->iterator = part(')');
    skip_ws(true);
    st->body = parse_braced_statements("Missing open curly brace in for loop.");
    return st;
  }

  StatementPtr parse_foreach() {
    auto st = std::make_unique<LoopStatement>(Statement::Kind::Foreach);
    pos_ += 7;
    skip_ws(true);
    if (peek() != '(')
      fail("Missing opening '(' after keyword 'foreach'.", "MissingOpenParenthesisAfterKeyword",
           pos_);
    ++pos_;
    skip_ws(true);
    if (peek() != '$')
      fail("Missing variable name after foreach.", "MissingVariableNameAfterForeach", pos_);
    ++pos_;
    st->variable = read_var_name();
    skip_ws(true);
    if (!accept_keyword("in"))
      fail("Missing 'in' after variable in foreach loop.", "MissingInInForeach", pos_);
    skip_ws(true);
    st->collection = parse_statement();
    skip_ws(true);
    if (peek() != ')')
      fail("Missing closing ')' after expression in 'foreach' statement.",
           "MissingEndParenthesisAfterForeach", pos_);
    ++pos_;
    skip_ws(true);
    st->body = parse_braced_statements("Missing statement body in foreach loop.");
    return st;
  }

  StatementPtr parse_function() {
    auto st = std::make_unique<FunctionStatement>();
    bool filter = at_keyword("filter");
    pos_ += filter ? 6 : 8;
    skip_ws(false);
    size_t b = pos_;
    while (!eof() && !std::isspace(static_cast<unsigned char>(peek())) && peek() != '{' &&
           peek() != '(')
      ++pos_;
    st->name = s_.substr(b, pos_ - b);
    if (st->name.empty())
      fail("Missing function name after keyword 'function'.", "MissingNameAfterKeyword", pos_);
    auto body = std::make_shared<ScriptBlockAst>();
    skip_ws(true);
    if (peek() == '(') {
      parse_param_list(body->params, ')');
      body->has_param_block = true;
      skip_ws(true);
    }
    if (peek() != '{')
      fail("Missing function body in function declaration.", "MissingFunctionBody", pos_);
    size_t open = pos_;
    ++pos_;
    std::vector<ParameterAst> outer = std::move(body->params);
    bool had = body->has_param_block;
    body->params.clear();
    body->has_param_block = false;
    parse_block_body(*body, '}');
    if (had) {
      if (body->has_param_block)
        fail("A function cannot have both a parameter list and a param block.",
             "OnlyOneParameterList", open);
      body->params = std::move(outer);
      body->has_param_block = true;
    }
    skip_ws(true);
    if (peek() != '}')
      fail("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
           eof() ? s_.size() : open);
    ++pos_;
    body->text = s_.substr(open + 1, pos_ - open - 2);
    body->extent = make_extent(open, pos_);
    if (filter && !body->named_blocks) {
      body->process = std::move(body->end);
      body->end.clear();
      body->named_blocks = true;
    }
    st->body = std::move(body);
    return st;
  }

  StatementPtr parse_switch() {
    auto st = std::make_unique<SwitchStatement>();
    pos_ += 6;
    for (;;) {
      skip_ws(false);
      if (peek() != '-') break;
      size_t b = pos_;
      ++pos_;
      std::string opt = to_lower(read_word());
      if (opt == "regex" || opt == "wildcard" || opt == "exact")
        st->mode = opt;
      else if (opt == "casesensitive")
        st->case_sensitive = true;
      else if (opt == "file")
        fail("switch -File is not supported by cimsh.", "UnsupportedSwitchFile", b, pos_ - b);
      else
        fail("Invalid switch statement option '-" + opt + "'.", "InvalidSwitchFlag", b, pos_ - b);
    }
    st->value = parse_paren_pipeline("switch");
    skip_ws(true);
    if (peek() != '{')
      fail("Missing '{' in switch statement.", "MissingCurlyBraceInSwitchStatement", pos_);
    size_t open = pos_;
    ++pos_;
    for (;;) {
      skip_ws(true);
      while (peek() == ';') {
        ++pos_;
        skip_ws(true);
      }
      if (peek() == '}') {
        ++pos_;
        break;
      }
      if (eof())
        fail("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
             s_.size());
      SwitchStatement::Clause c;
      if (at_keyword("default")) {
        pos_ += 7;
      } else {
        c.condition = parse_command_primary();
      }
      skip_ws(true);
      c.body = parse_braced_statements("Missing statement block in switch statement clause.");
      st->clauses.push_back(std::move(c));
    }
    if (st->clauses.empty())
      fail("Missing condition in switch statement clause.", "MissingSwitchConditionExpression",
           open);
    return st;
  }

  StatementPtr parse_try() {
    auto st = std::make_unique<TryStatement>();
    size_t start = pos_;
    pos_ += 3;
    skip_ws(true);
    st->body = parse_braced_statements("Missing statement block after 'try'.");
    for (;;) {
      size_t save = pos_;
      skip_ws(true);
      if (accept_keyword("catch")) {
        TryStatement::Catch c;
        skip_ws(true);
        while (peek() == '[') {
          ++pos_;
          c.types.push_back(read_type_name());
          expect_char(']', "Missing ] at end of attribute or type literal.",
                      "EndSquareBracketExpectedAtEndOfType");
          skip_ws(true);
          if (peek() == ',') {
            ++pos_;
            skip_ws(true);
          }
        }
        c.body = parse_braced_statements("Missing statement block in catch block.");
        st->catches.push_back(std::move(c));
        continue;
      }
      if (accept_keyword("finally")) {
        skip_ws(true);
        st->finally_body = std::make_unique<StatementList>(
            parse_braced_statements("Missing statement block in finally block."));
        break;
      }
      pos_ = save;
      break;
    }
    if (st->catches.empty() && !st->finally_body)
      fail("The Try statement is missing its Catch or Finally block.", "MissingCatchOrFinally",
           eof() ? s_.size() : start, 3);
    return st;
  }

  bool at_statement_end() const {
    char c = peek();
    return eof() || c == ';' || c == '\n' || c == '\r' || c == '}' || c == ')' || c == '|';
  }

  StatementPtr parse_flow(Statement::Kind kind, size_t kwlen) {
    auto st = std::make_unique<FlowStatement>(kind);
    pos_ += kwlen;
    skip_ws(false);
    if (!at_statement_end()) st->value = parse_statement();
    return st;
  }

  StatementPtr parse_jump(Statement::Kind kind, size_t kwlen) {
    auto st = std::make_unique<FlowStatement>(kind);
    pos_ += kwlen;
    skip_ws(false);
    if (!at_statement_end()) {
      if (peek() == ':') ++pos_;
      st->label = read_word();
    }
    return st;
  }

  // ---------- pipelines and commands ----------

  bool starts_expression() const {
    char c = peek(), n = peek(1);
    if (c == '$' || c == '(' || c == '\'' || c == '"' || c == '[' || c == '{' || c == '!' ||
        c == ',')
      return true;
    if (c == '@' && (n == '(' || n == '{' || n == '"' || n == '\'')) return true;
    if (std::isdigit(static_cast<unsigned char>(c))) return true;
    if (c == '.' && std::isdigit(static_cast<unsigned char>(n))) return true;
    if (c == '-' || c == '+') return true;
    return false;
  }

  StatementPtr parse_pipeline() {
    auto pipe = std::make_unique<PipelineStatement>();
    size_t start = pos_;
    skip_ws(false);
    if (starts_expression()) {
      CommandElement el;
      size_t el_start = pos_;
      el.expression = parse_expression();
      skip_ws(false);
      // assignment?
      static const char* assign_ops[] = {"+=", "-=", "*=", "/=", "%=", "="};
      for (auto* op : assign_ops) {
        size_t n = std::strlen(op);
        if (s_.compare(pos_, n, op) == 0 && !(n == 1 && peek(1) == '=')) {
          if (!is_assignable(*el.expression))
            fail(
                "The assignment expression is not valid. The input to an assignment operator must "
                "be an object that is able to accept assignments, such as a variable or a "
                "property.",
                "InvalidLeftHandSide", el_start, pos_ - el_start);
          pos_ += n;
          skip_ws(true);
          auto as = std::make_unique<AssignmentStatement>();
          as->target = std::move(el.expression);
          as->op = op;
          if (at_statement_end())
            fail(std::string("You must provide a value expression following the '") + op +
                     "' operator.",
                 "ExpectedValueExpression", pos_);
          as->value = parse_statement();
          as->extent = make_extent(start, pos_);
          return as;
        }
      }
      el.extent = make_extent(el_start, pos_);
      parse_redirections(el);
      pipe->elements.push_back(std::move(el));
    } else {
      pipe->elements.push_back(parse_command());
    }
    for (;;) {
      skip_ws(false);
      if (peek() != '|' || peek(1) == '|') break;
      ++pos_;
      skip_ws(true);
      if (eof() || peek() == '|' || peek() == ';' || peek() == '}' || peek() == ')')
        fail("An empty pipe element is not allowed.", "EmptyPipeElement", pos_);
      if (starts_expression() && peek() != '&')
        fail("Expressions are only allowed as the first element of a pipeline.",
             "ExpressionsMustBeFirstInPipeline", pos_);
      pipe->elements.push_back(parse_command());
    }
    pipe->extent = make_extent(start, pos_);
    return pipe;
  }

  static bool is_assignable(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::Variable:
      case Expr::Kind::Member:
      case Expr::Kind::Index:
        return true;
      case Expr::Kind::Cast: {
        auto& c = static_cast<const CastExpr&>(e);
        return c.operand && c.operand->kind == Expr::Kind::Variable;
      }
      case Expr::Kind::ArrayLiteral: {
        for (auto& x : static_cast<const ArrayLiteralExpr&>(e).elements)
          if (x->kind != Expr::Kind::Variable) return false;
        return true;
      }
      default:
        return false;
    }
  }

  void parse_redirections(CommandElement& el) {
    for (;;) {
      skip_ws(false);
      size_t b = pos_;
      std::string stream = "1";
      if ((peek() == '2' || peek() == '1' || peek() == '*') && peek(1) == '>') {
        stream = std::string(1, peek());
        ++pos_;
      } else if (peek() != '>') {
        return;
      }
      ++pos_;  // '>'
      CommandElement::Redirection r;
      r.stream = stream;
      if (peek() == '&' && peek(1) == '1') {
        pos_ += 2;
        r.merge_to_output = true;
        el.redirections.push_back(std::move(r));
        continue;
      }
      if (peek() == '>') {
        r.append = true;
        ++pos_;
      }
      skip_ws(false);
      if (at_statement_end())
        fail("Missing file specification after redirection operator.", "MissingFileSpecification",
             b);
      r.target = parse_command_argument();
      el.redirections.push_back(std::move(r));
    }
  }

  CommandElement parse_command() {
    CommandElement el;
    size_t start = pos_;
    if ((peek() == '&' || peek() == '.') &&
        (std::isspace(static_cast<unsigned char>(peek(1))) || peek(1) == '$' || peek(1) == '{' ||
         peek(1) == '\'' || peek(1) == '"' || peek(1) == '(')) {
      el.invocation = std::string(1, peek());
      ++pos_;
      skip_ws(false);
      el.name = parse_command_primary();
    } else if (peek() == '&' && peek(1) != '&') {
      fail(
          "The ampersand (&) character is not allowed. The & operator is reserved for future use; "
          "wrap an ampersand in double quotation marks (\"&\") to pass it as part of a string.",
          "AmpersandNotAllowed", pos_);
    } else {
      if (peek() == '\'' || peek() == '"') {
        el.name = parse_command_primary();
      } else {
        size_t b = pos_;
        while (!eof() && !std::isspace(static_cast<unsigned char>(peek())) &&
               !std::strchr(";|&(){}<>,", peek()))
          ++pos_;
        if (b == pos_) fail_unexpected();
        auto c = std::make_unique<ConstantExpr>();
        c->value = Value(s_.substr(b, pos_ - b));
        c->bareword = true;
        c->extent = make_extent(b, pos_);
        el.name = std::move(c);
      }
    }
    for (;;) {
      skip_ws(false);
      if (at_statement_end() || (peek() == '&' && peek(1) == '&')) break;
      if (peek() == '>' || ((peek() == '2' || peek() == '1' || peek() == '*') && peek(1) == '>')) {
        parse_redirections(el);
        continue;
      }
      size_t ab = pos_;
      CommandArgument arg;
      if (peek() == '-' && peek(1) == '-' && peek(2) == '%')
        fail("The stop-parsing token --% is not supported by cimsh.", "UnsupportedStopParsing",
             pos_, 3);
      if (peek() == '-' &&
          (std::isalpha(static_cast<unsigned char>(peek(1))) || peek(1) == '_' || peek(1) == '?')) {
        ++pos_;
        size_t nb = pos_;
        while (!eof() && !std::isspace(static_cast<unsigned char>(peek())) &&
               !std::strchr(";|&(){}<>,:", peek()))
          ++pos_;
        arg.parameter = s_.substr(nb, pos_ - nb);
        if (peek() == ':') {
          ++pos_;
          arg.colon = true;
          skip_ws(false);
          if (at_statement_end())
            fail("Missing argument for parameter '" + arg.parameter + "' after ':'.",
                 "ParameterRequiresArgument", pos_);
          arg.value = parse_command_argument();
        }
      } else {
        arg.value = parse_command_argument();
      }
      arg.extent = make_extent(ab, pos_);
      el.args.push_back(std::move(arg));
    }
    el.extent = make_extent(start, pos_);
    return el;
  }

  // One argument in command mode: a primary, or a comma-separated list of them.
  ExprPtr parse_command_argument() {
    size_t start = pos_;
    ExprPtr first = parse_command_primary();
    skip_ws(false);
    if (peek() != ',') return first;
    auto arr = std::make_unique<ArrayLiteralExpr>();
    arr->elements.push_back(std::move(first));
    while (peek() == ',') {
      ++pos_;
      skip_ws(true);
      if (at_statement_end())
        fail("Missing argument in parameter list.", "MissingExpression", pos_);
      arr->elements.push_back(parse_command_primary());
      skip_ws(false);
    }
    arr->extent = make_extent(start, pos_);
    return arr;
  }

  ExprPtr parse_command_primary() {
    char c = peek();
    size_t start = pos_;
    if (c == '$' || c == '(' || c == '\'' || c == '"' || c == '{' ||
        (c == '@' && (peek(1) == '(' || peek(1) == '{' || peek(1) == '"' || peek(1) == '\'')) ||
        (c == '[')) {
      if (c == '[') {
        // an argument like [int]5 is an expression; otherwise a bareword
        return parse_unary();
      }
      ExprPtr e = parse_primary();
      return parse_postfix(std::move(e), /*command_mode=*/true);
    }
    if (c == '@' && is_var_char(peek(1))) {
      ++pos_;
      auto v = std::make_unique<VariableExpr>();
      v->name = read_var_name();
      v->splat = true;
      v->extent = make_extent(start, pos_);
      return v;
    }
    // bareword (or number)
    size_t b = pos_;
    while (!eof() && !std::isspace(static_cast<unsigned char>(peek())) &&
           !std::strchr(";|&(){}<>,", peek())) {
      if (peek() == '`' && pos_ + 1 < s_.size()) ++pos_;
      ++pos_;
    }
    if (b == pos_) fail_unexpected();
    std::string word = s_.substr(b, pos_ - b);
    auto k = std::make_unique<ConstantExpr>();
    if (auto n = parse_number(word); n && (std::isdigit(static_cast<unsigned char>(word[0])) ||
                                           word[0] == '-' || word[0] == '.' || word[0] == '+'))
      k->value = *n;
    else {
      std::string unescaped;
      for (size_t i = 0; i < word.size(); ++i) {
        if (word[i] == '`' && i + 1 < word.size()) ++i;
        unescaped += word[i];
      }
      k->value = Value(unescaped);
      k->bareword = true;
    }
    k->extent = make_extent(b, pos_);
    return k;
  }

  // ---------- expressions ----------

  ExprPtr parse_expression() { return parse_binary(1); }

  // Reads a binary operator at the current position without consuming it.
  std::string peek_binary_operator(size_t& len) {
    char c = peek();
    len = 1;
    if (c == '.' && peek(1) == '.') {
      len = 2;
      return "..";
    }
    if (c == '+' || c == '*' || c == '/' || c == '%') {
      if (peek(1) == '=') return "";
      if (c == '+' && peek(1) == '+') return "";
      return std::string(1, c);
    }
    if (c == '-') {
      if (std::isalpha(static_cast<unsigned char>(peek(1)))) {
        size_t e = pos_ + 1;
        while (e < s_.size() && std::isalpha(static_cast<unsigned char>(s_[e]))) ++e;
        std::string op = "-" + to_lower(s_.substr(pos_ + 1, e - pos_ - 1));
        len = e - pos_;
        if (binary_precedence(op)) return op;
        if (op == "-not" || op == "-bnot") return "";
        fail("Unexpected token '" + s_.substr(pos_, len) + "' in expression or statement.",
             "UnexpectedToken", pos_, len);
      }
      if (peek(1) == '=' || peek(1) == '-') return "";
      return "-";
    }
    return "";
  }

  ExprPtr parse_binary(int min_prec) {
    size_t start = pos_;
    ExprPtr left = parse_unary();
    for (;;) {
      skip_ws(false);
      size_t len = 0;
      std::string op = peek_binary_operator(len);
      if (op.empty()) break;
      int prec = binary_precedence(op);
      if (prec < min_prec) break;
      size_t op_pos = pos_;
      pos_ += len;
      skip_ws(true);
      if (at_statement_end() && !(peek() == '('))
        fail("You must provide a value expression following the '" + s_.substr(op_pos, len) +
                 "' operator.",
             "ExpectedValueExpression", pos_);
      ExprPtr right = parse_binary(prec + 1);
      auto b = std::make_unique<BinaryExpr>();
      b->op = op;
      b->left = std::move(left);
      b->right = std::move(right);
      b->extent = make_extent(start, pos_);
      left = std::move(b);
    }
    return left;
  }

  ExprPtr parse_unary() {
    DepthGuard guard(*this);
    skip_ws(false);
    size_t start = pos_;
    char c = peek();
    std::string op;
    size_t len = 0;
    if (c == '!') {
      op = "!";
      len = 1;
    } else if (c == '-' && peek(1) == '-') {
      op = "--";
      len = 2;
    } else if (c == '+' && peek(1) == '+') {
      op = "++";
      len = 2;
    } else if (c == '-' && std::isalpha(static_cast<unsigned char>(peek(1)))) {
      size_t e = pos_ + 1;
      while (e < s_.size() && std::isalpha(static_cast<unsigned char>(s_[e]))) ++e;
      std::string w = "-" + to_lower(s_.substr(pos_ + 1, e - pos_ - 1));
      if (w == "-not" || w == "-bnot" || w == "-split" || w == "-join") {
        op = w;
        len = e - pos_;
      } else {
        fail("Unexpected token '" + s_.substr(pos_, e - pos_) + "' in expression or statement.",
             "UnexpectedToken", pos_, e - pos_);
      }
    } else if (c == '-' || c == '+') {
      op = std::string(1, c);
      len = 1;
    } else if (c == ',') {
      // unary comma: a one-element array
      ++pos_;
      skip_ws(true);
      auto arr = std::make_unique<ArrayLiteralExpr>();
      arr->elements.push_back(parse_unary());
      arr->extent = make_extent(start, pos_);
      return arr;
    }
    if (!op.empty()) {
      pos_ += len;
      skip_ws(false);
      if (at_statement_end())
        fail("Missing expression after unary operator '" + s_.substr(start, len) + "'.",
             "MissingExpressionAfterOperator", pos_);
      ExprPtr operand = parse_unary();
      if (op == "++" || op == "--") {
        auto inc = std::make_unique<IncrementExpr>(Expr::Kind::PreIncrement);
        inc->target = std::move(operand);
        inc->delta = op == "++" ? 1 : -1;
        inc->extent = make_extent(start, pos_);
        return inc;
      }
      auto u = std::make_unique<UnaryExpr>();
      u->op = op;
      u->operand = std::move(operand);
      u->extent = make_extent(start, pos_);
      return u;
    }
    return parse_array_literal();
  }

  ExprPtr parse_array_literal() {
    size_t start = pos_;
    ExprPtr first = parse_cast();
    if (no_comma_) return first;
    skip_ws(false);
    if (peek() != ',') return first;
    auto arr = std::make_unique<ArrayLiteralExpr>();
    arr->elements.push_back(std::move(first));
    while (peek() == ',') {
      ++pos_;
      skip_ws(true);
      if (at_statement_end())
        fail("Missing expression after ','.", "MissingExpressionAfterToken", pos_);
      arr->elements.push_back(parse_cast());
      skip_ws(false);
    }
    arr->extent = make_extent(start, pos_);
    return arr;
  }

  bool starts_operand() const {
    char c = peek();
    return c == '$' || c == '(' || c == '\'' || c == '"' || c == '@' || c == '[' ||
           std::isdigit(static_cast<unsigned char>(c)) ||
           (c == '-' && std::isdigit(static_cast<unsigned char>(peek(1))));
  }

  ExprPtr parse_cast() {
    size_t start = pos_;
    if (peek() == '[') {
      ++pos_;
      skip_ws(false);
      std::string type = read_type_name();
      skip_ws(false);
      if (peek() != ']')
        fail("Missing ] at end of attribute or type literal.",
             "EndSquareBracketExpectedAtEndOfType", pos_);
      ++pos_;
      auto cast = std::make_unique<CastExpr>();
      cast->type = type;
      if (peek() == ':' && peek(1) == ':') {
        cast->extent = make_extent(start, pos_);
        return parse_postfix(std::move(cast), false);
      }
      size_t save = pos_;
      skip_ws(false);
      if (starts_operand()) {
        cast->operand = (peek() == '[') ? parse_cast() : parse_cast_operand();
      } else {
        pos_ = save;
      }
      cast->extent = make_extent(start, pos_);
      return cast;
    }
    return parse_postfix(parse_primary(), false);
  }

  ExprPtr parse_cast_operand() {
    if (peek() == '-') return parse_unary();
    return parse_postfix(parse_primary(), false);
  }

  ExprPtr parse_postfix(ExprPtr e, bool command_mode) {
    size_t start = e->extent.offset;
    for (;;) {
      char c = peek();
      if ((c == '.' && peek(1) != '.') || (c == ':' && peek(1) == ':')) {
        bool is_static = c == ':';
        pos_ += is_static ? 2 : 1;
        ExprPtr member;
        size_t mb = pos_;
        if (peek() == '$' || peek() == '(' || peek() == '"' || peek() == '\'') {
          member = parse_primary();
        } else {
          std::string name;
          while (!eof() && is_var_char(peek())) name += s_[pos_++];
          if (name.empty()) {
            if (command_mode) {
              --pos_;
              return e;
            }
            fail("Missing property name after reference operator.", "MissingPropertyName", pos_);
          }
          auto k = std::make_unique<ConstantExpr>();
          k->value = Value(name);
          k->extent = make_extent(mb, pos_);
          member = std::move(k);
        }
        if (peek() == '(' && member->kind == Expr::Kind::Constant) {
          auto call = std::make_unique<MethodCallExpr>();
          call->target = std::move(e);
          call->name = to_string(static_cast<ConstantExpr&>(*member).value);
          call->is_static = is_static;
          size_t open = pos_;
          ++pos_;
          skip_ws(true);
          while (peek() != ')') {
            if (eof())
              fail("Missing ')' in method call.", "MissingEndParenthesisInMethodCall", s_.size());
            {
              CommaScope cs(no_comma_, true);
              call->args.push_back(parse_binary(1));
            }
            skip_ws(true);
            if (peek() == ',') {
              ++pos_;
              skip_ws(true);
              continue;
            }
            if (peek() != ')')
              fail("Missing ')' in method call.", "MissingEndParenthesisInMethodCall",
                   eof() ? s_.size() : open);
          }
          ++pos_;
          call->extent = make_extent(start, pos_);
          e = std::move(call);
        } else {
          auto m = std::make_unique<MemberExpr>();
          m->target = std::move(e);
          m->member = std::move(member);
          m->is_static = is_static;
          m->extent = make_extent(start, pos_);
          e = std::move(m);
        }
        continue;
      }
      if (c == '[' && e->kind != Expr::Kind::Cast) {
        size_t open = pos_;
        ++pos_;
        skip_ws(true);
        if (peek() == ']')
          fail("Array index expression is missing or not valid.", "MissingArrayIndexExpression",
               pos_);
        auto idx = std::make_unique<IndexExpr>();
        idx->target = std::move(e);
        {
          CommaScope cs(no_comma_, false);
          idx->index = parse_expression();
        }
        skip_ws(true);
        if (peek() != ']')
          fail("Missing ']' after array index expression.", "MissingEndSquareBracket",
               eof() ? s_.size() : open);
        ++pos_;
        idx->extent = make_extent(start, pos_);
        e = std::move(idx);
        continue;
      }
      if (!command_mode && ((c == '+' && peek(1) == '+') || (c == '-' && peek(1) == '-')) &&
          (e->kind == Expr::Kind::Variable || e->kind == Expr::Kind::Member ||
           e->kind == Expr::Kind::Index)) {
        auto inc = std::make_unique<IncrementExpr>(Expr::Kind::PostIncrement);
        inc->delta = c == '+' ? 1 : -1;
        pos_ += 2;
        inc->target = std::move(e);
        inc->extent = make_extent(start, pos_);
        e = std::move(inc);
        continue;
      }
      return e;
    }
  }

  std::string read_var_name() {
    std::string name;
    if (peek() == '{') {
      size_t e = s_.find('}', pos_);
      if (e == std::string::npos)
        fail("Missing '}' in variable name.", "MissingEndCurlyBrace", s_.size());
      name = s_.substr(pos_ + 1, e - pos_ - 1);
      pos_ = e + 1;
      return name;
    }
    if (peek() == '_' && !is_var_char(peek(1))) {
      ++pos_;
      return "_";
    }
    if (peek() == '?' || peek() == '$' || peek() == '^') {
      return std::string(1, s_[pos_++]);
    }
    while (!eof() && is_var_char(peek())) name += s_[pos_++];
    // scope qualifier
    if (peek() == ':' && peek(1) != ':' && !name.empty()) {
      static const char* scopes[] = {"global", "script", "local",   "private",
                                     "env",    "using",  "variable"};
      for (auto* sc : scopes)
        if (iequals(name, sc)) {
          ++pos_;
          std::string rest;
          if (peek() == '{') return name + ":" + read_var_name();
          while (!eof() && (is_var_char(peek()) || (iequals(name, "env") && peek() == '(')))
            rest += s_[pos_++];
          return name + ":" + rest;
        }
    }
    return name;
  }

  std::unique_ptr<VariableExpr> make_variable(size_t start, const std::string& full) {
    auto v = std::make_unique<VariableExpr>();
    auto colon = full.find(':');
    if (colon != std::string::npos) {
      v->scope = to_lower(full.substr(0, colon));
      v->name = full.substr(colon + 1);
    } else {
      v->name = full;
    }
    v->extent = make_extent(start, pos_);
    return v;
  }

  ExprPtr parse_primary() {
    skip_ws(false);
    size_t start = pos_;
    char c = peek();
    if (c == '$') {
      if (peek(1) == '(') {
        ++pos_;
        return parse_subexpr(Expr::Kind::Subexpr, start);
      }
      ++pos_;
      std::string name = read_var_name();
      if (name.empty())
        fail(
            "Variable reference is not valid. '$' was not followed by a valid variable name "
            "character.",
            "InvalidVariableReference", start);
      return make_variable(start, name);
    }
    if (c == '(') return parse_subexpr(Expr::Kind::Paren, start);
    if (c == '@' && peek(1) == '(') {
      ++pos_;
      return parse_subexpr(Expr::Kind::ArraySubexpr, start);
    }
    if (c == '@' && peek(1) == '{') return parse_hash_literal();
    if (c == '@' && (peek(1) == '"' || peek(1) == '\'')) return parse_here_string();
    if (c == '\'') return parse_single_quoted();
    if (c == '"') return parse_double_quoted();
    if (c == '{') return parse_script_block_expr();
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))))
      return parse_number_literal();
    if (c == '[') return parse_cast();
    if (eof())
      fail("An expression was expected after this point.", "ExpectedExpression", s_.size());
    if (is_word_char(c)) {
      // a bareword in expression mode is a command name; PowerShell reports it like this
      std::string w = read_word();
      fail("Unexpected token '" + w + "' in expression or statement.", "UnexpectedToken", start,
           w.size());
    }
    fail_unexpected();
  }

  ExprPtr parse_number_literal() {
    size_t b = pos_;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
      pos_ += 2;
      while (std::isxdigit(static_cast<unsigned char>(peek()))) ++pos_;
    } else {
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
      if (peek() == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))) {
        ++pos_;
        while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
      }
      if ((peek() == 'e' || peek() == 'E') &&
          (std::isdigit(static_cast<unsigned char>(peek(1))) ||
           ((peek(1) == '+' || peek(1) == '-') &&
            std::isdigit(static_cast<unsigned char>(peek(2)))))) {
        pos_ += 2;
        while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
      }
    }
    // multiplier suffix
    if (pos_ + 1 < s_.size()) {
      std::string suf = to_lower(s_.substr(pos_, 2));
      if ((suf == "kb" || suf == "mb" || suf == "gb" || suf == "tb") &&
          (pos_ + 2 >= s_.size() || !is_var_char(s_[pos_ + 2])))
        pos_ += 2;
    }
    if (is_var_char(peek())) {
      while (is_var_char(peek())) ++pos_;
      fail("The numeric constant " + s_.substr(b, pos_ - b) + " is not valid.",
           "BadNumericConstant", b, pos_ - b);
    }
    auto n = parse_number(s_.substr(b, pos_ - b));
    if (!n)
      fail("The numeric constant " + s_.substr(b, pos_ - b) + " is not valid.",
           "BadNumericConstant", b, pos_ - b);
    auto k = std::make_unique<ConstantExpr>();
    k->value = *n;
    k->extent = make_extent(b, pos_);
    return k;
  }

  ExprPtr parse_subexpr(Expr::Kind kind, size_t start) {
    CommaScope cs(no_comma_, false);
    size_t open = pos_;
    ++pos_;  // '('
    auto e = std::make_unique<SubexprExpr>(kind);
    if (kind == Expr::Kind::Paren) {
      skip_ws(true);
      if (peek() == ')') {
        if (true) fail("An expression was expected after '('.", "ExpectedExpression", pos_);
      }
      e->statements.push_back(parse_statement());
      skip_ws(true);
    } else {
      e->statements = parse_statement_list(')');
      skip_ws(true);
    }
    if (peek() != ')') {
      if (eof())
        fail("Missing closing ')' in expression.", "MissingEndParenthesisInExpression", s_.size());
      if (kind == Expr::Kind::Paren && !std::strchr("}]", peek())) fail_unexpected();
      fail("Missing closing ')' in expression.", "MissingEndParenthesisInExpression", open);
    }
    ++pos_;
    e->extent = make_extent(start, pos_);
    return e;
  }

  ExprPtr parse_hash_literal() {
    CommaScope cs(no_comma_, false);
    size_t start = pos_;
    pos_ += 2;
    auto h = std::make_unique<HashLiteralExpr>();
    for (;;) {
      skip_ws(true);
      while (peek() == ';') {
        ++pos_;
        skip_ws(true);
      }
      if (peek() == '}') {
        ++pos_;
        break;
      }
      if (eof())
        fail("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
             s_.size());
      ExprPtr key;
      size_t kb = pos_;
      if (peek() == '\'' || peek() == '"' || peek() == '$' || peek() == '(') {
        key = parse_postfix(parse_primary(), false);
      } else if (std::isdigit(static_cast<unsigned char>(peek()))) {
        key = parse_number_literal();
      } else {
        while (!eof() && (is_var_char(peek()) || peek() == '-' || peek() == '.')) ++pos_;
        if (kb == pos_) fail("Missing key before '=' in hash literal.", "MissingHashKey", pos_);
        auto k = std::make_unique<ConstantExpr>();
        k->value = Value(s_.substr(kb, pos_ - kb));
        k->extent = make_extent(kb, pos_);
        key = std::move(k);
      }
      skip_ws(false);
      if (peek() != '=')
        fail("Missing '=' operator after key in hash literal.", "MissingEqualsInHashLiteral", pos_);
      ++pos_;
      skip_ws(true);
      if (peek() == '}' || peek() == ';' || eof())
        fail("Missing statement after '=' in hash literal.", "MissingStatementInHashLiteral", pos_);
      StatementPtr value = parse_statement();
      h->entries.emplace_back(std::move(key), std::move(value));
      skip_ws(false);
      if (peek() == ';' || at_newline() || peek() == '}') continue;
      if (eof())
        fail("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
             s_.size());
      fail("The hash literal was incomplete.", "IncompleteHashLiteral", pos_);
    }
    h->extent = make_extent(start, pos_);
    return h;
  }

  ExprPtr parse_script_block_expr() {
    CommaScope cs(no_comma_, false);
    size_t open = pos_;
    ++pos_;
    auto block = std::make_unique<ScriptBlockAst>();
    parse_block_body(*block, '}');
    skip_ws(true);
    if (peek() != '}')
      fail("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
           eof() ? s_.size() : open);
    ++pos_;
    block->text = s_.substr(open + 1, pos_ - open - 2);
    block->extent = make_extent(open, pos_);
    auto e = std::make_unique<ScriptBlockExpr>();
    e->block = std::move(block);
    e->extent = make_extent(open, pos_);
    return e;
  }

  ExprPtr parse_single_quoted() {
    size_t start = pos_;
    ++pos_;
    std::string out;
    for (;;) {
      if (eof())
        fail("The string is missing the terminator: '.", "TerminatorExpectedAtEndOfString",
             s_.size());
      char c = s_[pos_++];
      if (c == '\'') {
        if (peek() == '\'') {
          out += '\'';
          ++pos_;
          continue;
        }
        break;
      }
      out += c;
    }
    auto k = std::make_unique<ConstantExpr>();
    k->value = Value(out);
    k->extent = make_extent(start, pos_);
    return k;
  }

  static char escape_char(char c) {
    switch (c) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '0':
        return '\0';
      case 'a':
        return '\a';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'e':
        return '\x1b';
      default:
        return c;
    }
  }

  // Parses the body of an expandable string up to `end` (or the closing quote when end is npos).
  ExprPtr parse_expandable(size_t start, size_t end, bool here) {
    auto str = std::make_unique<ExpandableStringExpr>();
    std::string lit;
    auto flush = [&]() {
      if (!lit.empty()) {
        ExpandableStringExpr::Part p;
        p.literal = std::move(lit);
        str->parts.push_back(std::move(p));
        lit.clear();
      }
    };
    for (;;) {
      if (here ? pos_ >= end : eof()) {
        if (here) break;
        fail("The string is missing the terminator: \".", "TerminatorExpectedAtEndOfString",
             s_.size());
      }
      char c = s_[pos_];
      if (!here && c == '"') {
        if (peek(1) == '"') {
          lit += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      if (c == '`' && pos_ + 1 < s_.size()) {
        lit += escape_char(s_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      if (c == '$') {
        size_t vs = pos_;
        char n = peek(1);
        if (n == '(') {
          ++pos_;
          flush();
          ExpandableStringExpr::Part p;
          p.expr = parse_subexpr(Expr::Kind::Subexpr, vs);
          str->parts.push_back(std::move(p));
          continue;
        }
        if (is_var_char(n) || n == '{' || n == '_' || n == '?' || n == '$') {
          ++pos_;
          std::string name = read_var_name();
          flush();
          ExpandableStringExpr::Part p;
          p.expr = make_variable(vs, name);
          str->parts.push_back(std::move(p));
          continue;
        }
      }
      lit += c;
      ++pos_;
    }
    flush();
    str->extent = make_extent(start, pos_);
    if (str->parts.empty() || (str->parts.size() == 1 && !str->parts[0].expr)) {
      auto k = std::make_unique<ConstantExpr>();
      k->value = Value(str->parts.empty() ? std::string() : str->parts[0].literal);
      k->extent = str->extent;
      return k;
    }
    return str;
  }

  ExprPtr parse_double_quoted() {
    size_t start = pos_;
    ++pos_;
    return parse_expandable(start, std::string::npos, false);
  }

  ExprPtr parse_here_string() {
    size_t start = pos_;
    char q = peek(1);
    pos_ += 2;
    while (peek() == ' ' || peek() == '\t') ++pos_;
    if (peek() == '\r') ++pos_;
    if (peek() != '\n')
      fail("No characters are allowed after a here-string header but before the end of the line.",
           "UnexpectedCharactersAfterHereStringHeader", pos_);
    ++pos_;
    size_t body = pos_;
    std::string term = std::string("\n") + q + "@";
    size_t end;
    if (s_.compare(body, 2, std::string(1, q) + "@") == 0) {
      end = body;  // empty here-string
    } else {
      end = s_.find(term, body - 1);
      if (end == std::string::npos || end < body - 1)
        fail("The string is missing the terminator: " + std::string(1, q) + "@.",
             "TerminatorExpectedAtEndOfString", s_.size());
    }
    size_t content_end = end < body ? body : end;
    if (content_end > body && s_[content_end - 1] == '\r') --content_end;
    ExprPtr result;
    if (q == '\'') {
      auto k = std::make_unique<ConstantExpr>();
      k->value = Value(s_.substr(body, content_end > body ? content_end - body : 0));
      result = std::move(k);
      pos_ = (end < body ? body : end + 1) + 2;
    } else {
      pos_ = body;
      result = parse_expandable(start, content_end, true);
      pos_ = (end < body ? body : end + 1) + 2;
    }
    result->extent = make_extent(start, pos_);
    return result;
  }
};

}  // namespace

std::shared_ptr<ParsedScript> parse_script(std::string name, std::string text) {
  auto src = std::make_shared<const Source>(std::move(name), std::move(text));
  Parser p(src);
  auto script = std::make_shared<ParsedScript>();
  script->root = p.parse_root();
  script->source = src;
  return script;
}

}  // namespace cimnet::shell

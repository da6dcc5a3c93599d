// The MOF compiler: a hand-written lexer and recursive-descent parser for the
// DSP0221 (CIM 2.x) grammar, feeding declarations into the Repository.

#include "cimnet/cim/mof.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "utf8.h"

namespace cimnet::cim {

MofError::MofError(MofLocation where, const std::string& message)
    : Error(Status::kFailed, where.file + ":" + std::to_string(where.line) + ":" +
                                 std::to_string(where.column) + ": " + message),
      where_(std::move(where)),
      message_(message) {}

namespace {

enum class Tok { kEnd, kIdent, kInt, kReal, kString, kChar, kAlias, kPunct, kPragma };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, decoded string/char, number spelling, punctuation
  int line = 0;
  int column = 0;
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "end of file";
    case Tok::kIdent:
      return "'" + t.text + "'";
    case Tok::kInt:
    case Tok::kReal:
      return "number " + t.text;
    case Tok::kString:
      return "string \"" + (t.text.size() > 30 ? t.text.substr(0, 30) + "..." : t.text) + "\"";
    case Tok::kChar:
      return "character literal";
    case Tok::kAlias:
      return "alias $" + t.text;
    case Tok::kPunct:
      return "'" + t.text + "'";
    case Tok::kPragma:
      return "#pragma";
  }
  return "token";
}

// Turns MOF text into tokens, tracking line and column.
class Lexer {
 public:
  Lexer(std::string_view text, std::string file, std::vector<std::string>& warnings)
      : s_(text), file_(std::move(file)), warnings_(warnings) {}

  Token next() {
    skip_space();
    Token t;
    t.line = line_;
    t.column = col_;
    if (pos_ >= s_.size()) return t;
    char c = s_[pos_];
    if (c == '#') {
      advance();
      std::string word = ident();
      if (!iequals(word, "pragma")) error(t, "expected 'pragma' after '#'");
      t.kind = Tok::kPragma;
      return t;
    }
    if (is_ident_start(c)) {
      t.kind = Tok::kIdent;
      t.text = ident();
      return t;
    }
    if (c == '$') {
      advance();
      t.kind = Tok::kAlias;
      t.text = ident();
      if (t.text.empty()) error(t, "expected an alias name after '$'");
      return t;
    }
    if (c == '"') {
      t.kind = Tok::kString;
      t.text = quoted('"', t);
      return t;
    }
    if (c == '\'') {
      t.kind = Tok::kChar;
      t.text = quoted('\'', t);
      return t;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && pos_ + 1 < s_.size() && is_digit(s_[pos_ + 1]))) {
      return number(t);
    }
    if (std::strchr("{}[]();,:=+-.", c)) {
      advance();
      t.kind = Tok::kPunct;
      t.text = std::string(1, c);
      return t;
    }
    error(t, std::string("unexpected character '") + c + "'");
  }

  [[noreturn]] void error(const Token& at, const std::string& message) const {
    throw MofError({file_, at.line, at.column}, message);
  }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  static bool is_ident_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  static bool is_ident(char c) { return is_ident_start(c) || is_digit(c); }

  void advance() {
    if (s_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else if ((static_cast<unsigned char>(s_[pos_]) & 0xc0) != 0x80) {
      ++col_;
    }
    ++pos_;
  }

  void skip_space() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/') {
        while (pos_ < s_.size() && s_[pos_] != '\n') advance();
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '*') {
        Token start;
        start.line = line_;
        start.column = col_;
        advance();
        advance();
        while (pos_ + 1 < s_.size() && !(s_[pos_] == '*' && s_[pos_ + 1] == '/')) advance();
        if (pos_ + 1 >= s_.size()) error(start, "unterminated /* comment");
        advance();
        advance();
      } else {
        break;
      }
    }
  }

  std::string ident() {
    size_t start = pos_;
    while (pos_ < s_.size() && is_ident(s_[pos_])) advance();
    return std::string(s_.substr(start, pos_ - start));
  }

  std::string quoted(char q, const Token& start) {
    advance();
    std::string out;
    bool warned_newline = false;
    while (true) {
      if (pos_ >= s_.size() || (q == '\'' && s_[pos_] == '\n')) {
        error(start, q == '"' ? "unterminated string" : "unterminated character literal");
      }
      char c = s_[pos_];
      if (c == '\n' && !warned_newline) {
        // DSP0221 strings end on their line; Microsoft's schema has one that
        // does not, which other compilers accept. Keep the line break, warn.
        warnings_.push_back(file_ + ":" + std::to_string(start.line) + ":" +
                            std::to_string(start.column) +
                            ": string continues past the end of its line");
        warned_newline = true;
      }
      if (c == q) {
        advance();
        return out;
      }
      if (c != '\\') {
        out.push_back(c);
        advance();
        continue;
      }
      Token esc;
      esc.line = line_;
      esc.column = col_;
      advance();
      if (pos_ >= s_.size()) error(start, "unterminated string");
      char e = s_[pos_];
      advance();
      switch (e) {
        case 'b':
          out.push_back('\b');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case '"':
          out.push_back('"');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case 'x':
        case 'X': {
          uint32_t cp = 0;
          int digits = 0;
          while (digits < 4 && pos_ < s_.size() &&
                 std::isxdigit(static_cast<unsigned char>(s_[pos_]))) {
            char h = s_[pos_];
            cp = cp * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
            advance();
            ++digits;
          }
          if (digits == 0) error(esc, "expected hex digits after \\x");
          append_utf8(out, cp);
          break;
        }
        default:
          // Not a DSP0221 escape (the Microsoft schema has "enable\disable"):
          // keep both characters, as other compilers do, and say so.
          warnings_.push_back(file_ + ":" + std::to_string(esc.line) + ":" +
                              std::to_string(esc.column) + ": unknown escape '\\" +
                              std::string(1, e) + "' kept as written");
          out.push_back('\\');
          out.push_back(e);
      }
    }
  }

  Token number(Token t) {
    size_t start = pos_;
    bool real = false;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (is_ident(c) || c == '.') {
        if (c == '.') real = true;
        if ((c == 'e' || c == 'E') &&
            !(s_.substr(start, 2) == "0x" || s_.substr(start, 2) == "0X")) {
          real = real || (pos_ + 1 < s_.size() &&
                          (is_digit(s_[pos_ + 1]) || s_[pos_ + 1] == '+' || s_[pos_ + 1] == '-'));
          if (real && pos_ + 1 < s_.size() && (s_[pos_ + 1] == '+' || s_[pos_ + 1] == '-'))
            advance();
        }
        advance();
      } else {
        break;
      }
    }
    t.kind = real ? Tok::kReal : Tok::kInt;
    t.text = std::string(s_.substr(start, pos_ - start));
    return t;
  }

  std::string_view s_;
  std::string file_;
  std::vector<std::string>& warnings_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

// A literal as written, converted to a typed Value once the target type is known.
struct Literal {
  enum Kind { kNull, kBool, kInt, kReal, kString, kChar, kAlias, kArray } kind = kNull;
  bool boolean = false;
  bool negative = false;
  std::string text;  // number spelling, string/char contents or alias name
  std::vector<Literal> items;
  Token at;
};

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  if (!ok) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string raw = ss.str();
  // UTF-8 BOM, or UTF-16 with a BOM (DSP0221 allows both): give UTF-8 back.
  if (raw.size() >= 3 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0) return raw.substr(3);
  if (raw.size() >= 2 &&
      (raw.compare(0, 2, "\xFF\xFE") == 0 || raw.compare(0, 2, "\xFE\xFF") == 0)) {
    bool le = raw[0] == '\xFF';
    std::string out;
    for (size_t i = 2; i + 1 < raw.size(); i += 2) {
      uint32_t cu =
          le ? (static_cast<unsigned char>(raw[i]) | static_cast<unsigned char>(raw[i + 1]) << 8)
             : (static_cast<unsigned char>(raw[i]) << 8 | static_cast<unsigned char>(raw[i + 1]));
      append_utf8(out, cu);
    }
    return out;
  }
  return raw;
}

std::string dirname(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

// Parses one source (and, recursively, what it includes).
class MofParser {
 public:
  MofParser(MofCompiler& compiler, std::string_view text, std::string file)
      : c_(compiler), file_(file), lex_(text, std::move(file), compiler.warnings_) {
    tok_ = lex_.next();
  }

  void parse() {
    while (tok_.kind != Tok::kEnd) {
      if (tok_.kind == Tok::kPragma) {
        pragma();
        continue;
      }
      QualifierSyntax quals;
      Token decl_start = tok_;
      if (is_punct("[")) quals = qualifier_list();
      if (is_word("class")) {
        class_declaration(decl_start, quals);
      } else if (is_word("instance")) {
        instance_declaration(decl_start);
      } else if (is_word("qualifier") && quals.empty()) {
        qualifier_declaration();
      } else {
        error("expected a class, instance or qualifier declaration or #pragma, found " +
              describe(tok_));
      }
    }
  }

 private:
  // A qualifier as written: name, optional value, optional flavors after ':'.
  struct WrittenQualifier {
    Token name;
    Literal value;
    bool has_value = false;
    std::vector<Token> flavors;
  };
  using QualifierSyntax = std::vector<WrittenQualifier>;

  // ---- token helpers ----
  bool is_punct(const char* p) const { return tok_.kind == Tok::kPunct && tok_.text == p; }
  bool is_word(const char* w) const { return tok_.kind == Tok::kIdent && iequals(tok_.text, w); }
  [[noreturn]] void error(const std::string& message) const { lex_.error(tok_, message); }
  [[noreturn]] void error_at(const Token& at, const std::string& message) const {
    lex_.error(at, message);
  }
  Token take() {
    Token t = tok_;
    tok_ = lex_.next();
    return t;
  }
  void expect(const char* p) {
    if (!is_punct(p)) error(std::string("expected '") + p + "', found " + describe(tok_));
    take();
  }
  Token expect_ident(const char* what) {
    if (tok_.kind != Tok::kIdent)
      error(std::string("expected ") + what + ", found " + describe(tok_));
    return take();
  }
  void expect_word(const char* w) {
    if (!is_word(w)) error(std::string("expected '") + w + "', found " + describe(tok_));
    take();
  }

  // ---- pragmas ----
  void pragma() {
    Token at = take();
    Token name = expect_ident("a pragma name");
    expect("(");
    if (tok_.kind != Tok::kString) error("expected a string argument for #pragma " + name.text);
    std::string arg = string_concat();
    while (is_punct(",")) {  // extra arguments (e.g. instancelocale) are ignored
      take();
      if (tok_.kind == Tok::kString) string_concat();
    }
    expect(")");
    if (iequals(name.text, "include")) {
      include(at, arg);
    } else if (iequals(name.text, "namespace")) {
      std::string ns = canonical_namespace(arg);
      if (ns.rfind("./", 0) == 0) ns = ns.substr(2);
      if (ns.empty()) error_at(name, "empty namespace in #pragma namespace");
      c_.repository_.add_namespace(ns);
      c_.namespace_ = ns;
    } else if (iequals(name.text, "locale") || iequals(name.text, "instancelocale") ||
               iequals(name.text, "source") || iequals(name.text, "sourcetype") ||
               iequals(name.text, "nonlocal") || iequals(name.text, "nonlocaltype") ||
               iequals(name.text, "classflags") || iequals(name.text, "deleteclass")) {
      if (iequals(name.text, "deleteclass") || iequals(name.text, "classflags")) {
        warn(name, "#pragma " + name.text + " is not supported and was ignored");
      }
    } else {
      warn(name, "unknown #pragma " + name.text + " ignored");
    }
  }

  void include(const Token& at, const std::string& path) {
    std::string resolved = path;
    if (!path.empty() && path[0] != '/') {
      std::string base = dirname(file_);
      resolved = base.empty() ? path : base + "/" + path;
    }
    if (c_.include_depth_ > 32) error_at(at, "includes nested more than 32 deep (a cycle?)");
    std::optional<std::string> text = c_.loader_(resolved);
    if (!text)
      error_at(at, "cannot open include file \"" + path + "\" (looked for " + resolved + ")");
    ++c_.include_depth_;
    MofParser nested(c_, *text, resolved);
    nested.parse();
    --c_.include_depth_;
  }

  void warn(const Token& at, const std::string& message) {
    c_.warnings_.push_back(file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                           ": " + message);
  }

  // ---- literals ----
  std::string string_concat() {
    std::string out;
    while (tok_.kind == Tok::kString) out += take().text;
    return out;
  }

  Literal literal() {
    Literal lit;
    lit.at = tok_;
    if (is_punct("{")) {
      take();
      lit.kind = Literal::kArray;
      if (!is_punct("}")) {
        lit.items.push_back(literal());
        while (is_punct(",")) {
          take();
          lit.items.push_back(literal());
        }
      }
      expect("}");
      return lit;
    }
    if (is_punct("-") || is_punct("+")) {
      lit.negative = take().text == "-";
      if (tok_.kind != Tok::kInt && tok_.kind != Tok::kReal)
        error("expected a number after the sign");
    }
    switch (tok_.kind) {
      case Tok::kString:
        lit.kind = Literal::kString;
        lit.text = string_concat();
        return lit;
      case Tok::kChar:
        lit.kind = Literal::kChar;
        lit.text = take().text;
        return lit;
      case Tok::kInt:
        lit.kind = Literal::kInt;
        lit.text = take().text;
        return lit;
      case Tok::kReal:
        lit.kind = Literal::kReal;
        lit.text = take().text;
        return lit;
      case Tok::kAlias:
        lit.kind = Literal::kAlias;
        lit.text = take().text;
        return lit;
      case Tok::kIdent:
        if (is_word("true") || is_word("false")) {
          lit.kind = Literal::kBool;
          lit.boolean = is_word("true");
          take();
          return lit;
        }
        if (is_word("null")) {
          lit.kind = Literal::kNull;
          take();
          return lit;
        }
        break;
      default:
        break;
    }
    error("expected a value, found " + describe(tok_));
  }

  // Integer literal magnitude: decimal, 0x hex, 0 octal, or binary with a b suffix.
  uint64_t integer_magnitude(const Literal& lit) const {
    const std::string& s = lit.text;
    int base = 10;
    std::string digits = s;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      digits = s.substr(2);
    } else if (s.size() > 1 && (s.back() == 'b' || s.back() == 'B')) {
      base = 2;
      digits = s.substr(0, s.size() - 1);
    } else if (s.size() > 1 && s[0] == '0') {
      base = 8;
      digits = s.substr(1);
    }
    unsigned __int128 v = 0;
    for (char ch : digits) {
      int d = -1;
      if (ch >= '0' && ch <= '9')
        d = ch - '0';
      else if (ch >= 'a' && ch <= 'f')
        d = ch - 'a' + 10;
      else if (ch >= 'A' && ch <= 'F')
        d = ch - 'A' + 10;
      if (d < 0 || d >= base) error_at(lit.at, "'" + s + "' is not a valid integer");
      v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
      if (v > std::numeric_limits<uint64_t>::max())
        error_at(lit.at, "integer " + s + " is too large");
    }
    if (digits.empty()) error_at(lit.at, "'" + s + "' is not a valid integer");
    return static_cast<uint64_t>(v);
  }

  Value scalar_value(const Literal& lit, Type type, const std::string& what) {
    auto wrong = [&]() -> Value {
      error_at(lit.at, "a " + std::string(type_name(type)) + " value is needed for " + what);
    };
    try {
      switch (type) {
        case Type::kBoolean:
          if (lit.kind != Literal::kBool) return wrong();
          return Value::boolean(lit.boolean);
        case Type::kString:
          if (lit.kind != Literal::kString) return wrong();
          return Value::string(lit.text);
        case Type::kChar16:
          if (lit.kind != Literal::kChar && lit.kind != Literal::kString) return wrong();
          return Value::from_text(Type::kChar16, lit.text);
        case Type::kReal32:
        case Type::kReal64:
          if (lit.kind != Literal::kReal && lit.kind != Literal::kInt) return wrong();
          if (lit.kind == Literal::kInt) {
            double d = static_cast<double>(integer_magnitude(lit));
            return Value::from_text(type, (lit.negative ? "-" : "") + std::to_string(d));
          }
          return Value::from_text(type, (lit.negative ? "-" : "") + lit.text);
        case Type::kDatetime:
          if (lit.kind != Literal::kString) return wrong();
          return Value::datetime(Datetime::parse_xml(lit.text));
        case Type::kReference:
          if (lit.kind == Literal::kAlias) {
            auto it = aliases().find(lit.text);
            if (it == aliases().end()) error_at(lit.at, "alias $" + lit.text + " is not defined");
            return Value::reference(it->second);
          }
          if (lit.kind != Literal::kString) return wrong();
          return Value::reference(ObjectPath::parse(lit.text));
        case Type::kInstance:
          if (lit.kind == Literal::kAlias) {
            auto it = alias_instances().find(lit.text);
            if (it == alias_instances().end())
              error_at(lit.at, "alias $" + lit.text + " is not defined");
            return Value::instance(it->second);
          }
          error_at(lit.at,
                   "embedded instance values must be given as an alias ($Name) of an "
                   "instance declared earlier");
        default:
          if (lit.kind != Literal::kInt) return wrong();
          uint64_t mag = integer_magnitude(lit);
          if (!lit.negative || mag == 0) return Value::unsigned_integer(type, mag);
          if (!is_signed_type(type)) {
            error_at(lit.at, "-" + lit.text + " is negative; " + what + " is " +
                                 std::string(type_name(type)));
          }
          if (mag > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
            error_at(lit.at, "-" + lit.text + " is too small for " + std::string(type_name(type)));
          }
          return Value::integer(
              type, mag == static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1
                        ? std::numeric_limits<int64_t>::min()
                        : -static_cast<int64_t>(mag));
      }
    } catch (const MofError&) {
      throw;
    } catch (const Error& e) {
      error_at(lit.at, std::string(e.what()) + " (" + what + ")");
    }
  }

  // Converts a literal for an element of `type`; `lenient_array` lets a single
  // value stand for a one-element array (qualifier values).
  Value value(const Literal& lit, Type type, bool is_array, const std::string& what,
              bool lenient_array = false) {
    if (lit.kind == Literal::kNull) return Value::null(type, is_array);
    if (lit.kind == Literal::kArray) {
      if (!is_array) error_at(lit.at, "an array value was given but " + what + " is not an array");
      std::vector<Value> items;
      for (const auto& item : lit.items) {
        if (item.kind == Literal::kArray || item.kind == Literal::kNull) {
          error_at(item.at, "array elements of " + what + " must be single values");
        }
        items.push_back(scalar_value(item, type, what));
      }
      return Value::array(type, items);
    }
    if (is_array) {
      if (!lenient_array) error_at(lit.at, what + " is an array; give its value in { }");
      return Value::array(type, {scalar_value(lit, type, what)});
    }
    return scalar_value(lit, type, what);
  }

  // ---- qualifiers ----
  QualifierSyntax qualifier_list() {
    QualifierSyntax out;
    expect("[");
    while (true) {
      WrittenQualifier q;
      q.name = expect_ident("a qualifier name");
      q.value.at = q.name;
      if (is_punct("(")) {
        take();
        q.value = literal();
        expect(")");
        q.has_value = true;
      } else if (is_punct("{")) {
        q.value = literal();
        q.has_value = true;
      }
      if (is_punct(":")) {
        take();
        while (tok_.kind == Tok::kIdent) q.flavors.push_back(take());
      }
      out.push_back(std::move(q));
      if (is_punct(",")) {
        take();
        continue;
      }
      expect("]");
      return out;
    }
  }

  static const char* scope_name(uint16_t scope) {
    switch (scope) {
      case kScopeClass:
        return "a class";
      case kScopeAssociation:
        return "an association";
      case kScopeIndication:
        return "an indication";
      case kScopeProperty:
        return "a property";
      case kScopeReference:
        return "a reference";
      case kScopeMethod:
        return "a method";
      case kScopeParameter:
        return "a parameter";
      default:
        return "this element";
    }
  }

  void apply_flavor(Flavor& f, const Token& at, const std::string& word) {
    if (iequals(word, "EnableOverride"))
      f.overridable = true;
    else if (iequals(word, "DisableOverride"))
      f.overridable = false;
    else if (iequals(word, "ToSubclass"))
      f.to_subclass = true;
    else if (iequals(word, "Restricted"))
      f.to_subclass = false;
    else if (iequals(word, "Translatable"))
      f.translatable = true;
    else if (iequals(word, "ToInstance")) {
    } else {
      error_at(at, "unknown flavor '" + word + "'");
    }
  }

  // Resolves written qualifiers against the declared qualifier types.
  QualifierList qualifiers(const QualifierSyntax& written, uint16_t allowed, uint16_t scope,
                           const std::string& what) {
    QualifierList out;
    for (const auto& w : written) {
      const QualifierType* qt = c_.repository_.find_qualifier_type(c_.namespace_, w.name.text);
      if (!qt) {
        error_at(w.name, "qualifier " + w.name.text + " is not declared in namespace " +
                             c_.namespace_ + " (declare it with a Qualifier statement first)");
      }
      if ((qt->scopes & allowed) == 0) {
        error_at(w.name, "qualifier " + qt->name + " cannot be used on " + scope_name(scope) +
                             " (" + what + ")");
      }
      if (out.find(qt->name))
        error_at(w.name, "qualifier " + qt->name + " is given twice on " + what);
      Qualifier q;
      q.name = qt->name;
      q.flavor = qt->flavor;
      if (!w.has_value) {
        if (qt->type != Type::kBoolean || qt->is_array) {
          error_at(w.name, "qualifier " + qt->name + " needs a value (it is " +
                               std::string(type_name(qt->type)) + (qt->is_array ? "[]" : "") + ")");
        }
        q.value = Value::boolean(true);
      } else {
        q.value = value(w.value, qt->type, qt->is_array, "qualifier " + qt->name, true);
      }
      for (const Token& f : w.flavors) apply_flavor(q.flavor, f, f.text);
      out.set(std::move(q));
    }
    return out;
  }

  static bool has_qualifier(const QualifierSyntax& written, const char* name) {
    for (const auto& w : written) {
      if (iequals(w.name.text, name)) {
        return !(w.has_value && w.value.kind == Literal::kBool && !w.value.boolean);
      }
    }
    return false;
  }

  void qualifier_declaration() {
    Token at = take();  // 'Qualifier'
    QualifierType qt;
    qt.name = expect_ident("a qualifier name").text;
    expect(":");
    Token type_tok = expect_ident("a type");
    auto type = parse_type_name(type_tok.text);
    if (!type || *type == Type::kDatetime) {
      error_at(type_tok, "'" + type_tok.text + "' is not a qualifier type");
    }
    qt.type = *type;
    if (is_punct("[")) {
      take();
      qt.is_array = true;
      if (tok_.kind == Tok::kInt) {
        Literal n;
        n.at = tok_;
        n.text = take().text;
        qt.array_size = static_cast<uint32_t>(integer_magnitude(n));
      }
      expect("]");
    }
    if (is_punct("=")) {
      take();
      qt.default_value = value(literal(), qt.type, qt.is_array, "qualifier " + qt.name, true);
    } else {
      qt.default_value = Value::null(qt.type, qt.is_array);
    }
    expect(",");
    expect_word("scope");
    expect("(");
    while (true) {
      Token s = expect_ident("a scope");
      if (iequals(s.text, "class"))
        qt.scopes |= kScopeClass;
      else if (iequals(s.text, "association"))
        qt.scopes |= kScopeAssociation;
      else if (iequals(s.text, "indication"))
        qt.scopes |= kScopeIndication;
      else if (iequals(s.text, "property"))
        qt.scopes |= kScopeProperty;
      else if (iequals(s.text, "reference"))
        qt.scopes |= kScopeReference;
      else if (iequals(s.text, "method"))
        qt.scopes |= kScopeMethod;
      else if (iequals(s.text, "parameter"))
        qt.scopes |= kScopeParameter;
      else if (iequals(s.text, "qualifier"))
        qt.scopes |= kScopeQualifier;
      else if (iequals(s.text, "any"))
        qt.scopes |= kScopeAny;
      else
        error_at(s, "unknown scope '" + s.text + "'");
      if (!is_punct(",")) break;
      take();
    }
    expect(")");
    if (is_punct(",")) {
      take();
      expect_word("flavor");
      expect("(");
      while (true) {
        Token f = expect_ident("a flavor");
        apply_flavor(qt.flavor, f, f.text);
        if (!is_punct(",")) break;
        take();
      }
      expect(")");
    }
    expect(";");
    try {
      c_.repository_.add_qualifier_type(c_.namespace_, std::move(qt));
    } catch (const Error& e) {
      error_at(at, e.what());
    }
    ++c_.stats_.qualifier_types;
  }

  // ---- classes ----
  struct TypeSpec {
    Type type = Type::kString;
    std::string ref_class;
  };

  // A data type keyword, or "ClassName REF".
  TypeSpec type_spec(const Token& first) {
    TypeSpec spec;
    if (is_word("ref")) {
      take();
      spec.type = Type::kReference;
      spec.ref_class = first.text;
      return spec;
    }
    auto type = parse_type_name(first.text);
    if (!type)
      error_at(first, "'" + first.text + "' is not a data type (or a class name followed by REF)");
    spec.type = *type;
    return spec;
  }

  std::optional<uint32_t> array_suffix(bool& is_array) {
    is_array = false;
    if (!is_punct("[")) return std::nullopt;
    take();
    is_array = true;
    std::optional<uint32_t> size;
    if (tok_.kind == Tok::kInt) {
      Literal n;
      n.at = tok_;
      n.text = take().text;
      uint64_t v = integer_magnitude(n);
      if (v == 0 || v > std::numeric_limits<uint32_t>::max())
        error_at(n.at, "bad array size " + n.text);
      size = static_cast<uint32_t>(v);
    }
    expect("]");
    return size;
  }

  void class_declaration(const Token& start, const QualifierSyntax& class_quals) {
    take();  // 'class'
    Token name = expect_ident("a class name");
    std::string super;
    if (is_word("as")) {
      take();
      if (tok_.kind != Tok::kAlias) error("expected an alias after 'as'");
      take();
    }
    if (is_punct(":")) {
      take();
      super = expect_ident("a superclass name").text;
    }
    bool association = has_qualifier(class_quals, "Association");
    bool indication = has_qualifier(class_quals, "Indication");
    // An association or indication inherits that nature from its superclass too.
    if (!super.empty()) {
      if (const Class* parent = c_.repository_.find_class(c_.namespace_, super)) {
        association = association || parent->is_association();
        indication = indication || parent->is_indication();
      }
    }
    uint16_t class_scope = association  ? kScopeAssociation
                           : indication ? kScopeIndication
                                        : kScopeClass;
    Class cls(name.text, super);
    cls.qualifiers() =
        qualifiers(class_quals, class_scope | kScopeClass, class_scope, "class " + name.text);
    expect("{");
    while (!is_punct("}")) {
      QualifierSyntax quals;
      if (is_punct("[")) quals = qualifier_list();
      Token first = expect_ident("a property, reference or method declaration");
      TypeSpec spec = type_spec(first);
      Token member = expect_ident("a member name");
      if (is_punct("(")) {
        method(cls, spec, member, quals);
        continue;
      }
      Property p;
      p.name = member.text;
      p.type = spec.type;
      p.reference_class = spec.ref_class;
      std::string what = "property " + name.text + "." + p.name;
      p.array_size = array_suffix(p.is_array);
      if (p.type == Type::kReference && p.is_array)
        error_at(member, "reference " + p.name + " cannot be an array");
      uint16_t scope = p.type == Type::kReference ? kScopeReference : kScopeProperty;
      p.qualifiers = qualifiers(quals, scope, scope, what);
      if (is_punct("=")) {
        take();
        Literal lit = literal();
        p.default_value = value(
            lit, p.type == Type::kString && is_embedded(p.qualifiers) ? Type::kString : p.type,
            p.is_array, what);
      } else {
        p.default_value = Value::null(p.type, p.is_array);
      }
      expect(";");
      if (cls.find_property(p.name) || cls.find_method(p.name)) {
        error_at(member, p.name + " is declared twice in class " + name.text);
      }
      cls.properties().push_back(std::move(p));
    }
    expect("}");
    expect(";");
    warn_narrowed_references(start, cls);
    try {
      c_.repository_.add_class(c_.namespace_, std::move(cls));
    } catch (const Error& e) {
      error_at(start, e.what());
    }
    ++c_.stats_.classes;
  }

  // DSP0004 wants an overriding reference to name a subclass of the class the
  // overridden one names. Published schemas break this (Microsoft's
  // MSFT_AssociatedAddressFamily), and other CIM servers load them, so it is a
  // warning here rather than an error.
  void warn_narrowed_references(const Token& at, const Class& cls) {
    const Class* parent = cls.superclass().empty()
                              ? nullptr
                              : c_.repository_.find_class(c_.namespace_, cls.superclass());
    if (!parent) return;
    for (const auto& p : cls.properties()) {
      const Property* base = parent->find_property(p.name);
      if (p.type != Type::kReference || !base || base->type != Type::kReference) continue;
      const Repository& repo = c_.repository_;
      if (repo.find_class(c_.namespace_, p.reference_class) &&
          repo.find_class(c_.namespace_, base->reference_class) &&
          !repo.is_a(c_.namespace_, p.reference_class, base->reference_class)) {
        warn(at, "reference " + cls.name() + "." + p.name + " to " + p.reference_class +
                     " overrides a reference to " + base->reference_class +
                     ", which it does not derive from");
      }
    }
  }

  static bool is_embedded(const QualifierList& q) {
    return q.flag("EmbeddedObject") || !q.text("EmbeddedInstance").empty();
  }

  void method(Class& cls, const TypeSpec& ret, const Token& name, const QualifierSyntax& quals) {
    if (ret.type == Type::kReference)
      error_at(name, "method " + name.text + " cannot return a reference");
    Method m;
    m.name = name.text;
    m.return_type = ret.type;
    std::string what = "method " + cls.name() + "." + m.name;
    m.qualifiers = qualifiers(quals, kScopeMethod, kScopeMethod, what);
    expect("(");
    while (!is_punct(")")) {
      QualifierSyntax pquals;
      if (is_punct("[")) pquals = qualifier_list();
      Token first = expect_ident("a parameter type");
      TypeSpec spec = type_spec(first);
      Parameter p;
      Token pname = expect_ident("a parameter name");
      p.name = pname.text;
      p.type = spec.type;
      p.reference_class = spec.ref_class;
      p.array_size = array_suffix(p.is_array);
      p.qualifiers =
          qualifiers(pquals, kScopeParameter, kScopeParameter, what + " parameter " + p.name);
      if (is_punct("=")) {  // DSP0221 3 default; accepted and checked, not kept
        take();
        value(literal(), p.type, p.is_array, what + " parameter " + p.name);
      }
      if (m.find_parameter(p.name))
        error_at(pname, "parameter " + p.name + " is declared twice in " + what);
      m.parameters.push_back(std::move(p));
      if (!is_punct(",")) break;
      take();
    }
    expect(")");
    expect(";");
    if (cls.find_method(m.name) || cls.find_property(m.name)) {
      error_at(name, m.name + " is declared twice in class " + cls.name());
    }
    cls.methods().push_back(std::move(m));
  }

  // ---- instances ----
  void instance_declaration(const Token& start) {
    take();  // 'instance'
    expect_word("of");
    Token cls_tok = expect_ident("a class name");
    const Class* cls = c_.repository_.find_class(c_.namespace_, cls_tok.text);
    if (!cls) error_at(cls_tok, "class " + cls_tok.text + " is not defined in " + c_.namespace_);
    std::string alias;
    if (is_word("as")) {
      take();
      if (tok_.kind != Tok::kAlias) error("expected an alias ($Name) after 'as'");
      if (aliases().count(tok_.text)) error("alias $" + tok_.text + " is already defined");
      alias = take().text;
    }
    Instance inst(cls->name());
    expect("{");
    while (!is_punct("}")) {
      if (is_punct("[")) qualifier_list();  // instance qualifiers are accepted and not kept
      Token prop_tok = expect_ident("a property name");
      const Property* prop = cls->find_property(prop_tok.text);
      if (!prop) error_at(prop_tok, "class " + cls->name() + " has no property " + prop_tok.text);
      expect("=");
      Literal lit = literal();
      expect(";");
      if (inst.has(prop->name)) error_at(prop_tok, "property " + prop->name + " is given twice");
      inst.set(prop->name, value(lit, prop->type, prop->is_array,
                                 "property " + cls->name() + "." + prop->name));
    }
    expect("}");
    expect(";");
    try {
      c_.repository_.validate_instance(c_.namespace_, inst, Validation::kCreate);
      if (!alias.empty()) {
        aliases()[alias] = inst.path(*cls, c_.namespace_);
        alias_instances()[alias] = inst;
      }
    } catch (const Error& e) {
      error_at(start, e.what());
    }
    c_.instances_.push_back({c_.namespace_, std::move(inst), alias});
    ++c_.stats_.instances;
  }

  std::map<std::string, ObjectPath>& aliases() { return c_.aliases_; }
  std::map<std::string, Instance>& alias_instances() { return c_.alias_instances_; }

  MofCompiler& c_;
  std::string file_;
  Lexer lex_;
  Token tok_;
};

MofCompiler::MofCompiler(Repository& repository, std::string default_namespace)
    : repository_(repository), namespace_(canonical_namespace(default_namespace)) {
  repository_.add_namespace(namespace_);
  loader_ = [](const std::string& path) -> std::optional<std::string> {
    bool ok = false;
    std::string text = read_file(path, ok);
    if (!ok) return std::nullopt;
    return text;
  };
}

void MofCompiler::compile_file(const std::string& path) {
  std::optional<std::string> text = loader_(path);
  if (!text) throw MofError({path, 0, 0}, "cannot open file");
  compile_string(*text, path);
}

void MofCompiler::compile_string(std::string_view text, const std::string& name) {
  MofParser parser(*this, text, name);
  parser.parse();
}

}  // namespace cimnet::cim

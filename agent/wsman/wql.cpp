#include "agent/wsman/wql.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "cimnet/cim/error.h"
#include "cimnet/cim/names.h"
#include "cimnet/cim/value.h"

namespace cimnet::wsman::wql {

namespace {

constexpr int kMaxDepth = 64;

enum class Tok { kEnd, kIdent, kString, kNumber, kComma, kStar, kLParen, kRParen, kOp };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  size_t offset = 0;
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token next() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r'))
      ++pos_;
    Token t;
    t.offset = pos_;
    if (pos_ >= s_.size()) return t;
    char c = s_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
        ++pos_;
      t.kind = Tok::kIdent;
      t.text = std::string(s_.substr(start, pos_ - start));
      return t;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
        ((c == '-' || c == '+') && pos_ + 1 < s_.size() &&
         (std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])) || s_[pos_ + 1] == '.'))) {
      size_t start = pos_;
      ++pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                  s_[pos_] == '.' ||
                                  ((s_[pos_] == '-' || s_[pos_] == '+') &&
                                   lower(s_[pos_ - 1]) == 'e' && !is_hex(start))))
        ++pos_;
      t.kind = Tok::kNumber;
      t.text = std::string(s_.substr(start, pos_ - start));
      return t;
    }
    if (c == '\'' || c == '"') {
      char quote = c;
      ++pos_;
      std::string text;
      while (true) {
        if (pos_ >= s_.size()) throw QueryError("unterminated string", t.offset);
        char d = s_[pos_++];
        if (d == '\\' && pos_ < s_.size()) {
          text += s_[pos_++];
        } else if (d == quote) {
          if (pos_ < s_.size() && s_[pos_] == quote) {
            text += quote;
            ++pos_;
          } else {
            break;
          }
        } else {
          text += d;
        }
      }
      t.kind = Tok::kString;
      t.text = std::move(text);
      return t;
    }
    ++pos_;
    switch (c) {
      case ',': t.kind = Tok::kComma; t.text = ","; return t;
      case '*': t.kind = Tok::kStar; t.text = "*"; return t;
      case '(': t.kind = Tok::kLParen; t.text = "("; return t;
      case ')': t.kind = Tok::kRParen; t.text = ")"; return t;
      case '=': t.kind = Tok::kOp; t.text = "="; return t;
      case '<':
      case '>':
      case '!': {
        t.kind = Tok::kOp;
        t.text = std::string(1, c);
        if (pos_ < s_.size() && (s_[pos_] == '=' || (c == '<' && s_[pos_] == '>')))
          t.text += s_[pos_++];
        if (t.text == "!") throw QueryError("'!' must be followed by '='", t.offset);
        return t;
      }
      default: break;
    }
    throw QueryError(std::string("unexpected character '") + c + "'", t.offset);
  }

 private:
  bool is_hex(size_t start) const {
    size_t p = start;
    if (s_[p] == '-' || s_[p] == '+') ++p;
    return p + 1 < s_.size() && s_[p] == '0' && lower(s_[p + 1]) == 'x';
  }
  std::string_view s_;
  size_t pos_ = 0;
};

bool keyword(const Token& t, std::string_view word) {
  return t.kind == Tok::kIdent && cim::iequals(t.text, word);
}

bool reserved(const Token& t) {
  for (std::string_view w : {"select", "from", "where", "and", "or", "not", "like", "is",
                             "null", "isa", "true", "false"})
    if (keyword(t, w)) return true;
  return false;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) { advance(); }

  Query parse() {
    Query q;
    expect_keyword("SELECT");
    if (cur_.kind == Tok::kStar) {
      advance();
    } else {
      q.properties.push_back(identifier("a property name or *"));
      while (cur_.kind == Tok::kComma) {
        advance();
        q.properties.push_back(identifier("a property name"));
      }
    }
    expect_keyword("FROM");
    q.class_name = identifier("a class name");
    if (keyword(cur_, "WHERE")) {
      advance();
      q.where = parse_or(0);
    }
    if (cur_.kind != Tok::kEnd) throw QueryError("unexpected '" + cur_.text + "'", cur_.offset);
    return q;
  }

 private:
  void advance() { cur_ = lexer_.next(); }

  void expect_keyword(std::string_view word) {
    if (!keyword(cur_, word))
      throw QueryError("expected " + std::string(word) +
                           (cur_.kind == Tok::kEnd ? " but the query ended" : " but found '" + cur_.text + "'"),
                       cur_.offset);
    advance();
  }

  std::string identifier(const char* what) {
    if (cur_.kind != Tok::kIdent || reserved(cur_))
      throw QueryError(std::string("expected ") + what +
                           (cur_.kind == Tok::kEnd ? " but the query ended" : " but found '" + cur_.text + "'"),
                       cur_.offset);
    std::string s = cur_.text;
    advance();
    return s;
  }

  void check_depth(int depth) {
    if (depth > kMaxDepth) throw QueryError("condition nested too deeply", cur_.offset);
  }

  std::unique_ptr<Condition> parse_or(int depth) {
    check_depth(depth);
    auto left = parse_and(depth + 1);
    while (keyword(cur_, "OR")) {
      advance();
      auto node = std::make_unique<Condition>();
      node->kind = Condition::Kind::kOr;
      node->left = std::move(left);
      node->right = parse_and(depth + 1);
      left = std::move(node);
    }
    return left;
  }

  std::unique_ptr<Condition> parse_and(int depth) {
    check_depth(depth);
    auto left = parse_not(depth + 1);
    while (keyword(cur_, "AND")) {
      advance();
      auto node = std::make_unique<Condition>();
      node->kind = Condition::Kind::kAnd;
      node->left = std::move(left);
      node->right = parse_not(depth + 1);
      left = std::move(node);
    }
    return left;
  }

  std::unique_ptr<Condition> parse_not(int depth) {
    check_depth(depth);
    if (keyword(cur_, "NOT")) {
      advance();
      auto node = std::make_unique<Condition>();
      node->kind = Condition::Kind::kNot;
      node->left = parse_not(depth + 1);
      return node;
    }
    if (cur_.kind == Tok::kLParen) {
      advance();
      auto inner = parse_or(depth + 1);
      if (cur_.kind != Tok::kRParen) throw QueryError("expected ')'", cur_.offset);
      advance();
      return inner;
    }
    return parse_predicate();
  }

  bool at_literal() const {
    return cur_.kind == Tok::kString || cur_.kind == Tok::kNumber || keyword(cur_, "TRUE") ||
           keyword(cur_, "FALSE") || keyword(cur_, "NULL");
  }

  Literal literal() {
    Literal l;
    if (cur_.kind == Tok::kString) {
      l.kind = Literal::Kind::kString;
      l.text = cur_.text;
    } else if (keyword(cur_, "TRUE") || keyword(cur_, "FALSE")) {
      l.kind = Literal::Kind::kBoolean;
      l.boolean = keyword(cur_, "TRUE");
    } else if (keyword(cur_, "NULL")) {
      l.kind = Literal::Kind::kNull;
    } else if (cur_.kind == Tok::kNumber) {
      number(cur_, l);
    } else {
      throw QueryError("expected a value but found '" + cur_.text + "'", cur_.offset);
    }
    advance();
    return l;
  }

  static void number(const Token& t, Literal& l) {
    std::string_view s = t.text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      negative = s[0] == '-';
      s.remove_prefix(1);
    }
    std::string body(s);
    char* end = nullptr;
    errno = 0;
    if (body.size() > 2 && body[0] == '0' && lower(body[1]) == 'x') {
      uint64_t v = std::strtoull(body.c_str() + 2, &end, 16);
      if (body.size() == 2 || *end != '\0' || errno == ERANGE)
        throw QueryError("bad number '" + t.text + "'", t.offset);
      l.kind = Literal::Kind::kInteger;
      l.magnitude = v;
      l.negative = negative && v != 0;
      return;
    }
    bool integral = body.find_first_of(".eE") == std::string::npos;
    if (integral) {
      uint64_t v = std::strtoull(body.c_str(), &end, 10);
      if (body.empty() || *end != '\0' || errno == ERANGE)
        throw QueryError("bad number '" + t.text + "'", t.offset);
      l.kind = Literal::Kind::kInteger;
      l.magnitude = v;
      l.negative = negative && v != 0;
      return;
    }
    double v = std::strtod(body.c_str(), &end);
    if (body.empty() || *end != '\0' || !std::isfinite(v))
      throw QueryError("bad number '" + t.text + "'", t.offset);
    l.kind = Literal::Kind::kReal;
    l.real = negative ? -v : v;
  }

  static CompareOp flip(CompareOp op) {
    switch (op) {
      case CompareOp::kLt: return CompareOp::kGt;
      case CompareOp::kLe: return CompareOp::kGe;
      case CompareOp::kGt: return CompareOp::kLt;
      case CompareOp::kGe: return CompareOp::kLe;
      default: return op;
    }
  }

  CompareOp comparison() {
    if (cur_.kind != Tok::kOp)
      throw QueryError("expected a comparison but found '" + cur_.text + "'", cur_.offset);
    CompareOp op;
    if (cur_.text == "=") op = CompareOp::kEq;
    else if (cur_.text == "<>" || cur_.text == "!=") op = CompareOp::kNe;
    else if (cur_.text == "<") op = CompareOp::kLt;
    else if (cur_.text == "<=") op = CompareOp::kLe;
    else if (cur_.text == ">") op = CompareOp::kGt;
    else op = CompareOp::kGe;
    advance();
    return op;
  }

  std::unique_ptr<Condition> parse_predicate() {
    auto node = std::make_unique<Condition>();
    if (at_literal()) {
      // literal op property
      node->literal = literal();
      node->op = flip(comparison());
      node->property = identifier("a property name");
      node->kind = Condition::Kind::kCompare;
      return node;
    }
    node->property = identifier("a property name");
    if (keyword(cur_, "IS")) {
      advance();
      bool negate = false;
      if (keyword(cur_, "NOT")) {
        negate = true;
        advance();
      }
      expect_keyword("NULL");
      node->kind = negate ? Condition::Kind::kIsNotNull : Condition::Kind::kIsNull;
      return node;
    }
    if (keyword(cur_, "ISA")) {
      advance();
      node->kind = Condition::Kind::kIsa;
      if (cur_.kind == Tok::kString) {
        node->class_name = cur_.text;
        advance();
      } else {
        node->class_name = identifier("a class name");
      }
      return node;
    }
    bool negate_like = false;
    if (keyword(cur_, "NOT")) {
      advance();
      if (!keyword(cur_, "LIKE")) throw QueryError("expected LIKE after NOT", cur_.offset);
      negate_like = true;
    }
    if (keyword(cur_, "LIKE")) {
      advance();
      if (cur_.kind != Tok::kString) throw QueryError("LIKE needs a string pattern", cur_.offset);
      node->kind = Condition::Kind::kLike;
      node->literal = literal();
      if (negate_like) {
        auto outer = std::make_unique<Condition>();
        outer->kind = Condition::Kind::kNot;
        outer->left = std::move(node);
        return outer;
      }
      return node;
    }
    node->kind = Condition::Kind::kCompare;
    node->op = comparison();
    node->literal = literal();
    if (node->literal.kind == Literal::Kind::kNull) {
      // "x = NULL" is WQL for IS NULL.
      if (node->op == CompareOp::kEq) node->kind = Condition::Kind::kIsNull;
      else if (node->op == CompareOp::kNe) node->kind = Condition::Kind::kIsNotNull;
      else throw QueryError("NULL can only be compared with = or <>", cur_.offset);
    }
    return node;
  }

  Lexer lexer_;
  Token cur_;
};

enum class Tri { kFalse, kTrue, kUnknown };

Tri from_bool(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

template <class T>
Tri compare_ordered(const T& a, const T& b, CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return from_bool(a == b);
    case CompareOp::kNe: return from_bool(!(a == b));
    case CompareOp::kLt: return from_bool(a < b);
    case CompareOp::kLe: return from_bool(!(b < a));
    case CompareOp::kGt: return from_bool(b < a);
    case CompareOp::kGe: return from_bool(!(a < b));
  }
  return Tri::kUnknown;
}

std::string fold(std::string_view s, bool case_sensitive) {
  std::string out(s);
  if (!case_sensitive)
    for (char& c : out) c = lower(c);
  return out;
}

Tri compare(const cim::Value& v, const Literal& l, CompareOp op, bool case_sensitive) {
  using cim::Type;
  if (v.is_null() || v.is_array() || l.kind == Literal::Kind::kNull) return Tri::kUnknown;
  Type t = v.type();
  try {
    if (cim::is_integer_type(t)) {
      __int128 a = cim::is_signed_type(t) ? static_cast<__int128>(v.as_int())
                                          : static_cast<__int128>(v.as_uint());
      if (l.kind == Literal::Kind::kInteger) {
        __int128 b = static_cast<__int128>(l.magnitude);
        if (l.negative) b = -b;
        return compare_ordered(a, b, op);
      }
      if (l.kind == Literal::Kind::kReal)
        return compare_ordered(static_cast<long double>(a), static_cast<long double>(l.real), op);
      if (l.kind == Literal::Kind::kString) {
        cim::Value b = cim::Value::from_text(t, l.text);
        __int128 bb = cim::is_signed_type(t) ? static_cast<__int128>(b.as_int())
                                             : static_cast<__int128>(b.as_uint());
        return compare_ordered(a, bb, op);
      }
      return Tri::kUnknown;
    }
    if (cim::is_real_type(t)) {
      long double a = v.as_real();
      long double b;
      if (l.kind == Literal::Kind::kInteger)
        b = l.negative ? -static_cast<long double>(l.magnitude) : static_cast<long double>(l.magnitude);
      else if (l.kind == Literal::Kind::kReal) b = l.real;
      else if (l.kind == Literal::Kind::kString) b = cim::Value::from_text(t, l.text).as_real();
      else return Tri::kUnknown;
      return compare_ordered(a, b, op);
    }
    if (t == Type::kBoolean) {
      bool a = v.as_bool();
      bool b;
      if (l.kind == Literal::Kind::kBoolean) b = l.boolean;
      else if (l.kind == Literal::Kind::kInteger && !l.negative && l.magnitude <= 1) b = l.magnitude == 1;
      else if (l.kind == Literal::Kind::kString) b = cim::Value::from_text(t, l.text).as_bool();
      else return Tri::kUnknown;
      if (op != CompareOp::kEq && op != CompareOp::kNe) return Tri::kUnknown;
      return compare_ordered(a, b, op);
    }
    if (t == Type::kString || t == Type::kChar16) {
      if (l.kind != Literal::Kind::kString) return Tri::kUnknown;
      std::string a = t == Type::kString ? v.as_string() : v.to_text();
      return compare_ordered(fold(a, case_sensitive), fold(l.text, case_sensitive), op);
    }
    if (t == Type::kDatetime) {
      if (l.kind != Literal::Kind::kString) return Tri::kUnknown;
      cim::Value b = cim::Value::from_text(t, l.text);
      if (op == CompareOp::kEq) return from_bool(v == b);
      if (op == CompareOp::kNe) return from_bool(v != b);
      return compare_ordered(v.as_datetime().to_cim(), b.as_datetime().to_cim(), op);
    }
  } catch (const cim::Error&) {
    return Tri::kUnknown;  // the literal does not fit the property's type
  }
  return Tri::kUnknown;
}

Tri eval(const Condition& c, const cim::Instance& instance,
         const std::function<bool(std::string_view, std::string_view)>& is_a,
         bool case_sensitive) {
  switch (c.kind) {
    case Condition::Kind::kAnd: {
      Tri a = eval(*c.left, instance, is_a, case_sensitive);
      if (a == Tri::kFalse) return a;
      Tri b = eval(*c.right, instance, is_a, case_sensitive);
      if (b == Tri::kFalse) return b;
      return (a == Tri::kTrue && b == Tri::kTrue) ? Tri::kTrue : Tri::kUnknown;
    }
    case Condition::Kind::kOr: {
      Tri a = eval(*c.left, instance, is_a, case_sensitive);
      if (a == Tri::kTrue) return a;
      Tri b = eval(*c.right, instance, is_a, case_sensitive);
      if (b == Tri::kTrue) return b;
      return (a == Tri::kFalse && b == Tri::kFalse) ? Tri::kFalse : Tri::kUnknown;
    }
    case Condition::Kind::kNot: {
      Tri a = eval(*c.left, instance, is_a, case_sensitive);
      return a == Tri::kUnknown ? a : from_bool(a == Tri::kFalse);
    }
    case Condition::Kind::kIsNull:
    case Condition::Kind::kIsNotNull: {
      const cim::Value* v = instance.get(c.property);
      bool null = !v || v->is_null();
      return from_bool(c.kind == Condition::Kind::kIsNull ? null : !null);
    }
    case Condition::Kind::kIsa: {
      if (cim::iequals(c.property, "__this") || cim::iequals(c.property, "__class"))
        return from_bool(is_a(instance.class_name(), c.class_name));
      const cim::Value* v = instance.get(c.property);
      if (!v || v->is_null() || v->is_array() || v->type() != cim::Type::kInstance)
        return Tri::kUnknown;
      return from_bool(is_a(v->as_instance().class_name(), c.class_name));
    }
    case Condition::Kind::kLike: {
      const cim::Value* v = instance.get(c.property);
      if (!v || v->is_null() || v->is_array() || v->type() != cim::Type::kString)
        return Tri::kUnknown;
      return from_bool(like(v->as_string(), c.literal.text, case_sensitive));
    }
    case Condition::Kind::kCompare: {
      const cim::Value* v = instance.get(c.property);
      if (!v) return Tri::kUnknown;
      return compare(*v, c.literal, c.op, case_sensitive);
    }
  }
  return Tri::kUnknown;
}

void collect(const Condition* c, std::vector<std::string>& out) {
  if (!c) return;
  collect(c->left.get(), out);
  collect(c->right.get(), out);
  if (!c->property.empty() && !cim::iequals(c->property, "__this") &&
      !cim::iequals(c->property, "__class"))
    out.push_back(c->property);
}

}  // namespace

std::vector<std::string> Query::referenced_properties() const {
  std::vector<std::string> out;
  collect(where.get(), out);
  return out;
}

Query parse(std::string_view text) {
  if (text.size() > 64 * 1024) throw QueryError("query longer than 64 KiB", 0);
  return Parser(text).parse();
}

bool matches(const Query& query, const cim::Instance& instance,
             const std::function<bool(std::string_view, std::string_view)>& is_a,
             bool case_sensitive) {
  if (!query.where) return true;
  return eval(*query.where, instance, is_a, case_sensitive) == Tri::kTrue;
}

bool like(std::string_view text, std::string_view pattern, bool case_sensitive) {
  // Iterative matcher with backtracking on the last '%' (linear-ish, no recursion).
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  auto eq = [&](char a, char b) { return case_sensitive ? a == b : lower(a) == lower(b); };
  auto match_one = [&](size_t& pp, char c) -> bool {
    // Matches one pattern element at pp against c; advances pp past it.
    if (pattern[pp] == '_') {
      ++pp;
      return true;
    }
    if (pattern[pp] == '[') {
      size_t q = pp + 1;
      bool negate = q < pattern.size() && pattern[q] == '^';
      if (negate) ++q;
      bool found = false;
      size_t start = q;
      while (q < pattern.size() && (pattern[q] != ']' || q == start)) {
        if (q + 2 < pattern.size() && pattern[q + 1] == '-' && pattern[q + 2] != ']') {
          char lo = pattern[q], hi = pattern[q + 2];
          char cc = case_sensitive ? c : lower(c);
          if (!case_sensitive) {
            lo = lower(lo);
            hi = lower(hi);
          }
          if (cc >= lo && cc <= hi) found = true;
          q += 3;
        } else {
          if (eq(pattern[q], c)) found = true;
          ++q;
        }
      }
      if (q >= pattern.size()) {  // no closing ']': a literal '['
        ++pp;
        return c == '[';
      }
      pp = q + 1;
      return found != negate;
    }
    bool ok = eq(pattern[pp], c);
    ++pp;
    return ok;
  };
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    size_t pp = p;
    if (p < pattern.size() && match_one(pp, text[t])) {
      p = pp;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace cimnet::wsman::wql

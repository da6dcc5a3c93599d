// Expression evaluation: operators, member access, methods, casts and static members.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "cimnet/shell/interpreter.h"
#include "internal.h"
#include "regex.h"

namespace cimnet::shell {

namespace {

[[noreturn]] void raise(const std::string& msg, const std::string& id, ErrorCategory cat,
                        const Extent& at,
                        std::string exception = "System.Management.Automation.RuntimeException") {
  ErrorRecord r = make_error(msg, id, cat);
  r.position = at;
  r.exception_type = std::move(exception);
  throw RuntimeError(std::move(r), false);
}

std::string short_type(const Value& v) {
  std::string t = type_name_of(v);
  return t;
}

Value to_number_or_fail(const Value& v, const Extent& at) {
  if (v.is_number()) return v;
  if (v.is_null()) return Value(int64_t{0});
  if (v.is_bool()) return Value(int64_t{v.as_bool_raw() ? 1 : 0});
  if (v.is_string()) {
    auto n = parse_number(v.as_string_raw());
    if (n) return *n;
    if (v.as_string_raw().find_first_not_of(" \t") == std::string::npos) return Value(int64_t{0});
    raise("Cannot convert value \"" + v.as_string_raw() +
              "\" to type \"System.Int32\". Error: \"Input string was not in a correct format.\"",
          "InvalidCastFromStringToInteger", ErrorCategory::InvalidArgument, at);
  }
  raise("Cannot convert the \"" + to_string(v) + "\" value of type \"" + short_type(v) +
            "\" to type \"System.Int32\".",
        "ConvertToFinalInvalidCastException", ErrorCategory::InvalidArgument, at);
}

}  // namespace

namespace internal {

Value arithmetic(Interpreter&, const std::string& op, const Value& a, const Value& b,
                 const Extent& at) {
  if (op == "+") {
    if (a.is_null()) return b;
    if (a.is_array()) {
      Array out = *a.as_array();
      for (auto& x : enumerate(b)) out.push_back(x);
      return Value::array(std::move(out));
    }
    if (a.is_hashtable()) {
      if (!b.is_hashtable())
        raise("A hash table can only be added to another hash table.", "AddHashTableToNonHashTable",
              ErrorCategory::InvalidOperation, at);
      auto h = std::make_shared<Hashtable>(*a.as_hashtable());
      for (auto& [k, v] : b.as_hashtable()->entries()) {
        if (h->find(k))
          raise("Item has already been added. Key in dictionary: '" + k + "'  Key being added: '" +
                    k + "'",
                "DuplicateKey", ErrorCategory::InvalidOperation, at);
        h->set(k, v);
      }
      return Value(h);
    }
    if (a.is_string()) return Value(a.as_string_raw() + to_string(b));
    if (a.is_date()) {
      raise("Adding to a DateTime is done with its Add* methods in cimsh.", "NotSupported",
            ErrorCategory::NotImplemented, at);
    }
    if (!a.is_number() && !a.is_bool())
      raise("Method invocation failed because [" + short_type(a) +
                "] does not contain a method named 'op_Addition'.",
            "MethodNotFound", ErrorCategory::InvalidOperation, at);
  }
  if (op == "*") {
    if (a.is_string()) {
      auto n = to_int(b);
      if (!n || *n < 0)
        raise("Cannot convert value \"" + to_string(b) + "\" to type \"System.Int32\".",
              "InvalidCast", ErrorCategory::InvalidArgument, at);
      std::string out;
      for (int64_t i = 0; i < *n; ++i) out += a.as_string_raw();
      return Value(out);
    }
    if (a.is_array()) {
      auto n = to_int(b);
      if (!n || *n < 0)
        raise("Cannot convert value \"" + to_string(b) + "\" to type \"System.Int32\".",
              "InvalidCast", ErrorCategory::InvalidArgument, at);
      Array out;
      for (int64_t i = 0; i < *n; ++i)
        out.insert(out.end(), a.as_array()->begin(), a.as_array()->end());
      return Value::array(std::move(out));
    }
  }
  if (a.is_array() || a.is_hashtable() || a.is_object() || a.is_scriptblock()) {
    static const std::map<std::string, std::string> names = {
        {"-", "op_Subtraction"}, {"*", "op_Multiply"}, {"/", "op_Division"}, {"%", "op_Modulus"}};
    raise("Method invocation failed because [" + short_type(a) +
              "] does not contain a method named '" + names.at(op) + "'.",
          "MethodNotFound", ErrorCategory::InvalidOperation, at);
  }
  Value x = to_number_or_fail(a, at), y = to_number_or_fail(b, at);
  if (x.is_int() && y.is_int()) {
    int64_t i = x.as_int_raw(), j = y.as_int_raw(), r = 0;
    if (op == "+" && !__builtin_add_overflow(i, j, &r)) return Value(r);
    if (op == "-" && !__builtin_sub_overflow(i, j, &r)) return Value(r);
    if (op == "*" && !__builtin_mul_overflow(i, j, &r)) return Value(r);
    if (op == "/" || op == "%") {
      if (j == 0)
        raise("Attempted to divide by zero.", "RuntimeException", ErrorCategory::NotSpecified, at);
      if (op == "%") return Value(i % j);
      if (i % j == 0) return Value(i / j);
      return Value(static_cast<double>(i) / static_cast<double>(j));
    }
  }
  double dx = *to_double(x), dy = *to_double(y);
  if (op == "+") return Value(dx + dy);
  if (op == "-") return Value(dx - dy);
  if (op == "*") return Value(dx * dy);
  if (op == "/") {
    if (dy == 0 && (x.is_int() && y.is_int()))
      raise("Attempted to divide by zero.", "RuntimeException", ErrorCategory::NotSpecified, at);
    return Value(dx / dy);
  }
  if (op == "%") return Value(std::fmod(dx, dy));
  raise("Unknown operator " + op, "UnknownOperator", ErrorCategory::InvalidOperation, at);
}

static std::string apply_numeric_format(const Value& v, const std::string& spec) {
  if (spec.empty()) return to_string(v);
  char kind = static_cast<char>(std::toupper(static_cast<unsigned char>(spec[0])));
  int prec = -1;
  if (spec.size() > 1) prec = std::atoi(spec.c_str() + 1);
  auto d = to_double(v);
  if (!d) return to_string(v);
  char buf[128];
  switch (kind) {
    case 'N': {
      int p = prec < 0 ? 2 : prec;
      std::snprintf(buf, sizeof buf, "%.*f", p, std::fabs(*d));
      std::string s = buf;
      std::string ip = s.substr(0, s.find('.')),
                  fp = s.find('.') == std::string::npos ? "" : s.substr(s.find('.'));
      std::string grouped;
      for (size_t i = 0; i < ip.size(); ++i) {
        if (i && (ip.size() - i) % 3 == 0) grouped += ',';
        grouped += ip[i];
      }
      return (*d < 0 ? "-" : "") + grouped + fp;
    }
    case 'F':
      std::snprintf(buf, sizeof buf, "%.*f", prec < 0 ? 2 : prec, *d);
      return buf;
    case 'D': {
      std::snprintf(buf, sizeof buf, "%0*lld", prec < 0 ? 1 : prec, static_cast<long long>(*d));
      return buf;
    }
    case 'X': {
      std::snprintf(buf, sizeof buf, spec[0] == 'x' ? "%0*llx" : "%0*llX", prec < 0 ? 1 : prec,
                    static_cast<unsigned long long>(static_cast<long long>(*d)));
      return buf;
    }
    case 'P':
      std::snprintf(buf, sizeof buf, "%.*f %%", prec < 0 ? 2 : prec, *d * 100);
      return buf;
    case 'E':
      std::snprintf(buf, sizeof buf, "%.*E", prec < 0 ? 6 : prec, *d);
      return buf;
    default:
      break;
  }
  // custom formats such as 0.00 or #,##0
  size_t dot = spec.find('.');
  if (spec.find_first_not_of("0#,.") == std::string::npos) {
    int decimals = dot == std::string::npos ? 0 : static_cast<int>(spec.size() - dot - 1);
    int min_int = 0;
    for (size_t i = 0; i < (dot == std::string::npos ? spec.size() : dot); ++i)
      if (spec[i] == '0') ++min_int;
    std::snprintf(buf, sizeof buf, "%0*.*f", min_int + (decimals ? decimals + 1 : 0), decimals, *d);
    return buf;
  }
  return to_string(v);
}

std::string format_composite(const std::string& fmt, const std::vector<Value>& args,
                             std::string& error) {
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '{') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
        out += '{';
        ++i;
        continue;
      }
      size_t close = fmt.find('}', i);
      if (close == std::string::npos) {
        error = "Error formatting a string: Input string was not in a correct format..";
        return "";
      }
      std::string item = fmt.substr(i + 1, close - i - 1);
      std::string spec;
      auto colon = item.find(':');
      if (colon != std::string::npos) {
        spec = item.substr(colon + 1);
        item = item.substr(0, colon);
      }
      int align = 0;
      auto comma = item.find(',');
      if (comma != std::string::npos) {
        align = std::atoi(item.substr(comma + 1).c_str());
        item = item.substr(0, comma);
      }
      auto idx = parse_number(item);
      if (!idx || !idx->is_int() || idx->as_int_raw() < 0) {
        error = "Error formatting a string: Input string was not in a correct format..";
        return "";
      }
      size_t k = static_cast<size_t>(idx->as_int_raw());
      if (k >= args.size()) {
        error =
            "Error formatting a string: Index (zero based) must be greater than or equal to zero "
            "and less than the size of the argument list..";
        return "";
      }
      const Value& v = args[k];
      std::string s;
      if (v.is_date() && !spec.empty())
        s = format_date(v.as_date(), spec);
      else if (v.is_number() && !spec.empty())
        s = apply_numeric_format(v, spec);
      else
        s = to_string(v);
      size_t w = static_cast<size_t>(std::abs(align));
      if (s.size() < w)
        s = align < 0 ? s + std::string(w - s.size(), ' ') : std::string(w - s.size(), ' ') + s;
      out += s;
      i = close;
      continue;
    }
    if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    out += c;
  }
  return out;
}

bool cast_value(const std::string& type_in, const Value& v, Value& out, std::string& error) {
  std::string t = to_lower(type_in);
  if (t.starts_with("system.")) t = t.substr(7);
  bool arr = t.ends_with("[]");
  if (arr) {
    std::string elem = type_in.substr(0, type_in.size() - 2);
    Array items;
    for (auto& x : enumerate(v)) {
      Value c;
      if (!cast_value(elem, x, c, error)) return false;
      items.push_back(c);
    }
    out = Value::array(std::move(items));
    return true;
  }
  auto bad = [&](const std::string& target) {
    error = "Cannot convert value \"" + to_string(v) + "\" to type \"" + target +
            "\". Error: \"Input string was not in a correct format.\"";
    return false;
  };
  if (t == "int" || t == "int32" || t == "long" || t == "int64" || t == "byte" || t == "uint16" ||
      t == "uint32" || t == "uint64" || t == "int16" || t == "uint8") {
    auto i = to_int(v);
    if (!i) return bad(t == "long" || t == "int64" ? "System.Int64" : "System.Int32");
    if ((t == "int" || t == "int32") && (*i > INT32_MAX || *i < INT32_MIN)) {
      error = "Cannot convert value \"" + to_string(v) +
              "\" to type \"System.Int32\". Error: \"Value was either too large or too small for "
              "an Int32.\"";
      return false;
    }
    if ((t == "byte" || t == "uint8") && (*i < 0 || *i > 255)) {
      error = "Cannot convert value \"" + to_string(v) +
              "\" to type \"System.Byte\". Error: \"Value was either too large or too small for an "
              "unsigned byte.\"";
      return false;
    }
    if (t == "uint16" && (*i < 0 || *i > 65535)) {
      error = "Cannot convert value \"" + to_string(v) +
              "\" to type \"System.UInt16\". Error: \"Value was either too large or too small for "
              "a UInt16.\"";
      return false;
    }
    out = Value(*i);
    return true;
  }
  if (t == "double" || t == "float" || t == "single" || t == "decimal") {
    auto d = to_double(v);
    if (!d) return bad("System.Double");
    out = Value(*d);
    return true;
  }
  if (t == "string") {
    out = v.is_null() ? Value(std::string()) : Value(to_string(v));
    return true;
  }
  if (t == "bool" || t == "boolean" || t == "switch") {
    out = Value(to_bool(v));
    return true;
  }
  if (t == "char") {
    if (v.is_number()) {
      out = Value(std::string(1, static_cast<char>(to_int(v).value_or(0))));
      return true;
    }
    std::string s = to_string(v);
    if (s.size() != 1) {
      error = "Cannot convert value \"" + s +
              "\" to type \"System.Char\". Error: \"String must be exactly one character long.\"";
      return false;
    }
    out = Value(s);
    return true;
  }
  if (t == "array" || t == "object[]") {
    out = v.is_array() ? v : (v.is_null() ? Value::array() : Value::array({v}));
    return true;
  }
  if (t == "object" || t == "psobject") {
    out = v;
    return true;
  }
  if (t == "hashtable" || t == "collections.hashtable") {
    if (!v.is_hashtable()) {
      error = "Cannot convert the \"" + to_string(v) + "\" value of type \"" + type_name_of(v) +
              "\" to type \"System.Collections.Hashtable\".";
      return false;
    }
    auto h = std::make_shared<Hashtable>(*v.as_hashtable());
    h->ordered = false;
    out = Value(h);
    return true;
  }
  if (t == "ordered") {
    if (!v.is_hashtable()) {
      error = "The ordered attribute can be specified only on a hash literal node.";
      return false;
    }
    v.as_hashtable()->ordered = true;
    out = v;
    return true;
  }
  if (t == "pscustomobject" || t == "management.automation.pscustomobject") {
    if (v.is_hashtable()) {
      std::vector<Property> props;
      for (auto& [k, x] : v.as_hashtable()->entries()) props.push_back({k, x});
      out = Value(make_object(std::move(props)));
      return true;
    }
    out = v;
    return true;
  }
  if (t == "datetime") {
    if (v.is_date()) {
      out = v;
      return true;
    }
    auto d = v.is_string() ? parse_date(v.as_string_raw()) : std::nullopt;
    if (!d) {
      error = "Cannot convert value \"" + to_string(v) +
              "\" to type \"System.DateTime\". Error: \"String '" + to_string(v) +
              "' was not recognized as a valid DateTime.\"";
      return false;
    }
    out = Value(*d);
    return true;
  }
  if (t == "scriptblock" || t == "management.automation.scriptblock") {
    if (!v.is_scriptblock()) {
      error = "Cannot convert the \"" + to_string(v) + "\" value of type \"" + type_name_of(v) +
              "\" to type \"System.Management.Automation.ScriptBlock\".";
      return false;
    }
    out = v;
    return true;
  }
  if (t == "void") {
    out = Value();
    return true;
  }
  if (t == "regex" || t == "text.regularexpressions.regex") {
    out = Value(to_string(v));
    return true;
  }
  error = "Unable to find type [" + type_in + "].";
  return false;
}

}  // namespace internal

// Whether `v` is of the type named `t` (for -is / -isnot).
static bool value_is_type(const Value& v, const std::string& type_in) {
  std::string t = to_lower(type_in);
  if (t.starts_with("system.")) t = t.substr(7);
  if (t == "object" || t == "psobject") return !v.is_null();
  if (t == "int" || t == "int32")
    return v.is_int() && v.as_int_raw() >= INT32_MIN && v.as_int_raw() <= INT32_MAX;
  if (t == "long" || t == "int64") return v.is_int();
  if (t == "double") return v.is_double();
  if (t == "string") return v.is_string();
  if (t == "bool" || t == "boolean") return v.is_bool();
  if (t == "array" || t == "object[]") return v.is_array();
  if (t == "hashtable" || t == "collections.hashtable") return v.is_hashtable();
  if (t == "datetime") return v.is_date();
  if (t == "scriptblock") return v.is_scriptblock();
  if (t == "pscustomobject")
    return v.is_object() && v.as_object()->is_a("System.Management.Automation.PSCustomObject");
  if (v.is_object()) {
    for (auto& n : v.as_object()->type_names) {
      std::string ln = to_lower(n);
      if (ln == t || ln == "system." + t || ln.ends_with("." + t)) return true;
    }
  }
  return false;
}

Value Interpreter::eval_variable(const VariableExpr& v) {
  if (v.scope == "env") {
    const char* e = std::getenv(v.name.c_str());
    return e ? Value(e) : Value();
  }
  std::string n = to_lower(v.name);
  if (n == "true") return Value(true);
  if (n == "false") return Value(false);
  if (n == "null") return Value();
  if (n == "?") return Value(last_status_);
  if (n == "psitem") return get_variable("_");
  if (v.scope == "global") {
    auto it = global_->variables.find(n);
    return it == global_->variables.end() ? Value() : it->second;
  }
  return get_variable(v.name);
}

Value Interpreter::eval(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::Constant:
      return static_cast<const ConstantExpr&>(e).value;
    case Expr::Kind::ExpandableString:
      return eval_string(static_cast<const ExpandableStringExpr&>(e));
    case Expr::Kind::Variable:
      return eval_variable(static_cast<const VariableExpr&>(e));
    case Expr::Kind::ArrayLiteral: {
      Array out;
      for (auto& x : static_cast<const ArrayLiteralExpr&>(e).elements) out.push_back(eval(*x));
      return Value::array(std::move(out));
    }
    case Expr::Kind::ArraySubexpr: {
      std::vector<Value> out;
      auto& s = static_cast<const SubexprExpr&>(e);
      execute_statements(s.statements, [&](const Value& v) { out.push_back(v); });
      return Value::array(std::move(out));
    }
    case Expr::Kind::Subexpr: {
      std::vector<Value> out;
      auto& s = static_cast<const SubexprExpr&>(e);
      execute_statements(s.statements, [&](const Value& v) { out.push_back(v); });
      if (out.empty()) return Value();
      if (out.size() == 1) return out[0];
      return Value::array(std::move(out));
    }
    case Expr::Kind::Paren: {
      auto& s = static_cast<const SubexprExpr&>(e);
      if (s.statements.size() == 1 && s.statements[0]->kind == Statement::Kind::Assignment) {
        execute(*s.statements[0], [](const Value&) {});
        return eval(*static_cast<const AssignmentStatement&>(*s.statements[0]).target);
      }
      return eval_statement_value(*s.statements[0]);
    }
    case Expr::Kind::HashLiteral: {
      auto h = std::make_shared<Hashtable>();
      for (auto& [k, v] : static_cast<const HashLiteralExpr&>(e).entries) {
        std::string key = to_string(eval(*k));
        if (h->find(key))
          raise("Duplicate keys '" + key + "' are not allowed in hash literals.",
                "DuplicateKeyInHashLiteral", ErrorCategory::InvalidOperation, k->extent);
        h->set(key, eval_statement_value(*v));
      }
      return Value(h);
    }
    case Expr::Kind::ScriptBlock: {
      auto sb = std::make_shared<ScriptBlock>();
      sb->owner = current_script_;
      sb->ast = static_cast<const ScriptBlockExpr&>(e).block.get();
      return Value(sb);
    }
    case Expr::Kind::Unary:
      return eval_unary(static_cast<const UnaryExpr&>(e));
    case Expr::Kind::Binary:
      return eval_binary(static_cast<const BinaryExpr&>(e));
    case Expr::Kind::Member:
      return eval_member(static_cast<const MemberExpr&>(e));
    case Expr::Kind::MethodCall: {
      auto& m = static_cast<const MethodCallExpr&>(e);
      std::vector<Value> args;
      for (auto& a : m.args) args.push_back(eval(*a));
      if (m.is_static && m.target->kind == Expr::Kind::Cast &&
          !static_cast<const CastExpr&>(*m.target).operand)
        return eval_static(static_cast<const CastExpr&>(*m.target).type, m.name, &args, m.extent);
      Value target = eval(*m.target);
      return call_method(target, m.name, args, m.extent);
    }
    case Expr::Kind::Index:
      return eval_index(static_cast<const IndexExpr&>(e));
    case Expr::Kind::Cast:
      return eval_cast(static_cast<const CastExpr&>(e));
    case Expr::Kind::PostIncrement:
    case Expr::Kind::PreIncrement: {
      auto& inc = static_cast<const IncrementExpr&>(e);
      Value before = eval(*inc.target);
      Value after = internal::arithmetic(*this, "+", before.is_null() ? Value(int64_t{0}) : before,
                                         Value(int64_t{inc.delta}), e.extent);
      assign(*inc.target, after, e.extent);
      return e.kind == Expr::Kind::PostIncrement ? before : after;
    }
  }
  return Value();
}

Value Interpreter::eval_string(const ExpandableStringExpr& s) {
  std::string out;
  for (auto& p : s.parts) {
    if (!p.expr) {
      out += p.literal;
      continue;
    }
    Value v = eval(*p.expr);
    out += to_string(v);
  }
  return Value(out);
}

Value Interpreter::eval_unary(const UnaryExpr& u) {
  Value v = eval(*u.operand);
  if (u.op == "-not" || u.op == "!") return Value(!to_bool(v));
  if (u.op == "-") {
    Value n = to_number_or_fail(v, u.extent);
    if (n.is_int()) return Value(-n.as_int_raw());
    return Value(-n.as_double_raw());
  }
  if (u.op == "+") return to_number_or_fail(v, u.extent);
  if (u.op == "-bnot") return Value(~to_int(v).value_or(0));
  if (u.op == "-join") {
    std::string out;
    for (auto& x : enumerate(v)) out += to_string(x);
    return Value(out);
  }
  if (u.op == "-split") {
    Array out;
    for (auto& x : enumerate(v)) {
      std::string s = to_string(x);
      size_t i = 0;
      while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        size_t b = i;
        while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        if (i > b) out.push_back(Value(s.substr(b, i - b)));
      }
    }
    return Value::array(std::move(out));
  }
  raise("Unknown unary operator " + u.op, "UnknownOperator", ErrorCategory::InvalidOperation,
        u.extent);
}

static std::shared_ptr<Regex> regex_or_fail(const std::string& pattern, bool cs, const Extent& at) {
  std::string err;
  auto re = Regex::compile(pattern, cs, err);
  if (!re) {
    ErrorRecord r =
        make_error("The regular expression pattern " + pattern + " is not valid.",
                   "InvalidRegularExpression", ErrorCategory::InvalidOperation, Value(pattern));
    r.message = err;
    r.position = at;
    throw RuntimeError(std::move(r), false);
  }
  return re;
}

Value Interpreter::eval_binary(const BinaryExpr& b) {
  const std::string& op = b.op;
  if (op == "-and") return Value(to_bool(eval(*b.left)) && to_bool(eval(*b.right)));
  if (op == "-or") return Value(to_bool(eval(*b.left)) || to_bool(eval(*b.right)));
  Value l = eval(*b.left);
  Value r = eval(*b.right);
  if (op == "-xor") return Value(to_bool(l) != to_bool(r));
  if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%")
    return internal::arithmetic(*this, op, l, r, b.extent);
  if (op == "..") {
    auto a = to_int(l), z = to_int(r);
    if (!a || !z)
      raise("Cannot convert value to type \"System.Int32\".", "InvalidCast",
            ErrorCategory::InvalidArgument, b.extent);
    if (std::llabs(*z - *a) > 50'000'000)
      raise("The range is too large.", "RangeTooBig", ErrorCategory::InvalidOperation, b.extent);
    Array out;
    if (*a <= *z)
      for (int64_t i = *a; i <= *z; ++i) out.push_back(Value(i));
    else
      for (int64_t i = *a; i >= *z; --i) out.push_back(Value(i));
    return Value::array(std::move(out));
  }
  if (op == "-f") {
    std::string err;
    std::string s = internal::format_composite(to_string(l), enumerate(r), err);
    if (!err.empty()) raise(err, "FormatError", ErrorCategory::InvalidOperation, b.extent);
    return Value(s);
  }
  if (op == "-band" || op == "-bor" || op == "-bxor" || op == "-shl" || op == "-shr") {
    int64_t x = to_int(l).value_or(0), y = to_int(r).value_or(0);
    if (op == "-band") return Value(x & y);
    if (op == "-bor") return Value(x | y);
    if (op == "-bxor") return Value(x ^ y);
    if (op == "-shl") return Value(x << (y & 63));
    return Value(x >> (y & 63));
  }
  if (op == "-join") {
    std::string out, sep = to_string(r);
    auto items = enumerate(l);
    for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + to_string(items[i]);
    return Value(out);
  }
  if (op == "-is" || op == "-isnot") {
    std::string type = r.is_string() ? r.as_string_raw() : to_string(r);
    bool is = value_is_type(l, type);
    return Value(op == "-is" ? is : !is);
  }
  if (op == "-as") {
    Value out;
    std::string err;
    if (!internal::cast_value(to_string(r), l, out, err)) return Value();
    return out;
  }
  return internal::comparison(*this, op, l, r, b.extent);
}

namespace internal {

Value comparison(Interpreter& in, const std::string& op, const Value& l, const Value& r,
                 const Extent& at) {
  struct Ctx {
    const Extent& extent;
  } b{at};
  // comparison family, with optional c/i prefix
  std::string base = op.substr(1);
  bool cs = false;
  if (base.size() > 2 && (base[0] == 'c' || base[0] == 'i') && base != "contains" && base != "in") {
    std::string rest = base.substr(1);
    static const char* known[] = {
        "eq",    "ne",       "gt",       "ge",          "lt", "le",    "like",    "notlike",
        "match", "notmatch", "contains", "notcontains", "in", "notin", "replace", "split"};
    for (auto* k : known)
      if (rest == k) {
        cs = base[0] == 'c';
        base = rest;
        break;
      }
  }
  if (base == "replace") {
    std::vector<Value> parts = enumerate(r);
    std::string pattern = parts.empty() ? "" : to_string(parts[0]);
    std::string repl = parts.size() > 1 ? to_string(parts[1]) : "";
    auto re = regex_or_fail(pattern, cs, b.extent);
    if (l.is_array()) {
      Array out;
      for (auto& x : *l.as_array()) out.push_back(Value(re->replace(to_string(x), repl)));
      return Value::array(std::move(out));
    }
    return Value(re->replace(to_string(l), repl));
  }
  if (base == "split") {
    std::vector<Value> parts = enumerate(r);
    std::string pattern = parts.empty() ? "" : to_string(parts[0]);
    auto re = regex_or_fail(pattern, cs, b.extent);
    Array out;
    for (auto& x : enumerate(l))
      for (auto& s : re->split(to_string(x))) out.push_back(Value(s));
    return Value::array(std::move(out));
  }
  if (base == "contains" || base == "notcontains") {
    bool found = false;
    for (auto& x : enumerate(l))
      if (values_equal(x, r, cs)) {
        found = true;
        break;
      }
    return Value(base == "contains" ? found : !found);
  }
  if (base == "in" || base == "notin") {
    bool found = false;
    for (auto& x : enumerate(r))
      if (values_equal(x, l, cs)) {
        found = true;
        break;
      }
    return Value(base == "in" ? found : !found);
  }
  auto compare_one = [&](const Value& x) -> bool {
    if (base == "eq") return values_equal(x, r, cs);
    if (base == "ne") return !values_equal(x, r, cs);
    if (base == "like" || base == "notlike") {
      bool m = wildcard_match(to_string(r), to_string(x), cs);
      return base == "like" ? m : !m;
    }
    if (base == "match" || base == "notmatch") {
      auto re = regex_or_fail(to_string(r), cs, b.extent);
      auto groups = std::make_shared<Hashtable>();
      bool m = re->match(to_string(x), groups.get());
      if (m && !l.is_array()) in.set_variable("Matches", Value(groups));
      return base == "match" ? m : !m;
    }
    auto c = compare_values(x, r, cs);
    if (!c) {
      if (x.is_number() && r.is_string())
        raise("Could not compare \"" + to_string(x) + "\" to \"" + to_string(r) +
                  "\". Error: \"Cannot convert value \"" + to_string(r) +
                  "\" to type \"System.Int32\". Error: \"Input string was not in a correct "
                  "format.\"\"",
              "ComparisonFailure", ErrorCategory::InvalidOperation, b.extent);
      return false;
    }
    if (base == "gt") return *c > 0;
    if (base == "ge") return *c >= 0;
    if (base == "lt") return *c < 0;
    if (base == "le") return *c <= 0;
    raise("Unknown operator " + op, "UnknownOperator", ErrorCategory::InvalidOperation, b.extent);
  };
  if (l.is_array()) {
    Array out;
    for (auto& x : *l.as_array())
      if (compare_one(x)) out.push_back(x);
    return Value::array(std::move(out));
  }
  return Value(compare_one(l));
}

}  // namespace internal

Value Interpreter::eval_member(const MemberExpr& m) {
  if (m.is_static) {
    if (m.target->kind == Expr::Kind::Cast && !static_cast<const CastExpr&>(*m.target).operand)
      return eval_static(static_cast<const CastExpr&>(*m.target).type, to_string(eval(*m.member)),
                         nullptr, m.extent);
    raise("Static members can only be read from a type literal such as [math]::PI.", "StaticMember",
          ErrorCategory::InvalidOperation, m.extent);
  }
  Value target = eval(*m.target);
  std::string name = to_string(eval(*m.member));
  if (target.is_scriptblock() && iequals(name, "Ast")) return Value();
  return get_member(target, name);
}

Value Interpreter::eval_index(const IndexExpr& ix) {
  Value target = eval(*ix.target);
  Value idx = eval(*ix.index);
  if (target.is_null())
    raise("Cannot index into a null array.", "NullArray", ErrorCategory::InvalidOperation,
          ix.extent);
  if (target.is_hashtable()) {
    if (idx.is_array()) {
      Array out;
      for (auto& k : *idx.as_array())
        if (auto* v = target.as_hashtable()->find(to_string(k))) out.push_back(*v);
      return Value::array(std::move(out));
    }
    auto* v = target.as_hashtable()->find(to_string(idx));
    return v ? *v : Value();
  }
  if (target.is_object() && idx.is_string()) return get_member(target, idx.as_string_raw());
  auto pick = [&](const Value& i) -> std::optional<Value> {
    auto n = to_int(i);
    if (!n) return std::nullopt;
    if (target.is_array()) {
      auto& a = *target.as_array();
      int64_t k = *n < 0 ? static_cast<int64_t>(a.size()) + *n : *n;
      if (k < 0 || k >= static_cast<int64_t>(a.size())) return std::nullopt;
      return a[static_cast<size_t>(k)];
    }
    if (target.is_string()) {
      const std::string& s = target.as_string_raw();
      int64_t k = *n < 0 ? static_cast<int64_t>(s.size()) + *n : *n;
      if (k < 0 || k >= static_cast<int64_t>(s.size())) return std::nullopt;
      return Value(std::string(1, s[static_cast<size_t>(k)]));
    }
    if (*n == 0 || *n == -1) return target;  // a scalar indexes like a one-element array
    return std::nullopt;
  };
  if (idx.is_array()) {
    Array out;
    for (auto& i : *idx.as_array())
      if (auto v = pick(i)) out.push_back(*v);
    return Value::array(std::move(out));
  }
  auto v = pick(idx);
  return v ? *v : Value();
}

Value Interpreter::eval_cast(const CastExpr& c) {
  if (!c.operand) {
    // a type literal evaluates to its name; -is/-as use it
    std::string err;
    Value probe;
    if (!internal::cast_value(c.type, Value(), probe, err) &&
        err.starts_with("Unable to find type"))
      raise(err, "TypeNotFound", ErrorCategory::InvalidOperation, c.extent);
    return Value(c.type);
  }
  Value v = eval(*c.operand);
  Value out;
  std::string err;
  if (!internal::cast_value(c.type, v, out, err)) {
    bool unknown = err.starts_with("Unable to find type");
    raise(err, unknown ? "TypeNotFound" : "InvalidCastFromStringToInteger",
          unknown ? ErrorCategory::InvalidOperation : ErrorCategory::InvalidArgument, c.extent,
          unknown ? "System.Management.Automation.RuntimeException"
                  : "System.Management.Automation.PSInvalidCastException");
  }
  return out;
}

Value Interpreter::eval_static(const std::string& type_in, const std::string& name,
                               const std::vector<Value>* args, const Extent& at) {
  std::string t = to_lower(type_in);
  if (t.starts_with("system.")) t = t.substr(7);
  std::string n = to_lower(name);
  auto arg = [&](size_t i) { return args && i < args->size() ? (*args)[i] : Value(); };
  auto num = [&](size_t i) { return to_double(arg(i)).value_or(0.0); };
  if (t == "math") {
    if (!args) {
      if (n == "pi") return Value(M_PI);
      if (n == "e") return Value(M_E);
    } else {
      if (n == "round") {
        double v = num(0);
        int digits = args->size() > 1 ? static_cast<int>(num(1)) : 0;
        double scale = std::pow(10.0, digits);
        double r = std::nearbyint(v * scale) / scale;  // banker's rounding, as .NET
        return digits == 0 && arg(0).is_int() ? arg(0) : (digits == 0 ? Value(r) : Value(r));
      }
      if (n == "floor") return Value(std::floor(num(0)));
      if (n == "ceiling") return Value(std::ceil(num(0)));
      if (n == "truncate") return Value(std::trunc(num(0)));
      if (n == "abs")
        return arg(0).is_int() ? Value(static_cast<int64_t>(std::llabs(arg(0).as_int_raw())))
                               : Value(std::fabs(num(0)));
      if (n == "sqrt") return Value(std::sqrt(num(0)));
      if (n == "pow") return Value(std::pow(num(0), num(1)));
      if (n == "log")
        return args->size() > 1 ? Value(std::log(num(0)) / std::log(num(1)))
                                : Value(std::log(num(0)));
      if (n == "log10") return Value(std::log10(num(0)));
      if (n == "max" || n == "min") {
        auto c = compare_values(arg(0), arg(1));
        bool first = c && (n == "max" ? *c >= 0 : *c <= 0);
        return first ? arg(0) : arg(1);
      }
    }
  } else if (t == "string") {
    if (!args && n == "empty") return Value(std::string());
    if (args && n == "join") {
      std::string sep = to_string(arg(0)), out;
      std::vector<Value> items;
      if (args->size() == 2)
        items = enumerate(arg(1));
      else
        items.assign(args->begin() + 1, args->end());
      for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + to_string(items[i]);
      return Value(out);
    }
    if (args && n == "isnullorempty") return Value(to_string(arg(0)).empty());
    if (args && n == "isnullorwhitespace")
      return Value(to_string(arg(0)).find_first_not_of(" \t\r\n") == std::string::npos);
    if (args && n == "format") {
      std::string err;
      std::vector<Value> rest(args->begin() + 1, args->end());
      if (rest.size() == 1 && rest[0].is_array()) rest = *rest[0].as_array();
      std::string s = internal::format_composite(to_string(arg(0)), rest, err);
      if (!err.empty()) raise(err, "FormatError", ErrorCategory::InvalidOperation, at);
      return Value(s);
    }
    if (args && n == "concat") {
      std::string out;
      for (auto& a : *args) out += to_string(a);
      return Value(out);
    }
  } else if (t == "int" || t == "int32" || t == "long" || t == "int64") {
    bool is64 = t == "long" || t == "int64";
    if (!args && n == "maxvalue") return Value(is64 ? INT64_MAX : int64_t{INT32_MAX});
    if (!args && n == "minvalue") return Value(is64 ? INT64_MIN : int64_t{INT32_MIN});
    if (args && n == "parse") {
      Value out;
      std::string err;
      if (!internal::cast_value(t, arg(0), out, err) || !arg(0).is_string() ||
          !parse_number(arg(0).as_string_raw()))
        raise(
            "Exception calling \"Parse\" with \"1\" argument(s): \"Input string was not in a "
            "correct format.\"",
            "FormatException", ErrorCategory::NotSpecified, at,
            "System.Management.Automation.MethodInvocationException");
      return out;
    }
  } else if (t == "datetime") {
    if (!args && n == "now") return Value(now_local());
    if (!args && n == "today") {
      DateTime d = now_local();
      d.micros -= d.micros % 86400000000LL;
      return Value(d);
    }
    if (!args && n == "utcnow") {
      DateTime d = now_local();
      d.micros = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      d.utc = true;
      return Value(d);
    }
    if (args && n == "parse") {
      auto d = parse_date(to_string(arg(0)));
      if (!d)
        raise("Exception calling \"Parse\" with \"1\" argument(s): \"String '" + to_string(arg(0)) +
                  "' was not recognized as a valid DateTime.\"",
              "FormatException", ErrorCategory::NotSpecified, at,
              "System.Management.Automation.MethodInvocationException");
      return Value(*d);
    }
  } else if (t == "environment") {
    if (!args && n == "newline") return Value("\n");
    if (!args && n == "machinename") {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      return Value(host);
    }
  } else if (t == "regex" || t == "text.regularexpressions.regex") {
    if (args && n == "escape") {
      std::string out;
      for (char c : to_string(arg(0))) {
        if (std::strchr("\\*+?|{[()^$.# ", c)) out += '\\';
        out += c;
      }
      return Value(out);
    }
    if (args && n == "ismatch")
      return Value(regex_or_fail(to_string(arg(1)), false, at)->match(to_string(arg(0)), nullptr));
  }
  Value probe;
  std::string err;
  if (!internal::cast_value(type_in, Value(), probe, err) &&
      err.starts_with("Unable to find type") && t != "math" && t != "environment" && t != "regex")
    raise(err, "TypeNotFound", ErrorCategory::InvalidOperation, at);
  if (args)
    raise("Method invocation failed because [" + type_in + "] does not contain a method named '" +
              name + "'.",
          "MethodNotFound", ErrorCategory::InvalidOperation, at);
  return Value();
}

Value Interpreter::call_method(const Value& target, const std::string& name,
                               const std::vector<Value>& args, const Extent& at) {
  std::string n = to_lower(name);
  auto arg = [&](size_t i) { return i < args.size() ? args[i] : Value(); };
  auto not_found = [&]() -> Value {
    raise("Method invocation failed because [" + type_name_of(target) +
              "] does not contain a method named '" + name + "'.",
          "MethodNotFound", ErrorCategory::InvalidOperation, at);
  };
  if (target.is_null())
    raise("You cannot call a method on a null-valued expression.", "InvokeMethodOnNull",
          ErrorCategory::InvalidOperation, at);
  if (n == "gettype") {
    std::string full = type_name_of(target);
    std::string shortn = full.substr(full.rfind('.') + 1);
    auto o =
        make_object({{"Name", Value(shortn)}, {"FullName", Value(full)}}, "System.RuntimeType");
    o->display = full;
    return Value(o);
  }
  if (n == "tostring" && !(target.is_number() && !args.empty()) &&
      !(target.is_date() && !args.empty()))
    return Value(to_string(target));
  if (n == "equals") return Value(values_equal(target, arg(0)));
  if (target.is_string()) {
    const std::string& s = target.as_string_raw();
    auto sarg = [&](size_t i) { return to_string(arg(i)); };
    if (n == "toupper" || n == "toupperinvariant") return Value(to_upper(s));
    if (n == "tolower" || n == "tolowerinvariant") return Value(to_lower(s));
    if (n == "trim" || n == "trimstart" || n == "trimend") {
      std::string chars = args.empty() ? std::string(" \t\r\n\v\f") : sarg(0);
      size_t b = 0, e = s.size();
      if (n != "trimend")
        while (b < e && chars.find(s[b]) != std::string::npos) ++b;
      if (n != "trimstart")
        while (e > b && chars.find(s[e - 1]) != std::string::npos) --e;
      return Value(s.substr(b, e - b));
    }
    if (n == "contains") return Value(s.find(sarg(0)) != std::string::npos);
    if (n == "startswith") return Value(s.starts_with(sarg(0)));
    if (n == "endswith") return Value(s.ends_with(sarg(0)));
    if (n == "indexof") {
      auto p = s.find(sarg(0));
      return Value(p == std::string::npos ? int64_t{-1} : static_cast<int64_t>(p));
    }
    if (n == "lastindexof") {
      auto p = s.rfind(sarg(0));
      return Value(p == std::string::npos ? int64_t{-1} : static_cast<int64_t>(p));
    }
    if (n == "replace") {
      std::string from = sarg(0), to = sarg(1), out;
      if (from.empty())
        raise(
            "Exception calling \"Replace\" with \"2\" argument(s): \"String cannot be of zero "
            "length.\"",
            "ArgumentException", ErrorCategory::InvalidArgument, at,
            "System.Management.Automation.MethodInvocationException");
      size_t i = 0;
      for (;;) {
        size_t p = s.find(from, i);
        if (p == std::string::npos) break;
        out += s.substr(i, p - i) + to;
        i = p + from.size();
      }
      return Value(out + s.substr(i));
    }
    if (n == "split") {
      std::string seps;
      for (auto& a : args) seps += to_string(a);
      if (seps.empty()) seps = " ";
      Array out;
      size_t b = 0;
      for (size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || seps.find(s[i]) != std::string::npos) {
          out.push_back(Value(s.substr(b, i - b)));
          b = i + 1;
        }
      }
      return Value::array(std::move(out));
    }
    if (n == "substring") {
      auto start = to_int(arg(0)).value_or(0);
      if (start < 0 || start > static_cast<int64_t>(s.size()))
        raise("Exception calling \"Substring\" with \"" + std::to_string(args.size()) +
                  "\" argument(s): \"startIndex cannot be larger than length of string.\"",
              "ArgumentOutOfRangeException", ErrorCategory::NotSpecified, at,
              "System.Management.Automation.MethodInvocationException");
      if (args.size() > 1) {
        auto len = to_int(arg(1)).value_or(0);
        if (len < 0 || start + len > static_cast<int64_t>(s.size()))
          raise(
              "Exception calling \"Substring\" with \"2\" argument(s): \"Index and length must "
              "refer to a location within the string.\"",
              "ArgumentOutOfRangeException", ErrorCategory::NotSpecified, at,
              "System.Management.Automation.MethodInvocationException");
        return Value(s.substr(static_cast<size_t>(start), static_cast<size_t>(len)));
      }
      return Value(s.substr(static_cast<size_t>(start)));
    }
    if (n == "padleft" || n == "padright") {
      size_t w = static_cast<size_t>(std::max<int64_t>(0, to_int(arg(0)).value_or(0)));
      char c = args.size() > 1 && !sarg(1).empty() ? sarg(1)[0] : ' ';
      if (s.size() >= w) return target;
      return Value(n == "padleft" ? std::string(w - s.size(), c) + s
                                  : s + std::string(w - s.size(), c));
    }
    if (n == "insert") {
      auto p = static_cast<size_t>(
          std::clamp<int64_t>(to_int(arg(0)).value_or(0), 0, static_cast<int64_t>(s.size())));
      return Value(s.substr(0, p) + sarg(1) + s.substr(p));
    }
    if (n == "remove") {
      auto p = static_cast<size_t>(
          std::clamp<int64_t>(to_int(arg(0)).value_or(0), 0, static_cast<int64_t>(s.size())));
      if (args.size() > 1)
        return Value(s.substr(0, p) +
                     s.substr(std::min(s.size(), p + static_cast<size_t>(std::max<int64_t>(
                                                         0, to_int(arg(1)).value_or(0))))));
      return Value(s.substr(0, p));
    }
    if (n == "tochararray") {
      Array out;
      for (char c : s) out.push_back(Value(std::string(1, c)));
      return Value::array(std::move(out));
    }
    if (n == "compareto") return Value(int64_t{compare_values(target, arg(0), true).value_or(0)});
    return not_found();
  }
  if (target.is_number()) {
    if (n == "tostring")
      return Value(internal::format_composite("{0:" + to_string(arg(0)) + "}", {target},
                                              *std::make_unique<std::string>()));
    if (n == "compareto") return Value(int64_t{compare_values(target, arg(0)).value_or(0)});
    return not_found();
  }
  if (target.is_date()) {
    DateTime d = target.as_date();
    auto add = [&](double unit_us) {
      d.micros += static_cast<int64_t>(std::llround(to_double(arg(0)).value_or(0) * unit_us));
      return Value(d);
    };
    if (n == "tostring") return Value(format_date(d, to_string(arg(0))));
    if (n == "adddays") return add(86400e6);
    if (n == "addhours") return add(3600e6);
    if (n == "addminutes") return add(60e6);
    if (n == "addseconds") return add(1e6);
    if (n == "addmilliseconds") return add(1e3);
    if (n == "toshortdatestring") return Value(format_date(d, "M/d/yyyy"));
    if (n == "tolongdatestring") return Value(format_date(d, "dddd, MMMM d, yyyy"));
    return not_found();
  }
  if (target.is_array()) {
    auto& a = *target.as_array();
    if (n == "contains") {
      for (auto& x : a)
        if (values_equal(x, arg(0), true)) return Value(true);
      return Value(false);
    }
    if (n == "indexof") {
      for (size_t i = 0; i < a.size(); ++i)
        if (values_equal(a[i], arg(0), true)) return Value(static_cast<int64_t>(i));
      return Value(int64_t{-1});
    }
    if (n == "clone") return Value::array(a);
    if (n == "foreach" && arg(0).is_scriptblock()) {
      Array out;
      for (auto& x : a)
        for (auto& y : invoke_collect(*arg(0).as_scriptblock(), &x, {}, true)) out.push_back(y);
      return Value::array(std::move(out));
    }
    if (n == "where" && arg(0).is_scriptblock()) {
      Array out;
      for (auto& x : a) {
        auto r = invoke_collect(*arg(0).as_scriptblock(), &x, {}, true);
        Value rv = r.empty() ? Value() : r.size() == 1 ? r[0] : Value::array(r);
        if (to_bool(rv)) out.push_back(x);
      }
      return Value::array(std::move(out));
    }
    if (n == "add")
      raise("Exception calling \"Add\" with \"1\" argument(s): \"Collection was of a fixed size.\"",
            "NotSupportedException", ErrorCategory::NotSpecified, at,
            "System.Management.Automation.MethodInvocationException");
    // methods apply to each element (member enumeration)
    Array out;
    for (auto& x : a) out.push_back(call_method(x, name, args, at));
    return Value::array(std::move(out));
  }
  if (target.is_hashtable()) {
    auto& h = *target.as_hashtable();
    if (n == "containskey" || n == "contains") return Value(h.find(to_string(arg(0))) != nullptr);
    if (n == "containsvalue") {
      for (auto& [k, v] : h.entries())
        if (values_equal(v, arg(0))) return Value(true);
      return Value(false);
    }
    if (n == "add") {
      std::string k = to_string(arg(0));
      if (h.find(k))
        raise(
            "Exception calling \"Add\" with \"2\" argument(s): \"Item has already been added. Key "
            "in dictionary: '" +
                k + "'  Key being added: '" + k + "'\"",
            "ArgumentException", ErrorCategory::NotSpecified, at,
            "System.Management.Automation.MethodInvocationException");
      h.set(k, arg(1));
      return Value();
    }
    if (n == "remove") {
      h.remove(to_string(arg(0)));
      return Value();
    }
    if (n == "clear") {
      while (!h.entries().empty()) h.remove(h.entries().front().first);
      return Value();
    }
    if (n == "getenumerator") {
      Array out;
      for (auto& [k, v] : h.entries())
        out.push_back(Value(make_object({{"Name", Value(k)}, {"Key", Value(k)}, {"Value", v}},
                                        "System.Collections.DictionaryEntry")));
      return Value::array(std::move(out));
    }
    if (n == "clone") return Value(std::make_shared<Hashtable>(h));
    return not_found();
  }
  if (target.is_scriptblock()) {
    if (n == "invoke" || n == "invokereturnasis") {
      auto out = invoke_collect(*target.as_scriptblock(), nullptr, args);
      if (out.empty()) return Value();
      if (out.size() == 1 && n == "invokereturnasis") return out[0];
      return Value::array(std::move(out));
    }
    return not_found();
  }
  if (target.is_object()) {
    auto& o = *target.as_object();
    if (o.is_a("System.Management.Automation.PSScriptCmdlet")) {
      if (n == "shouldprocess") {
        if (!current_cmdlet_) return Value(true);
        std::string tgt = to_string(arg(0));
        std::string action = args.size() > 1 ? to_string(arg(1)) : "";
        return Value(current_cmdlet_->should_process(tgt, action));
      }
      if (n == "writeverbose" && current_cmdlet_) {
        current_cmdlet_->write_verbose(to_string(arg(0)));
        return Value();
      }
      if (n == "writeerror" && current_cmdlet_) {
        current_cmdlet_->write_error(ErrorRecord::from_value(arg(0)));
        return Value();
      }
      if (n == "throwterminatingerror" && current_cmdlet_)
        current_cmdlet_->throw_terminating(ErrorRecord::from_value(arg(0)));
    }
    if (auto* p = o.get(name); p && p->is_scriptblock()) {  // ScriptMethod-style members
      auto out = invoke_collect(*p->as_scriptblock(), nullptr, args);
      if (out.empty()) return Value();
      return out.size() == 1 ? out[0] : Value::array(std::move(out));
    }
    return not_found();
  }
  if (target.is_bool() && n == "compareto")
    return Value(int64_t{compare_values(target, arg(0)).value_or(0)});
  return not_found();
}

}  // namespace cimnet::shell

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/cim/instance.h"

// The query subset WS-Man clients send as WQL (and as CQL, DSP0202):
//   SELECT * | prop [, prop]... FROM Class [WHERE condition]
// with AND / OR / NOT, parentheses, = <> != < <= > >=, LIKE (% _ [set]),
// IS [NOT] NULL and ISA.
namespace cimnet::wsman::wql {

// A syntax error; what() says what was expected and at which offset.
class QueryError : public std::invalid_argument {
 public:
  QueryError(const std::string& message, size_t offset)
      : std::invalid_argument(message + " at offset " + std::to_string(offset)),
        offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

struct Literal {
  enum class Kind { kString, kInteger, kReal, kBoolean, kNull };
  Kind kind = Kind::kNull;
  std::string text;  // strings (unescaped)
  bool negative = false;
  uint64_t magnitude = 0;  // integers: |value|
  double real = 0;
  bool boolean = false;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Condition {
  enum class Kind { kAnd, kOr, kNot, kCompare, kLike, kIsNull, kIsNotNull, kIsa };
  Kind kind = Kind::kCompare;
  std::unique_ptr<Condition> left, right;  // kAnd, kOr; kNot uses left
  std::string property;                    // leaf conditions
  CompareOp op = CompareOp::kEq;
  Literal literal;         // kCompare, kLike (pattern in text)
  std::string class_name;  // kIsa
};

struct Query {
  std::vector<std::string> properties;  // empty: SELECT *
  std::string class_name;
  std::unique_ptr<Condition> where;     // null: every instance
  // Every property named in the WHERE clause.
  std::vector<std::string> referenced_properties() const;
};

// Parses a query; throws QueryError.
Query parse(std::string_view text);

// Whether an instance satisfies the WHERE clause (true when there is none).
// NULL compares as unknown, and unknown is not a match. `is_a(c, a)` answers
// whether class c is a or derives from it (for ISA). WQL compares strings
// without case; CQL with case (`case_sensitive`).
bool matches(const Query& query, const cim::Instance& instance,
             const std::function<bool(std::string_view, std::string_view)>& is_a,
             bool case_sensitive = false);

// LIKE pattern matching: % any run, _ one character, [abc] [a-z] [^x] sets.
bool like(std::string_view text, std::string_view pattern, bool case_sensitive);

}  // namespace cimnet::wsman::wql

#pragma once
// .NET-like regular expressions for -match, -replace, -split and Select-String-like uses,
// on PCRE2 (named groups, lookbehind, $1/${name} substitutions as .NET has them).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cimnet/shell/value.h"

namespace cimnet::shell {

class Regex {
 public:
  // Compiles `pattern`; nullopt with `error` set when it is not a valid expression.
  static std::shared_ptr<Regex> compile(const std::string& pattern, bool case_sensitive,
                                        std::string& error);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // True when `subject` matches; fills `groups` (0, 1, ... and names) like $Matches.
  bool match(const std::string& subject, Hashtable* groups) const;
  // Replaces every match; `replacement` uses $1, ${name}, $0, $$.
  std::string replace(const std::string& subject, const std::string& replacement) const;
  // Splits on every match (captured groups are included, as .NET does).
  std::vector<std::string> split(const std::string& subject) const;

 private:
  Regex() = default;
  void* code_ = nullptr;  // pcre2_code_8*
};

}  // namespace cimnet::shell

#include "cimnet/shell/completion.h"

#include <algorithm>
#include <set>

namespace cimnet::shell {

namespace {

// The words of the current command (after the last '|', ';', '(' or '{' outside quotes).
std::vector<std::string> current_command_words(const std::string& line, size_t end) {
  size_t start = 0;
  char quote = 0;
  for (size_t i = 0; i < end && i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"')
      quote = c;
    else if (c == '|' || c == ';' || c == '(' || c == '{' || c == '}')
      start = i + 1;
  }
  std::vector<std::string> words;
  std::string cur;
  quote = 0;
  for (size_t i = start; i < end && i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      cur += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      cur += c;
    } else if (c == ' ' || c == '\t') {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

}  // namespace

std::vector<std::string> complete_word(const Interpreter& in, const std::string& line,
                                       size_t word_start, const std::string& word,
                                       bool* file_fallback) {
  std::set<std::string> out;
  if (file_fallback) *file_fallback = false;
  auto words = current_command_words(line, word_start);
  if (!word.empty() && word[0] == '$') {
    std::string prefix = word.substr(1);
    for (auto& n : in.variable_names())
      if (istarts_with(n, prefix)) out.insert("$" + n);
  } else if (words.empty()) {
    for (auto* c : in.all_commands())
      if (istarts_with(c->name, word)) out.insert(c->name);
    for (auto& [alias, target] : const_cast<Interpreter&>(in).commands().aliases())
      if (istarts_with(alias, word) && !word.empty()) out.insert(alias);
    if (out.empty() && file_fallback) *file_fallback = true;
  } else if (!word.empty() && word[0] == '-') {
    const CommandDef* def = in.resolve_command(words[0]);
    if (def) {
      std::set<std::string> given;
      for (size_t i = 1; i < words.size(); ++i)
        if (words[i].size() > 1 && words[i][0] == '-') {
          std::string n = words[i].substr(1);
          auto colon = n.find(':');
          if (colon != std::string::npos) n = n.substr(0, colon);
          if (const Param* p = def->find_param(n))
            given.insert(p->name);
          else
            for (auto& p : def->params)
              if (istarts_with(p.name, n)) given.insert(p.name);
        }
      std::string prefix = word.substr(1);
      for (auto& p : def->params) {
        if (given.count(p.name) || p.name.starts_with("__")) continue;
        if (istarts_with(p.name, prefix)) out.insert("-" + p.name);
      }
    }
  } else if (file_fallback) {
    *file_fallback = true;
  }
  std::vector<std::string> v(out.begin(), out.end());
  std::sort(v.begin(), v.end(),
            [](const std::string& a, const std::string& b) { return to_lower(a) < to_lower(b); });
  return v;
}

}  // namespace cimnet::shell

#pragma once
// Tab completion for cimsh: command names at command position (also after '|'),
// -Parameter names of the command being typed (minus those already given) and $variables.

#include <string>
#include <vector>

#include "cimnet/shell/interpreter.h"

namespace cimnet::shell {

// Candidates for `word`, the text being completed, which starts at byte `word_start` of
// `line`. Case-insensitive; sorted; empty when cimsh has nothing to offer (the caller
// may then fall back to file names). `file_fallback` says whether that is sensible.
std::vector<std::string> complete_word(const Interpreter& in, const std::string& line,
                                       size_t word_start, const std::string& word,
                                       bool* file_fallback = nullptr);

}  // namespace cimnet::shell

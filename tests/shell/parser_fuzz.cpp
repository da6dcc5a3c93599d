// libFuzzer target: the parser must turn any input into a tree or a ParseError with a
// valid position, never crash, hang or overflow the stack.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cimnet/shell/ast.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto script = cimnet::shell::parse_script("fuzz.ps1", text);
    (void)script;
  } catch (const cimnet::shell::ParseError& e) {
    if (e.extent.line < 1 || e.extent.column < 1) __builtin_trap();
  }
  return 0;
}

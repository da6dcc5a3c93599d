// Fuzzes a configuration import: any bytes must give either a clean
// ConfigError or a valid candidate, never a crash or leak. The first byte
// picks XML ('X') or JSON; the rest is the document.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "cimnet/config/store.h"

namespace {

// The store lives in a scratch directory removed when the fuzzer exits.
struct ScratchStore {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cimnet-import-fuzz-" + std::to_string(::getpid()));
  std::unique_ptr<cimnet::config::Store> store;
  ScratchStore() {
    cimnet::config::StoreOptions o;
    o.state_dir = dir;
    o.fsync = false;
    store = cimnet::config::Store::open(o);
  }
  ~ScratchStore() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

cimnet::config::Store& store() {
  static ScratchStore s;
  return *s.store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto format = data[0] == 'X' ? cimnet::config::Format::kXml : cimnet::config::Format::kJson;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto tx = store().begin();
  try {
    tx.replace_all(text, format);
    tx.preview();
  } catch (const cimnet::config::ConfigError&) {
  }
  return 0;
}

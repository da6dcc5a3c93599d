// Test driver for the crash-injection test (not an installed binary):
//   config_crash_child STATE_DIR LAST_COMMIT SNAPSHOT_MIN_BYTES
// Opens the store, continues the crash workload from its generation up to
// LAST_COMMIT and writes "k\n" to stdout after commit k returned.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crash_model.h"

int main(int argc, char** argv) {
  using namespace cimnet::config;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s STATE_DIR LAST_COMMIT SNAPSHOT_MIN_BYTES\n", argv[0]);
    return 2;
  }
  try {
    StoreOptions options;
    options.state_dir = argv[1];
    options.snapshot_min_journal_bytes = std::strtoull(argv[3], nullptr, 10);
    auto store = Store::open(options);
    uint64_t last = std::strtoull(argv[2], nullptr, 10);
    for (uint64_t k = store->generation() + 1; k <= last; ++k) {
      testing::crash_commit(*store, k);
      std::string line = std::to_string(k) + "\n";
      if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 3;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "config_crash_child: %s\n", e.what());
    return 1;
  }
  return 0;
}

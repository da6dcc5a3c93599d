#include "agent/log/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace cimnet::log {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
}

bool parse_level(std::string_view text, Level& level) {
  if (text == "error") level = Level::kError;
  else if (text == "warn") level = Level::kWarn;
  else if (text == "info") level = Level::kInfo;
  else if (text == "debug") level = Level::kDebug;
  else return false;
  return true;
}

void set_level(Level level) { g_level = static_cast<int>(level); }

bool enabled(Level level) { return static_cast<int>(level) <= g_level.load(); }

void write(Level level, std::string_view message) {
  if (!enabled(level)) return;
  static constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  // The "YYYY-MM-DDTHH:MM:SS." part is formatted once per second per thread
  // (gmtime_r + snprintf on every request line otherwise).
  thread_local std::time_t stamp_secs = -1;
  thread_local char stamp[96];
  thread_local size_t stamp_len = 0;
  if (secs != stamp_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    stamp_len = n > 0 ? static_cast<size_t>(n) : 0;
    stamp_secs = secs;
  }
  int millis = static_cast<int>(ms.count());
  std::string line;
  line.reserve(message.size() + 48);
  line.append(stamp, stamp_len);
  line += static_cast<char>('0' + millis / 100);
  line += static_cast<char>('0' + millis / 10 % 10);
  line += static_cast<char>('0' + millis % 10);
  line += "Z ";
  line += kNames[static_cast<int>(level)];
  line += ' ';
  line += message;
  line += '\n';
  // One write(2) per line keeps lines whole when threads log at once.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace cimnet::log

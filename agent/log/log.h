#pragma once

#include <string>
#include <string_view>

// The agent's log: one line per event on stderr, with a UTC timestamp and
// the level. Safe to call from any thread.
namespace cimnet::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// Parses "error", "warn", "info", "debug"; false for anything else.
bool parse_level(std::string_view text, Level& level);
// Lines above this level are dropped (default kInfo).
void set_level(Level level);
bool enabled(Level level);
// Writes one line (a trailing newline is added).
void write(Level level, std::string_view message);

inline void error(std::string_view m) { write(Level::kError, m); }
inline void warn(std::string_view m) { write(Level::kWarn, m); }
inline void info(std::string_view m) { write(Level::kInfo, m); }
inline void debug(std::string_view m) { write(Level::kDebug, m); }

}  // namespace cimnet::log

// The log line format: "YYYY-MM-DDTHH:MM:SS.mmmZ level message\n", one
// write(2) per line, UTC time of the call.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/log/log.h"

namespace cimnet::log {
namespace {

// Runs `body` with stderr sent to a temporary file; returns what was written.
template <class F>
std::string capture_stderr(F body) {
  auto path =
      std::filesystem::temp_directory_path() / ("cimnet-log-test-" + std::to_string(::getpid()));
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  body();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(path);
  return text.str();
}

std::time_t utc_seconds(const std::smatch& m) {
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  return timegm(&tm);
}

TEST(Log, LinesCarryUtcMillisecondStampLevelAndMessage) {
  set_level(Level::kInfo);
  auto before = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::string out = capture_stderr([] {
    info("first line");
    warn("second");
    debug("not shown at info level");
    error("third");
  });
  auto after = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::regex line_re(
      R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z (error|warn|info|debug) (.*))");
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(out.back(), '\n');
  const char* levels[] = {"info", "warn", "error"};
  const char* messages[] = {"first line", "second", "third"};
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, line_re)) << lines[i];
    EXPECT_EQ(m[8], levels[i]);
    EXPECT_EQ(m[9], messages[i]);
    std::time_t t = utc_seconds(m);
    EXPECT_GE(t, before) << lines[i];
    EXPECT_LE(t, after) << lines[i];
  }
  set_level(Level::kInfo);
}

// The stamp follows the clock across seconds (it is cached per second).
TEST(Log, StampAdvancesWithTheClock) {
  set_level(Level::kInfo);
  std::string first = capture_stderr([] { info("a"); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string later;
  do {
    later = capture_stderr([] { info("b"); });
  } while (later.substr(0, 19) == first.substr(0, 19) &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_GE(first.size(), 24u);
  ASSERT_GE(later.size(), 24u);
  EXPECT_NE(later.substr(0, 19), first.substr(0, 19));
  EXPECT_GT(later.substr(0, 23), first.substr(0, 23));
}

}  // namespace
}  // namespace cimnet::log

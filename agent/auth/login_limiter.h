#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace cimnet::auth {

// Counts failed logins per client address: after `max_failures` failures
// within `window`, the address is refused for `lockout` (without checking
// its password). A successful login clears its count. Thread-safe.
class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    size_t max_failures = 5;
    std::chrono::milliseconds window{60'000};
    std::chrono::milliseconds lockout{60'000};
    size_t max_tracked = 10'000;  // oldest entries are dropped beyond this
  };

  LoginLimiter() : LoginLimiter(Options{}) {}
  explicit LoginLimiter(Options options) : options_(options) {}

  // Zero when `client` may try now, else how long it still has to wait.
  std::chrono::milliseconds blocked_for(std::string_view client, Clock::time_point now) const;
  void record_failure(std::string_view client, Clock::time_point now);
  void record_success(std::string_view client);

 private:
  struct Entry {
    size_t failures = 0;
    Clock::time_point first_failure;
    Clock::time_point blocked_until;
  };
  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace cimnet::auth

#include "agent/auth/login_limiter.h"

#include <algorithm>

namespace cimnet::auth {

std::chrono::milliseconds LoginLimiter::blocked_for(std::string_view client,
                                                    Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(client);
  if (it == entries_.end() || it->second.blocked_until <= now) return {};
  return std::chrono::duration_cast<std::chrono::milliseconds>(it->second.blocked_until - now);
}

void LoginLimiter::record_failure(std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(client);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_tracked) {
      // Drop the entry whose failures are oldest: it matters least.
      auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
        return a.second.first_failure < b.second.first_failure;
      });
      entries_.erase(oldest);
    }
    it = entries_.emplace(std::string(client), Entry{}).first;
  }
  Entry& e = it->second;
  if (e.failures == 0 || now - e.first_failure > options_.window) {
    e.failures = 0;
    e.first_failure = now;
  }
  ++e.failures;
  if (e.failures >= options_.max_failures) {
    e.blocked_until = now + options_.lockout;
    e.failures = 0;
  }
}

void LoginLimiter::record_success(std::string_view client) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(client);
  if (it != entries_.end() && it->second.blocked_until <= Clock::now()) entries_.erase(it);
}

}  // namespace cimnet::auth

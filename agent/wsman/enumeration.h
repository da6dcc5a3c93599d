#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cimnet::wsman {

// The state of one open enumeration; the dispatcher defines what it holds.
class EnumerationCursor {
 public:
  virtual ~EnumerationCursor() = default;
};

// Open enumeration contexts, bounded in total and per user, each expiring
// after a period without Pull. A context is owned by the user who opened it:
// to anyone else it does not exist. Thread-safe; a context being pulled is
// checked out, so two Pulls on one context cannot run at once.
class EnumerationTable {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    size_t total = 1024;
    size_t per_user = 64;
    std::chrono::milliseconds expiry{120'000};
  };

  explicit EnumerationTable(Limits limits) : limits_(limits) {}

  // Stores a cursor and returns its new context id ("uuid:..."). Throws
  // Fault(wsman:QuotaLimit) when the user or the agent has too many open.
  std::string add(const std::string& user, std::unique_ptr<EnumerationCursor> cursor,
                  Clock::time_point now = Clock::now());

  // Takes the cursor out for a Pull. Throws Fault(wsen:InvalidEnumerationContext)
  // when the id is unknown, expired, released or another user's, and
  // Fault(wsman:Concurrency) when another Pull holds it.
  std::unique_ptr<EnumerationCursor> checkout(const std::string& id, const std::string& user,
                                              Clock::time_point now = Clock::now());
  // Puts a checked-out cursor back, restarting its expiry.
  void checkin(const std::string& id, std::unique_ptr<EnumerationCursor> cursor,
               Clock::time_point now = Clock::now());
  // Forgets a checked-out context (its enumeration ended).
  void finish(const std::string& id);
  // Release: drops the context; same errors as checkout.
  void release(const std::string& id, const std::string& user,
               Clock::time_point now = Clock::now());

  // Drops expired contexts; returns how many.
  size_t expire(Clock::time_point now = Clock::now());
  size_t size() const;

 private:
  struct Entry {
    std::string user;
    std::unique_ptr<EnumerationCursor> cursor;  // null while checked out
    Clock::time_point expires;
  };
  Entry& find_owned(const std::string& id, const std::string& user, Clock::time_point now);
  size_t expire_locked(Clock::time_point now);

  Limits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, size_t> per_user_;
};

}  // namespace cimnet::wsman

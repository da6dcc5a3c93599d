#include "agent/wsman/enumeration.h"

#include "agent/wsman/envelope.h"
#include "agent/wsman/fault.h"

namespace cimnet::wsman {

namespace {
Fault invalid_context(const std::string& id) {
  return Fault(FaultKind::kInvalidEnumerationContext,
               "The enumeration context '" + id + "' is not valid (unknown, expired or released).");
}
}  // namespace

size_t EnumerationTable::expire_locked(Clock::time_point now) {
  size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    // A checked-out context is in use and does not expire under its Pull.
    if (it->second.cursor && it->second.expires <= now) {
      if (--per_user_[it->second.user] == 0) per_user_.erase(it->second.user);
      it = entries_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

std::string EnumerationTable::add(const std::string& user,
                                  std::unique_ptr<EnumerationCursor> cursor,
                                  Clock::time_point now) {
  std::lock_guard lock(mutex_);
  expire_locked(now);
  if (entries_.size() >= limits_.total)
    throw Fault(FaultKind::kQuotaLimit,
                "The agent has " + std::to_string(limits_.total) +
                    " enumerations open; release some or wait for them to expire.");
  auto count = per_user_.find(user);
  if (count != per_user_.end() && count->second >= limits_.per_user)
    throw Fault(FaultKind::kQuotaLimit,
                "User '" + user + "' has " + std::to_string(limits_.per_user) +
                    " enumerations open; release some or wait for them to expire.");
  std::string id = new_uuid();
  entries_.emplace(id, Entry{user, std::move(cursor), now + limits_.expiry});
  ++per_user_[user];
  return id;
}

EnumerationTable::Entry& EnumerationTable::find_owned(const std::string& id,
                                                      const std::string& user,
                                                      Clock::time_point now) {
  expire_locked(now);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.user != user) throw invalid_context(id);
  return it->second;
}

std::unique_ptr<EnumerationCursor> EnumerationTable::checkout(const std::string& id,
                                                              const std::string& user,
                                                              Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Entry& e = find_owned(id, user, now);
  if (!e.cursor)
    throw Fault(FaultKind::kConcurrency,
                "Another Pull on enumeration context '" + id + "' is in progress.");
  return std::move(e.cursor);
}

void EnumerationTable::checkin(const std::string& id, std::unique_ptr<EnumerationCursor> cursor,
                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // released meanwhile: drop the cursor
  it->second.cursor = std::move(cursor);
  it->second.expires = now + limits_.expiry;
}

void EnumerationTable::finish(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (--per_user_[it->second.user] == 0) per_user_.erase(it->second.user);
  entries_.erase(it);
}

void EnumerationTable::release(const std::string& id, const std::string& user,
                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  find_owned(id, user, now);
  auto it = entries_.find(id);
  if (--per_user_[it->second.user] == 0) per_user_.erase(it->second.user);
  entries_.erase(it);
}

size_t EnumerationTable::expire(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return expire_locked(now);
}

size_t EnumerationTable::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace cimnet::wsman

#include <gtest/gtest.h>

#include "agent/wsman/enumeration.h"
#include "agent/wsman/fault.h"

namespace cimnet::wsman {
namespace {

using namespace std::chrono_literals;

struct Numbered : EnumerationCursor {
  explicit Numbered(int n) : n(n) {}
  int n;
};

FaultKind fault_kind(const std::function<void()>& f) {
  try {
    f();
  } catch (const Fault& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no fault";
  return FaultKind::kInternalError;
}

TEST(EnumerationTable, OwnerOnlyCheckoutAndCheckin) {
  EnumerationTable table({});
  auto t0 = EnumerationTable::Clock::now();
  std::string id = table.add("alice", std::make_unique<Numbered>(1), t0);
  EXPECT_EQ(id.substr(0, 5), "uuid:");
  EXPECT_EQ(fault_kind([&] { table.checkout(id, "bob", t0); }),
            FaultKind::kInvalidEnumerationContext);
  auto c = table.checkout(id, "alice", t0);
  EXPECT_EQ(static_cast<Numbered*>(c.get())->n, 1);
  EXPECT_EQ(fault_kind([&] { table.checkout(id, "alice", t0); }), FaultKind::kConcurrency);
  table.checkin(id, std::move(c), t0);
  EXPECT_NO_THROW(table.checkin(id, table.checkout(id, "alice", t0), t0));
  table.release(id, "alice", t0);
  EXPECT_EQ(fault_kind([&] { table.checkout(id, "alice", t0); }),
            FaultKind::kInvalidEnumerationContext);
  EXPECT_EQ(fault_kind([&] { table.release("uuid:nope", "alice", t0); }),
            FaultKind::kInvalidEnumerationContext);
  EXPECT_EQ(table.size(), 0u);
}

TEST(EnumerationTable, LimitsPerUserAndTotal) {
  EnumerationTable::Limits limits;
  limits.per_user = 2;
  limits.total = 3;
  EnumerationTable table(limits);
  auto t0 = EnumerationTable::Clock::now();
  table.add("a", std::make_unique<Numbered>(1), t0);
  std::string second = table.add("a", std::make_unique<Numbered>(2), t0);
  EXPECT_EQ(fault_kind([&] { table.add("a", std::make_unique<Numbered>(3), t0); }),
            FaultKind::kQuotaLimit);
  table.add("b", std::make_unique<Numbered>(4), t0);
  EXPECT_EQ(fault_kind([&] { table.add("c", std::make_unique<Numbered>(5), t0); }),
            FaultKind::kQuotaLimit);
  table.release(second, "a", t0);
  EXPECT_NO_THROW(table.add("a", std::make_unique<Numbered>(6), t0));
}

TEST(EnumerationTable, IdleContextsExpireButNotWhileCheckedOut) {
  EnumerationTable::Limits limits;
  limits.expiry = 10s;
  EnumerationTable table(limits);
  auto t0 = EnumerationTable::Clock::now();
  std::string idle = table.add("u", std::make_unique<Numbered>(1), t0);
  std::string busy = table.add("u", std::make_unique<Numbered>(2), t0);
  auto held = table.checkout(busy, "u", t0 + 5s);
  EXPECT_EQ(table.expire(t0 + 11s), 1u);
  EXPECT_EQ(fault_kind([&] { table.checkout(idle, "u", t0 + 11s); }),
            FaultKind::kInvalidEnumerationContext);
  table.checkin(busy, std::move(held), t0 + 12s);  // expiry restarts at checkin
  EXPECT_NO_THROW(table.checkin(busy, table.checkout(busy, "u", t0 + 21s), t0 + 21s));
  table.finish(busy);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace cimnet::wsman

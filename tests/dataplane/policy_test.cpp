// Addresses, policy validation, versioned updates and the tables' memory.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <tuple>

#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

TEST(Addr, ParsesAndFormats) {
  EXPECT_EQ(ip("10.1.1.1").to_string(), "10.1.1.1");
  EXPECT_EQ(ip("fd00:30::1").to_string(), "fd00:30::1");
  EXPECT_FALSE(IpAddress::parse("10.1.1"));
  EXPECT_FALSE(IpAddress::parse("10.1.1.1.1"));
  EXPECT_FALSE(IpAddress::parse("fd00::30::1"));
  EXPECT_EQ(mac("00:15:5D:00:30:01").to_string(), "00:15:5d:00:30:01");
  EXPECT_FALSE(MacAddress::parse("00:15:5d:00:30"));
  EXPECT_FALSE(MacAddress::parse("00:15:5d:00:30:0g"));
  EXPECT_EQ(prefix("10.1.0.0/16").to_string(), "10.1.0.0/16");
  EXPECT_FALSE(IpPrefix::parse("10.1.1.0/16"));  // host bits set
  EXPECT_FALSE(IpPrefix::parse("10.1.0.0/33"));
  EXPECT_TRUE(prefix("10.1.0.0/16").contains(ip("10.1.200.3")));
  EXPECT_FALSE(prefix("10.1.0.0/16").contains(ip("10.2.0.1")));
  EXPECT_TRUE(prefix("fd00:30::/62").contains(ip("fd00:30:0:3::1")));
  EXPECT_FALSE(prefix("fd00:30::/62").contains(ip("fd00:30:0:4::1")));
}

TEST(Policy, RejectsBadInputAndChangesNothing) {
  Datapath dp;
  dp.apply(two_tenant_host1());
  auto before = dp.records().size();
  auto stats_before = dp.table_stats();

  auto expect_rejected = [&](const PolicyChange& c, const char* what) {
    EXPECT_THROW(dp.apply(c), PolicyError) << what;
    EXPECT_EQ(dp.records().size(), before) << what;
    EXPECT_EQ(dp.table_stats().ipv4_records, stats_before.ipv4_records) << what;
    EXPECT_EQ(dp.subnets().size(), 4u) << what;
    EXPECT_EQ(dp.ports().size(), 3u) << what;
  };
  PolicyChange c;
  c.upsert_records = {record(99, "10.9.9.9", "192.168.1.12", mac("00:15:5d:99:00:01"))};
  expect_rejected(c, "record without a virtual subnet");

  c = {};
  c.upsert_records = {record(0x1000000, "10.9.9.9", "192.168.1.12", mac("00:15:5d:99:00:01"))};
  expect_rejected(c, "VSID beyond 24 bits");

  c = {};
  c.upsert_records = {record(30, "10.1.1.9", "192.168.1.12", mac("01:00:5e:00:00:01"))};
  expect_rejected(c, "multicast MAC");

  c = {};
  c.upsert_records = {record(30, "10.1.1.254", "192.168.1.12", mac("00:15:5d:00:30:fe"))};
  expect_rejected(c, "record on the gateway address");

  c = {};
  c.remove_subnets = {31};
  expect_rejected(c, "subnet still has records and routes");

  c = {};
  c.upsert_customer_routes = {{"red", 30, prefix("10.7.0.0/16"), {}, 0}};
  expect_rejected(c, "route to a VSID of another routing domain");

  c = {};
  c.upsert_ports = {{7, kBlue1, 30}};
  expect_rejected(c, "two ports with one MAC in a VSID");

  // A good edit followed by a bad one in the same change: neither is applied.
  c = {};
  c.upsert_records = {record(30, "10.1.1.77", "192.168.1.12", mac("00:15:5d:00:30:77")),
                      record(30, "10.1.1.78", "192.168.1.12", mac("ff:ff:ff:ff:ff:ff"))};
  c.remove_records = {RecordKey{30, ip("10.1.1.2"), {}}};
  expect_rejected(c, "partly bad change");

  c = {};
  c.remove_records = {RecordKey{30, ip("10.1.1.99"), {}}};
  expect_rejected(c, "removing a missing record");

  // Same MAC at two provider addresses.
  c = {};
  c.upsert_records = {record(30, "10.1.1.50", "192.168.1.13", kBlue2)};
  expect_rejected(c, "MAC at a second provider address");

  DatapathSettings bad;
  bad.router_mac = mac("01:00:00:00:00:01");
  bad.provider_mac = kProviderMac;
  c = {};
  c.settings = bad;
  expect_rejected(c, "multicast router MAC");
  EXPECT_EQ(dp.settings().router_mac, kRouterMac);
}

TEST(Policy, VmMovesInOneChange) {
  Datapath dp;
  dp.apply(two_tenant_host1());
  // Blue VM2 has an IPv4 and an IPv6 record; both move to 192.168.1.13 together.
  PolicyChange c;
  c.upsert_records = {record(30, "10.1.1.2", "192.168.1.13", kBlue2),
                      record(30, "fd00:30::2", "192.168.1.13", kBlue2)};
  EXPECT_NO_THROW(dp.apply(c));
  size_t at13 = 0;
  for (auto& r : dp.records()) at13 += r.provider == ip("192.168.1.13");
  EXPECT_EQ(at13, 2u);
}

TEST(Policy, TableMemoryPerIpv4Record) {
  Datapath dp;
  PolicyChange c;
  c.upsert_subnets = {{5000, "rd", {}}};
  for (uint32_t i = 0; i < 20000; ++i) {
    LookupRecord r;
    r.vsid = 5000;
    r.customer = IpAddress::v4(0x0A000000 + i);
    r.provider = IpAddress::v4(0xC0A80000 + i % 100);
    r.mac.bytes = {0x00, 0x15, 0x5d, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    c.upsert_records.push_back(r);
  }
  dp.apply(c);
  TableStats t = dp.table_stats();
  EXPECT_EQ(t.ipv4_records, 20000u);
  EXPECT_EQ(t.mac_entries, 20000u);
  double per_record = double(t.ipv4_table_bytes + t.mac_table_bytes) / 20000.0;
  EXPECT_LE(per_record, 64.0);
}

// Records keyed by a customer address are stored only in the compiled tables: records() reads
// them back from the slots, with every field (type, rule, provider) intact.
TEST(Policy, RecordsReadBackFromTheTablesExactly) {
  Datapath dp;
  PolicyChange c = two_tenant_host1();
  c.upsert_neighbors.push_back({ip("192.168.1.21"), kHost2Mac});
  c.upsert_records.push_back(record(30, "10.1.1.30", "192.168.1.21", mac("00:15:5d:00:30:30"),
                                    Rule::Nat, RecordType::Dynamic));
  c.upsert_records.push_back(record(30, "0.0.0.0", "192.168.1.12", mac("00:15:5d:00:30:99"),
                                    Rule::Encap, RecordType::GatewayWildcard));
  c.upsert_records.push_back(record(30, "::", "192.168.1.12", mac("00:15:5d:00:30:99"), Rule::Encap,
                                    RecordType::GatewayWildcard));
  c.upsert_records.push_back(record(30, "fd00:30::7", "192.168.1.12", mac("00:15:5d:00:30:07"),
                                    Rule::Encap, RecordType::Dynamic));
  LookupRecord l2 = record(30, "0.0.0.0", "192.168.1.12", mac("00:15:5d:00:30:0a"), Rule::Encap,
                           RecordType::L2Only);
  l2.customer = IpAddress{};
  c.upsert_records.push_back(l2);
  dp.apply(c);

  auto sorted = [](std::vector<LookupRecord> v) {
    std::sort(v.begin(), v.end(), [](const LookupRecord& a, const LookupRecord& b) {
      return std::tie(a.vsid, a.customer, a.mac) < std::tie(b.vsid, b.customer, b.mac);
    });
    return v;
  };
  auto same = [](const std::vector<LookupRecord>& a, const std::vector<LookupRecord>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].vsid != b[i].vsid || a[i].customer != b[i].customer ||
          a[i].provider != b[i].provider || a[i].mac != b[i].mac || a[i].rule != b[i].rule ||
          a[i].type != b[i].type)
        return false;
    return true;
  };
  auto want = sorted(c.upsert_records);
  EXPECT_TRUE(same(sorted(dp.records()), want));

  // A change that edits several shards and then fails leaves every record as it was.
  PolicyChange bad;
  bad.remove_records = {RecordKey{30, ip("10.1.1.30"), {}}, RecordKey{30, ip("fd00:30::7"), {}}};
  bad.upsert_records = {record(30, "10.1.1.31", "192.168.1.22", mac("00:15:5d:00:30:31")),
                        record(30, "10.1.1.32", "192.168.1.12", mac("00:15:5d:00:30:30"))};
  bad.upsert_records.push_back(record(77, "10.7.7.7", "192.168.1.12", mac("00:15:5d:00:77:01")));
  EXPECT_THROW(dp.apply(bad), PolicyError);
  EXPECT_THROW(dp.check(bad), PolicyError);
  EXPECT_TRUE(same(sorted(dp.records()), want));
  EXPECT_EQ(dp.table_stats().provider_addresses, 3u);  // .11, .12, .21: none leaked or lost

  // Removal reads the record back from its slot (MAC references drop with it).
  PolicyChange rm;
  rm.remove_records = {RecordKey{30, ip("10.1.1.30"), {}}};
  size_t macs = dp.table_stats().mac_entries;
  dp.apply(rm);
  EXPECT_EQ(dp.records().size(), want.size() - 1);
  EXPECT_EQ(dp.table_stats().mac_entries, macs - 1);
  EXPECT_EQ(dp.table_stats().provider_addresses, 2u);
}

// A failed change that freed a provider address and took a new one gives the old index back:
// packets to the surviving record still leave for its own provider address.
TEST_F(HostFixture, FailedChangeKeepsProviderAddressesOfRecords) {
  PolicyChange c;
  c.upsert_neighbors = {{ip("192.168.1.50"), kHost2Mac}, {ip("192.168.1.51"), kHost2Mac}};
  c.upsert_records = {record(30, "10.1.1.50", "192.168.1.50", mac("00:15:5d:00:30:50"))};
  dp->apply(c);
  c = {};
  c.remove_records = {RecordKey{30, ip("10.1.1.50"), {}}};
  c.upsert_records = {record(30, "10.1.1.51", "192.168.1.51", mac("00:15:5d:00:30:51")),
                      record(30, "10.1.1.52", "192.168.1.51", mac("ff:ff:ff:ff:ff:ff"))};
  EXPECT_THROW(dp->apply(c), PolicyError);
  Out o = tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.50"));
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A80132u);  // 192.168.1.50
  o = tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.51"));
  EXPECT_EQ(o.port, kDropPort);
}

// Record-only changes share the provider-side tables (targets, outer headers, PA arrays) and the
// subnet/port and customer-route tables with the previous version; every change to what those
// tables are built from must still reach the next packet, before and after record-only changes.
TEST_F(HostFixture, RecordOnlyChangesKeepProviderSideCurrent) {
  auto to = [&](const char* dst) { return tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", dst)); };
  auto outer_dst_mac = [](const Out& o) { return Bytes(o.frame.begin(), o.frame.begin() + 6); };
  auto outer_src_mac = [](const Out& o) {
    return Bytes(o.frame.begin() + 6, o.frame.begin() + 12);
  };
  auto bytes = [](const MacAddress& m) { return Bytes(m.bytes.begin(), m.bytes.end()); };
  auto record_only = [&](const char* ca, const char* pa) {
    PolicyChange c;
    LookupRecord r = record(30, ca, pa, kBlue2);
    r.mac.bytes[5] = ip(ca).bytes[3];  // one MAC per record
    c.upsert_records = {r};
    dp->apply(c);
  };
  // A new provider address without a neighbour: unreachable.
  record_only("10.1.1.60", "192.168.1.60");
  EXPECT_EQ(to("10.1.1.60").port, kDropPort);
  EXPECT_EQ(to("10.1.1.2").port, kProviderPort);
  // Its neighbour appears in a change without records.
  const MacAddress n60 = mac("02:aa:00:00:00:60");
  PolicyChange c;
  c.upsert_neighbors = {{ip("192.168.1.60"), n60}};
  dp->apply(c);
  Out o = to("10.1.1.60");
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A8013Cu);
  EXPECT_EQ(outer_dst_mac(o), bytes(n60));
  // Moving the record between known provider addresses (the shared-table case), and back.
  record_only("10.1.1.60", "192.168.1.12");
  o = to("10.1.1.60");
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A8010Cu);
  EXPECT_EQ(outer_dst_mac(o), bytes(kHost2Mac));
  record_only("10.1.1.61", "192.168.1.60");
  record_only("10.1.1.60", "192.168.1.60");
  o = to("10.1.1.60");
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A8013Cu);
  EXPECT_EQ(outer_dst_mac(o), bytes(n60));
  // A new provider MAC in a settings-only change, then a record-only change.
  DatapathSettings st = dp->settings();
  st.provider_mac = mac("02:aa:00:00:00:99");
  c = {};
  c.settings = st;
  dp->apply(c);
  record_only("10.1.1.62", "192.168.1.12");
  o = to("10.1.1.2");
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(outer_src_mac(o), bytes(st.provider_mac));
  // A neighbour removed: unreachable, also after a record-only change.
  c = {};
  c.remove_neighbors = {ip("192.168.1.60")};
  dp->apply(c);
  record_only("10.1.1.63", "192.168.1.12");
  EXPECT_EQ(to("10.1.1.60").port, kDropPort);
  EXPECT_EQ(to("10.1.1.63").port, kProviderPort);
  // A provider address off-link, first without a route, then through a route via host 2.
  record_only("10.1.1.67", "192.168.2.60");
  EXPECT_EQ(to("10.1.1.67").port, kDropPort);
  c = {};
  c.upsert_provider_routes = {{prefix("192.168.2.0/24"), ip("192.168.1.12"), 0}};
  dp->apply(c);
  record_only("10.1.1.64", "192.168.1.12");
  o = to("10.1.1.67");
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A8023Cu);
  EXPECT_EQ(outer_dst_mac(o), bytes(kHost2Mac));
  // A port removed alone, then a record-only change: the port stays gone.
  EXPECT_EQ(tx(3, udp4_frame(kBlue1, kBlue4, "10.1.1.4", "10.1.1.1")).port, 1);
  c = {};
  c.remove_ports = {1};
  dp->apply(c);
  record_only("10.1.1.65", "192.168.1.12");
  EXPECT_EQ(tx(3, udp4_frame(kBlue1, kBlue4, "10.1.1.4", "10.1.1.1")).port, kDropPort);
  // A customer route removed alone, then a record-only change: routing stays off.
  Bytes routed = udp4_frame(kRouterMac, kBlue4, "10.1.1.4", "10.1.2.3");
  EXPECT_EQ(tx(3, routed).port, kProviderPort);
  c = {};
  c.remove_customer_routes = {{"blue", 31, prefix("10.1.2.0/24"), {}, 0}};
  dp->apply(c);
  record_only("10.1.1.66", "192.168.1.12");
  EXPECT_EQ(tx(3, routed).port, kDropPort);
}

// check() and refused changes that touch the provider side leave the published tables, and the
// ones later record-only changes share, as they were.
TEST_F(HostFixture, RefusedProviderChangesAreNotShared) {
  auto to2 = [&] { return tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2")); };
  const Bytes host2(kHost2Mac.bytes.begin(), kHost2Mac.bytes.end());
  PolicyChange c;
  c.upsert_neighbors = {{ip("192.168.1.12"), mac("02:aa:00:00:00:77")}};
  c.upsert_records = {record(30, "10.1.1.70", "192.168.1.70", mac("00:15:5d:00:30:70"))};
  dp->check(c);
  c.upsert_records.push_back(record(30, "10.1.1.71", "192.168.1.12", mac("ff:ff:ff:ff:ff:ff")));
  EXPECT_THROW(dp->apply(c), PolicyError);
  Out o = to2();
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(Bytes(o.frame.begin(), o.frame.begin() + 6), host2);
  c = {};
  c.upsert_records = {record(30, "10.1.1.72", "192.168.1.12", mac("00:15:5d:00:30:72"))};
  dp->apply(c);
  o = to2();
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(Bytes(o.frame.begin(), o.frame.begin() + 6), host2);
  EXPECT_EQ(tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.70")).port, kDropPort);
}

// Many edits to the same shards in one change and across changes (work copies grow, erased
// slots are reused and dropped when the shard is published).
TEST(Policy, BulkEditsKeepEveryRecordFindable) {
  Datapath dp;
  PolicyChange c;
  c.upsert_subnets = {{5000, "rd", {ip("10.0.0.1")}}};
  c.upsert_provider_addresses = {{ip("172.16.0.1"), 16}};
  c.upsert_neighbors = {{ip("172.16.0.2"), kHost2Mac}, {ip("172.16.0.3"), kHost2Mac}};
  c.upsert_ports = {{1, kBlue1, 5000}};
  auto rec = [](uint32_t i, const char* pa) {
    LookupRecord r;
    r.vsid = 5000;
    r.customer = IpAddress::v4(0x0A000000 + 16 + i);
    r.provider = ip(pa);
    r.mac.bytes = {0x00, 0x15, 0x5d, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    return r;
  };
  const uint32_t n = 6000;
  for (uint32_t i = 0; i < n; ++i) c.upsert_records.push_back(rec(i, "172.16.0.2"));
  dp.apply(c);
  // Remove the even records and move the odd ones, in one change.
  c = {};
  for (uint32_t i = 0; i < n; i += 2) c.remove_records.push_back(key_of(rec(i, "172.16.0.2")));
  for (uint32_t i = 1; i < n; i += 2) c.upsert_records.push_back(rec(i, "172.16.0.3"));
  dp.apply(c);
  EXPECT_EQ(dp.records().size(), n / 2);
  EXPECT_EQ(dp.table_stats().ipv4_records, n / 2 + 1);  // + the gateway address
  EXPECT_EQ(dp.table_stats().mac_entries, n / 2);
  // Every surviving record is found by a packet, at its new provider address; removed ones not.
  Worker w(dp);
  std::vector<uint8_t> buf(kBufferSize);
  size_t to3 = 0, dropped = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Bytes f = udp4_frame(kBlue2, kBlue1, "10.0.0.16", rec(i, "").customer.to_string().c_str());
    Packet p{buf.data(), kBufferSize, kHeadroom, uint32_t(f.size()), kDropPort};
    std::copy(f.begin(), f.end(), buf.begin() + kHeadroom);
    w.transmit(1, std::span<Packet>(&p, 1));
    if (p.port == kProviderPort && rd32(Bytes(p.data(), p.data() + 34), 30) == 0xAC100003u) ++to3;
    if (p.port == kDropPort) ++dropped;
  }
  EXPECT_EQ(to3, n / 2);
  EXPECT_EQ(dropped, n / 2);
}

// After apply() returns, the very next batch uses the new policy.
TEST_F(HostFixture, UpdateIsVisibleToTheNextPacket) {
  Bytes f = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  EXPECT_EQ(tx(1, f).port, kProviderPort);
  PolicyChange c;
  c.remove_records = {RecordKey{30, ip("10.1.1.2"), {}}};
  dp->apply(c);
  EXPECT_EQ(tx(1, f).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::UnknownDestination), 1u);
  c = {};
  c.upsert_records = {record(30, "10.1.1.2", "192.168.1.11", kBlue2),
                      record(30, "fd00:30::2", "192.168.1.11", kBlue2)};
  c.upsert_ports = {{5, kBlue2, 30}};
  dp->apply(c);
  EXPECT_EQ(tx(1, f).port, 5);  // now local
}

// Readers keep processing while a writer republishes; every packet sees one whole version.
TEST_F(HostFixture, ConcurrentUpdatesNeverTearAPacket) {
  std::atomic<bool> stop{false};
  std::atomic<size_t> bad{0}, seen12{0}, seen13{0}, batches{0};
  std::thread reader([&] {
    Worker w(*dp);
    Bytes f = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
    std::vector<uint8_t> buf(kBufferSize * kBatchSize);
    std::vector<Packet> pk(kBatchSize);
    while (!stop.load()) {
      for (size_t i = 0; i < kBatchSize; ++i) {
        pk[i] = Packet{buf.data() + i * kBufferSize, kBufferSize, kHeadroom, uint32_t(f.size()),
                       kDropPort};
        std::copy(f.begin(), f.end(), pk[i].data());
      }
      w.transmit(1, pk);
      ++batches;
      for (auto& p : pk) {
        if (p.port != kProviderPort) {
          ++bad;
          continue;
        }
        uint8_t last = p.data()[33];  // outer destination, last byte
        if (last == 12)
          ++seen12;
        else if (last == 13)
          ++seen13;
        else
          ++bad;
      }
    }
  });
  PolicyChange c;
  c.upsert_neighbors = {{ip("192.168.1.13"), mac("02:aa:00:00:00:13")}};
  dp->apply(c);
  // Keep republishing until both sides made progress: at least 200 versions, 100 batches, and
  // the reader saw both placements of the record.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int i = 0; (i < 200 || batches.load() < 100 || !seen12.load() || !seen13.load()) &&
                  std::chrono::steady_clock::now() < deadline;
       ++i) {
    PolicyChange m;
    const char* pa = i % 2 ? "192.168.1.12" : "192.168.1.13";
    m.upsert_records = {record(30, "10.1.1.2", pa, kBlue2), record(30, "fd00:30::2", pa, kBlue2)};
    dp->apply(m);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(seen12.load(), 0u);
  EXPECT_GT(seen13.load(), 0u);
}

TEST(Policy, TooManyWorkersIsAnError) {
  Datapath::Limits l;
  l.max_workers = 2;
  Datapath dp(l);
  Worker a(dp), b(dp);
  EXPECT_THROW(Worker c(dp), PolicyError);
}

}  // namespace
}  // namespace cimnet::dataplane::test

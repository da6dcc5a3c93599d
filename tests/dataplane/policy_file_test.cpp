// The policy text format used by cimnet-dataplane and the namespace test.

#include <gtest/gtest.h>

#include <fstream>

#include "cimnet/dataplane/policy_file.h"
#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

TEST(PolicyFile, ParsesEveryKeyword) {
  PolicyFile f = parse_policy_text(R"(
# comment line
settings router-mac 02:00:5e:00:01:09 provider-mac 02:aa:00:00:00:11 mtu 9000 flow-id zero
provider-address 192.168.1.11/24 interface pa0   # trailing comment
provider-route 10.0.0.0/8 via 192.168.1.1 metric 5
neighbor 192.168.1.12 02:aa:00:00:00:12
subnet 30 domain blue gateway 10.1.1.254 gateway fd00:30::fe
route blue 30 10.1.1.0/24
route blue 30 10.9.0.0/16 via 10.1.1.9 metric 3
record 30 10.1.1.2 192.168.1.12 00:15:5d:00:30:02
record 30 10.1.1.3 192.168.1.12 00:15:5d:00:30:03 nat dynamic
record 30 0.0.0.0 192.168.1.12 00:15:5d:00:30:99 gateway-wildcard
record 30 - 192.168.1.12 00:15:5d:00:30:98 l2only
port 1 00:15:5d:00:30:01 30 interface vb1
)");
  ASSERT_TRUE(f.change.settings);
  EXPECT_EQ(f.change.settings->router_mac, mac("02:00:5e:00:01:09"));
  EXPECT_EQ(f.change.settings->provider_mtu, 9000);
  EXPECT_TRUE(f.change.settings->flow_id_zero);
  EXPECT_EQ(f.provider_interface, "pa0");
  ASSERT_EQ(f.change.upsert_provider_routes.size(), 1u);
  EXPECT_EQ(f.change.upsert_provider_routes[0].metric, 5u);
  ASSERT_EQ(f.change.upsert_subnets.size(), 1u);
  EXPECT_EQ(f.change.upsert_subnets[0].gateways.size(), 2u);
  ASSERT_EQ(f.change.upsert_customer_routes.size(), 2u);
  EXPECT_EQ(f.change.upsert_customer_routes[1].next_hop, ip("10.1.1.9"));
  ASSERT_EQ(f.change.upsert_records.size(), 4u);
  EXPECT_EQ(f.change.upsert_records[1].rule, Rule::Nat);
  EXPECT_EQ(f.change.upsert_records[1].type, RecordType::Dynamic);
  EXPECT_EQ(f.change.upsert_records[2].type, RecordType::GatewayWildcard);
  EXPECT_EQ(f.change.upsert_records[3].type, RecordType::L2Only);
  EXPECT_FALSE(f.change.upsert_records[3].customer.is_set());
  EXPECT_EQ(f.port_interfaces.at(1), "vb1");
  // And the result is a valid policy.
  Datapath dp;
  EXPECT_NO_THROW(dp.apply(f.change));
  EXPECT_EQ(dp.records().size(), 4u);
}

TEST(PolicyFile, ErrorsNameTheLine) {
  auto error_of = [](const std::string& text) -> std::string {
    try {
      parse_policy_text(text);
    } catch (const PolicyError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error_of("\n\nbogus 1"), "line 3: unknown keyword 'bogus'");
  EXPECT_EQ(error_of("subnet 30 domain"), "line 1: missing routing domain");
  EXPECT_EQ(error_of("record 30 10.1.1.300 192.168.1.1 00:15:5d:00:00:01"),
            "line 1: bad customer address '10.1.1.300'");
  EXPECT_EQ(error_of("route blue 30 10.1.1.1/24"),
            "line 1: bad destination prefix '10.1.1.1/24' (ADDRESS/LENGTH, host bits zero)");
  EXPECT_EQ(error_of("subnet 99999999 domain x"), "line 1: VSID 99999999 is larger than 16777214");
  EXPECT_EQ(error_of("settings flow-id sometimes"), "line 1: flow-id must be 'hash' or 'zero'");
  EXPECT_EQ(error_of("port 1 00:15:5d:00:30:01"), "line 1: missing VSID");
  EXPECT_EQ(error_of("provider-address 192.168.1.11/40"), "line 1: bad prefix length in '192.168.1.11/40'");
}

TEST(PolicyFile, MissingFileIsAnError) {
  EXPECT_THROW(read_policy_file("/nonexistent/policy.conf"), PolicyError);
}

TEST(PolicyFile, NamespaceTestPoliciesAreValid) {
  const char* src = std::getenv("CIMNET_SOURCE_DIR");
  std::string dir = std::string(src ? src : ".") + "/tests/dataplane/netns/";
  for (const char* host : {"host1.conf", "host2.conf"}) {
    std::ifstream a(dir + "common.conf"), b(dir + host);
    std::stringstream ss;
    ss << a.rdbuf() << b.rdbuf();
    PolicyFile f = parse_policy_text(ss.str());
    Datapath dp;
    EXPECT_NO_THROW(dp.apply(f.change)) << host;
    EXPECT_EQ(f.provider_interface, "pa0");
  }
}

}  // namespace
}  // namespace cimnet::dataplane::test

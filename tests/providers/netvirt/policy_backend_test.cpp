// The store backend: committed policy reaches the in-memory datapath in one
// step, a refused change reaches neither store nor datapath, and reopening
// the state directory programs exactly the same datapath policy again.
#include "cimnet/netvirt/policy_backend.h"

#include <gmock/gmock.h>

#include <algorithm>

#include "fixture.h"

namespace cimnet::netvirt::testing {
namespace {

namespace dp = cimnet::dataplane;
using ::testing::HasSubstr;

config::LookupRecord rec(uint32_t vsid, const char* ca, const char* mac, const char* pa,
                         config::LookupRecordType type = config::LookupRecordType::kStatic) {
  config::LookupRecord r;
  r.key.vsid = vsid;
  r.key.customer_address = *config::IpAddress::parse(ca);
  r.key.mac = *config::MacAddress::parse(mac);
  r.provider_address = *config::IpAddress::parse(pa);
  r.type = type;
  return r;
}

std::string subnet_path(uint32_t vsid) {
  return std::string(kPolicyRoot) + "/virtual-subnet[vsid='" + std::to_string(vsid) + "']";
}

// Datapath records, sorted, as text (for comparing whole policies).
std::vector<std::string> dp_records(dp::Datapath& d) {
  std::vector<std::string> out;
  for (auto& r : d.records())
    out.push_back(std::to_string(r.vsid) + " " + r.customer.to_string() + " " +
                  r.provider.to_string() + " " + r.mac.to_string() + " " +
                  std::to_string(int(r.type)) + " " + std::to_string(int(r.rule)));
  std::sort(out.begin(), out.end());
  return out;
}

class Backend : public NetvirtFixture {
 protected:
  void add_subnet(uint32_t vsid, const std::string& rd, const std::string& prefix = {}) {
    auto tx = store_->begin();
    tx.create(subnet_path(vsid));
    tx.set(subnet_path(vsid) + "/routing-domain", rd);
    if (!prefix.empty()) tx.set(subnet_path(vsid) + "/prefix[.='" + prefix + "']");
    tx.commit();
  }
  dp::Datapath& datapath() { return agent_->datapath(); }
};

TEST_F(Backend, CommittedRecordsReachTheDatapath) {
  add_subnet(5030, kBlueRd, "10.1.1.0/24");
  ASSERT_EQ(datapath().subnets().size(), 1u);
  EXPECT_EQ(datapath().subnets()[0].routing_domain, kBlueRd);
  // The subnet's gateway is the prefix's highest host address.
  ASSERT_EQ(datapath().subnets()[0].gateways.size(), 1u);
  EXPECT_EQ(datapath().subnets()[0].gateways[0].to_string(), "10.1.1.254");

  auto tx = store_->begin();
  tx.create_lookup(rec(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  tx.create_lookup(rec(5030, "fd00::1", "00155d003001", "192.168.1.11"));
  tx.commit();
  EXPECT_THAT(dp_records(datapath()),
              ::testing::ElementsAre("5030 10.1.1.1 192.168.1.11 00:15:5d:00:30:01 0 0",
                                     "5030 fd00::1 192.168.1.11 00:15:5d:00:30:01 0 0"));

  auto rm = store_->begin();
  rm.remove_lookup(rec(5030, "10.1.1.1", "00155d003001", "192.168.1.11").key);
  rm.commit();
  EXPECT_EQ(dp_records(datapath()).size(), 1u);
}

TEST_F(Backend, DatapathRefusalVetoesTheCommit) {
  add_subnet(5030, kBlueRd);
  auto tx = store_->begin();
  // The same MAC at two provider addresses in one VSID: the datapath refuses.
  tx.create_lookup(rec(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  tx.create_lookup(rec(5030, "10.1.1.2", "00155d003001", "192.168.1.12"));
  try {
    tx.commit();
    FAIL() << "commit accepted a MAC at two provider addresses";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.kind(), config::ErrorKind::kRejected);
    EXPECT_THAT(e.what(), HasSubstr("datapath"));
  }
  EXPECT_EQ(store_->lookup_count(), 0u);
  EXPECT_TRUE(datapath().records().empty());
}

TEST_F(Backend, OneMacPerCustomerAddress) {
  add_subnet(5030, kBlueRd);
  auto tx = store_->begin();
  tx.create_lookup(rec(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  tx.create_lookup(rec(5030, "10.1.1.1", "00155d003002", "192.168.1.11"));
  try {
    tx.commit();
    FAIL() << "two MACs for one customer address were accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.kind(), config::ErrorKind::kAlreadyExists);
    EXPECT_THAT(e.what(), HasSubstr("CustomerAddress 10.1.1.1"));
  }
  EXPECT_EQ(store_->lookup_count(), 0u);
}

TEST_F(Backend, NatNeedsAProviderAddressOfItsOwn) {
  add_subnet(5030, kBlueRd);
  auto nat = rec(5030, "10.1.1.1", "00155d003001", "192.168.1.50");
  nat.rule = config::TranslationRule::kNat;
  auto tx = store_->begin();
  tx.create_lookup(nat);
  tx.commit();
  auto tx2 = store_->begin();
  tx2.create_lookup(rec(5030, "10.1.1.2", "00155d003002", "192.168.1.50"));
  EXPECT_THROW(tx2.commit(), config::ConfigError);
  EXPECT_EQ(store_->lookup_count(), 1u);
  // Once the Nat record is gone the address is free for anyone.
  auto tx3 = store_->begin();
  tx3.remove_lookup(nat.key);
  tx3.create_lookup(rec(5030, "10.1.1.2", "00155d003002", "192.168.1.50"));
  EXPECT_NO_THROW(tx3.commit());
}

TEST_F(Backend, GatewayWildcardsDifferingByMacCoexist) {
  add_subnet(5030, kBlueRd);
  auto gw1 = rec(5030, "0.0.0.0", "00155d0030a1", "192.168.1.21",
                 config::LookupRecordType::kGatewayWildcard);
  auto gw2 = rec(5030, "0.0.0.0", "00155d0030a2", "192.168.1.22",
                 config::LookupRecordType::kGatewayWildcard);
  auto l2a =
      rec(5030, "0.0.0.0", "00155d0030b1", "192.168.1.23", config::LookupRecordType::kL2Only);
  auto l2b = rec(5030, "::", "00155d0030b2", "192.168.1.23", config::LookupRecordType::kL2Only);
  auto tx = store_->begin();
  for (auto& r : {gw2, gw1, l2a, l2b}) tx.create_lookup(r);
  tx.commit();
  EXPECT_EQ(store_->lookup_count(), 4u);
  // The first gateway (lowest MAC) is the datapath's; both MAC-only records are there.
  EXPECT_THAT(dp_records(datapath()),
              ::testing::ElementsAre("5030 (none) 192.168.1.23 00:15:5d:00:30:b1 2 0",
                                     "5030 (none) 192.168.1.23 00:15:5d:00:30:b2 2 0",
                                     "5030 0.0.0.0 192.168.1.21 00:15:5d:00:30:a1 3 0"));
  // Removing the active gateway hands the wildcard to the other one.
  auto rm = store_->begin();
  rm.remove_lookup(gw1.key);
  rm.commit();
  EXPECT_THAT(dp_records(datapath()),
              ::testing::Contains("5030 0.0.0.0 192.168.1.22 00:15:5d:00:30:a2 3 0"));
}

TEST_F(Backend, RestartRestoresTheSamePolicy) {
  add_subnet(5030, kBlueRd, "10.1.1.0/24");
  add_subnet(5020, kRedRd, "10.1.1.0/24");
  auto tx = store_->begin();
  tx.create_lookup(rec(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  tx.create_lookup(rec(5030, "10.1.1.2", "00155d003002", "192.168.1.12"));
  tx.create_lookup(rec(5020, "10.1.1.1", "00155d002001", "192.168.1.11"));
  tx.create_lookup(rec(5020, "10.1.1.2", "00155d002002", "192.168.1.12"));
  tx.create_lookup(rec(5020, "0.0.0.0", "00155d0020a1", "192.168.1.21",
                       config::LookupRecordType::kGatewayWildcard));
  tx.create_lookup(rec(5020, "0.0.0.0", "00155d0020a2", "192.168.1.22",
                       config::LookupRecordType::kGatewayWildcard));
  std::string root = kPolicyRoot;
  tx.set(root + "/provider-address[interface-index='1'][address='192.168.1.11']/prefix-length",
         "24");
  tx.set(root + "/vm-adapter[name='vb1']/mac-address", "00155d003001");
  tx.set(root + "/vm-adapter[name='vb1']/vsid", "5030");
  tx.set(root + "/vm-adapter[name='vb1']/interface", "vb1");
  tx.set(root + "/customer-route[routing-domain='" + std::string(kBlueRd) +
             "'][vsid='5030'][destination-prefix='10.1.1.0/24']/next-hop",
         "0.0.0.0");
  tx.commit();
  auto records = dp_records(datapath());
  auto ports = datapath().ports();
  auto routes = datapath().customer_routes();
  ASSERT_EQ(records.size(), 5u);
  ASSERT_EQ(ports.size(), 1u);

  reopen();
  EXPECT_TRUE(agent_->replay_problem().empty()) << agent_->replay_problem();
  EXPECT_EQ(dp_records(datapath()), records);
  ASSERT_EQ(datapath().ports().size(), 1u);
  EXPECT_EQ(datapath().ports()[0].mac, ports[0].mac);
  EXPECT_EQ(datapath().ports()[0].vsid, 5030u);
  EXPECT_EQ(datapath().customer_routes().size(), routes.size());
  EXPECT_EQ(datapath().subnets().size(), 2u);
  EXPECT_EQ(agent_->backend().adapters().size(), 1u);
}

TEST(Gateway, HighestHostAddressOfThePrefix) {
  EXPECT_EQ(gateway_of(*dp::IpPrefix::parse("10.1.1.0/24"))->to_string(), "10.1.1.254");
  EXPECT_EQ(gateway_of(*dp::IpPrefix::parse("10.0.0.0/30"))->to_string(), "10.0.0.2");
  EXPECT_EQ(gateway_of(*dp::IpPrefix::parse("fd00::/64"))->to_string(),
            "fd00::ffff:ffff:ffff:fffe");
  EXPECT_FALSE(gateway_of(*dp::IpPrefix::parse("10.0.0.0/31")));
  EXPECT_FALSE(gateway_of(*dp::IpPrefix::parse("10.0.0.1/32")));
}

}  // namespace
}  // namespace cimnet::netvirt::testing

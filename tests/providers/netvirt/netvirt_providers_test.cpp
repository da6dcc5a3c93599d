// The root/StandardCimv2 providers over a real store and the in-memory
// datapath: served instances are valid against the schema, every create /
// modify / delete reaches the datapath, and each validation rule answers a
// CIM error naming the property and changes nothing.
#include "cimnet/netvirt/netvirt_providers.h"

#include <gmock/gmock.h>

#include "fixture.h"

namespace cimnet::netvirt::testing {
namespace {

using cim::Instance;
using cim::ObjectPath;
using cim::Status;
using cim::Value;
using ::testing::HasSubstr;

constexpr const char* kRecord = "MSFT_NetVirtualizationLookupRecordSettingData";

class Providers : public NetvirtFixture {
 protected:
  void SetUp() override {
    NetvirtFixture::SetUp();
    create(subnet(5030, kBlueRd, {"10.1.1.0/24", "fd00:30::/64"}));
    create(subnet(5031, kBlueRd, {"10.1.2.0/24"}));
    create(subnet(5020, kRedRd, {"10.1.1.0/24"}));
  }
  // Expects `fn` to fail with `status` and a message naming `property`, and
  // the store generation (so: nothing committed) to stay as it was.
  template <typename F>
  void expect_error(F fn, Status status, const std::string& property) {
    auto gen = store_->generation();
    auto records = agent_->datapath().records().size();
    try {
      fn();
      ADD_FAILURE() << "accepted; expected an error naming " << property;
    } catch (const cim::Error& e) {
      EXPECT_EQ(e.status(), status) << e.what();
      EXPECT_THAT(e.what(), HasSubstr(property));
    }
    EXPECT_EQ(store_->generation(), gen);
    EXPECT_EQ(agent_->datapath().records().size(), records);
  }
  void valid(const Instance& i) {
    EXPECT_NO_THROW(repo_.validate_instance("root/StandardCimv2", i, cim::Validation::kCreate))
        << i.class_name();
  }
};

TEST_F(Providers, LookupRecordLifecycle) {
  auto path = create(record(5030, "10.1.1.1", "00-15-5D-00-30-01", "192.168.1.11"));
  Instance got = get(path);
  valid(got);
  EXPECT_EQ(got.get("MACAddress")->as_string(), "00155d003001");
  EXPECT_EQ(got.get("Rule")->as_uint(), 1u);
  EXPECT_EQ(got.get("Type")->as_uint(), 0u);
  ASSERT_EQ(agent_->datapath().records().size(), 1u);
  EXPECT_EQ(agent_->datapath().records()[0].provider.to_string(), "192.168.1.11");

  Instance change(kRecord);
  change.set("ProviderAddress", Value::string("192.168.1.12"));
  change.set("Context", Value::string("moved"));
  Instance after = modify(path, change);
  EXPECT_EQ(after.get("ProviderAddress")->as_string(), "192.168.1.12");
  EXPECT_EQ(agent_->datapath().records()[0].provider.to_string(), "192.168.1.12");
  EXPECT_EQ(all(kRecord).size(), 1u);

  remove(path);
  EXPECT_TRUE(agent_->datapath().records().empty());
  EXPECT_TRUE(all(kRecord).empty());
  try {
    get(path);
    ADD_FAILURE() << "a deleted record was found";
  } catch (const cim::Error& e) {
    EXPECT_EQ(e.status(), Status::kNotFound);
  }
}

TEST_F(Providers, EnumerationStreamsInPages) {
  for (int i = 0; i < 600; ++i) {
    char ca[32], mac[16];
    std::snprintf(ca, sizeof ca, "10.1.%d.%d", 1 + i / 250, 1 + i % 250);
    std::snprintf(mac, sizeof mac, "00155d%06x", i + 1);
    config::LookupRecord r;
    r.key = {5030, *config::IpAddress::parse(ca), *config::MacAddress::parse(mac)};
    r.provider_address = *config::IpAddress::parse("192.168.1.11");
    auto tx = store_->begin();
    tx.create_lookup(r);
    tx.commit();
  }
  auto stream = provider_->enumerate(ctx(), cls(kRecord));
  EXPECT_EQ(stream->estimate().value_or(0), 600u);
  size_t n = 0;
  std::string last;
  while (auto i = stream->next()) {
    ++n;
    std::string id = i->get("InstanceID")->as_string();
    EXPECT_NE(id, last);
    last = id;
  }
  EXPECT_EQ(n, 600u);
}

TEST_F(Providers, WildcardRecordsDifferingOnlyByMacCoexist) {
  for (const char* mac : {"00155d0030a1", "00155d0030a2"}) {
    Instance r = record(5030, "0.0.0.0", mac, "192.168.1.21");
    r.set("Type", Value::uint8(2));
    create(r);
  }
  for (const char* mac : {"00155d0030b1", "00155d0030b2"}) {
    Instance r = record(5030, "::", mac, "192.168.1.23");
    r.set("Type", Value::uint8(3));
    create(r);
  }
  auto records = all(kRecord);
  ASSERT_EQ(records.size(), 4u);
  int unusable = 0;
  for (auto& r : records) unusable += r.get("Unusable")->as_bool();
  EXPECT_EQ(unusable, 1);  // the second gateway stands by
  EXPECT_EQ(agent_->datapath().records().size(), 3u);
}

TEST_F(Providers, Ipv6CustomerAddresses) {
  auto path = create(record(5030, "FD00:30::1", "00155d003001", "2001:db8::11"));
  EXPECT_EQ(get(path).get("CustomerAddress")->as_string(), "fd00:30::1");
  ASSERT_EQ(agent_->datapath().records().size(), 1u);
  EXPECT_TRUE(agent_->datapath().records()[0].customer.is_v6());
}

TEST_F(Providers, LookupRecordValidation) {
  expect_error([&] { create(record(4095, "10.1.1.1", "00155d003001", "192.168.1.11")); },
               Status::kInvalidParameter, "VirtualSubnetID");
  expect_error([&] { create(record(16777215, "10.1.1.1", "00155d003001", "192.168.1.11")); },
               Status::kInvalidParameter, "VirtualSubnetID");
  expect_error([&] { create(record(6000, "10.1.1.1", "00155d003001", "192.168.1.11")); },
               Status::kInvalidParameter, "VirtualSubnetID");
  expect_error([&] { create(record(5030, "10.1.1.300", "00155d003001", "192.168.1.11")); },
               Status::kInvalidParameter, "CustomerAddress");
  expect_error([&] { create(record(5030, "10.1.1.1", "00155d0030", "192.168.1.11")); },
               Status::kInvalidParameter, "MACAddress");
  expect_error([&] { create(record(5030, "10.1.1.1", "01155d003001", "192.168.1.11")); },
               Status::kInvalidParameter, "MACAddress");
  expect_error([&] { create(record(5030, "10.1.1.1", "00155d003001", "nowhere")); },
               Status::kInvalidParameter, "ProviderAddress");
  // Nat rewrites addresses: families must match.
  expect_error([&] { create(record(5030, "10.1.1.1", "00155d003001", "2001:db8::1", 0)); },
               Status::kInvalidParameter, "ProviderAddress");
  Instance vmmac = record(5030, "10.1.1.1", "00155d003001", "192.168.1.11");
  vmmac.set("UseVmMACAddress", Value::boolean(true));
  expect_error([&] { create(vmmac); }, Status::kInvalidParameter, "UseVmMACAddress");
  Instance guid = record(5030, "10.1.1.1", "00155d003001", "192.168.1.11");
  guid.set("CustomerID", Value::string("not-a-guid"));
  expect_error([&] { create(guid); }, Status::kInvalidParameter, "CustomerID");
  Instance l2 = record(5030, "10.1.1.1", "00155d003001", "192.168.1.11");
  l2.set("Type", Value::uint8(3));
  expect_error([&] { create(l2); }, Status::kInvalidParameter, "CustomerAddress");
  expect_error([&] { create(record(5030, "10.1.1.1", "00155d003001", "192.168.1.11", 2)); },
               Status::kNotSupported, "Rule");

  // Duplicates: the same key, or the same customer address with another MAC.
  create(record(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  expect_error([&] { create(record(5030, "10.1.1.1", "00155d003001", "192.168.1.11")); },
               Status::kAlreadyExists, "");
  expect_error([&] { create(record(5030, "10.1.1.1", "00155d0030ff", "192.168.1.11")); },
               Status::kAlreadyExists, "CustomerAddress");
  // Nat needs a provider address unique to its customer address.
  create(record(5030, "10.1.1.5", "00155d003005", "192.168.1.55", 0));
  expect_error([&] { create(record(5030, "10.1.1.6", "00155d003006", "192.168.1.55")); },
               Status::kFailed, "ProviderAddress");
  expect_error([&] { create(record(5030, "10.1.1.7", "00155d003007", "192.168.1.11", 0)); },
               Status::kFailed, "ProviderAddress");
  // Read-only properties cannot be Put.
  Instance change(kRecord);
  change.set("VirtualSubnetID", Value::uint32(5031));
  ObjectPath p("root/StandardCimv2", kRecord,
               {{"InstanceID", Value::string("cimnet:LookupRecord;5030;00155d003001;10.1.1.1")}});
  expect_error([&] { modify(p, change); }, Status::kNotSupported, "VirtualSubnetID");
}

TEST_F(Providers, CustomerRoutes) {
  Instance r("MSFT_NetVirtualizationCustomerRouteSettingData");
  r.set("RoutingDomainID", Value::string(kBlueRd));
  r.set("VirtualSubnetID", Value::uint32(5031));
  r.set("DestinationPrefix", Value::string("10.1.2.0/24"));
  r.set("NextHop", Value::string("0.0.0.0"));
  auto path = create(r);
  valid(get(path));
  ASSERT_EQ(agent_->datapath().customer_routes().size(), 1u);
  EXPECT_FALSE(agent_->datapath().customer_routes()[0].next_hop.is_set());  // on-link

  Instance metric("MSFT_NetVirtualizationCustomerRouteSettingData");
  metric.set("Metric", Value::uint32(3));
  EXPECT_EQ(modify(path, metric).get("Metric")->as_uint(), 3u);
  EXPECT_EQ(agent_->datapath().customer_routes()[0].metric, 3u);

  auto bad = [&](const char* prop, Value v) {
    Instance i = r;
    i.set(prop, v);
    return i;
  };
  expect_error([&] { create(r); }, Status::kAlreadyExists, "");
  expect_error([&] { create(bad("RoutingDomainID", Value::string("11111111-2222"))); },
               Status::kInvalidParameter, "RoutingDomainID");
  expect_error(
      [&] {
        create(bad("RoutingDomainID", Value::string("{99999999-2222-3333-4444-000000000000}")));
      },
      Status::kInvalidParameter, "RoutingDomainID");
  expect_error([&] { create(bad("VirtualSubnetID", Value::uint32(5020))); },
               Status::kInvalidParameter, "VirtualSubnetID");
  expect_error([&] { create(bad("DestinationPrefix", Value::string("10.1.2.1/24"))); },
               Status::kInvalidParameter, "DestinationPrefix");
  expect_error([&] { create(bad("NextHop", Value::string("::"))); }, Status::kInvalidParameter,
               "NextHop");
  remove(path);
  EXPECT_TRUE(agent_->datapath().customer_routes().empty());
}

TEST_F(Providers, ProviderAddressesAndRoutes) {
  Instance pa("MSFT_NetVirtualizationProviderAddressSettingData");
  pa.set("ProviderAddress", Value::string("192.168.1.11"));
  pa.set("InterfaceIndex", Value::uint32(1));  // lo exists in every namespace
  pa.set("PrefixLength", Value::uint8(24));
  auto path = create(pa);
  valid(get(path));
  Instance other = pa;
  other.set("InterfaceIndex", Value::uint32(999999));
  expect_error([&] { create(other); }, Status::kInvalidParameter, "InterfaceIndex");
  expect_error([&] { create(pa); }, Status::kAlreadyExists, "ProviderAddress");
  Instance wide = pa;
  wide.set("ProviderAddress", Value::string("192.168.1.12"));
  wide.set("PrefixLength", Value::uint8(33));
  expect_error([&] { create(wide); }, Status::kInvalidParameter, "PrefixLength");
  Instance vlan("MSFT_NetVirtualizationProviderAddressSettingData");
  vlan.set("VlanID", Value::uint16(103));
  expect_error([&] { modify(path, vlan); }, Status::kNotSupported, "VlanID");

  Instance pr("MSFT_NetVirtualizationProviderRouteSettingData");
  pr.set("InterfaceIndex", Value::uint32(1));
  pr.set("DestinationPrefix", Value::string("0.0.0.0/0"));
  pr.set("NextHop", Value::string("192.168.1.1"));
  pr.set("Metric", Value::uint32(5));
  auto rpath = create(pr);
  valid(get(rpath));
  Instance badnh = pr;
  badnh.set("NextHop", Value::string("fe80::1"));
  expect_error([&] { create(badnh); }, Status::kInvalidParameter, "NextHop");
  remove(rpath);
  // The datapath refuses to remove a provider address it does not have, so a
  // successful delete shows the address had reached it.
  EXPECT_NO_THROW(remove(path));
  EXPECT_TRUE(all("MSFT_NetVirtualizationProviderAddressSettingData").empty());
}

TEST_F(Providers, SubnetsAdaptersAssociationsAndStatistics) {
  auto subnets = all("CIMNET_VirtualSubnet");
  ASSERT_EQ(subnets.size(), 3u);
  for (auto& s : subnets) valid(s);
  expect_error([&] { create(subnet(5030, kBlueRd)); }, Status::kAlreadyExists, "VirtualSubnetID");
  expect_error([&] { create(subnet(5040, "blue")); }, Status::kInvalidParameter, "RoutingDomainID");
  expect_error([&] { create(subnet(5040, kBlueRd, {"10.0.0.1/8"})); }, Status::kInvalidParameter,
               "AddressPrefixes");

  Instance a("CIMNET_VMNetworkAdapter");
  a.set("InterfaceName", Value::string("vb1"));
  a.set("MACAddress", Value::string("00155d003001"));
  a.set("VirtualSubnetID", Value::uint32(5030));
  auto apath = create(a);
  Instance got = get(apath);
  valid(got);
  ASSERT_EQ(agent_->datapath().ports().size(), 1u);
  EXPECT_EQ(agent_->datapath().ports()[0].vsid, 5030u);
  Instance badmac = a;
  badmac.set("InterfaceName", Value::string("vb2"));
  badmac.set("MACAddress", Value::string("zz155d003001"));
  expect_error([&] { create(badmac); }, Status::kInvalidParameter, "MACAddress");
  Instance badname = a;
  badname.set("InterfaceName", Value::string("a/b"));
  expect_error([&] { create(badname); }, Status::kInvalidParameter, "InterfaceName");

  create(record(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  EXPECT_EQ(all("CIMNET_VirtualSubnetAdapter").size(), 1u);
  EXPECT_EQ(all("CIMNET_VirtualSubnetLookupRecord").size(), 1u);
  EXPECT_EQ(all("CIMNET_VMNetworkAdapterLookupRecord").size(), 1u);
  auto stats = all("CIMNET_VirtualSubnetStatistics");
  ASSERT_EQ(stats.size(), 3u);
  for (auto& s : stats) valid(s);
  auto astats = all("CIMNET_VMNetworkAdapterStatistics");
  ASSERT_EQ(astats.size(), 1u);
  valid(astats[0]);

  // A subnet in use cannot go; moving the adapter follows in the datapath.
  ObjectPath blue("root/StandardCimv2", "CIMNET_VirtualSubnet",
                  {{"InstanceID", Value::string("cimnet:VirtualSubnet;5030")}});
  expect_error([&] { remove(blue); }, Status::kFailed, "VirtualSubnetID");
  Instance move("CIMNET_VMNetworkAdapter");
  move.set("VirtualSubnetID", Value::uint32(5031));
  modify(apath, move);
  EXPECT_EQ(agent_->datapath().ports()[0].vsid, 5031u);
  remove(apath);
  EXPECT_TRUE(agent_->datapath().ports().empty());
}

TEST_F(Providers, GlobalSettingsAndNextHop) {
  auto g = all("MSFT_NetVirtualizationGlobalSettingData");
  ASSERT_EQ(g.size(), 1u);
  valid(g[0]);
  EXPECT_FALSE(g[0].get("UseExternalRouter")->as_bool());
  Instance ext("MSFT_NetVirtualizationGlobalSettingData");
  ext.set("UseExternalRouter", Value::boolean(true));
  ObjectPath gp("root/StandardCimv2", "MSFT_NetVirtualizationGlobalSettingData",
                {{"InstanceID", Value::string("cimnet:NetVirtualizationGlobal")}});
  expect_error([&] { modify(gp, ext); }, Status::kNotSupported, "UseExternalRouter");

  create(record(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  create(record(5031, "10.1.2.3", "00155d003103", "192.168.1.12"));
  Instance r("MSFT_NetVirtualizationCustomerRouteSettingData");
  r.set("RoutingDomainID", Value::string(kBlueRd));
  r.set("VirtualSubnetID", Value::uint32(5031));
  r.set("DestinationPrefix", Value::string("10.1.2.0/24"));
  r.set("NextHop", Value::string("0.0.0.0"));
  create(r);
  const cim::Class& c = cls("MSFT_NetVirtualizationNextHopLookup");
  const cim::Method* select = nullptr;
  for (auto& m : c.methods())
    if (m.name == "Select") select = &m;
  ASSERT_NE(select, nullptr);
  auto res = provider_->invoke(ctx(), c, *select, std::nullopt,
                               {{"SourceCustomerAddress", Value::string("10.1.1.1")},
                                {"DestinationCustomerAddress", Value::string("10.1.2.3")},
                                {"SourceVirtualSubnetID", Value::uint32(5030)}});
  EXPECT_EQ(res.return_value.as_uint(), 0u);
  ASSERT_EQ(res.out.size(), 1u);
  Instance hop = res.out[0].value.at(0).as_instance();
  EXPECT_EQ(hop.get("NextHopAddress")->as_string(), "10.1.2.3");
  EXPECT_EQ(hop.get("NextHopMACAddress")->as_string(), "00155d003103");
  EXPECT_EQ(hop.get("SourceMACAddress")->as_string(), "00155d003001");
}

TEST_F(Providers, RestartRestoresPolicyThroughProviders) {
  create(record(5030, "10.1.1.1", "00155d003001", "192.168.1.11"));
  create(record(5020, "10.1.1.1", "00155d002001", "192.168.1.11"));
  auto before = all(kRecord);
  reopen();
  auto after = all(kRecord);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i], before[i]);
  EXPECT_EQ(agent_->datapath().records().size(), 2u);
}

}  // namespace
}  // namespace cimnet::netvirt::testing

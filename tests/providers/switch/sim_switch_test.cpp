// The switch driver contract, exercised on the sim driver: identities,
// two-phase changes, validation errors that change nothing, rollback-free
// idempotent replay, and the --switch factory.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>

#include "cimnet/cim/error.h"
#include "cimnet/switching/driver.h"
#include "cimnet/switching/sim_switch.h"

namespace cimnet::switching {
namespace {

using cim::Error;
using cim::Status;

// Runs `fn`, expects a cim::Error with `status` whose message contains `text`.
template <typename Fn>
void expect_error(Fn&& fn, Status status, const std::string& text) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing '" << text << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(SimSwitch, DefaultHas24PortsWithStableRealisticIdentities) {
  SimSwitch sw;
  EXPECT_EQ(sw.spec(), "sim:24");
  std::vector<PortStatus> ports = sw.ports();
  ASSERT_EQ(ports.size(), 24u);
  std::set<std::string> macs;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const PortStatus& p = ports[i];
    EXPECT_EQ(p.name, "Ethernet" + std::to_string(i + 1));
    EXPECT_EQ(p.number, i + 1);
    EXPECT_EQ(p.permanent_mac[0] & 0x02, 0x02) << "locally administered";
    EXPECT_EQ(p.permanent_mac[0] & 0x01, 0x00) << "unicast";
    macs.insert(mac_to_cim(p.permanent_mac));
    EXPECT_TRUE(p.admin_up);
    EXPECT_TRUE(p.oper_up);
    EXPECT_TRUE(p.full_duplex);
    EXPECT_EQ(p.mtu, 1500u);
    EXPECT_EQ(p.link_technology, LinkTechnology::kEthernet);
    EXPECT_EQ(p.vlans, PortVlans::access(1));
  }
  EXPECT_EQ(macs.size(), 24u) << "every port has its own MAC";
  EXPECT_EQ(mac_to_cim(ports[0].permanent_mac), "02636E730001");
  EXPECT_EQ(mac_to_text(ports[23].permanent_mac), "02:63:6e:73:00:18");
  // 20 access ports at 1G copper, 4 uplinks at 10G fibre.
  EXPECT_EQ(ports[0].speed_bps, 1'000'000'000ULL);
  EXPECT_EQ(ports[0].port_type, port_type::k1000BaseT);
  EXPECT_EQ(ports[19].max_speed_bps, 1'000'000'000ULL);
  EXPECT_EQ(ports[20].speed_bps, 10'000'000'000ULL);
  EXPECT_EQ(ports[23].port_type, port_type::k10GBaseSR);
  // Same identities on a second instance (a restart).
  SimSwitch again;
  EXPECT_EQ(again.ports()[7].permanent_mac, ports[7].permanent_mac);
  ASSERT_EQ(sw.vlans().size(), 1u);
  EXPECT_EQ(sw.vlans()[0], (Vlan{1, "default"}));
}

TEST(SimSwitch, PortCountBounds) {
  EXPECT_EQ(SimSwitch(1).ports().size(), 1u);
  EXPECT_EQ(SimSwitch(1).ports()[0].speed_bps, 1'000'000'000ULL);
  EXPECT_EQ(SimSwitch(1024).ports().back().name, "Ethernet1024");
  expect_error([] { SimSwitch s(0); }, Status::kInvalidParameter, "out of range 1..1024");
  expect_error([] { SimSwitch s(1025); }, Status::kInvalidParameter, "out of range");
}

TEST(SimSwitch, AdminDownAndUpThroughTwoPhases) {
  SimSwitch sw(4);
  Prepared p = sw.prepare({SetPortAdmin{"Ethernet2", false}});
  EXPECT_FALSE(p.empty());
  EXPECT_TRUE(sw.port("Ethernet2").admin_up) << "prepare changes nothing";
  ApplyResult r = sw.apply(std::move(p));
  ASSERT_TRUE(r.ok) << r.message;
  PortStatus e2 = sw.port("Ethernet2");
  EXPECT_FALSE(e2.admin_up);
  EXPECT_FALSE(e2.oper_up);
  EXPECT_EQ(e2.speed_bps, 0u) << "no link, no speed";
  EXPECT_TRUE(sw.port("Ethernet1").admin_up);
  sw.change({SetPortAdmin{"Ethernet2", true}});
  EXPECT_TRUE(sw.port("Ethernet2").oper_up);
}

TEST(SimSwitch, CarrierAndTrafficHooks) {
  SimSwitch sw(2);
  sw.set_carrier("Ethernet1", false);
  PortStatus p = sw.port("Ethernet1");
  EXPECT_TRUE(p.admin_up);
  EXPECT_FALSE(p.oper_up);
  sw.add_traffic("Ethernet1", {10, 20, 1000, 2000, 1, 2, 3, 4});
  sw.add_traffic("Ethernet1", {1, 1, 1, 1, 0, 0, 0, 0});
  p = sw.port("Ethernet1");
  EXPECT_EQ(p.counters.rx_packets, 11u);
  EXPECT_EQ(p.counters.tx_bytes, 2001u);
  EXPECT_EQ(p.counters.tx_dropped, 4u);
  EXPECT_EQ(sw.port("Ethernet2").counters.rx_packets, 0u);
  expect_error([&] { sw.set_carrier("Ethernet9", true); }, Status::kNotFound, "Ethernet9");
}

TEST(SimSwitch, VlanCreateRenameRemove) {
  SimSwitch sw(4);
  sw.change({CreateVlan{10, "servers"}, CreateVlan{20, ""}});
  std::vector<Vlan> v = sw.vlans();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1], (Vlan{10, "servers"}));
  EXPECT_EQ(v[2], (Vlan{20, "VLAN0020"}));
  sw.change({RenameVlan{20, std::string(255, 'n')}});  // the longest allowed
  EXPECT_EQ(sw.vlans()[2].name.size(), 255u);
  sw.change({RenameVlan{20, "storage"}});
  EXPECT_EQ(sw.vlans()[2].name, "storage");
  sw.change({RemoveVlan{10}});
  v = sw.vlans();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].id, 20);
}

TEST(SimSwitch, VlanErrorsAreClearAndChangeNothing) {
  SimSwitch sw(4);
  sw.change({CreateVlan{10, "a"}});
  const SwitchSettings before = sw.settings();
  expect_error(
      [&] {
        sw.prepare({CreateVlan{0, "x"}});
      },
      Status::kInvalidParameter, "VLAN 0 is out of range (VLAN ids are 1..4094)");
  expect_error(
      [&] {
        sw.prepare({CreateVlan{4095, "x"}});
      },
      Status::kInvalidParameter, "4095 is out of range");
  expect_error(
      [&] {
        sw.prepare({CreateVlan{10, "again"}});
      },
      Status::kAlreadyExists, "VLAN 10 already exists");
  expect_error([&] { sw.prepare({RemoveVlan{11}}); }, Status::kNotFound, "VLAN 11 does not exist");
  expect_error([&] { sw.prepare({RenameVlan{11, "x"}}); }, Status::kNotFound, "VLAN 11");
  expect_error(
      [&] {
        sw.prepare({CreateVlan{12, std::string(256, 'n')}});
      },
      Status::kInvalidParameter, "at most 255");
  expect_error(
      [&] {
        sw.prepare({CreateVlan{12, "bad\nname"}});
      },
      Status::kInvalidParameter, "control character");
  // A batch fails as a whole: the good first change is not applied either.
  expect_error(
      [&] {
        sw.change({CreateVlan{30, "ok"}, SetPortAdmin{"Ethernet99", false}});
      },
      Status::kNotFound, "no port named 'Ethernet99' on sim:4");
  EXPECT_EQ(sw.settings(), before);
}

TEST(SimSwitch, AccessModeNeedsAnExistingVlan) {
  SimSwitch sw(4);
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"Ethernet1", PortVlans::access(10)}});
      },
      Status::kNotFound, "port Ethernet1: VLAN 10 does not exist on the switch");
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"Ethernet1", PortVlans::access(5000)}});
      },
      Status::kInvalidParameter, "port Ethernet1: access VLAN 5000 is out of range");
  // Creating the VLAN in the same batch makes it valid.
  sw.change({CreateVlan{10, "users"}, SetPortVlans{"Ethernet1", PortVlans::access(10)}});
  PortStatus p = sw.port("Ethernet1");
  EXPECT_EQ(p.vlans.mode, PortMode::kAccess);
  EXPECT_EQ(p.vlans.access_vlan, 10);
  EXPECT_EQ(p.vlans.to_membership(), (std::vector<VlanMembership>{{10, true, true}}));
  EXPECT_EQ(sw.port("Ethernet2").vlans, PortVlans::access(1));
}

TEST(SimSwitch, TrunkModeIsNormalizedAndChecked) {
  SimSwitch sw(4);
  sw.change({CreateVlan{10, ""}, CreateVlan{20, ""}, CreateVlan{30, ""}});
  sw.change({SetPortVlans{"Ethernet3", PortVlans::trunk({30, 10, 30, 20}, 1)}});
  PortVlans v = sw.port("Ethernet3").vlans;
  EXPECT_EQ(v.mode, PortMode::kTrunk);
  EXPECT_EQ(v.trunk_vlans, (std::vector<VlanId>{10, 20, 30}));
  EXPECT_EQ(v.native_vlan, std::optional<VlanId>(1));
  EXPECT_EQ(v.to_membership(),
            (std::vector<VlanMembership>{
                {1, true, true}, {10, false, false}, {20, false, false}, {30, false, false}}));
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"Ethernet3", PortVlans::trunk({}, 1)}});
      },
      Status::kInvalidParameter, "trunk mode needs at least one tagged VLAN");
  // A native VLAN listed among the trunked ones is carried untagged only.
  sw.change({SetPortVlans{"Ethernet3", PortVlans::trunk({10, 20}, 20)}});
  EXPECT_EQ(sw.port("Ethernet3").vlans, PortVlans::trunk({10}, 20));
  EXPECT_TRUE(sw.prepare({SetPortVlans{"Ethernet3", PortVlans::trunk({20, 10}, 20)}}).empty())
      << "the same configuration spelled differently changes nothing";
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"Ethernet3", PortVlans::trunk({20}, 20)}});
      },
      Status::kInvalidParameter, "at least one tagged VLAN besides the native one");
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"Ethernet3", PortVlans::trunk({10, 40})}});
      },
      Status::kNotFound, "VLAN 40 does not exist");
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"Ethernet3", PortVlans::trunk({10, 0})}});
      },
      Status::kInvalidParameter, "trunked VLAN 0 is out of range");
  // Fields of the other mode are ignored: access mode drops a stale trunk list.
  PortVlans stale = PortVlans::access(20);
  stale.trunk_vlans = {10, 30};
  sw.change({SetPortVlans{"Ethernet3", stale}});
  EXPECT_EQ(sw.port("Ethernet3").vlans, PortVlans::access(20));
}

TEST(SimSwitch, VlanInUseCannotBeRemoved) {
  SimSwitch sw(4);
  sw.change({CreateVlan{10, ""}, CreateVlan{20, ""}});
  sw.change({SetPortVlans{"Ethernet4", PortVlans::trunk({10}, 20)}});
  expect_error([&] { sw.prepare({RemoveVlan{20}}); }, Status::kInvalidParameter,
               "VLAN 20 is in use by port Ethernet4 (trunk mode)");
  expect_error([&] { sw.prepare({RemoveVlan{1}}); }, Status::kInvalidParameter,
               "VLAN 1 is in use by port Ethernet1 (access mode)");
  // Moving the port off in the same batch allows it.
  sw.change({SetPortVlans{"Ethernet4", PortVlans::access(10)}, RemoveVlan{20}});
  EXPECT_EQ(sw.vlans().size(), 2u);
}

TEST(SimSwitch, ReplayOfSettingsIsIdempotentAndRestores) {
  SimSwitch sw(6);
  sw.change({CreateVlan{10, "users"}, CreateVlan{99, "mgmt"},
             SetPortVlans{"Ethernet2", PortVlans::access(10)},
             SetPortVlans{"Ethernet6", PortVlans::trunk({10, 99}, 1)},
             SetPortAdmin{"Ethernet5", false}});
  const SwitchSettings saved = sw.settings();
  EXPECT_TRUE(sw.prepare(saved).empty()) << "replaying the current state changes nothing";

  // A fresh switch (a restart) gets the saved configuration back.
  SimSwitch fresh(6);
  ApplyResult r = fresh.apply(fresh.prepare(saved));
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(fresh.settings(), saved);

  // VLANs absent from the desired settings are removed.
  SwitchSettings fewer = saved;
  fewer.vlans.erase(fewer.vlans.begin() + 2);  // 99
  fewer.ports[5].vlans = PortVlans::trunk({10}, 1);
  fresh.apply(fresh.prepare(fewer));
  EXPECT_EQ(fresh.vlans().size(), 2u);

  SwitchSettings unknown = saved;
  unknown.ports.push_back({"Ethernet7", true, PortVlans::access(1), {}});
  expect_error([&] { fresh.prepare(unknown); }, Status::kNotFound, "Ethernet7");
  SwitchSettings twice = saved;
  twice.vlans.push_back({10, "dup"});
  expect_error([&] { fresh.prepare(twice); }, Status::kInvalidParameter, "VLAN 10 is listed twice");
}

TEST(SimSwitch, ApplyRevalidatesAStalePrepare) {
  SimSwitch sw(4);
  sw.change({CreateVlan{10, ""}});
  Prepared use10 = sw.prepare({SetPortVlans{"Ethernet1", PortVlans::access(10)}});
  sw.change({RemoveVlan{10}});  // another transaction slipped in
  ApplyResult r = sw.apply(std::move(use10));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("VLAN 10 does not exist"), std::string::npos) << r.message;
  EXPECT_EQ(sw.port("Ethernet1").vlans, PortVlans::access(1));

  SimSwitch other(4);
  ApplyResult foreign = sw.apply(other.prepare({SetPortAdmin{"Ethernet1", false}}));
  EXPECT_FALSE(foreign.ok);
  EXPECT_NE(foreign.message.find("another switch driver"), std::string::npos);
  EXPECT_TRUE(sw.port("Ethernet1").admin_up);
}

TEST(SimSwitch, ConcurrentReadersAndWritersStayConsistent) {
  SimSwitch sw(8);
  sw.change({CreateVlan{10, ""}, CreateVlan{20, ""}});
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      sw.change({SetPortVlans{"Ethernet1", PortVlans::access(i % 2 ? 10 : 20)},
                 SetPortAdmin{"Ethernet2", i % 2 == 0}});
    }
  });
  for (int i = 0; i < 200; ++i) {
    VlanId v = sw.port("Ethernet1").vlans.access_vlan;
    EXPECT_TRUE(v == 1 || v == 10 || v == 20);
  }
  writer.join();
  EXPECT_EQ(sw.port("Ethernet1").vlans.access_vlan, 10);
}

// A driver whose writes go through one item at a time and can be told to
// fail part-way, like a kernel that refuses the third request of a batch.
class FailingSwitch final : public SwitchDriver {
 public:
  std::string spec() const override { return "failing"; }
  int fail_after = -1;         // writes succeed for this many items, then throw
  bool fail_rollback = false;  // the restoring write throws too
  int writes = 0;
  std::vector<Vlan> vlan_state{{1, "default"}};
  std::vector<PortStatus> port_state = [] {
    std::vector<PortStatus> ports(3);
    for (int i = 0; i < 3; ++i) {
      ports[i].name = "P" + std::to_string(i + 1);
      ports[i].number = static_cast<std::uint16_t>(i + 1);
      ports[i].admin_up = true;
      ports[i].vlans = PortVlans::access(1);
    }
    return ports;
  }();

 protected:
  std::vector<PortStatus> read_ports() override { return port_state; }
  std::vector<Vlan> read_vlans() override { return vlan_state; }
  void write(const VlanEdits& vlan_edits, const PortEdits& port_edits) override {
    const bool rollback = writes++ > 0;
    if (rollback && fail_rollback) throw std::runtime_error("the restore was refused too");
    int done = 0;
    auto step = [&] {
      if (!rollback && done++ == fail_after) throw std::runtime_error("refused by the switch");
    };
    for (const auto& [id, name] : vlan_edits) {
      step();
      std::erase_if(vlan_state, [id = id](const Vlan& v) { return v.id == id; });
      if (name) vlan_state.push_back({id, *name});
      std::sort(vlan_state.begin(), vlan_state.end(),
                [](const Vlan& a, const Vlan& b) { return a.id < b.id; });
    }
    for (const auto& [name, settings] : port_edits) {
      step();
      for (PortStatus& p : port_state) {
        if (p.name == name) {
          p.admin_up = settings.admin_up;
          p.vlans = settings.vlans;
        }
      }
    }
  }
};

TEST(PortAddresses, TextIsCheckedAndCanonical) {
  PortAddress a = make_port_address("10.0.0.1", 24);
  EXPECT_EQ(a.family, IpFamily::kIPv4);
  EXPECT_EQ(a.address, "10.0.0.1");
  EXPECT_EQ(a.prefix_length, 24);
  EXPECT_EQ(port_address_text(a), "10.0.0.1/24");
  PortAddress b = make_port_address("2001:DB8:0:0::1", 64);
  EXPECT_EQ(b.family, IpFamily::kIPv6);
  EXPECT_EQ(b.address, "2001:db8::1");
  EXPECT_EQ(canonical_address({IpFamily::kIPv6, "2001:0DB8::0001", 0}), "2001:db8::1");
  EXPECT_EQ(make_port_address("10.0.0.0", 31).prefix_length, 31);  // RFC 3021 point-to-point
  EXPECT_EQ(make_port_address("192.0.2.7", 32).prefix_length, 32);
  auto bad = [](const char* text, unsigned prefix, const char* why) {
    expect_error([&] { make_port_address(text, prefix); }, Status::kInvalidParameter, why);
  };
  bad("10.0.0.256", 24, "is not an IPv4 address");
  bad("10.1", 8, "is not an IPv4 address");
  bad("", 8, "is not an IPv4 address");
  bad("2001:db8::1%eth0", 64, "is not an IPv6 address");
  bad("10.0.0.1", 0, "out of range 1..32");
  bad("10.0.0.1", 33, "out of range 1..32");
  bad("2001:db8::1", 129, "out of range 1..128");
  bad("10.0.0.0", 24, "network address");
  bad("10.0.0.255", 24, "broadcast address");
  bad("127.0.0.1", 8, "loopback");
  bad("224.0.0.5", 24, "multicast");
  bad("255.255.255.255", 32, "broadcast");
  bad("0.1.2.3", 8, "0.0.0.0/8");
  bad("::", 64, "unspecified");
  bad("::1", 128, "loopback");
  bad("ff02::1", 64, "multicast");
  bad("::ffff:10.0.0.1", 96, "IPv4-mapped");

  EXPECT_EQ(ipv4_mask_prefix("255.255.255.0"), 24u);
  EXPECT_EQ(ipv4_mask_prefix("255.255.255.255"), 32u);
  EXPECT_EQ(ipv4_mask_prefix("0.0.0.0"), 0u);
  EXPECT_EQ(ipv4_mask_prefix("255.0.255.0"), std::nullopt);
  EXPECT_EQ(ipv4_mask_prefix("255.255.255"), std::nullopt);
  EXPECT_EQ(ipv4_mask_prefix("/24"), std::nullopt);
  EXPECT_EQ(ipv4_prefix_mask(20), "255.255.240.0");
  EXPECT_EQ(ipv4_prefix_mask(32), "255.255.255.255");

  EXPECT_TRUE(subnets_overlap(a, make_port_address("10.0.200.1", 16)));
  EXPECT_FALSE(subnets_overlap(a, make_port_address("10.0.1.1", 24)));
  EXPECT_FALSE(subnets_overlap(a, b));
  EXPECT_TRUE(is_link_local(make_port_address("fe80::1", 64)));
  EXPECT_FALSE(is_link_local(b));
}

TEST(SimSwitch, RoutedPortLeavesItsVlansAndKeepsItsAddresses) {
  SimSwitch sw(4);
  sw.change({CreateVlan{10, ""}, SetPortVlans{"Ethernet2", PortVlans::access(10)}});
  sw.change({AddPortAddress{"Ethernet2", make_port_address("10.1.0.1", 24)},
             AddPortAddress{"Ethernet2", make_port_address("2001:db8:1::1", 64)}});
  PortStatus p = sw.port("Ethernet2");
  ASSERT_EQ(p.addresses.size(), 2u);
  EXPECT_EQ(port_address_text(p.addresses[0]), "10.1.0.1/24");
  EXPECT_EQ(port_address_text(p.addresses[1]), "2001:db8:1::1/64");
  EXPECT_EQ(p.vlans, PortVlans::none());
  EXPECT_TRUE(p.vlans.to_membership().empty());
  // VLAN 10 has no user left, so it may go while the port is routed.
  EXPECT_FALSE(sw.prepare({RemoveVlan{10}}).empty());
  // The whole settings carry the addresses: replay is a no-op.
  SwitchSettings saved = sw.settings();
  EXPECT_EQ(saved.ports[1].addresses, p.addresses);
  EXPECT_TRUE(sw.prepare(saved).empty());

  // Removing by address (any spelling, prefix not compared).
  sw.change({RemovePortAddress{"Ethernet2", {IpFamily::kIPv6, "2001:DB8:1:0::1", 0}}});
  EXPECT_EQ(sw.port("Ethernet2").addresses.size(), 1u);
  // The last address goes together with the VLANs coming back.
  sw.change({RemovePortAddress{"Ethernet2", {IpFamily::kIPv4, "10.1.0.1", 0}},
             SetPortVlans{"Ethernet2", PortVlans::access(10)}});
  p = sw.port("Ethernet2");
  EXPECT_TRUE(p.addresses.empty());
  EXPECT_EQ(p.vlans, PortVlans::access(10));

  // Replaying the routed settings puts the addresses back.
  EXPECT_TRUE(sw.apply(sw.prepare(saved)).ok);
  EXPECT_EQ(sw.port("Ethernet2").addresses.size(), 2u);
}

TEST(SimSwitch, AddressErrorsAreClearAndChangeNothing) {
  SimSwitch sw(4);
  sw.change({AddPortAddress{"Ethernet1", make_port_address("10.0.0.1", 24)}});
  const SwitchSettings before = sw.settings();
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet2", make_port_address("10.0.0.1", 24)}});
      },
      Status::kAlreadyExists, "10.0.0.1 is already in use on port Ethernet1");
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet1", make_port_address("10.0.0.1", 16)}});
      },
      Status::kAlreadyExists, "port Ethernet1 already has address 10.0.0.1/24");
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet2", make_port_address("10.0.9.1", 16)}});
      },
      Status::kInvalidParameter, "overlaps 10.0.0.1/24 on port Ethernet1");
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet1", make_port_address("10.0.0.2", 30)}});
      },
      Status::kInvalidParameter, "overlaps");
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet9", make_port_address("10.9.0.1", 24)}});
      },
      Status::kNotFound, "no port named 'Ethernet9'");
  expect_error(
      [&] {
        sw.prepare({RemovePortAddress{"Ethernet1", {IpFamily::kIPv4, "10.0.0.2", 0}}});
      },
      Status::kNotFound, "port Ethernet1 has no address 10.0.0.2");
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"Ethernet1", PortVlans::access(1)}});
      },
      Status::kInvalidParameter,
      "port Ethernet1 is a routed port (IP address 10.0.0.1/24) and cannot also be a "
      "VLAN member (access mode)");
  SwitchSettings routed_with_vlans = before;
  routed_with_vlans.ports[0].vlans = PortVlans::access(1);
  expect_error([&] { sw.prepare(routed_with_vlans); }, Status::kInvalidParameter,
               "is a routed port");
  SwitchSettings not_canonical = before;
  not_canonical.ports[1].addresses = {{IpFamily::kIPv4, "2001:db8::1", 64}};
  not_canonical.ports[1].vlans = PortVlans::none();
  expect_error([&] { sw.prepare(not_canonical); }, Status::kInvalidParameter,
               "not an address of the family given");
  std::vector<Change> many;
  for (int i = 0; i <= static_cast<int>(kMaxAddressesPerPort); ++i)
    many.push_back(
        AddPortAddress{"Ethernet3", make_port_address("10.3." + std::to_string(i) + ".1", 24)});
  expect_error([&] { sw.prepare(many); }, Status::kInvalidParameter, "at most 32");
  EXPECT_EQ(sw.settings(), before);

  // Link-local IPv6 addresses repeat on different ports (each has its own link).
  sw.change({AddPortAddress{"Ethernet2", make_port_address("fe80::1", 64)},
             AddPortAddress{"Ethernet3", make_port_address("fe80::1", 64)}});
  EXPECT_EQ(sw.port("Ethernet3").addresses.size(), 1u);
}

TEST(SimSwitch, NestedAndManyRoutedPortsAreCheckedInOneBatch) {
  SimSwitch sw(SimSwitch::kMaxPorts);
  std::vector<Change> batch;
  for (int i = 1; i <= SimSwitch::kMaxPorts; ++i) {
    std::string text = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1";
    batch.push_back(AddPortAddress{"Ethernet" + std::to_string(i), make_port_address(text, 24)});
  }
  sw.change(batch);
  EXPECT_EQ(sw.port("Ethernet1024").addresses.size(), 1u);
  EXPECT_TRUE(sw.prepare(sw.settings()).empty());
  // A subnet that encloses others further along the sorted order.
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet7", make_port_address("10.3.128.2", 17)}});
      },
      Status::kInvalidParameter,
      "port Ethernet7: subnet of 10.3.128.2/17 overlaps 10.3.128.1/24 on port Ethernet896");
  // One inside an existing subnet, one around an existing subnet.
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet9", make_port_address("10.0.5.129", 25)}});
      },
      Status::kInvalidParameter, "overlaps 10.0.5.1/24 on port Ethernet5");
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet9", make_port_address("10.0.0.1", 8)}});
      },
      Status::kInvalidParameter, "port Ethernet9: subnet of 10.0.0.1/8 overlaps");
  // Disjoint neighbours are fine: 10.4.0.1/24 lies in no port's subnet.
  sw.change({AddPortAddress{"Ethernet9", make_port_address("11.0.0.1", 8)},
             AddPortAddress{"Ethernet10", make_port_address("2001:db8:a::1", 48)},
             AddPortAddress{"Ethernet11", make_port_address("2001:db8:b::1", 48)}});
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"Ethernet12", make_port_address("2001:db8::1", 32)}});
      },
      Status::kInvalidParameter, "overlaps 2001:db8:a::1/48 on port Ethernet10");
}

TEST(SwitchDriverApply, AFailureHalfwayRestoresEveryTouchedItem) {
  FailingSwitch sw;
  const SwitchSettings before = sw.settings();
  sw.fail_after = 2;  // VLANs 10 and 20 go in, then port P1 is refused
  ApplyResult r =
      sw.apply(sw.prepare({CreateVlan{10, ""}, CreateVlan{20, ""},
                           SetPortVlans{"P1", PortVlans::access(10)}, SetPortAdmin{"P2", false}}));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("apply failed on failing: refused by the switch"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("every touched item was restored"), std::string::npos) << r.message;
  EXPECT_EQ(sw.settings(), before);
  EXPECT_EQ(sw.writes, 2);
}

TEST(SwitchDriverApply, AFailedRestoreIsReported) {
  FailingSwitch sw;
  sw.fail_after = 1;
  sw.fail_rollback = true;
  ApplyResult r = sw.apply(sw.prepare({CreateVlan{10, ""}, CreateVlan{20, ""}}));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("restoring the previous state failed too: the restore was refused too"),
            std::string::npos)
      << r.message;
}

TEST(SwitchDriverApply, NothingToDoWritesNothing) {
  FailingSwitch sw;
  sw.fail_after = 0;
  ApplyResult r = sw.apply(sw.prepare({SetPortAdmin{"P1", true}, RenameVlan{1, "default"}}));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(sw.writes, 0);
}

TEST(SwitchDriverApply, ADriverWithoutRoutedPortsRefusesAddresses) {
  FailingSwitch sw;
  const SwitchSettings before = sw.settings();
  expect_error(
      [&] {
        sw.prepare({AddPortAddress{"P1", make_port_address("10.0.0.1", 24)}});
      },
      Status::kNotSupported, "the failing switch driver has no routed (layer 3) ports");
  EXPECT_TRUE(sw.prepare(before).empty());  // replay without addresses is fine
  EXPECT_EQ(sw.writes, 0);
}

TEST(PortVlans, FromMembershipRecognizesShapes) {
  EXPECT_EQ(PortVlans::from_membership({{7, true, true}}), PortVlans::access(7));
  EXPECT_EQ(PortVlans::from_membership({{30, false, false}, {5, true, true}, {10, false, false}}),
            PortVlans::trunk({10, 30}, 5));
  EXPECT_EQ(PortVlans::from_membership({{10, false, false}}), PortVlans::trunk({10}));
  PortVlans odd = PortVlans::from_membership({{10, false, true}, {20, true, false}});
  EXPECT_EQ(odd.mode, PortMode::kOther);
  EXPECT_EQ(odd.membership.size(), 2u);
  EXPECT_EQ(PortVlans::from_membership({}).mode, PortMode::kOther);
  EXPECT_EQ(port_mode_name(PortMode::kTrunk), "trunk");
}

TEST(SwitchFactory, BuildsSimFromTheSwitchOption) {
  EXPECT_EQ(make_switch_driver("sim")->spec(), "sim:24");
  EXPECT_EQ(make_switch_driver("sim:48")->ports().size(), 48u);
  EXPECT_EQ(make_switch_driver("sim:1")->spec(), "sim:1");
}

TEST(SwitchFactory, RejectsAnythingElseClearly) {
  for (const char* bad : {"sim:", "sim:0", "sim:1025", "sim:-3", "sim:4x", "sim:999999999"}) {
    expect_error([&] { make_switch_driver(bad); }, Status::kInvalidParameter,
                 "port count must be a number from 1 to 1024");
  }
  for (const char* bad : {"", "simulator", "ovs:br0", "SIM:4", "linux-bridge"}) {
    expect_error([&] { make_switch_driver(bad); }, Status::kInvalidParameter,
                 "unknown switch driver; expected sim, sim:N");
  }
  for (const char* bad : {"linux-bridge:", "linux-bridge:a/b", "linux-bridge:br 0",
                          "linux-bridge:averyveryverylongname", "linux-bridge:br:1"}) {
    expect_error([&] { make_switch_driver(bad); }, Status::kInvalidParameter,
                 "is not a valid Linux interface name");
  }
}

TEST(SwitchFactory, MissingBridgeIsNotFound) {
  // No interface of this name exists in any namespace we run in.
  expect_error([] { make_switch_driver("linux-bridge:cimnet-nobr0"); }, Status::kNotFound,
               "there is no interface named cimnet-nobr0");
}

}  // namespace
}  // namespace cimnet::switching

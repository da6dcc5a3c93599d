// SwitchState over the sim driver and a real configuration store in a
// temporary directory: edits reach the driver only through committed
// transactions, refusals change nothing, a restart replays the store.
#include "cimnet/switching/switch_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cimnet/switching/sim_switch.h"

namespace cimnet::switching {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(fs::temp_directory_path() / ("switchcim-" + tag + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::unique_ptr<config::Store> open_store(const TempDir& dir) {
  config::StoreOptions o;
  o.state_dir = dir.path() / "state";
  o.fsync = false;
  return config::Store::open(o);
}

SwitchState::VlanSettingsEdit access_edit(VlanId vlan) {
  SwitchState::VlanSettingsEdit e;
  e.access_vlan = vlan;
  return e;
}

SwitchState::VlanSettingsEdit trunk_edit(std::vector<VlanId> vlans) {
  SwitchState::VlanSettingsEdit e;
  e.trunk_vlans = std::move(vlans);
  return e;
}

cim::Status status_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const cim::Error& e) {
    if (message) *message = e.what();
    return e.status();
  }
  return cim::Status::kOk;
}

TEST(SwitchState, FirstStartSeedsTheStoreFromTheDriver) {
  TempDir dir("seed");
  auto store = open_store(dir);
  SimSwitch sim(4);
  SwitchState state(*store, sim);
  SwitchConfig c = state.config();
  ASSERT_EQ(c.vlans.size(), 1u);
  EXPECT_EQ(c.vlans[0].id, 1);
  EXPECT_EQ(c.vlans[0].name, "default");
  ASSERT_EQ(c.ports.size(), 4u);
  EXPECT_EQ(c.ports[0].name, "Ethernet1");
  ASSERT_TRUE(c.ports[0].vlans.has_value());
  EXPECT_EQ(*c.ports[0].vlans, PortVlans::access(1));
  EXPECT_EQ(store->get(yang_path::switchport("Ethernet3") + "/port-number"), "3");
}

TEST(SwitchState, EditsGoThroughTheStoreToTheDriver) {
  TempDir dir("edits");
  auto store = open_store(dir);
  SimSwitch sim(4);
  SwitchState state(*store, sim);
  state.add_vlans({{10, "blue", true, "", "tenant blue"}, {20, "", true, "", ""}});
  state.set_port_vlans("Ethernet1", access_edit(10));
  state.set_port_mode("Ethernet2", PortMode::kTrunk);
  state.set_port_vlans("Ethernet2", trunk_edit({10, 20}));
  state.set_port_enabled("Ethernet3", false);

  EXPECT_EQ(sim.port("Ethernet1").vlans, PortVlans::access(10));
  // The old access VLAN 1 became the trunk's native VLAN.
  EXPECT_EQ(sim.port("Ethernet2").vlans, PortVlans::trunk({10, 20}, 1));
  EXPECT_FALSE(sim.port("Ethernet3").admin_up);
  auto vlans = sim.vlans();
  ASSERT_EQ(vlans.size(), 3u);
  EXPECT_EQ(vlans[2].name, "VLAN0020");
  EXPECT_EQ(state.config().vlan(10)->description, "tenant blue");
  EXPECT_EQ(store->get(yang_path::switchport("Ethernet1") + "/access-vlan"), "10");

  state.set_port_mode("Ethernet2", PortMode::kAccess);  // native VLAN 1 becomes access
  EXPECT_EQ(sim.port("Ethernet2").vlans, PortVlans::access(1));
}

TEST(SwitchState, RefusalsSayWhatIsWrongAndChangeNothing) {
  TempDir dir("refuse");
  auto store = open_store(dir);
  SimSwitch sim(4);
  SwitchState state(*store, sim);
  state.add_vlans({{10, "blue", true, "", ""}});
  state.set_port_vlans("Ethernet1", access_edit(10));
  auto generation = store->generation();
  std::string msg;

  EXPECT_EQ(status_of([&] { state.set_port_vlans("Ethernet2", access_edit(99)); }, &msg),
            cim::Status::kNotFound);
  EXPECT_THAT(msg, HasSubstr("AccessVLAN 99 does not exist"));
  EXPECT_EQ(status_of([&] { state.set_port_vlans("Ethernet2", access_edit(4095)); }, &msg),
            cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("1..4094"));
  EXPECT_EQ(status_of([&] { state.set_port_vlans("Ethernet9", access_edit(10)); }, &msg),
            cim::Status::kNotFound);
  EXPECT_THAT(msg, HasSubstr("Ethernet9"));
  EXPECT_EQ(status_of([&] { state.set_port_vlans("Ethernet2", trunk_edit({10})); }, &msg),
            cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("not in trunk mode"));
  EXPECT_EQ(status_of([&] { state.remove_vlans({10}); }, &msg), cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("used by port Ethernet1"));
  EXPECT_EQ(status_of(
                [&] {
                  state.add_vlans({{20, "", true, "", ""}, {10, "", true, "", ""}});
                },
                &msg),
            cim::Status::kAlreadyExists);
  EXPECT_EQ(status_of([&] { state.set_port_mode("Ethernet3", PortMode::kTrunk); }),
            cim::Status::kOk);
  EXPECT_EQ(status_of(
                [&] {
                  state.set_port_vlans("Ethernet3", trunk_edit({1, 10}));
                },
                &msg),
            cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("native"));

  // Only the one successful mode change was committed; VLAN 20 was not created.
  EXPECT_EQ(store->generation(), generation + 1);
  EXPECT_EQ(sim.vlans().size(), 2u);
  EXPECT_EQ(sim.port("Ethernet2").vlans, PortVlans::access(1));
}

TEST(SwitchState, RestartReplaysTheStoreAndStartupRestores) {
  TempDir dir("restart");
  {
    auto store = open_store(dir);
    SimSwitch sim(4);
    SwitchState state(*store, sim);
    state.add_vlans({{10, "blue", true, "", ""}});
    state.set_port_vlans("Ethernet1", access_edit(10));
    state.save_startup();
    state.set_port_enabled("Ethernet4", false);
    state.set_port_vlans("Ethernet1", access_edit(1));
    state.remove_vlans({10});
  }
  auto store = open_store(dir);
  SimSwitch fresh(4);  // starts with VLAN 1 only, every port up
  SwitchState state(*store, fresh);
  EXPECT_EQ(state.backend().load_problem(), "");
  EXPECT_FALSE(fresh.port("Ethernet4").admin_up);
  EXPECT_EQ(fresh.vlans().size(), 1u);

  state.restore_startup();
  EXPECT_TRUE(fresh.port("Ethernet4").admin_up);
  EXPECT_EQ(fresh.port("Ethernet1").vlans, PortVlans::access(10));
  ASSERT_EQ(fresh.vlans().size(), 2u);
  EXPECT_EQ(fresh.vlans()[1].name, "blue");
}

TEST(SwitchState, RestoreWithoutStartupIsNotFound) {
  TempDir dir("nostartup");
  auto store = open_store(dir);
  SimSwitch sim(2);
  SwitchState state(*store, sim);
  std::string msg;
  EXPECT_EQ(status_of([&] { state.restore_startup(); }, &msg), cim::Status::kNotFound);
  EXPECT_THAT(msg, HasSubstr("CopyCurrentToStartup"));
}

TEST(SwitchState, VlanEnableAndRename) {
  TempDir dir("vlanedit");
  auto store = open_store(dir);
  SimSwitch sim(2);
  SwitchState state(*store, sim);
  state.add_vlans({{30, "red", true, "", ""}});
  state.set_vlans_enabled({30}, false);
  EXPECT_FALSE(state.config().vlan(30)->enabled);
  SwitchState::VlanEdit edit;
  edit.name = "crimson";
  edit.caption = "c";
  edit.enabled = true;
  state.edit_vlan(30, edit);
  EXPECT_TRUE(state.config().vlan(30)->enabled);
  EXPECT_EQ(sim.vlans()[1].name, "crimson");
  EXPECT_EQ(state.config().vlan(30)->caption, "c");
  EXPECT_EQ(status_of([&] { state.set_vlans_enabled({31}, false); }), cim::Status::kNotFound);
}

}  // namespace
}  // namespace cimnet::switching

namespace cimnet::switching {
namespace {

TEST(SwitchState, APortTheStoreHasNotSeenIsRecordedOnItsFirstEdit) {
  TempDir dir("newport");
  {
    auto store = open_store(dir);
    SimSwitch four(4);
    SwitchState state(*store, four);
  }
  auto store = open_store(dir);
  SimSwitch six(6);  // two ports more than when the store was seeded
  SwitchState state(*store, six);
  EXPECT_EQ(state.config().port("Ethernet6"), nullptr);
  state.set_port_enabled("Ethernet6", false);
  EXPECT_FALSE(six.port("Ethernet6").admin_up);
  ASSERT_NE(state.config().port("Ethernet6"), nullptr);
  EXPECT_EQ(*state.config().port("Ethernet6")->vlans, PortVlans::access(1));
  EXPECT_EQ(store->get(yang_path::switchport("Ethernet6") + "/port-number"), "6");
  EXPECT_EQ(status_of([&] { state.set_port_enabled("Ethernet7", false); }), cim::Status::kNotFound);
}

}  // namespace
}  // namespace cimnet::switching

namespace cimnet::switching {
namespace {

TEST(SwitchState, ADisabledVlanIsCarriedByNoPortUntilEnabled) {
  TempDir dir("disable");
  auto store = open_store(dir);
  SimSwitch sim(3);
  SwitchState state(*store, sim);
  state.add_vlans({{10, "blue", true, "", ""}, {20, "green", true, "", ""}});
  state.set_port_vlans("Ethernet1", access_edit(10));
  state.set_port_mode("Ethernet2", PortMode::kTrunk);
  state.set_port_vlans("Ethernet2", trunk_edit({10, 20}));

  state.set_vlans_enabled({10}, false);
  EXPECT_TRUE(sim.port("Ethernet1").vlans.to_membership().empty());
  EXPECT_EQ(sim.port("Ethernet2").vlans, PortVlans::trunk({20}, 1));
  EXPECT_EQ(sim.vlans().size(), 3u);  // still defined
  // The configuration is unchanged: enabling brings everything back.
  EXPECT_EQ(*state.config().port("Ethernet1")->vlans, PortVlans::access(10));
  state.set_vlans_enabled({10}, true);
  EXPECT_EQ(sim.port("Ethernet1").vlans, PortVlans::access(10));
  EXPECT_EQ(sim.port("Ethernet2").vlans, PortVlans::trunk({10, 20}, 1));
}

}  // namespace
}  // namespace cimnet::switching

namespace cimnet::switching {
namespace {

PortAddress v4(const char* text, unsigned prefix) {
  return make_port_address(text, prefix);
}

TEST(SwitchState, RoutedPortsGoThroughTheStoreAndSurviveARestart) {
  TempDir dir("routed");
  {
    auto store = open_store(dir);
    SimSwitch sim(4);
    SwitchState state(*store, sim);
    state.add_vlans({{10, "blue", true, "", ""}});
    state.set_port_vlans("Ethernet2", access_edit(10));
    std::vector<PortAddress> added = state.add_port_addresses(
        "Ethernet2", {v4("10.2.0.1", 24), {IpFamily::kIPv6, "2001:DB8:0::2", 64}});
    ASSERT_EQ(added.size(), 2u);
    EXPECT_EQ(added[1].address, "2001:db8::2");  // canonical
    EXPECT_EQ(store->get(yang_path::port_address("Ethernet2", added[0]) + "/prefix-length"), "24");
    EXPECT_EQ(store->get(yang_path::port("Ethernet2") +
                         "/ietf-ip:ipv6/address[ip='2001:db8::2']/prefix-length"),
              "64");
    PortStatus live = sim.port("Ethernet2");
    EXPECT_EQ(live.addresses.size(), 2u);
    EXPECT_EQ(live.vlans, PortVlans::none());
    // The switchport settings wait in the store for the port to switch again.
    const SwitchConfig config = state.config();
    const PortConfig* p = config.port("Ethernet2");
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->routed());
    EXPECT_EQ(*p->vlans, PortVlans::access(10));

    std::string msg;
    EXPECT_EQ(status_of([&] { state.set_port_vlans("Ethernet2", access_edit(1)); }, &msg),
              cim::Status::kInvalidParameter);
    EXPECT_THAT(msg, HasSubstr("port Ethernet2 is a routed port (IP address 10.2.0.1/24)"));
    EXPECT_THAT(msg, HasSubstr("RemoveProtocolEndpoint"));
    EXPECT_EQ(status_of([&] { state.set_port_mode("Ethernet2", PortMode::kTrunk); }),
              cim::Status::kInvalidParameter);
    EXPECT_EQ(status_of([&] { state.remove_vlans({10}); }, &msg), cim::Status::kInvalidParameter);
    EXPECT_THAT(msg, HasSubstr("when its IP addresses are removed"));

    state.save_startup();
    state.remove_port_address("Ethernet2", {IpFamily::kIPv6, "2001:db8::2", 0});
    EXPECT_EQ(sim.port("Ethernet2").addresses.size(), 1u);
    store->read([](const config::ConfigView& v) {
      EXPECT_FALSE(v.exists(yang_path::port("Ethernet2") + "/ietf-ip:ipv6"));
      EXPECT_TRUE(v.exists(yang_path::port("Ethernet2") + "/ietf-ip:ipv4"));
    });
  }
  // Restart on a fresh switch: the store puts the routed port back.
  auto store = open_store(dir);
  SimSwitch sim(4);
  SwitchState state(*store, sim);
  EXPECT_EQ(state.backend().load_problem(), "");
  PortStatus live = sim.port("Ethernet2");
  ASSERT_EQ(live.addresses.size(), 1u);
  EXPECT_EQ(port_address_text(live.addresses[0]), "10.2.0.1/24");
  EXPECT_EQ(live.vlans, PortVlans::none());
  // CopyStartupToCurrent brings the IPv6 address back too.
  state.restore_startup();
  EXPECT_EQ(sim.port("Ethernet2").addresses.size(), 2u);
  // Without addresses the port switches its saved VLAN again.
  state.remove_port_address("Ethernet2", v4("10.2.0.1", 24));
  state.remove_port_address("Ethernet2", {IpFamily::kIPv6, "2001:db8::2", 0});
  live = sim.port("Ethernet2");
  EXPECT_TRUE(live.addresses.empty());
  EXPECT_EQ(live.vlans, PortVlans::access(10));
  EXPECT_FALSE(state.config().port("Ethernet2")->routed());
}

TEST(SwitchState, AddressRefusalsSayWhatIsWrongAndChangeNothing) {
  TempDir dir("badaddr");
  auto store = open_store(dir);
  SimSwitch sim(4);
  SwitchState state(*store, sim);
  state.add_port_addresses("Ethernet1", {v4("192.0.2.1", 24)});
  const SwitchSettings before = sim.settings();
  const std::uint64_t generation = store->generation();
  std::string msg;
  EXPECT_EQ(status_of([&] { state.add_port_addresses("Ethernet2", {v4("192.0.2.1", 24)}); }, &msg),
            cim::Status::kAlreadyExists);
  EXPECT_THAT(msg, HasSubstr("192.0.2.1 is already in use on port Ethernet1"));
  EXPECT_EQ(
      status_of(
          [&] {
            state.add_port_addresses("Ethernet2", {v4("198.51.100.1", 24), v4("198.51.100.1", 24)});
          },
          &msg),
      cim::Status::kAlreadyExists);
  EXPECT_THAT(msg, HasSubstr("given twice"));
  // Overlap is the driver's refusal, carried out with its CIM status.
  EXPECT_EQ(status_of([&] { state.add_port_addresses("Ethernet2", {v4("192.0.9.1", 16)}); }, &msg),
            cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("overlaps 192.0.2.1/24 on port Ethernet1"));
  EXPECT_EQ(status_of(
                [&] {
                  state.add_port_addresses("Ethernet2", {{IpFamily::kIPv4, "192.0.2.300", 24}});
                },
                &msg),
            cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("is not an IPv4 address"));
  EXPECT_EQ(
      status_of([&] { state.add_port_addresses("Ethernet9", {v4("198.51.100.1", 24)}); }, &msg),
      cim::Status::kNotFound);
  EXPECT_EQ(status_of([&] { state.add_port_addresses("Ethernet2", {}); }),
            cim::Status::kInvalidParameter);
  EXPECT_EQ(status_of([&] { state.remove_port_address("Ethernet1", v4("192.0.2.2", 24)); }, &msg),
            cim::Status::kNotFound);
  EXPECT_THAT(msg, HasSubstr("has no IP address 192.0.2.2 (it has 192.0.2.1/24)"));
  EXPECT_EQ(status_of([&] { state.remove_port_address("Ethernet2", v4("192.0.2.1", 24)); }),
            cim::Status::kNotFound);
  EXPECT_EQ(status_of([&] { state.remove_port_address("Ethernet9", v4("192.0.2.1", 24)); }),
            cim::Status::kNotFound);
  EXPECT_EQ(sim.settings(), before);
  EXPECT_EQ(store->generation(), generation);

  // Whoever writes the store (config import, a script) meets the same checks:
  // the switch backend refuses a duplicate address, and YANG (deviations in
  // module cimnet) refuses the parts of ietf-ip the switch does not implement.
  auto expect_refused = [&](const std::string& path, const std::string& value,
                            const std::string& text) {
    auto tx = store->begin();
    try {
      tx.set(path, value);
      tx.commit();
      ADD_FAILURE() << "the store took " << path;
    } catch (const config::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(text)) << path;
    }
  };
  expect_refused(yang_path::port_address("Ethernet3", v4("192.0.2.1", 24)) + "/prefix-length", "24",
                 "192.0.2.1 is already in use on port Ethernet1");
  expect_refused(yang_path::port("Ethernet3") + "/ietf-ip:ipv4/mtu", "1400", "mtu");
  expect_refused(yang_path::port("Ethernet3") + "/ietf-ip:ipv6/autoconf/create-global-addresses",
                 "true", "autoconf");
  // ipv4 "enabled" false: the address rests and the port switches again.
  {
    auto tx = store->begin();
    tx.set(yang_path::port("Ethernet1") + "/ietf-ip:ipv4/enabled", "false");
    tx.commit();
  }
  EXPECT_TRUE(sim.port("Ethernet1").addresses.empty());
  EXPECT_EQ(sim.port("Ethernet1").vlans, PortVlans::access(1));
  {
    auto tx = store->begin();
    tx.set(yang_path::port("Ethernet1") + "/ietf-ip:ipv4/enabled", "true");
    tx.commit();
  }
  EXPECT_EQ(sim.settings(), before);
}

}  // namespace
}  // namespace cimnet::switching

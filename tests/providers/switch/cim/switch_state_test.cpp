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

// The linux-bridge driver against a real kernel bridge, inside a network
// namespace this test creates (and deletes): a bridge br0 with veth ports
// p1..p3 (peers p1x..p3x), and a plain bridge br1 with port p9. The driver
// runs in the test thread after setns() into the namespace; every check of
// the kernel state goes through `ip -n NS` / `ip netns exec NS bridge`, so
// nothing here can touch the host's interfaces.
//
// Kernels built without CONFIG_BRIDGE_VLAN_FILTERING refuse
// `vlan_filtering 1`; there the VLAN cases skip with that reason and the rest
// (ports, admin state, live status, errors) runs on a plain bridge.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "../../agent/cimnetd/process.h"
#include "cimnet/cim/error.h"
#include "cimnet/switching/driver.h"
#include "cimnet/switching/linux_bridge.h"

namespace cimnet::switching {
namespace {

using cim::Error;
using cim::Status;
using nlohmann::json;

using CommandResult = test_process::Result;  // status, and stdout + stderr

CommandResult run(const std::string& command) {
  return test_process::shell(command);
}

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

class LinuxBridgeNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
    ns_ = "cimnet-sw-" + std::to_string(getpid());
    CommandResult add = run("ip netns add " + ns_);
    if (add.status != 0) {
      GTEST_SKIP() << "cannot create a network namespace (ip netns add): " << add.output;
    }
    created_ = true;
    original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(original_, 0);
    ASSERT_GE(target, 0);
    if (setns(target, CLONE_NEWNET) != 0) {
      close(target);
      GTEST_SKIP() << "cannot enter the network namespace: " << std::strerror(errno);
    }
    close(target);
    entered_ = true;

    CommandResult br = ip("link add br0 type bridge vlan_filtering 1");
    if (br.status != 0) {
      vlan_filtering_ = false;
      vlan_skip_reason_ = "this kernel cannot make a VLAN-filtering bridge (" + br.output +
                          "); it lacks CONFIG_BRIDGE_VLAN_FILTERING";
      must(ip("link add br0 type bridge"));
    }
    // The rest in one `ip -batch` (one process: each one costs ~0.2 s when
    // the test runs in an emulated guest, see tests/vm/).
    std::string batch = "link add br1 type bridge\n";
    for (const char* p : {"p1", "p2", "p3", "p9"}) {
      const std::string port = p;
      batch += "link add " + port + " type veth peer name " + port + "x\n";
      batch += "link set " + port + " master " + (port == "p9" ? "br1" : "br0") + "\n";
      batch += "link set " + port + " up\n";
      batch += "link set " + port + "x up\n";
    }
    batch += "link set br0 up\nlink set br1 up\n";
    must(run("printf '%s' '" + batch + "' | ip -n " + ns_ + " -batch -"));
  }

  void TearDown() override {
    driver_.reset();  // its sockets belong to the namespace
    if (entered_ && setns(original_, CLONE_NEWNET) != 0) std::abort();  // never stay inside
    if (original_ >= 0) close(original_);
    if (created_) run("ip netns del " + ns_);
  }

  CommandResult ip(const std::string& args) { return run("ip -n " + ns_ + " " + args); }
  void must(const CommandResult& r) { ASSERT_EQ(r.status, 0) << r.output; }

  // `ip -d -j link show DEV` as JSON.
  json link(const std::string& dev) {
    CommandResult r = ip("-d -s -j link show dev " + dev);
    EXPECT_EQ(r.status, 0) << r.output;
    json j = json::parse(r.output, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : json::object();
  }
  bool has_flag(const json& l, const std::string& flag) {
    for (const auto& f : l.value("flags", json::array())) {
      if (f == flag) return true;
    }
    return false;
  }
  // `bridge vlan show dev DEV` as "vid:flags" words, e.g. "10:PU 20:"
  // (a range iproute2 prints compressed, "vlan" .. "vlanEnd", is spelled out).
  std::string bridge_vlans(const std::string& dev) {
    CommandResult r = run("ip netns exec " + ns_ + " bridge -j vlan show dev " + dev);
    EXPECT_EQ(r.status, 0) << r.output;
    json j = json::parse(r.output, nullptr, false);
    std::string out;
    if (!j.is_array()) return "unparsable: " + r.output;
    for (const auto& entry : j) {
      for (const auto& v : entry.value("vlans", json::array())) {
        std::string flags;
        for (const auto& f : v.value("flags", json::array())) {
          const std::string name = f.is_string() ? f.get<std::string>() : std::string();
          if (name == "PVID") flags += "P";
          if (name == "Egress Untagged") flags += "U";
        }
        const int first = v.value("vlan", 0);
        for (int vid = first; vid <= v.value("vlanEnd", first); ++vid) {
          if (!out.empty()) out += " ";
          out += std::to_string(vid) + ":" + flags;
        }
      }
    }
    return out;
  }

  SwitchDriver& open_br0() {
    driver_ = open_linux_bridge("br0", {.require_vlan_filtering = vlan_filtering_});
    return *driver_;
  }

  std::string ns_;
  bool created_ = false;
  bool entered_ = false;
  int original_ = -1;
  bool vlan_filtering_ = true;
  std::string vlan_skip_reason_;
  std::unique_ptr<SwitchDriver> driver_;
};

TEST_F(LinuxBridgeNetns, OpenErrorsSayWhatIsWrong) {
  expect_error([] { open_linux_bridge("nosuchbr"); }, Status::kNotFound,
               "there is no interface named nosuchbr");
  expect_error([] { open_linux_bridge("p1"); }, Status::kInvalidParameter,
               "interface p1 is not a bridge (kind veth)");
  expect_error([] { open_linux_bridge("br1"); }, Status::kNotSupported,
               "bridge br1 does not filter VLANs; enable it with: ip link set br1 type bridge "
               "vlan_filtering 1");
  expect_error([] { make_switch_driver("linux-bridge:br1"); }, Status::kNotSupported,
               "does not filter VLANs");
}

TEST_F(LinuxBridgeNetns, PortsAreTheBridgeMembersWithLiveIdentity) {
  SwitchDriver& sw = open_br0();
  EXPECT_EQ(sw.spec(), "linux-bridge:br0");
  std::vector<PortStatus> ports = sw.ports();
  ASSERT_EQ(ports.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const PortStatus& p = ports[i];
    const std::string name = "p" + std::to_string(i + 1);
    EXPECT_EQ(p.name, name);
    json l = link(name);
    EXPECT_EQ(mac_to_text(p.mac), l.value("address", "")) << name;
    EXPECT_EQ(p.mtu, l.value("mtu", 0u));
    EXPECT_EQ(p.max_mtu, l.value("max_mtu", 0u));
    // The bridge's own port number ("no": "0x1").
    std::string no = l["linkinfo"]["info_slave_data"].value("no", "");
    EXPECT_EQ(p.number, std::stoul(no, nullptr, 16)) << name;
    EXPECT_TRUE(p.admin_up);
    EXPECT_TRUE(p.oper_up);
    EXPECT_EQ(p.speed_bps, 10'000'000'000ULL) << "veth says 10000Mb/s";
    EXPECT_TRUE(p.full_duplex);
    EXPECT_EQ(p.port_type, port_type::kOther);
    EXPECT_EQ(p.port_type_description, "virtual (veth)");
    EXPECT_EQ(p.link_technology, LinkTechnology::kEthernet);
  }
  EXPECT_THROW(sw.port("p9"), Error) << "p9 is on another bridge";
  EXPECT_THROW(sw.port("br0"), Error) << "the bridge is not its own port";
}

TEST_F(LinuxBridgeNetns, CountersAreReadFromTheKernel) {
  SwitchDriver& sw = open_br0();
  // Some traffic: five 64-byte broadcast frames sent on p1's peer arrive on p1.
  must(
      run("ip netns exec " + ns_ +
          " /usr/bin/python3 -c \"import socket; s = socket.socket(socket.AF_PACKET, "
          "socket.SOCK_RAW); s.bind(('p1x', 0)); "
          "[s.send(b'\\xff' * 6 + b'\\x02' * 6 + b'\\x88\\xb5' + b'x' * 50) for _ in range(5)]\""));
  auto rx_bytes = [&] { return link("p1")["stats64"]["rx"].value("bytes", 0ULL); };
  std::uint64_t before = rx_bytes();
  PortCounters c = sw.port("p1").counters;
  std::uint64_t after = rx_bytes();
  EXPECT_GE(before, 5u * 64u);
  EXPECT_GE(c.rx_bytes, before);
  EXPECT_LE(c.rx_bytes, after);
  EXPECT_GT(c.rx_packets, 0u);
}

TEST_F(LinuxBridgeNetns, AdminDownAndUpReachTheKernel) {
  SwitchDriver& sw = open_br0();
  Prepared down = sw.prepare({SetPortAdmin{"p1", false}});
  EXPECT_TRUE(has_flag(link("p1"), "UP")) << "prepare changes nothing";
  ApplyResult r = sw.apply(std::move(down));
  ASSERT_TRUE(r.ok) << r.message;
  json l = link("p1");
  EXPECT_FALSE(has_flag(l, "UP"));
  EXPECT_EQ(l.value("operstate", ""), "DOWN");
  PortStatus p = sw.port("p1");
  EXPECT_FALSE(p.admin_up);
  EXPECT_FALSE(p.oper_up);
  EXPECT_EQ(p.speed_bps, 0u);
  EXPECT_TRUE(has_flag(link("p2"), "UP")) << "only p1 changed";

  sw.change({SetPortAdmin{"p1", true}});
  EXPECT_TRUE(has_flag(link("p1"), "UP"));
  EXPECT_TRUE(sw.port("p1").admin_up);
  EXPECT_TRUE(sw.port("p1").oper_up);
}

TEST_F(LinuxBridgeNetns, ChangesMadeOutsideShowOnTheNextRead) {
  SwitchDriver& sw = open_br0();
  ASSERT_TRUE(sw.port("p2").admin_up);
  must(ip("link set p2 down"));
  EXPECT_FALSE(sw.port("p2").admin_up);
  EXPECT_FALSE(sw.port("p2").oper_up);
  // The cable side: the peer goes down, p2 stays enabled but loses carrier.
  must(ip("link set p2 up"));
  must(ip("link set p3x down"));
  PortStatus p3 = sw.port("p3");
  EXPECT_TRUE(p3.admin_up);
  EXPECT_FALSE(p3.oper_up);
  EXPECT_TRUE(sw.port("p2").admin_up);
  // A port leaving and joining the bridge.
  must(ip("link set p3 nomaster"));
  EXPECT_EQ(sw.ports().size(), 2u);
  expect_error(
      [&] {
        sw.prepare({SetPortAdmin{"p3", false}});
      },
      Status::kNotFound, "no port named 'p3'");
  must(ip("link set p9 nomaster"));
  must(ip("link set p9 master br0"));
  EXPECT_NO_THROW(sw.port("p9"));
}

TEST_F(LinuxBridgeNetns, ApplyFailsCleanlyWhenAPortVanishes) {
  SwitchDriver& sw = open_br0();
  Prepared p = sw.prepare({SetPortAdmin{"p1", false}, SetPortAdmin{"p2", false}});
  must(ip("link del p2"));
  ApplyResult r = sw.apply(std::move(p));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("p2"), std::string::npos) << r.message;
  EXPECT_TRUE(has_flag(link("p1"), "UP")) << "nothing applied: " << r.message;
}

TEST_F(LinuxBridgeNetns, PlainBridgeRefusesVlanChanges) {
  auto sw = open_linux_bridge("br1", {.require_vlan_filtering = false});
  ASSERT_EQ(sw->ports().size(), 1u);
  EXPECT_EQ(sw->ports()[0].vlans.mode, PortMode::kOther);
  EXPECT_TRUE(sw->vlans().empty());
  expect_error(
      [&] {
        sw->prepare({CreateVlan{10, ""}});
      },
      Status::kNotSupported, "cannot change VLANs: bridge br1 does not filter VLANs");
  // Admin state still works there.
  sw->change({SetPortAdmin{"p9", false}});
  EXPECT_FALSE(has_flag(link("p9"), "UP"));
}

TEST_F(LinuxBridgeNetns, VlansAccessAndTrunkModes) {
  if (!vlan_filtering_) GTEST_SKIP() << vlan_skip_reason_;
  driver_ = make_switch_driver("linux-bridge:br0");  // the --switch form
  SwitchDriver& sw = *driver_;
  // A new port of a VLAN-filtering bridge is untagged in the default PVID 1.
  EXPECT_EQ(bridge_vlans("p1"), "1:PU");
  EXPECT_EQ(sw.port("p1").vlans, PortVlans::access(1));
  ASSERT_EQ(sw.vlans().size(), 1u);
  EXPECT_EQ(sw.vlans()[0], (Vlan{1, "default"}));

  // VLAN create on the bridge itself.
  sw.change({CreateVlan{10, "users"}, CreateVlan{20, ""}, CreateVlan{30, "voice"}});
  EXPECT_EQ(bridge_vlans("br0"), "1:PU 10: 20: 30:");
  std::vector<Vlan> v = sw.vlans();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[1], (Vlan{10, "users"}));
  EXPECT_EQ(v[2], (Vlan{20, "VLAN0020"}));

  // Access: VLAN 10 is the PVID, untagged, and the only VLAN.
  sw.change({SetPortVlans{"p1", PortVlans::access(10)}});
  EXPECT_EQ(bridge_vlans("p1"), "10:PU");
  EXPECT_EQ(sw.port("p1").vlans, PortVlans::access(10));

  // Trunk: 20 and 30 tagged, native 10 untagged + PVID.
  sw.change({SetPortVlans{"p2", PortVlans::trunk({30, 20}, 10)}});
  EXPECT_EQ(bridge_vlans("p2"), "10:PU 20: 30:");
  EXPECT_EQ(sw.port("p2").vlans, PortVlans::trunk({20, 30}, 10));
  // Trunk without a native VLAN: nothing untagged, no PVID.
  sw.change({SetPortVlans{"p3", PortVlans::trunk({20})}});
  EXPECT_EQ(bridge_vlans("p3"), "20:");
  // Back from trunk to access.
  sw.change({SetPortVlans{"p2", PortVlans::access(30)}});
  EXPECT_EQ(bridge_vlans("p2"), "30:PU");

  // A long trunk list (the kernel and iproute2 compress it into a range): 100..163.
  std::vector<Change> create;
  std::vector<VlanId> range;
  std::string expected = "20:PU";
  for (VlanId id = 100; id < 164; ++id) {
    create.push_back(CreateVlan{id, ""});
    range.push_back(id);
    expected += " " + std::to_string(id) + ":";
  }
  create.push_back(SetPortVlans{"p3", PortVlans::trunk(range, 20)});
  sw.change(create);
  EXPECT_EQ(bridge_vlans("p3"), expected);
  EXPECT_EQ(sw.port("p3").vlans, PortVlans::trunk(range, 20));
  EXPECT_EQ(sw.vlans().size(), 4u + 64u);
  std::vector<Change> undo = {SetPortVlans{"p3", PortVlans::trunk({20})}};
  for (VlanId id : range) undo.push_back(RemoveVlan{id});
  sw.change(undo);
  EXPECT_EQ(bridge_vlans("p3"), "20:");
  EXPECT_EQ(bridge_vlans("br0"), "1:PU 10: 20: 30:");

  // Removal: refused while used, done once the ports moved off.
  expect_error([&] { sw.prepare({RemoveVlan{30}}); }, Status::kInvalidParameter,
               "VLAN 30 is in use by port p2");
  EXPECT_EQ(bridge_vlans("br0"), "1:PU 10: 20: 30:");
  sw.change({SetPortVlans{"p2", PortVlans::access(10)}, RemoveVlan{30}});
  EXPECT_EQ(bridge_vlans("br0"), "1:PU 10: 20:");
  EXPECT_EQ(bridge_vlans("p2"), "10:PU");

  // Bad input changes nothing.
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"p1", PortVlans::access(4095)}});
      },
      Status::kInvalidParameter, "out of range");
  expect_error(
      [&] {
        sw.prepare({SetPortVlans{"p1", PortVlans::access(40)}});
      },
      Status::kNotFound, "VLAN 40 does not exist");
  EXPECT_EQ(bridge_vlans("p1"), "10:PU");

  // Outside change: an extra tagged VLAN on p1 makes it a trunk with native 10.
  must(run("ip netns exec " + ns_ + " bridge vlan add dev p1 vid 20"));
  EXPECT_EQ(sw.port("p1").vlans, PortVlans::trunk({20}, 10));

  // Replaying the current settings is a no-op; replaying an older one restores it.
  SwitchSettings now = sw.settings();
  EXPECT_TRUE(sw.prepare(now).empty());
  sw.change({SetPortVlans{"p1", PortVlans::access(20)}, RenameVlan{20, "storage"}});
  ApplyResult r = sw.apply(sw.prepare(now));
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(bridge_vlans("p1"), "10:PU 20:");
  EXPECT_EQ(sw.vlans()[2].name, "VLAN0020");
}

// "Trunk allowed VLAN all", as switches are often set up: 4094 VLANs on the
// bridge and a port carrying them all. Uncompressed, one port's VLAN list is
// 4094 x 8 bytes, more than the kernel puts into one dump message; the
// driver must still read it, and move the port off it and back.
TEST_F(LinuxBridgeNetns, TrunkOfEveryVlan) {
  if (!vlan_filtering_) GTEST_SKIP() << vlan_skip_reason_;
  must(run("ip netns exec " + ns_ + " bridge vlan add vid 2-4094 dev br0 self"));
  must(run("ip netns exec " + ns_ + " bridge vlan add vid 2-4094 dev p1"));
  SwitchDriver& sw = open_br0();
  std::vector<VlanId> all;
  for (VlanId id = 2; id <= 4094; ++id) all.push_back(id);
  EXPECT_EQ(sw.vlans().size(), 4094u);
  EXPECT_EQ(sw.port("p1").vlans, PortVlans::trunk(all, 1));
  EXPECT_EQ(sw.port("p2").vlans, PortVlans::access(1));

  sw.change({SetPortVlans{"p1", PortVlans::access(4094)}});
  EXPECT_EQ(bridge_vlans("p1"), "4094:PU");
  sw.change({SetPortVlans{"p2", PortVlans::trunk(all, 1)}});
  EXPECT_EQ(sw.port("p2").vlans, PortVlans::trunk(all, 1));
  std::string p2 = bridge_vlans("p2");
  EXPECT_EQ(p2.substr(0, 12), "1:PU 2: 3: 4") << p2.substr(0, 80);
  EXPECT_EQ(p2.substr(p2.size() - 11), "4093: 4094:") << p2.substr(p2.size() - 80);
}

}  // namespace
}  // namespace cimnet::switching

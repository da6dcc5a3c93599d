// The rtnetlink requests the linux-bridge driver sends, byte for byte, against
// what iproute2 6.1 sends for the same commands (captured with
// `strace -e sendmsg -xx bridge vlan ...` / `ip link set ...`). The one
// intended difference: libmnl marks nested attributes with NLA_F_NESTED
// (0x8000 in the IFLA_AF_SPEC type), which iproute2 leaves out; the kernel
// masks it. Sequence numbers are zero until the socket stamps them.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "netlink.h"

namespace cimnet::switching::netlink {
namespace {

using Bytes = std::vector<std::uint8_t>;

// `bridge vlan add dev <ifindex 7> vid 10 pvid untagged`
TEST(NetlinkMessages, PortVlanAddPvidUntagged) {
  Bytes expected = {
      0x2c, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00,  // len 44, RTM_SETLINK, REQUEST|ACK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq, pid
      0x07, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,  // AF_BRIDGE, type 0, ifindex 7
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // flags, change
      0x0c, 0x00, 0x1a, 0x80,                          // IFLA_AF_SPEC (nested), len 12
      0x08, 0x00, 0x02, 0x00, 0x06, 0x00, 0x0a, 0x00,  // VLAN_INFO {PVID|UNTAGGED, vid 10}
  };
  EXPECT_EQ(bridge_vlan(true, 7, {10, true, true}, false).bytes(), expected);
}

// `bridge vlan add dev <ifindex 7> vid 20` (tagged)
TEST(NetlinkMessages, PortVlanAddTagged) {
  Bytes m = bridge_vlan(true, 7, {20, false, false}, false).bytes();
  ASSERT_EQ(m.size(), 44u);
  EXPECT_EQ(m[40], 0x00);  // no flags
  EXPECT_EQ(m[42], 20);
}

// `bridge vlan del dev <bridge ifindex 3> vid 10 self`
TEST(NetlinkMessages, BridgeSelfVlanDelete) {
  Bytes expected = {
      0x34, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00,  // len 52, RTM_DELLINK, REQUEST|ACK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq, pid
      0x07, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,  // AF_BRIDGE, ifindex 3
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // flags, change
      0x14, 0x00, 0x1a, 0x80,                          // IFLA_AF_SPEC (nested), len 20
      0x06, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // IFLA_BRIDGE_FLAGS = SELF, padded
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x00,  // VLAN_INFO {0, vid 10}
  };
  EXPECT_EQ(bridge_vlan(false, 3, {10, false, false}, true).bytes(), expected);
}

// `bridge vlan add dev <ifindex 7> vid 2-4094`
TEST(NetlinkMessages, PortVlanRangeAdd) {
  Bytes expected = {
      0x34, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00,  // len 52, RTM_SETLINK, REQUEST|ACK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq, pid
      0x07, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,  // AF_BRIDGE, ifindex 7
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // flags, change
      0x14, 0x00, 0x1a, 0x80,                          // IFLA_AF_SPEC (nested), len 20
      0x08, 0x00, 0x02, 0x00, 0x08, 0x00, 0x02, 0x00,  // VLAN_INFO {RANGE_BEGIN, vid 2}
      0x08, 0x00, 0x02, 0x00, 0x10, 0x00, 0xfe, 0x0f,  // VLAN_INFO {RANGE_END, vid 4094}
  };
  EXPECT_EQ(bridge_vlan_range(true, 7, {2, false, false}, 4094, false).bytes(), expected);
}

// `bridge vlan del dev <bridge ifindex 3> vid 100-163 self`, and an
// untagged range `bridge vlan add dev <7> vid 5-6 untagged`
TEST(NetlinkMessages, BridgeSelfVlanRangeDeleteAndUntaggedRange) {
  Bytes expected = {
      0x3c, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00,  // len 60, RTM_DELLINK, REQUEST|ACK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq, pid
      0x07, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,  // AF_BRIDGE, ifindex 3
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // flags, change
      0x1c, 0x00, 0x1a, 0x80,                          // IFLA_AF_SPEC (nested), len 28
      0x06, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // IFLA_BRIDGE_FLAGS = SELF, padded
      0x08, 0x00, 0x02, 0x00, 0x08, 0x00, 0x64, 0x00,  // VLAN_INFO {RANGE_BEGIN, vid 100}
      0x08, 0x00, 0x02, 0x00, 0x10, 0x00, 0xa3, 0x00,  // VLAN_INFO {RANGE_END, vid 163}
  };
  EXPECT_EQ(bridge_vlan_range(false, 3, {100, false, false}, 163, true).bytes(), expected);
  Bytes untagged = bridge_vlan_range(true, 7, {5, false, true}, 6, false).bytes();
  ASSERT_EQ(untagged.size(), 52u);
  EXPECT_EQ(untagged[40], 0x0c);  // UNTAGGED | RANGE_BEGIN
  EXPECT_EQ(untagged[48], 0x14);  // UNTAGGED | RANGE_END
  // A one-VLAN range is the plain message.
  EXPECT_EQ(bridge_vlan_range(true, 7, {10, true, true}, 10, false).bytes(),
            bridge_vlan(true, 7, {10, true, true}, false).bytes());
}

// `ip link set dev <ifindex 5> down` / `up`
TEST(NetlinkMessages, LinkAdminState) {
  Bytes down = {
      0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00,  // len 32, RTM_NEWLINK, REQUEST|ACK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq, pid
      0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,  // AF_UNSPEC, ifindex 5
      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // flags 0, change IFF_UP
  };
  EXPECT_EQ(link_admin(5, false).bytes(), down);
  Bytes up = down;
  up[24] = 0x01;  // flags IFF_UP
  EXPECT_EQ(link_admin(5, true).bytes(), up);
}

TEST(NetlinkMessages, VlanDumpAsksForBridgeVlanInfo) {
  Bytes m = dump_bridge_vlans().bytes();
  ASSERT_EQ(m.size(), 40u);
  EXPECT_EQ(m[4], 0x12);         // RTM_GETLINK
  EXPECT_EQ(m[6], 0x01 | 0x00);  // NLM_F_REQUEST
  EXPECT_EQ(m[7], 0x03);         // NLM_F_DUMP (ROOT|MATCH) in the high byte
  EXPECT_EQ(m[16], 7);           // AF_BRIDGE
  EXPECT_EQ(m[34], 29);          // IFLA_EXT_MASK
  EXPECT_EQ(m[36], 2);           // RTEXT_FILTER_BRVLAN
}

// An RTM_NEWLINK answer of an AF_BRIDGE dump the way br_fill_ifinfo lays it
// out: name, master, MTU, then IFLA_AF_SPEC with one VLAN_INFO per VLAN.
class DumpAnswer {
 public:
  explicit DumpAnswer(int ifindex) {
    bytes_.resize(32, 0);
    bytes_[4] = 0x10;  // RTM_NEWLINK
    bytes_[16] = 7;    // AF_BRIDGE
    bytes_[20] = static_cast<std::uint8_t>(ifindex);
  }
  void attr(std::uint16_t type, const Bytes& payload) {
    std::uint16_t len = static_cast<std::uint16_t>(4 + payload.size());
    bytes_.push_back(len & 0xff);
    bytes_.push_back(len >> 8);
    bytes_.push_back(type & 0xff);
    bytes_.push_back(type >> 8);
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    while (bytes_.size() % 4) bytes_.push_back(0);
  }
  static Bytes vlan_info(std::uint16_t flags, std::uint16_t vid) {
    return {0x08,
            0x00,
            0x02,
            0x00,
            static_cast<std::uint8_t>(flags),
            0x00,
            static_cast<std::uint8_t>(vid & 0xff),
            static_cast<std::uint8_t>(vid >> 8)};
  }
  const nlmsghdr* finish() {
    std::uint32_t len = static_cast<std::uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &len, sizeof len);
    return reinterpret_cast<const nlmsghdr*>(bytes_.data());
  }

 private:
  Bytes bytes_;  // heap storage: aligned for nlmsghdr
};

TEST(NetlinkMessages, ParsesVlanEntriesOfADumpAnswer) {
  DumpAnswer a(4);
  a.attr(3, {'p', '1', 0});  // IFLA_IFNAME
  a.attr(10, {3, 0, 0, 0});  // IFLA_MASTER
  Bytes spec;
  for (const Bytes& e : {DumpAnswer::vlan_info(0, 30), DumpAnswer::vlan_info(2 | 4, 10),
                         DumpAnswer::vlan_info(0, 20), DumpAnswer::vlan_info(4, 4094)}) {
    spec.insert(spec.end(), e.begin(), e.end());
  }
  a.attr(26, spec);  // IFLA_AF_SPEC
  EXPECT_EQ(parse_vlan_entries(a.finish()),
            (std::vector<VlanMembership>{
                {10, true, true}, {20, false, false}, {30, false, false}, {4094, false, true}}));
}

TEST(NetlinkMessages, ExpandsVlanRanges) {
  DumpAnswer a(4);
  Bytes spec = DumpAnswer::vlan_info(0x08, 100);  // RANGE_BEGIN
  Bytes end = DumpAnswer::vlan_info(0x10, 103);   // RANGE_END
  spec.insert(spec.end(), end.begin(), end.end());
  a.attr(26 | 0x8000, spec);
  std::vector<VlanMembership> got = parse_vlan_entries(a.finish());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front().vlan, 100);
  EXPECT_EQ(got.back().vlan, 103);
}

TEST(NetlinkMessages, NoAfSpecMeansNoVlans) {
  DumpAnswer a(4);
  a.attr(3, {'b', 'r', '0', 0});
  EXPECT_TRUE(parse_vlan_entries(a.finish()).empty());
}

TEST(PlanPortVlans, AccessToTrunkMovesThePvidLast) {
  // access 10  ->  trunk {10, 20} tagged, native 30
  std::vector<VlanOp> ops =
      plan_port_vlans({{10, true, true}}, PortVlans::trunk({10, 20}, 30).to_membership());
  EXPECT_EQ(ops,
            (std::vector<VlanOp>{
                {true, {10, false, false}}, {true, {20, false, false}}, {true, {30, true, true}}}));
}

TEST(PlanPortVlans, TrunkToAccessDeletesTheRest) {
  std::vector<VlanOp> ops =
      plan_port_vlans({{1, true, true}, {20, false, false}, {30, false, false}},
                      PortVlans::access(20).to_membership());
  EXPECT_EQ(ops,
            (std::vector<VlanOp>{
                {true, {20, true, true}}, {false, {1, true, true}}, {false, {30, false, false}}}));
}

TEST(PlanPortVlans, NothingToDoWhenEqual) {
  std::vector<VlanMembership> m = PortVlans::trunk({5, 6}, 7).to_membership();
  EXPECT_TRUE(plan_port_vlans(m, m).empty());
}

TEST(CoalesceVlanOps, TrunkOfEveryVlanToAccessIsTwoRequests) {
  std::vector<VlanId> all;
  for (VlanId id = 2; id <= 4094; ++id) all.push_back(id);
  std::vector<VlanOp> ops = plan_port_vlans(PortVlans::trunk(all, 1).to_membership(),
                                            PortVlans::access(4094).to_membership());
  EXPECT_EQ(ops.size(), 4094u);
  EXPECT_EQ(coalesce_vlan_ops(ops), (std::vector<VlanRangeOp>{{true, {4094, true, true}, 4094},
                                                              {false, {1, false, false}, 4093}}));
}

TEST(CoalesceVlanOps, PvidFlagsAndGapsSplitRuns) {
  std::vector<VlanOp> ops = {
      {true, {10, false, false}}, {true, {11, false, false}},   // one tagged run
      {true, {12, false, true}},                                // untagged: a new run
      {true, {14, false, true}},                                // gap: a new run
      {true, {15, true, true}},                                 // the PVID stays alone
      {true, {16, false, true}},                                // and nothing joins it
      {false, {20, true, true}},  {false, {21, false, false}},  // deletions merge, flags dropped
  };
  EXPECT_EQ(coalesce_vlan_ops(ops), (std::vector<VlanRangeOp>{
                                        {true, {10, false, false}, 11},
                                        {true, {12, false, true}, 12},
                                        {true, {14, false, true}, 14},
                                        {true, {15, true, true}, 15},
                                        {true, {16, false, true}, 16},
                                        {false, {20, false, false}, 21},
                                    }));
  EXPECT_TRUE(coalesce_vlan_ops({}).empty());
}

}  // namespace
}  // namespace cimnet::switching::netlink

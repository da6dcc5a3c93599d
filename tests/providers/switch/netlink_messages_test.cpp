// The rtnetlink requests the linux-bridge driver sends, byte for byte, against
// what iproute2 6.1 sends for the same commands (captured with
// `strace -e sendmsg -xx bridge vlan ...` / `ip link set ...`). The one
// intended difference: libmnl marks nested attributes with NLA_F_NESTED
// (0x8000 in the IFLA_AF_SPEC type), which iproute2 leaves out; the kernel
// masks it. Sequence numbers are zero until the socket stamps them.

#include <gtest/gtest.h>

#include <cstdint>
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

}  // namespace
}  // namespace cimnet::switching::netlink

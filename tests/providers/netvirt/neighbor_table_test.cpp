// rtnetlink neighbour messages as the kernel sends them (built here with
// libmnl, the same library the parser uses) -> what the Linux datapath takes
// from them: usable entries carry a unicast MAC in a resolved state; anything
// else withdraws the address.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <vector>

#include "neighbor_table.h"

namespace cimnet::netvirt {
namespace {

namespace dp = cimnet::dataplane;

struct Message {
  std::vector<char> buf = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
  const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(buf.data()); }
};

Message neighbour(uint16_t type, uint8_t family, int ifindex, uint16_t state,
                  const std::vector<uint8_t>& dst, const std::vector<uint8_t>& lladdr) {
  Message m;
  nlmsghdr* nlh = mnl_nlmsg_put_header(m.buf.data());
  nlh->nlmsg_type = type;
  auto* nd = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  nd->ndm_family = family;
  nd->ndm_ifindex = ifindex;
  nd->ndm_state = state;
  if (!dst.empty()) mnl_attr_put(nlh, NDA_DST, dst.size(), dst.data());
  if (!lladdr.empty()) mnl_attr_put(nlh, NDA_LLADDR, lladdr.size(), lladdr.data());
  return m;
}

const std::vector<uint8_t> kPa = {192, 168, 1, 12};
const std::vector<uint8_t> kMac = {0x02, 0xaa, 0, 0, 0, 0x12};

TEST(NeighborMessages, ResolvedIpv4EntryIsUsable) {
  for (uint16_t state : {NUD_REACHABLE, NUD_STALE, NUD_PERMANENT, NUD_DELAY, NUD_PROBE}) {
    KernelNeighbor n;
    bool usable = false;
    ASSERT_TRUE(parse_neighbor_message(
        neighbour(RTM_NEWNEIGH, AF_INET, 7, state, kPa, kMac).header(), n, usable));
    EXPECT_TRUE(usable) << state;
    EXPECT_EQ(n.ifindex, 7u);
    EXPECT_EQ(n.address, *dp::IpAddress::parse("192.168.1.12"));
    EXPECT_EQ(n.mac, *dp::MacAddress::parse("02:aa:00:00:00:12"));
  }
}

TEST(NeighborMessages, Ipv6EntryKeepsItsAddress) {
  std::vector<uint8_t> pa6(16, 0);
  pa6[0] = 0xfd;
  pa6[15] = 0x12;
  KernelNeighbor n;
  bool usable = false;
  ASSERT_TRUE(parse_neighbor_message(
      neighbour(RTM_NEWNEIGH, AF_INET6, 3, NUD_REACHABLE, pa6, kMac).header(), n, usable));
  EXPECT_TRUE(usable);
  EXPECT_EQ(n.address, *dp::IpAddress::parse("fd00::12"));
}

TEST(NeighborMessages, UnresolvedDeletedOrMulticastEntriesWithdraw) {
  KernelNeighbor n;
  bool usable = true;
  ASSERT_TRUE(parse_neighbor_message(
      neighbour(RTM_NEWNEIGH, AF_INET, 7, NUD_INCOMPLETE, kPa, {}).header(), n, usable));
  EXPECT_FALSE(usable);
  usable = true;
  ASSERT_TRUE(parse_neighbor_message(
      neighbour(RTM_NEWNEIGH, AF_INET, 7, NUD_FAILED, kPa, kMac).header(), n, usable));
  EXPECT_FALSE(usable);
  usable = true;
  ASSERT_TRUE(parse_neighbor_message(
      neighbour(RTM_DELNEIGH, AF_INET, 7, NUD_REACHABLE, kPa, kMac).header(), n, usable));
  EXPECT_FALSE(usable);
  EXPECT_EQ(n.address, *dp::IpAddress::parse("192.168.1.12"));  // which address to withdraw
  usable = true;
  ASSERT_TRUE(parse_neighbor_message(
      neighbour(RTM_NEWNEIGH, AF_INET, 7, NUD_PERMANENT, kPa, {0x01, 0, 0x5e, 0, 0, 1}).header(), n,
      usable));
  EXPECT_FALSE(usable);
}

TEST(NeighborMessages, OtherMessagesAreNotNeighbours) {
  KernelNeighbor n;
  bool usable = false;
  // Bridge FDB entries arrive as AF_BRIDGE neighbour messages.
  EXPECT_FALSE(parse_neighbor_message(
      neighbour(RTM_NEWNEIGH, AF_BRIDGE, 7, NUD_PERMANENT, {}, kMac).header(), n, usable));
  EXPECT_FALSE(parse_neighbor_message(
      neighbour(RTM_NEWLINK, AF_INET, 7, NUD_PERMANENT, kPa, kMac).header(), n, usable));
  // An IPv4 message whose address has IPv6's length is malformed.
  EXPECT_FALSE(parse_neighbor_message(
      neighbour(RTM_NEWNEIGH, AF_INET, 7, NUD_PERMANENT, std::vector<uint8_t>(16, 1), kMac)
          .header(),
      n, usable));
}

}  // namespace
}  // namespace cimnet::netvirt

#pragma once

// rtnetlink plumbing for the linux-bridge driver (internal): a libmnl socket
// that turns kernel errors (with their extended-ack text) into cim::Error, and
// builders for the few messages the driver sends. The builders are separate
// so the tests can compare their bytes with what iproute2 sends.

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cimnet/switching/driver.h"

struct mnl_socket;

namespace cimnet::switching::netlink {

// A request being built: the bytes of one netlink message.
class Message {
 public:
  Message();
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }
  const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(buffer_.data()); }
  // The message bytes (nlmsg_len of them).
  std::vector<std::uint8_t> bytes() const;

 private:
  std::vector<std::uint8_t> buffer_;
};

// `bridge vlan add|del dev IFINDEX vid V [pvid] [untagged] [self]`:
// RTM_SETLINK / RTM_DELLINK, family AF_BRIDGE, IFLA_AF_SPEC holding
// IFLA_BRIDGE_FLAGS (BRIDGE_FLAGS_SELF, only for `self`) and one
// IFLA_BRIDGE_VLAN_INFO.
Message bridge_vlan(bool add, int ifindex, const VlanMembership& vlan, bool self);
// `bridge vlan add|del dev IFINDEX vid FIRST-LAST [untagged] [self]`: as
// bridge_vlan(), with two IFLA_BRIDGE_VLAN_INFO entries flagged RANGE_BEGIN
// (first) and RANGE_END (last), so one request covers up to 4094 VLANs. The
// kernel refuses PVID on a range: `first.pvid` must be false unless
// last == first.vlan (then this is bridge_vlan()).
Message bridge_vlan_range(bool add, int ifindex, const VlanMembership& first, VlanId last,
                          bool self);
// `ip link set dev IFINDEX up|down`: RTM_NEWLINK with ifi_change = IFF_UP.
Message link_admin(int ifindex, bool up);
// RTM_GETLINK dump of every interface (AF_UNSPEC).
Message dump_links();
// RTM_GETLINK dump with family AF_BRIDGE and IFLA_EXT_MASK
// RTEXT_FILTER_BRVLAN: each bridge port's (and bridge's) VLAN entries.
Message dump_bridge_vlans();

// The VLAN entries (IFLA_AF_SPEC / IFLA_BRIDGE_VLAN_INFO) of one RTM_NEWLINK
// message of an AF_BRIDGE dump, sorted by VLAN; RANGE_BEGIN..RANGE_END pairs
// are expanded.
std::vector<VlanMembership> parse_vlan_entries(const nlmsghdr* nlh);

// One `bridge vlan add|del` on a port.
struct VlanOp {
  bool add = true;
  VlanMembership entry;
  bool operator==(const VlanOp&) const = default;
};
// The operations that turn a port's VLAN entries `have` into `want`: first
// the new or changed entries (re-adding an entry rewrites its flags; the PVID
// entry goes last, since setting a PVID takes it from any other VLAN), then
// the deletions of VLANs `want` does not have.
std::vector<VlanOp> plan_port_vlans(const std::vector<VlanMembership>& have,
                                    std::vector<VlanMembership> want);

// One request of a plan: `first`, with its flags, through VLAN `last`.
struct VlanRangeOp {
  bool add = true;
  VlanMembership first;
  VlanId last = 0;
  bool operator==(const VlanRangeOp&) const = default;
};
// Merges runs of neighbouring ops of a plan (same direction, same untagged
// flag, consecutive VLANs, no PVID) into ranges, keeping the plan's order.
// Deletions carry no flags (the kernel ignores them there and refuses PVID
// in a range), so any run of consecutive deletions merges.
std::vector<VlanRangeOp> coalesce_vlan_ops(const std::vector<VlanOp>& ops);

// One rtnetlink socket (NETLINK_ROUTE) in the calling thread's network
// namespace. Not thread-safe; the driver serializes calls.
class Socket {
 public:
  // Throws cim::Error(kFailed) when the socket cannot be opened.
  Socket();
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Sends a request with NLM_F_ACK and waits for the answer. Messages that
  // come back (e.g. RTM_NEWLINK for a get) go to `on_message`. A kernel error
  // throws cim::Error(kFailed) "<what>: <strerror>[: <kernel message>]", or
  // kNotFound for ENODEV.
  void request(Message& message, const std::string& what,
               const std::function<void(const nlmsghdr*)>& on_message = {});
  // Sends a dump request and hands every answer message to `on_message`.
  void dump(Message& message, const std::string& what,
            const std::function<void(const nlmsghdr*)>& on_message);

 private:
  void send(Message& message, const std::string& what);
  void receive(std::uint32_t seq, const std::string& what,
               const std::function<void(const nlmsghdr*)>& on_message);

  mnl_socket* socket_ = nullptr;
  std::uint32_t port_id_ = 0;
  std::uint32_t seq_ = 0;
  std::vector<std::uint8_t> receive_buffer_;
};

}  // namespace cimnet::switching::netlink

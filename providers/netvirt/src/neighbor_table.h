#pragma once

// The kernel's neighbour table (ARP / IPv6 ND) read over rtnetlink: where the
// Linux datapath gets the Ethernet addresses of provider next hops.

#include <linux/netlink.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "cimnet/dataplane/addr.h"

struct mnl_socket;

namespace cimnet::netvirt {

// One usable neighbour entry: an address on an interface with its MAC.
struct KernelNeighbor {
  uint32_t ifindex = 0;
  dataplane::IpAddress address;
  dataplane::MacAddress mac;
};

// What one RTM_NEWNEIGH / RTM_DELNEIGH message says: `usable` is false for a
// deletion and for entries without a resolved unicast MAC (INCOMPLETE,
// FAILED, NONE). Returns false when the message is not an IPv4/IPv6
// neighbour message at all.
bool parse_neighbor_message(const nlmsghdr* nlh, KernelNeighbor& out, bool& usable);

// Watches the kernel neighbour table of the calling thread's network
// namespace. Not thread-safe: one thread owns it.
class NeighborWatch {
 public:
  // Opens two rtnetlink sockets (events, dumps). Throws std::runtime_error.
  NeighborWatch();
  ~NeighborWatch();
  NeighborWatch(const NeighborWatch&) = delete;
  NeighborWatch& operator=(const NeighborWatch&) = delete;

  // The socket that becomes readable when neighbour events wait.
  int event_fd() const;
  // Reads every pending event (non-blocking) into `table`. Returns false when
  // events were lost (socket overrun): call dump() to resynchronise.
  bool read_events(
      std::map<std::pair<uint32_t, dataplane::IpAddress>, dataplane::MacAddress>& table);
  // Replaces `table` by a full dump of the kernel's usable neighbour entries.
  // Throws std::runtime_error.
  void dump(std::map<std::pair<uint32_t, dataplane::IpAddress>, dataplane::MacAddress>& table);

 private:
  mnl_socket* events_ = nullptr;
  mnl_socket* dumps_ = nullptr;
  uint32_t seq_ = 0;
};

}  // namespace cimnet::netvirt

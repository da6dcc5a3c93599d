#include "neighbor_table.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace cimnet::netvirt {

namespace dp = cimnet::dataplane;
using Table = std::map<std::pair<uint32_t, dp::IpAddress>, dp::MacAddress>;

namespace {

// Entries whose MAC is known (ARP answered, statically added, or being
// re-checked): a frame sent there arrives.
constexpr uint16_t kUsableStates =
    NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

struct Attributes {
  const nlattr* dst = nullptr;
  const nlattr* lladdr = nullptr;
};

int on_attribute(const nlattr* attr, void* data) {
  auto* a = static_cast<Attributes*>(data);
  switch (mnl_attr_get_type(attr)) {
    case NDA_DST:
      a->dst = attr;
      break;
    case NDA_LLADDR:
      a->lladdr = attr;
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

void apply(Table& table, const KernelNeighbor& n, bool usable) {
  auto key = std::make_pair(n.ifindex, n.address);
  if (usable)
    table[key] = n.mac;
  else
    table.erase(key);
}

int on_message(const nlmsghdr* nlh, void* data) {
  KernelNeighbor n;
  bool usable = false;
  if (parse_neighbor_message(nlh, n, usable)) apply(*static_cast<Table*>(data), n, usable);
  return MNL_CB_OK;
}

mnl_socket* open_route_socket(unsigned groups) {
  mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!s) throw std::runtime_error(std::string("rtnetlink socket: ") + std::strerror(errno));
  if (mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(s);
    throw std::runtime_error(std::string("rtnetlink bind: ") + std::strerror(e));
  }
  return s;
}

}  // namespace

bool parse_neighbor_message(const nlmsghdr* nlh, KernelNeighbor& out, bool& usable) {
  if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) return false;
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg))) return false;
  const auto* nd = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) return false;
  Attributes a;
  if (mnl_attr_parse(nlh, sizeof(ndmsg), on_attribute, &a) != MNL_CB_OK || !a.dst) return false;
  size_t want = nd->ndm_family == AF_INET ? 4 : 16;
  if (mnl_attr_get_payload_len(a.dst) != want) return false;
  out = {};
  out.ifindex = uint32_t(nd->ndm_ifindex);
  out.address.family = nd->ndm_family == AF_INET ? 4 : 6;
  std::memcpy(out.address.bytes.data(), mnl_attr_get_payload(a.dst), want);
  usable = nlh->nlmsg_type == RTM_NEWNEIGH && (nd->ndm_state & kUsableStates) != 0 && a.lladdr &&
           mnl_attr_get_payload_len(a.lladdr) == 6;
  if (usable) {
    std::memcpy(out.mac.bytes.data(), mnl_attr_get_payload(a.lladdr), 6);
    usable = !out.mac.is_zero() && !out.mac.is_multicast();
  }
  return true;
}

NeighborWatch::NeighborWatch() {
  events_ = open_route_socket(RTMGRP_NEIGH);
  try {
    dumps_ = open_route_socket(0);
  } catch (...) {
    mnl_socket_close(events_);
    throw;
  }
  // A bigger receive buffer makes overruns (and the resynchronising dump) rare.
  int size = 1 << 20;
  setsockopt(mnl_socket_get_fd(events_), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

NeighborWatch::~NeighborWatch() {
  mnl_socket_close(events_);
  mnl_socket_close(dumps_);
}

int NeighborWatch::event_fd() const {
  return mnl_socket_get_fd(events_);
}

bool NeighborWatch::read_events(Table& table) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  while (true) {
    ssize_t n = recv(mnl_socket_get_fd(events_), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno != ENOBUFS;  // EAGAIN: all read; ENOBUFS: events were lost
    }
    mnl_cb_run(buf.data(), size_t(n), 0, 0, on_message, &table);
  }
}

void NeighborWatch::dump(Table& table) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETNEIGH;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* nd = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  nd->ndm_family = AF_UNSPEC;
  if (mnl_socket_sendto(dumps_, nlh, nlh->nlmsg_len) < 0)
    throw std::runtime_error(std::string("neighbour dump: ") + std::strerror(errno));
  Table fresh;
  unsigned portid = mnl_socket_get_portid(dumps_);
  while (true) {
    ssize_t n = mnl_socket_recvfrom(dumps_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("neighbour dump: ") + std::strerror(errno));
    }
    int r = mnl_cb_run(buf.data(), size_t(n), seq_, portid, on_message, &fresh);
    if (r == MNL_CB_STOP) break;
    if (r < 0) throw std::runtime_error(std::string("neighbour dump: ") + std::strerror(errno));
  }
  table = std::move(fresh);
}

}  // namespace cimnet::netvirt

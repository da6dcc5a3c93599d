#include "netlink.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "cimnet/cim/error.h"

namespace cimnet::switching::netlink {

using cim::Error;
using cim::Status;

namespace {

constexpr std::size_t kMessageSize = 4096;
constexpr std::size_t kReceiveSize = 64 * 1024;

ifinfomsg* put_ifinfo(nlmsghdr* nlh, std::uint8_t family, int ifindex) {
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = family;
  ifm->ifi_index = ifindex;
  return ifm;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

// The part every bridge VLAN request shares: RTM_SETLINK (add) or RTM_DELLINK
// (remove) on ifindex, and the IFLA_AF_SPEC nest the VLAN entries go in
// (closed by the caller), flagged SELF when the bridge itself is meant.
nlattr* start_bridge_vlan(nlmsghdr* nlh, bool add, int ifindex, bool self) {
  nlh->nlmsg_type = add ? RTM_SETLINK : RTM_DELLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  put_ifinfo(nlh, AF_BRIDGE, ifindex);
  nlattr* spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  if (self) mnl_attr_put_u16(nlh, IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF);
  return spec;
}
}  // namespace

Message::Message() : buffer_(kMessageSize, 0) {
  mnl_nlmsg_put_header(buffer_.data());
}

std::vector<std::uint8_t> Message::bytes() const {
  return {buffer_.begin(), buffer_.begin() + header()->nlmsg_len};
}

Message bridge_vlan(bool add, int ifindex, const VlanMembership& vlan, bool self) {
  Message m;
  nlmsghdr* nlh = m.header();
  nlattr* spec = start_bridge_vlan(nlh, add, ifindex, self);
  bridge_vlan_info info{};
  info.vid = vlan.vlan;
  if (vlan.pvid) info.flags |= BRIDGE_VLAN_INFO_PVID;
  if (vlan.untagged) info.flags |= BRIDGE_VLAN_INFO_UNTAGGED;
  mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof info, &info);
  mnl_attr_nest_end(nlh, spec);
  return m;
}

Message bridge_vlan_range(bool add, int ifindex, const VlanMembership& first, VlanId last,
                          bool self) {
  if (last == first.vlan) return bridge_vlan(add, ifindex, first, self);
  Message m;
  nlmsghdr* nlh = m.header();
  nlattr* spec = start_bridge_vlan(nlh, add, ifindex, self);
  bridge_vlan_info info{};
  info.vid = first.vlan;
  const std::uint16_t flags = first.untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0;
  info.flags = flags | BRIDGE_VLAN_INFO_RANGE_BEGIN;
  mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof info, &info);
  info.vid = last;
  info.flags = flags | BRIDGE_VLAN_INFO_RANGE_END;
  mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof info, &info);
  mnl_attr_nest_end(nlh, spec);
  return m;
}

Message link_admin(int ifindex, bool up) {
  Message m;
  nlmsghdr* nlh = m.header();
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  ifinfomsg* ifm = put_ifinfo(nlh, AF_UNSPEC, ifindex);
  ifm->ifi_change = IFF_UP;
  ifm->ifi_flags = up ? IFF_UP : 0;
  return m;
}

Message dump_links() {
  Message m;
  nlmsghdr* nlh = m.header();
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  put_ifinfo(nlh, AF_UNSPEC, 0);
  return m;
}

Message dump_bridge_vlans() {
  Message m;
  nlmsghdr* nlh = m.header();
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  put_ifinfo(nlh, AF_BRIDGE, 0);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN);
  return m;
}

std::vector<VlanMembership> parse_vlan_entries(const nlmsghdr* nlh) {
  struct Walk {
    std::vector<VlanMembership> out;
    std::optional<bridge_vlan_info> range_begin;
  } walk;
  const nlattr* spec = nullptr;
  mnl_attr_parse(
      nlh, sizeof(ifinfomsg),
      [](const nlattr* attr, void* data) {
        if (mnl_attr_get_type(attr) == IFLA_AF_SPEC) *static_cast<const nlattr**>(data) = attr;
        return MNL_CB_OK;
      },
      &spec);
  if (!spec) return {};
  mnl_attr_parse_nested(
      spec,
      [](const nlattr* attr, void* data) {
        auto* w = static_cast<Walk*>(data);
        if (mnl_attr_get_type(attr) != IFLA_BRIDGE_VLAN_INFO ||
            mnl_attr_get_payload_len(attr) < sizeof(bridge_vlan_info)) {
          return MNL_CB_OK;
        }
        bridge_vlan_info info;
        std::memcpy(&info, mnl_attr_get_payload(attr), sizeof info);
        if (info.flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
          w->range_begin = info;
          return MNL_CB_OK;
        }
        std::uint16_t first = info.vid;
        if ((info.flags & BRIDGE_VLAN_INFO_RANGE_END) && w->range_begin) {
          first = w->range_begin->vid;
          w->range_begin.reset();
        }
        for (unsigned vid = first; vid <= info.vid; ++vid) {
          w->out.push_back({static_cast<VlanId>(vid), (info.flags & BRIDGE_VLAN_INFO_PVID) != 0,
                            (info.flags & BRIDGE_VLAN_INFO_UNTAGGED) != 0});
        }
        return MNL_CB_OK;
      },
      &walk);
  std::sort(walk.out.begin(), walk.out.end(),
            [](const VlanMembership& a, const VlanMembership& b) { return a.vlan < b.vlan; });
  return walk.out;
}

std::vector<VlanOp> plan_port_vlans(const std::vector<VlanMembership>& have,
                                    std::vector<VlanMembership> want) {
  std::stable_partition(want.begin(), want.end(), [](const VlanMembership& m) { return !m.pvid; });
  std::vector<VlanOp> ops;
  for (const VlanMembership& w : want) {
    if (std::find(have.begin(), have.end(), w) == have.end()) ops.push_back({true, w});
  }
  for (const VlanMembership& h : have) {
    bool kept = std::any_of(want.begin(), want.end(),
                            [&](const VlanMembership& w) { return w.vlan == h.vlan; });
    if (!kept) ops.push_back({false, h});
  }
  return ops;
}

std::vector<VlanRangeOp> coalesce_vlan_ops(const std::vector<VlanOp>& ops) {
  std::vector<VlanRangeOp> out;
  for (const VlanOp& op : ops) {
    VlanMembership entry = op.entry;
    if (!op.add) entry.pvid = entry.untagged = false;
    if (!out.empty()) {
      VlanRangeOp& run = out.back();
      if (run.add == op.add && !run.first.pvid && !entry.pvid &&
          run.first.untagged == entry.untagged && entry.vlan == run.last + 1) {
        run.last = entry.vlan;
        continue;
      }
    }
    out.push_back({op.add, entry, entry.vlan});
  }
  return out;
}

Socket::Socket() : receive_buffer_(kReceiveSize) {
  socket_ = mnl_socket_open(NETLINK_ROUTE);
  if (!socket_) {
    throw Error(Status::kFailed, "cannot open an rtnetlink socket: " + errno_text(errno));
  }
  int on = 1;
  // Kernel error text (extended ack) and acks without the echoed request.
  mnl_socket_setsockopt(socket_, NETLINK_EXT_ACK, &on, sizeof on);
  mnl_socket_setsockopt(socket_, NETLINK_CAP_ACK, &on, sizeof on);
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(socket_);
    throw Error(Status::kFailed, "cannot bind an rtnetlink socket: " + errno_text(err));
  }
  port_id_ = mnl_socket_get_portid(socket_);
}

Socket::~Socket() {
  mnl_socket_close(socket_);
}

void Socket::send(Message& message, const std::string& what) {
  nlmsghdr* nlh = message.header();
  nlh->nlmsg_seq = ++seq_;
  nlh->nlmsg_pid = 0;
  if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) {
    throw Error(Status::kFailed, what + ": cannot send to rtnetlink: " + errno_text(errno));
  }
}

void Socket::request(Message& message, const std::string& what,
                     const std::function<void(const nlmsghdr*)>& on_message) {
  message.header()->nlmsg_flags |= NLM_F_ACK;
  send(message, what);
  receive(seq_, what, on_message);
}

void Socket::dump(Message& message, const std::string& what,
                  const std::function<void(const nlmsghdr*)>& on_message) {
  send(message, what);
  receive(seq_, what, on_message);
}

void Socket::receive(std::uint32_t seq, const std::string& what,
                     const std::function<void(const nlmsghdr*)>& on_message) {
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(socket_, receive_buffer_.data(), receive_buffer_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(Status::kFailed, what + ": cannot read from rtnetlink: " + errno_text(errno));
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(receive_buffer_.data());
         mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != port_id_) continue;  // stale answer
      if (nlh->nlmsg_type == NLMSG_DONE) {
        if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
          int err = *static_cast<const int*>(mnl_nlmsg_get_payload(nlh));
          if (err < 0) throw Error(Status::kFailed, what + ": " + errno_text(-err));
        }
        return;
      }
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (e->error == 0) return;  // the ack
        std::string text = what + ": " + errno_text(-e->error);
        if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
          std::size_t offset = sizeof(nlmsgerr);
          if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += e->msg.nlmsg_len - sizeof(nlmsghdr);
          const nlattr* tb[NLMSGERR_ATTR_MAX + 1] = {};
          mnl_attr_parse(
              nlh, static_cast<unsigned>(offset),
              [](const nlattr* attr, void* data) {
                auto* table = static_cast<const nlattr**>(data);
                if (mnl_attr_get_type(attr) <= NLMSGERR_ATTR_MAX)
                  table[mnl_attr_get_type(attr)] = attr;
                return MNL_CB_OK;
              },
              tb);
          if (tb[NLMSGERR_ATTR_MSG] &&
              mnl_attr_validate(tb[NLMSGERR_ATTR_MSG], MNL_TYPE_NUL_STRING) == 0) {
            text += std::string(" (kernel: ") + mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]) + ")";
          }
        }
        throw Error(-e->error == ENODEV ? Status::kNotFound : Status::kFailed, text);
      }
      if (on_message) on_message(nlh);
    }
  }
}

}  // namespace cimnet::switching::netlink

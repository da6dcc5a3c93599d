#include "cimnet/switching/linux_bridge.h"

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "cimnet/cim/error.h"
#include "netlink.h"

namespace cimnet::switching {

using cim::Error;
using cim::Status;

namespace {

// What one RTM_NEWLINK message says about an interface.
struct Link {
  int ifindex = 0;
  std::string name;
  unsigned flags = 0;
  int master = 0;
  MacAddress mac{};
  MacAddress permanent_mac{};
  bool has_permanent_mac = false;
  std::uint32_t mtu = 0;
  std::uint32_t max_mtu = 0;
  std::uint8_t operstate = IF_OPER_UNKNOWN;
  std::string kind;           // IFLA_INFO_KIND: "bridge", "veth", ...; empty for hardware
  int vlan_filtering = -1;    // bridges only
  std::uint16_t port_no = 0;  // bridge ports only
  PortCounters counters;
};

struct AttrTable {
  const nlattr** table;
  unsigned max;
};

int collect_attr(const nlattr* attr, void* data) {
  auto* t = static_cast<AttrTable*>(data);
  unsigned type = mnl_attr_get_type(attr);
  if (type <= t->max) t->table[type] = attr;
  return MNL_CB_OK;
}

template <std::size_t N>
void parse_nested(const nlattr* nest, const nlattr* (&table)[N]) {
  std::fill(std::begin(table), std::end(table), nullptr);
  AttrTable t{table, N - 1};
  mnl_attr_parse_nested(nest, collect_attr, &t);
}

bool read_mac(const nlattr* attr, MacAddress& out) {
  if (!attr || mnl_attr_get_payload_len(attr) != out.size()) return false;
  std::memcpy(out.data(), mnl_attr_get_payload(attr), out.size());
  return true;
}

Link parse_link(const nlmsghdr* nlh) {
  Link link;
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  link.ifindex = ifm->ifi_index;
  link.flags = ifm->ifi_flags;
  const nlattr* tb[IFLA_MAX + 1] = {};
  AttrTable t{tb, IFLA_MAX};
  mnl_attr_parse(nlh, sizeof(ifinfomsg), collect_attr, &t);
  if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0) {
    link.name = mnl_attr_get_str(tb[IFLA_IFNAME]);
  }
  if (tb[IFLA_MASTER]) link.master = static_cast<int>(mnl_attr_get_u32(tb[IFLA_MASTER]));
  if (tb[IFLA_MTU]) link.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
  if (tb[IFLA_MAX_MTU]) link.max_mtu = mnl_attr_get_u32(tb[IFLA_MAX_MTU]);
  if (tb[IFLA_OPERSTATE]) link.operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
  read_mac(tb[IFLA_ADDRESS], link.mac);
  if (read_mac(tb[IFLA_PERM_ADDRESS], link.permanent_mac)) {
    link.has_permanent_mac = std::any_of(link.permanent_mac.begin(), link.permanent_mac.end(),
                                         [](std::uint8_t b) { return b != 0; });
  }
  if (tb[IFLA_STATS64]) {
    rtnl_link_stats64 s{};
    std::memcpy(&s, mnl_attr_get_payload(tb[IFLA_STATS64]),
                std::min<std::size_t>(sizeof s, mnl_attr_get_payload_len(tb[IFLA_STATS64])));
    link.counters = {s.rx_packets, s.tx_packets, s.rx_bytes,   s.tx_bytes,
                     s.rx_errors,  s.tx_errors,  s.rx_dropped, s.tx_dropped};
  }
  if (tb[IFLA_LINKINFO]) {
    const nlattr* info[IFLA_INFO_MAX + 1];
    parse_nested(tb[IFLA_LINKINFO], info);
    if (info[IFLA_INFO_KIND] && mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_STRING) == 0) {
      link.kind.assign(static_cast<const char*>(mnl_attr_get_payload(info[IFLA_INFO_KIND])),
                       strnlen(static_cast<const char*>(mnl_attr_get_payload(info[IFLA_INFO_KIND])),
                               mnl_attr_get_payload_len(info[IFLA_INFO_KIND])));
    }
    if (link.kind == "bridge" && info[IFLA_INFO_DATA]) {
      const nlattr* br[IFLA_BR_MAX + 1];
      parse_nested(info[IFLA_INFO_DATA], br);
      link.vlan_filtering =
          br[IFLA_BR_VLAN_FILTERING] ? mnl_attr_get_u8(br[IFLA_BR_VLAN_FILTERING]) : 0;
    }
    if (info[IFLA_INFO_SLAVE_DATA]) {
      const nlattr* port[IFLA_BRPORT_MAX + 1];
      parse_nested(info[IFLA_INFO_SLAVE_DATA], port);
      if (port[IFLA_BRPORT_NO]) link.port_no = mnl_attr_get_u16(port[IFLA_BRPORT_NO]);
    }
  }
  return link;
}

// Link modes (ethtool bit -> bit/s) used to work out a port's top speed.
struct LinkModeSpeed {
  int bit;
  std::uint64_t bps;
};
constexpr LinkModeSpeed kLinkModeSpeeds[] = {
    {ETHTOOL_LINK_MODE_10baseT_Half_BIT, 10'000'000ULL},
    {ETHTOOL_LINK_MODE_10baseT_Full_BIT, 10'000'000ULL},
    {ETHTOOL_LINK_MODE_100baseT_Half_BIT, 100'000'000ULL},
    {ETHTOOL_LINK_MODE_100baseT_Full_BIT, 100'000'000ULL},
    {ETHTOOL_LINK_MODE_1000baseT_Half_BIT, 1'000'000'000ULL},
    {ETHTOOL_LINK_MODE_1000baseT_Full_BIT, 1'000'000'000ULL},
    {ETHTOOL_LINK_MODE_1000baseKX_Full_BIT, 1'000'000'000ULL},
    {ETHTOOL_LINK_MODE_1000baseX_Full_BIT, 1'000'000'000ULL},
    {ETHTOOL_LINK_MODE_2500baseT_Full_BIT, 2'500'000'000ULL},
    {ETHTOOL_LINK_MODE_2500baseX_Full_BIT, 2'500'000'000ULL},
    {ETHTOOL_LINK_MODE_5000baseT_Full_BIT, 5'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseT_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseKX4_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseKR_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseCR_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseSR_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseLR_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseLRM_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_10000baseER_Full_BIT, 10'000'000'000ULL},
    {ETHTOOL_LINK_MODE_25000baseCR_Full_BIT, 25'000'000'000ULL},
    {ETHTOOL_LINK_MODE_25000baseKR_Full_BIT, 25'000'000'000ULL},
    {ETHTOOL_LINK_MODE_25000baseSR_Full_BIT, 25'000'000'000ULL},
    {ETHTOOL_LINK_MODE_40000baseKR4_Full_BIT, 40'000'000'000ULL},
    {ETHTOOL_LINK_MODE_40000baseCR4_Full_BIT, 40'000'000'000ULL},
    {ETHTOOL_LINK_MODE_40000baseSR4_Full_BIT, 40'000'000'000ULL},
    {ETHTOOL_LINK_MODE_40000baseLR4_Full_BIT, 40'000'000'000ULL},
    {ETHTOOL_LINK_MODE_100000baseKR4_Full_BIT, 100'000'000'000ULL},
    {ETHTOOL_LINK_MODE_100000baseSR4_Full_BIT, 100'000'000'000ULL},
    {ETHTOOL_LINK_MODE_100000baseCR4_Full_BIT, 100'000'000'000ULL},
    {ETHTOOL_LINK_MODE_100000baseLR4_ER4_Full_BIT, 100'000'000'000ULL},
};

// What the SIOCETHTOOL ETHTOOL_GLINKSETTINGS ioctl says about a port.
struct EthtoolInfo {
  bool known = false;
  std::uint64_t speed_bps = 0;  // 0: unknown
  bool full_duplex = false;
  bool autoneg = false;
  std::uint8_t port = PORT_OTHER;
  std::vector<std::uint32_t> supported;  // link mode bitmap
  bool supports(int bit) const {
    return static_cast<std::size_t>(bit / 32) < supported.size() &&
           (supported[bit / 32] >> (bit % 32)) & 1U;
  }
};

EthtoolInfo read_ethtool(int fd, const std::string& name) {
  EthtoolInfo out;
  constexpr int kMaxWords = 127;  // link_mode_masks_nwords is an __s8
  alignas(ethtool_link_settings)
      std::uint8_t buffer[sizeof(ethtool_link_settings) + 3 * kMaxWords * sizeof(std::uint32_t)] =
          {};
  auto* settings = reinterpret_cast<ethtool_link_settings*>(buffer);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(buffer);
  // Handshake: the first call tells how many bitmap words the kernel uses.
  settings->cmd = ETHTOOL_GLINKSETTINGS;
  if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || settings->link_mode_masks_nwords >= 0) return out;
  int words = -settings->link_mode_masks_nwords;
  std::memset(buffer, 0, sizeof buffer);
  settings->cmd = ETHTOOL_GLINKSETTINGS;
  settings->link_mode_masks_nwords = static_cast<std::int8_t>(words);
  if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || settings->link_mode_masks_nwords <= 0) return out;
  out.known = true;
  if (settings->speed != 0 && settings->speed != static_cast<std::uint32_t>(SPEED_UNKNOWN)) {
    out.speed_bps = static_cast<std::uint64_t>(settings->speed) * 1'000'000ULL;
  }
  out.full_duplex = settings->duplex == DUPLEX_FULL;
  out.autoneg = settings->autoneg == AUTONEG_ENABLE;
  out.port = settings->port;
  const auto* masks =
      reinterpret_cast<const std::uint32_t*>(buffer + sizeof(ethtool_link_settings));
  out.supported.assign(masks, masks + words);  // the first block is "supported"
  return out;
}

// CIM_EthernetPort.PortType from the medium and the top speed.
void classify(const Link& link, const EthtoolInfo& eth, PortStatus& p) {
  if (!link.kind.empty()) {
    p.port_type = port_type::kOther;
    p.port_type_description = "virtual (" + link.kind + ")";
    return;
  }
  if (!eth.known) return;  // kUnknown
  const std::uint64_t top = p.max_speed_bps;
  if (eth.port == PORT_TP) {
    if (top == 10'000'000ULL) {
      p.port_type = port_type::k10BaseT;
    } else if (top == 100'000'000ULL) {
      p.port_type = eth.supports(ETHTOOL_LINK_MODE_10baseT_Full_BIT) ? port_type::k10_100BaseT
                                                                     : port_type::k100BaseT;
    } else if (top == 1'000'000'000ULL) {
      p.port_type = port_type::k1000BaseT;
    } else if (top == 2'500'000'000ULL) {
      p.port_type = port_type::k2500BaseT;
    } else if (top == 10'000'000'000ULL) {
      p.port_type = port_type::k10GBaseT;
    } else {
      p.port_type = port_type::kOther;
      p.port_type_description = "twisted pair";
    }
  } else if (eth.port == PORT_FIBRE) {
    if (eth.supports(ETHTOOL_LINK_MODE_10000baseSR_Full_BIT)) {
      p.port_type = port_type::k10GBaseSR;
    } else {
      p.port_type = port_type::kOther;
      p.port_type_description = "fibre";
    }
  } else if (eth.port == PORT_DA) {
    p.port_type = port_type::kOther;
    p.port_type_description = "direct attach copper";
  }
}

// "VLAN 10" or "VLANs 2-4094", for error messages.
std::string vlan_text(const netlink::VlanRangeOp& r) {
  if (r.last == r.first.vlan) return "VLAN " + std::to_string(r.first.vlan);
  return "VLANs " + std::to_string(r.first.vlan) + "-" + std::to_string(r.last);
}

std::string filtering_hint(const std::string& bridge) {
  return "bridge " + bridge + " does not filter VLANs; enable it with: ip link set " + bridge +
         " type bridge vlan_filtering 1";
}

class LinuxBridge final : public SwitchDriver {
 public:
  LinuxBridge(std::string bridge, LinuxBridgeOptions options)
      : bridge_(std::move(bridge)), options_(options) {
    ethtool_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (ethtool_fd_ < 0) {
      throw Error(Status::kFailed,
                  "cannot open a socket for ethtool: " + std::string(std::strerror(errno)));
    }
    try {
      Link br = find_bridge(dump_links());
      if (br.vlan_filtering != 1 && options_.require_vlan_filtering) {
        throw Error(Status::kNotSupported, filtering_hint(bridge_));
      }
    } catch (...) {
      close(ethtool_fd_);
      throw;
    }
  }
  ~LinuxBridge() override { close(ethtool_fd_); }

  std::string spec() const override { return "linux-bridge:" + bridge_; }

 protected:
  std::vector<PortStatus> read_ports() override {
    std::vector<Link> links = dump_links();
    const Link br = find_bridge(links);
    std::map<int, std::vector<VlanMembership>> vlans =
        br.vlan_filtering == 1 ? dump_vlans() : std::map<int, std::vector<VlanMembership>>{};
    std::vector<PortStatus> out;
    for (const Link& l : links) {
      if (l.master != br.ifindex) continue;
      PortStatus p;
      p.name = l.name;
      p.number = l.port_no;
      p.mac = l.mac;
      p.permanent_mac = l.has_permanent_mac ? l.permanent_mac : l.mac;
      p.mtu = l.mtu;
      p.max_mtu = l.max_mtu;
      p.link_technology = LinkTechnology::kEthernet;
      p.admin_up = (l.flags & IFF_UP) != 0;
      // From the carrier (IFF_LOWER_UP), which the kernel changes at once,
      // not from operstate alone, which its linkwatch worker catches up on
      // later: a Get right after `ip link set PEER down` must see it.
      p.oper_up = p.admin_up && (l.flags & IFF_LOWER_UP) != 0 && l.operstate != IF_OPER_DORMANT &&
                  l.operstate != IF_OPER_TESTING && l.operstate != IF_OPER_NOTPRESENT;
      p.counters = l.counters;
      EthtoolInfo eth = read_ethtool(ethtool_fd_, l.name);
      p.full_duplex = eth.full_duplex;
      p.auto_sense = eth.autoneg;
      for (const LinkModeSpeed& m : kLinkModeSpeeds) {
        if (eth.supports(m.bit)) p.max_speed_bps = std::max(p.max_speed_bps, m.bps);
      }
      if (p.max_speed_bps == 0) p.max_speed_bps = eth.speed_bps;
      p.speed_bps = p.oper_up ? eth.speed_bps : 0;
      classify(l, eth, p);
      p.vlans = PortVlans::from_membership(vlans[l.ifindex]);
      out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const PortStatus& a, const PortStatus& b) {
      return a.number != b.number ? a.number < b.number : a.name < b.name;
    });
    return out;
  }

  std::vector<Vlan> read_vlans() override {
    const Link br = find_bridge(dump_links());
    std::vector<Vlan> out;
    if (br.vlan_filtering != 1) return out;
    std::map<int, std::vector<VlanMembership>> all = dump_vlans();
    for (const VlanMembership& m : all[br.ifindex]) out.push_back({m.vlan, name_of(m.vlan)});
    std::sort(out.begin(), out.end(), [](const Vlan& a, const Vlan& b) { return a.id < b.id; });
    return out;
  }

  // Routed ports: an interface enslaved to a bridge hands every frame to the
  // bridge, so an address on it would not route; it would have to leave the
  // bridge (and so stop being a port of this switch). Not done.
  std::optional<std::string> routed_ports_unsupported() const override {
    return "the linux-bridge driver has no routed (layer 3) ports: a port of bridge " + bridge_ +
           " cannot hold an IP address of its own";
  }

  void check_supported(const SwitchSettings& current, const VlanEdits& vlan_edits,
                       const PortEdits& port_edits) override {
    const Link br = find_bridge(dump_links());
    if (br.vlan_filtering == 1) return;
    if (!vlan_edits.empty()) {
      throw Error(Status::kNotSupported, "cannot change VLANs: " + filtering_hint(bridge_));
    }
    for (const PortSettings& p : current.ports) {
      auto it = port_edits.find(p.port);
      if (it != port_edits.end() && it->second.vlans != p.vlans) {
        throw Error(Status::kNotSupported,
                    "cannot set the VLAN mode of port " + p.port + ": " + filtering_hint(bridge_));
      }
    }
  }

  void write(const VlanEdits& vlan_edits, const PortEdits& port_edits) override {
    std::vector<Link> links = dump_links();
    const Link br = find_bridge(links);
    std::map<int, std::vector<VlanMembership>> current =
        br.vlan_filtering == 1 ? dump_vlans() : std::map<int, std::vector<VlanMembership>>{};
    auto on_bridge = [&](VlanId id) {
      const auto& self = current[br.ifindex];
      return std::any_of(self.begin(), self.end(),
                         [&](const VlanMembership& m) { return m.vlan == id; });
    };
    // The bridge's own entries change in ranges of consecutive VLANs.
    auto bridge_vlans = [&](bool add) {
      std::vector<netlink::VlanOp> ops;
      for (const auto& [id, name] : vlan_edits) {
        if (name.has_value() == add && on_bridge(id) != add)
          ops.push_back({add, {id, false, false}});
      }
      for (const netlink::VlanRangeOp& r : netlink::coalesce_vlan_ops(ops)) {
        netlink::Message m = netlink::bridge_vlan_range(add, br.ifindex, r.first, r.last, true);
        socket_.request(m, (add ? "create " : "remove ") + vlan_text(r) +
                               (add ? " on bridge " : " from bridge ") + bridge_);
      }
    };
    // 1. New VLANs on the bridge itself, so ports can use them.
    bridge_vlans(true);
    // 2. Ports: VLAN membership (adds before deletes, the PVID last), then admin state.
    for (const auto& [port, settings] : port_edits) {
      auto l = std::find_if(links.begin(), links.end(),
                            [&port = port](const Link& x) { return x.name == port; });
      if (l == links.end() || l->master != br.ifindex) {
        throw Error(Status::kNotFound,
                    "port " + port + " is no longer a member of bridge " + bridge_);
      }
      if (br.vlan_filtering == 1) {
        for (const netlink::VlanRangeOp& r : netlink::coalesce_vlan_ops(
                 netlink::plan_port_vlans(current[l->ifindex], settings.vlans.to_membership()))) {
          netlink::Message m =
              netlink::bridge_vlan_range(r.add, l->ifindex, r.first, r.last, false);
          socket_.request(m, (r.add ? "add " : "remove ") + vlan_text(r) +
                                 (r.add ? " to port " : " from port ") + port);
        }
      }
      if (((l->flags & IFF_UP) != 0) != settings.admin_up) {
        netlink::Message m = netlink::link_admin(l->ifindex, settings.admin_up);
        socket_.request(m, std::string("set port ") + port + (settings.admin_up ? " up" : " down"));
      }
    }
    // 3. VLANs removed from the bridge itself, now that no port needs them.
    bridge_vlans(false);
    // 4. Names live here only (Linux has no VLAN names).
    for (const auto& [id, name] : vlan_edits) {
      if (name) {
        names_[id] = *name;
      } else {
        names_.erase(id);
      }
    }
  }

 private:
  std::vector<Link> dump_links() {
    std::vector<Link> links;
    netlink::Message m = netlink::dump_links();
    socket_.dump(m, "list interfaces", [&](const nlmsghdr* nlh) {
      if (nlh->nlmsg_type == RTM_NEWLINK) links.push_back(parse_link(nlh));
    });
    return links;
  }

  // Every interface's VLAN entries (the bridge's own under its ifindex).
  std::map<int, std::vector<VlanMembership>> dump_vlans() {
    std::map<int, std::vector<VlanMembership>> out;
    netlink::Message m = netlink::dump_bridge_vlans();
    socket_.dump(m, "list bridge VLANs", [&](const nlmsghdr* nlh) {
      if (nlh->nlmsg_type != RTM_NEWLINK) return;
      const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
      std::vector<VlanMembership> entries = netlink::parse_vlan_entries(nlh);
      if (!entries.empty()) out[ifm->ifi_index] = std::move(entries);
    });
    return out;
  }

  Link find_bridge(const std::vector<Link>& links) const {
    for (const Link& l : links) {
      if (l.name != bridge_) continue;
      if (l.kind != "bridge") {
        throw Error(Status::kInvalidParameter,
                    "interface " + bridge_ + " is not a bridge (" +
                        (l.kind.empty() ? std::string("a hardware interface") : "kind " + l.kind) +
                        ")");
      }
      return l;
    }
    throw Error(Status::kNotFound, "there is no interface named " + bridge_ +
                                       " in this network namespace (linux-bridge:" + bridge_ + ")");
  }

  std::string name_of(VlanId id) const {
    auto it = names_.find(id);
    return it != names_.end() ? it->second : default_vlan_name(id);
  }

  std::string bridge_;
  LinuxBridgeOptions options_;
  netlink::Socket socket_;
  int ethtool_fd_ = -1;
  std::map<VlanId, std::string> names_;
};

}  // namespace

std::unique_ptr<SwitchDriver> open_linux_bridge(std::string_view bridge,
                                                LinuxBridgeOptions options) {
  return std::make_unique<LinuxBridge>(std::string(bridge), options);
}

}  // namespace cimnet::switching

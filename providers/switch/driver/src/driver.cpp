#include "cimnet/switching/driver.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <tuple>

#include "cimnet/cim/error.h"

namespace cimnet::switching {

using cim::Error;
using cim::Status;

std::string mac_to_text(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::string mac_to_cim(const MacAddress& mac) {
  char text[13];
  std::snprintf(text, sizeof text, "%02X%02X%02X%02X%02X%02X", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::string_view port_mode_name(PortMode mode) {
  switch (mode) {
    case PortMode::kAccess:
      return "access";
    case PortMode::kTrunk:
      return "trunk";
    case PortMode::kOther:
      return "other";
  }
  return "?";
}

PortVlans PortVlans::access(VlanId vlan) {
  PortVlans v;
  v.mode = PortMode::kAccess;
  v.access_vlan = vlan;
  return v;
}

PortVlans PortVlans::trunk(std::vector<VlanId> tagged, std::optional<VlanId> native) {
  PortVlans v;
  v.mode = PortMode::kTrunk;
  std::sort(tagged.begin(), tagged.end());
  tagged.erase(std::unique(tagged.begin(), tagged.end()), tagged.end());
  v.trunk_vlans = std::move(tagged);
  v.native_vlan = native;
  return v;
}

std::vector<VlanMembership> PortVlans::to_membership() const {
  std::vector<VlanMembership> out;
  switch (mode) {
    case PortMode::kAccess:
      out.push_back({access_vlan, true, true});
      break;
    case PortMode::kTrunk:
      for (VlanId v : trunk_vlans) out.push_back({v, false, false});
      if (native_vlan) out.push_back({*native_vlan, true, true});
      break;
    case PortMode::kOther:
      out = membership;
      break;
  }
  std::sort(out.begin(), out.end(),
            [](const VlanMembership& a, const VlanMembership& b) { return a.vlan < b.vlan; });
  return out;
}

PortVlans PortVlans::none() {
  PortVlans v;
  v.mode = PortMode::kOther;
  return v;
}

PortVlans PortVlans::from_membership(std::vector<VlanMembership> m) {
  std::sort(m.begin(), m.end(),
            [](const VlanMembership& a, const VlanMembership& b) { return a.vlan < b.vlan; });
  if (m.size() == 1 && m[0].pvid && m[0].untagged) return access(m[0].vlan);
  std::vector<VlanId> tagged;
  std::optional<VlanId> native;
  bool trunk_shape = true;
  for (const VlanMembership& e : m) {
    if (!e.pvid && !e.untagged) {
      tagged.push_back(e.vlan);
    } else if (e.pvid && e.untagged && !native) {
      native = e.vlan;
    } else {
      trunk_shape = false;
    }
  }
  if (trunk_shape && !tagged.empty()) return trunk(std::move(tagged), native);
  PortVlans other;
  other.mode = PortMode::kOther;
  other.membership = std::move(m);
  return other;
}

// ---------------------------------------------------------------- addresses

namespace {

// The 4 or 16 address bytes of a canonical PortAddress.
std::array<std::uint8_t, 16> address_bytes(const PortAddress& a) {
  std::array<std::uint8_t, 16> b{};
  inet_pton(a.family == IpFamily::kIPv4 ? AF_INET : AF_INET6, a.address.c_str(), b.data());
  return b;
}

std::string bad_address(std::string_view text, const std::string& why) {
  return "'" + std::string(text) + "' " + why;
}

}  // namespace

PortAddress make_port_address(std::string_view text, unsigned prefix_length) {
  const std::string s(text);
  PortAddress out;
  std::array<std::uint8_t, 16> b{};
  char canonical[INET6_ADDRSTRLEN] = {};
  if (s.find(':') == std::string::npos) {
    // inet_pton accepts exactly four decimal parts (no octal, no short forms).
    if (s.empty() || s.size() > 15 || inet_pton(AF_INET, s.c_str(), b.data()) != 1) {
      throw Error(Status::kInvalidParameter,
                  bad_address(text,
                              "is not an IPv4 address in dotted decimal (e.g. 10.0.0.1) "
                              "nor an IPv6 address"));
    }
    out.family = IpFamily::kIPv4;
    if (prefix_length < 1 || prefix_length > 32) {
      throw Error(Status::kInvalidParameter, "IPv4 address " + s + ": prefix length " +
                                                 std::to_string(prefix_length) +
                                                 " is out of range 1..32");
    }
    if (b[0] == 0) throw Error(Status::kInvalidParameter, bad_address(text, "is in 0.0.0.0/8"));
    if (b[0] == 127)
      throw Error(Status::kInvalidParameter, bad_address(text, "is a loopback address"));
    if (b[0] >= 224 && b[0] <= 239)
      throw Error(Status::kInvalidParameter, bad_address(text, "is a multicast address"));
    if (b[0] >= 240)
      throw Error(Status::kInvalidParameter,
                  bad_address(text, "is a reserved (class E) or the broadcast address"));
    if (prefix_length <= 30) {
      std::uint32_t host = (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) |
                           (std::uint32_t(b[2]) << 8) | b[3];
      std::uint32_t mask = ~std::uint32_t(0) << (32 - prefix_length);
      if ((host & ~mask) == 0)
        throw Error(Status::kInvalidParameter,
                    bad_address(text, "is the network address of its subnet /" +
                                          std::to_string(prefix_length)));
      if ((host & ~mask) == ~mask)
        throw Error(Status::kInvalidParameter,
                    bad_address(text, "is the broadcast address of its subnet /" +
                                          std::to_string(prefix_length)));
    }
    inet_ntop(AF_INET, b.data(), canonical, sizeof canonical);
  } else {
    if (s.size() >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, s.c_str(), b.data()) != 1) {
      throw Error(Status::kInvalidParameter,
                  bad_address(text, "is not an IPv6 address (RFC 4291 text form, no zone)"));
    }
    out.family = IpFamily::kIPv6;
    if (prefix_length < 1 || prefix_length > 128) {
      throw Error(Status::kInvalidParameter, "IPv6 address " + s + ": prefix length " +
                                                 std::to_string(prefix_length) +
                                                 " is out of range 1..128");
    }
    static constexpr std::array<std::uint8_t, 16> kZero{};
    std::array<std::uint8_t, 16> loopback{};
    loopback[15] = 1;
    if (b == kZero)
      throw Error(Status::kInvalidParameter, bad_address(text, "is the unspecified address"));
    if (b == loopback)
      throw Error(Status::kInvalidParameter, bad_address(text, "is the loopback address"));
    if (b[0] == 0xff)
      throw Error(Status::kInvalidParameter, bad_address(text, "is a multicast address"));
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b.data(), kMapped, sizeof kMapped) == 0)
      throw Error(Status::kInvalidParameter,
                  bad_address(text, "is an IPv4-mapped IPv6 address; give the IPv4 address"));
    inet_ntop(AF_INET6, b.data(), canonical, sizeof canonical);
  }
  out.address = canonical;
  out.prefix_length = static_cast<std::uint8_t>(prefix_length);
  return out;
}

std::optional<unsigned> ipv4_mask_prefix(std::string_view mask) {
  const std::string s(mask);
  std::uint8_t b[4];
  if (s.empty() || s.size() > 15 || inet_pton(AF_INET, s.c_str(), b) != 1) return std::nullopt;
  std::uint32_t m =
      (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
  unsigned prefix = 0;
  while (prefix < 32 && (m & (0x80000000u >> prefix))) ++prefix;
  std::uint32_t contiguous = prefix == 0 ? 0 : ~std::uint32_t(0) << (32 - prefix);
  if (m != contiguous) return std::nullopt;
  return prefix;
}

std::string ipv4_prefix_mask(unsigned prefix_length) {
  std::uint32_t m =
      prefix_length == 0 ? 0 : ~std::uint32_t(0) << (32 - std::min(prefix_length, 32u));
  return std::to_string(m >> 24) + "." + std::to_string((m >> 16) & 0xff) + "." +
         std::to_string((m >> 8) & 0xff) + "." + std::to_string(m & 0xff);
}

std::string canonical_address(const PortAddress& a) {
  int af = a.family == IpFamily::kIPv4 ? AF_INET : AF_INET6;
  std::uint8_t b[16];
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_pton(af, a.address.c_str(), b) != 1 || !inet_ntop(af, b, text, sizeof text))
    return a.address;
  return text;
}

std::string port_address_text(const PortAddress& a) {
  return a.address + "/" + std::to_string(a.prefix_length);
}

bool is_link_local(const PortAddress& a) {
  if (a.family != IpFamily::kIPv6) return false;
  std::array<std::uint8_t, 16> b = address_bytes(a);
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

bool subnets_overlap(const PortAddress& a, const PortAddress& b) {
  if (a.family != b.family) return false;
  std::array<std::uint8_t, 16> x = address_bytes(a), y = address_bytes(b);
  // Two prefixes overlap when they agree on the shorter prefix's bits.
  unsigned bits = std::min(a.prefix_length, b.prefix_length);
  for (unsigned i = 0; i < bits; ++i) {
    unsigned byte = i / 8, bit = 7 - i % 8;
    if (((x[byte] >> bit) & 1) != ((y[byte] >> bit) & 1)) return false;
  }
  return true;
}

std::string default_vlan_name(VlanId id) {
  if (id == 1) return "default";
  char text[16];
  std::snprintf(text, sizeof text, "VLAN%04u", static_cast<unsigned>(id));
  return text;
}

namespace {

void check_vlan_id(VlanId id, std::string_view what) {
  if (id < kMinVlanId || id > kMaxVlanId) {
    throw Error(Status::kInvalidParameter, std::string(what) + " " + std::to_string(id) +
                                               " is out of range (VLAN ids are 1..4094)");
  }
}

std::string checked_vlan_name(VlanId id, const std::string& name) {
  if (name.empty()) return default_vlan_name(id);
  if (name.size() > kMaxVlanNameLength) {
    throw Error(Status::kInvalidParameter,
                "VLAN " + std::to_string(id) + " name is " + std::to_string(name.size()) +
                    " bytes long; at most " + std::to_string(kMaxVlanNameLength) + " are allowed");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      throw Error(Status::kInvalidParameter,
                  "VLAN " + std::to_string(id) + " name contains a control character");
    }
  }
  return name;
}

// Checks one port's VLAN configuration for coherence and brings it to its
// normal form (fields of the other mode cleared, lists sorted and unique).
PortVlans normalized(const std::string& port, const PortVlans& in) {
  const std::string where = "port " + port + ": ";
  switch (in.mode) {
    case PortMode::kAccess:
      check_vlan_id(in.access_vlan, where + "access VLAN");
      return PortVlans::access(in.access_vlan);
    case PortMode::kTrunk: {
      for (VlanId v : in.trunk_vlans) check_vlan_id(v, where + "trunked VLAN");
      if (in.native_vlan) check_vlan_id(*in.native_vlan, where + "native VLAN");
      // The native VLAN may be listed among the trunked ones (Cisco's
      // "allowed VLANs"); it is carried untagged, so it leaves the tagged list.
      std::vector<VlanId> tagged = in.trunk_vlans;
      if (in.native_vlan) std::erase(tagged, *in.native_vlan);
      PortVlans out = PortVlans::trunk(std::move(tagged), in.native_vlan);
      if (out.trunk_vlans.empty()) {
        throw Error(Status::kInvalidParameter,
                    where +
                        "trunk mode needs at least one tagged VLAN besides the native one (use "
                        "access mode for a single untagged VLAN)");
      }
      return out;
    }
    case PortMode::kOther: {
      PortVlans out;
      out.mode = PortMode::kOther;
      out.membership = in.membership;
      std::sort(out.membership.begin(), out.membership.end(),
                [](const VlanMembership& a, const VlanMembership& b) { return a.vlan < b.vlan; });
      int pvids = 0;
      for (std::size_t i = 0; i < out.membership.size(); ++i) {
        check_vlan_id(out.membership[i].vlan, where + "member VLAN");
        if (i > 0 && out.membership[i].vlan == out.membership[i - 1].vlan) {
          throw Error(
              Status::kInvalidParameter,
              where + "VLAN " + std::to_string(out.membership[i].vlan) + " is listed twice");
        }
        pvids += out.membership[i].pvid ? 1 : 0;
      }
      if (pvids > 1) {
        throw Error(Status::kInvalidParameter, where + "more than one PVID");
      }
      return out;
    }
  }
  throw Error(Status::kInvalidParameter, where + "unknown port mode");
}

// The VLANs a port's configuration needs to exist on the switch.
std::vector<VlanId> vlans_used(const PortVlans& v) {
  switch (v.mode) {
    case PortMode::kAccess:
      return {v.access_vlan};
    case PortMode::kTrunk: {
      std::vector<VlanId> out = v.trunk_vlans;
      if (v.native_vlan) out.push_back(*v.native_vlan);
      return out;
    }
    case PortMode::kOther:
      return {};  // found as is; not ours to police
  }
  return {};
}

std::string mode_text(const PortVlans& v) {
  switch (v.mode) {
    case PortMode::kAccess:
      return "access";
    case PortMode::kTrunk:
      return "trunk";
    case PortMode::kOther:
      return "other";
  }
  return "?";
}

// A port's addresses checked one by one (make_port_address), in canonical
// form, sorted; the same address twice or too many are refused.
std::vector<PortAddress> normalized_addresses(const std::string& port,
                                              const std::vector<PortAddress>& in) {
  if (in.size() > kMaxAddressesPerPort) {
    throw Error(Status::kInvalidParameter,
                "port " + port + ": " + std::to_string(in.size()) + " addresses; at most " +
                    std::to_string(kMaxAddressesPerPort) + " are allowed on one port");
  }
  std::vector<PortAddress> out;
  for (const PortAddress& a : in) {
    PortAddress c = make_port_address(a.address, a.prefix_length);
    if (c.family != a.family) {
      throw Error(Status::kInvalidParameter,
                  "port " + port + ": " + a.address + " is not an address of the family given");
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end());
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].family == out[i - 1].family && out[i].address == out[i - 1].address) {
      throw Error(Status::kAlreadyExists,
                  "port " + port + ": address " + out[i].address + " is listed twice");
    }
  }
  return out;
}

// Every address of an edited port against every address of the switch: the
// same address on two ports is kAlreadyExists (link-local IPv6 excepted);
// overlapping subnets (on one port or two) are kInvalidParameter. Sorted
// sweeps, O(n log n) in the number of addresses on the switch.
void check_addresses(const std::map<std::string, PortSettings, std::less<>>& target,
                     const PortEdits& edited) {
  if (std::all_of(edited.begin(), edited.end(),
                  [](const auto& e) { return e.second.addresses.empty(); }))
    return;
  struct Entry {
    const std::string* port;
    const PortAddress* address;
    std::array<std::uint8_t, 16> bytes;    // the address
    std::array<std::uint8_t, 16> network;  // the address under its prefix
    bool edited;
    bool link_local;
  };
  std::vector<Entry> all;
  for (const auto& [name, settings] : target) {
    const bool is_edited = edited.count(name) > 0;
    for (const PortAddress& a : settings.addresses) {
      Entry e{&name, &a, address_bytes(a), {}, is_edited, is_link_local(a)};
      for (unsigned i = 0; i < a.prefix_length && i < 128; ++i)
        e.network[i / 8] |= e.bytes[i / 8] & (0x80 >> (i % 8));
      all.push_back(e);
    }
  }
  auto fam = [](const Entry& e) { return e.address->family; };
  // 1. The same address twice: neighbours once sorted by address.
  std::sort(all.begin(), all.end(), [&](const Entry& x, const Entry& y) {
    return std::tie(x.address->family, x.bytes, *x.port) <
           std::tie(y.address->family, y.bytes, *y.port);
  });
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = i + 1;
         j < all.size() && fam(all[j]) == fam(all[i]) && all[j].bytes == all[i].bytes; ++j) {
      if (!all[i].edited && !all[j].edited) continue;
      if (*all[i].port != *all[j].port && all[i].link_local) continue;
      const Entry& mine = all[i].edited ? all[i] : all[j];
      const Entry& theirs = all[i].edited ? all[j] : all[i];
      throw Error(Status::kAlreadyExists, "address " + mine.address->address +
                                              " is already in use on port " + *theirs.port);
    }
  }
  // 2. Overlapping subnets: sorted by network then prefix, a subnet overlaps
  // another exactly when one contains the other, so a stack of the enclosing
  // subnets finds every overlap.
  std::erase_if(all, [](const Entry& e) { return e.link_local; });
  std::sort(all.begin(), all.end(), [](const Entry& x, const Entry& y) {
    return std::tie(x.address->family, x.network, x.address->prefix_length) <
           std::tie(y.address->family, y.network, y.address->prefix_length);
  });
  auto contains = [](const Entry& outer, const Entry& inner) {
    if (outer.address->family != inner.address->family) return false;
    for (unsigned i = 0; i < outer.address->prefix_length; ++i) {
      std::uint8_t bit = 0x80 >> (i % 8);
      if ((outer.network[i / 8] & bit) != (inner.bytes[i / 8] & bit)) return false;
    }
    return true;
  };
  std::vector<const Entry*> enclosing;
  for (const Entry& e : all) {
    while (!enclosing.empty() && !contains(*enclosing.back(), e)) enclosing.pop_back();
    const Entry* other = nullptr;
    if (!enclosing.empty() && e.edited) other = enclosing.back();
    for (const Entry* x : enclosing)
      if (!other && x->edited) other = x;
    if (other) {
      const Entry& mine = e.edited ? e : *other;
      const Entry& theirs = e.edited ? *other : e;
      throw Error(Status::kInvalidParameter,
                  "port " + *mine.port + ": subnet of " + port_address_text(*mine.address) +
                      " overlaps " + port_address_text(*theirs.address) + " on port " +
                      *theirs.port + "; a router's interfaces need separate subnets");
    }
    enclosing.push_back(&e);
  }
}

}  // namespace

void SwitchDriver::check_supported(const SwitchSettings&, const VlanEdits&, const PortEdits&) {}

std::optional<std::string> SwitchDriver::routed_ports_unsupported() const {
  return "the " + spec() + " switch driver has no routed (layer 3) ports";
}

std::vector<PortStatus> SwitchDriver::ports() {
  std::lock_guard lock(mutex_);
  return read_ports();
}

PortStatus SwitchDriver::port(std::string_view name) {
  std::lock_guard lock(mutex_);
  for (PortStatus& p : read_ports()) {
    if (p.name == name) return std::move(p);
  }
  throw Error(Status::kNotFound, "no port named '" + std::string(name) + "' on " + spec());
}

std::vector<Vlan> SwitchDriver::vlans() {
  std::lock_guard lock(mutex_);
  return read_vlans();
}

SwitchSettings SwitchDriver::settings() {
  std::lock_guard lock(mutex_);
  return settings_locked();
}

SwitchSettings SwitchDriver::settings_locked() {
  SwitchSettings s;
  s.vlans = read_vlans();
  for (const PortStatus& p : read_ports())
    s.ports.push_back({p.name, p.admin_up, p.vlans, p.addresses});
  return s;
}

// Checks the state `edits` would leave (current state with the edits laid
// over it) and drops edits that change nothing.
void SwitchDriver::validate(const SwitchSettings& current, Prepared& edits) {
  std::map<VlanId, std::string> vlans;
  for (const Vlan& v : current.vlans) vlans[v.id] = v.name;
  std::map<std::string, PortSettings, std::less<>> target;
  for (const PortSettings& p : current.ports) target[p.port] = p;

  for (auto& [id, name] : edits.vlans_) {
    check_vlan_id(id, "VLAN");
    if (name) {
      name = checked_vlan_name(id, *name);
      vlans[id] = *name;
    } else {
      vlans.erase(id);
    }
  }
  for (auto& [name, settings] : edits.ports_) {
    auto it = target.find(name);
    if (it == target.end()) {
      throw Error(Status::kNotFound, "no port named '" + name + "' on " + spec());
    }
    settings.port = name;
    settings.vlans = normalized(name, settings.vlans);
    settings.addresses = normalized_addresses(name, settings.addresses);
    if (settings.addresses != it->second.addresses) {
      if (auto why = routed_ports_unsupported()) {
        throw Error(Status::kNotSupported,
                    "port " + name + ": cannot change its IP addresses: " + *why);
      }
    }
    if (!settings.addresses.empty() && !settings.vlans.to_membership().empty()) {
      throw Error(Status::kInvalidParameter, "port " + name + " is a routed port (IP address " +
                                                 port_address_text(settings.addresses.front()) +
                                                 ") and cannot also be a VLAN member (" +
                                                 mode_text(settings.vlans) +
                                                 " mode); remove its addresses first");
    }
    it->second = settings;
  }
  // Every VLAN a changed port uses exists; no port uses a VLAN being removed.
  for (const auto& [name, settings] : edits.ports_) {
    for (VlanId v : vlans_used(settings.vlans)) {
      if (!vlans.count(v)) {
        throw Error(Status::kNotFound, "port " + name + ": VLAN " + std::to_string(v) +
                                           " does not exist on the switch (create it first)");
      }
    }
  }
  if (std::any_of(edits.vlans_.begin(), edits.vlans_.end(),
                  [](const auto& edit) { return !edit.second; })) {
    std::map<VlanId, const PortSettings*> user;  // first port (by name) using each VLAN
    for (const auto& [port, settings] : target) {
      for (VlanId v : vlans_used(settings.vlans)) user.emplace(v, &settings);
    }
    for (const auto& [id, name] : edits.vlans_) {
      auto u = name ? user.end() : user.find(id);
      if (u != user.end()) {
        throw Error(Status::kInvalidParameter,
                    "VLAN " + std::to_string(id) + " is in use by port " + u->second->port + " (" +
                        mode_text(u->second->vlans) + " mode); move the port off it first");
      }
    }
  }
  // Drop what changes nothing, so replaying the current settings is a no-op.
  std::map<VlanId, std::string> before;
  for (const Vlan& v : current.vlans) before[v.id] = v.name;
  for (auto it = edits.vlans_.begin(); it != edits.vlans_.end();) {
    auto b = before.find(it->first);
    bool same = it->second ? (b != before.end() && b->second == *it->second) : b == before.end();
    it = same ? edits.vlans_.erase(it) : std::next(it);
  }
  std::map<std::string_view, const PortSettings*> before_ports;
  for (const PortSettings& p : current.ports) before_ports[p.port] = &p;
  for (auto it = edits.ports_.begin(); it != edits.ports_.end();) {
    auto b = before_ports.find(it->first);
    bool same = b != before_ports.end() && *b->second == it->second;
    it = same ? edits.ports_.erase(it) : std::next(it);
  }
  // Against the whole switch, for the ports that change (so a message names
  // the port being changed first).
  check_addresses(target, edits.ports_);
  check_supported(current, edits.vlans_, edits.ports_);
}

Prepared SwitchDriver::prepare_locked(const SwitchSettings& current,
                                      const std::vector<Change>& changes) {
  std::map<VlanId, std::string> vlans;
  for (const Vlan& v : current.vlans) vlans[v.id] = v.name;
  std::map<std::string, PortSettings, std::less<>> ports;
  for (const PortSettings& p : current.ports) ports[p.port] = p;

  Prepared out;
  out.owner_ = this;
  auto port_of = [&](const std::string& name) -> PortSettings& {
    auto it = ports.find(name);
    if (it == ports.end()) {
      throw Error(Status::kNotFound, "no port named '" + name + "' on " + spec());
    }
    return it->second;
  };
  for (const Change& change : changes) {
    if (auto* c = std::get_if<CreateVlan>(&change)) {
      check_vlan_id(c->id, "VLAN");
      if (vlans.count(c->id)) {
        throw Error(Status::kAlreadyExists, "VLAN " + std::to_string(c->id) + " already exists");
      }
      vlans[c->id] = checked_vlan_name(c->id, c->name);
      out.vlans_[c->id] = vlans[c->id];
    } else if (auto* r = std::get_if<RemoveVlan>(&change)) {
      check_vlan_id(r->id, "VLAN");
      if (!vlans.erase(r->id)) {
        throw Error(Status::kNotFound, "VLAN " + std::to_string(r->id) + " does not exist");
      }
      out.vlans_[r->id] = std::nullopt;
    } else if (auto* n = std::get_if<RenameVlan>(&change)) {
      check_vlan_id(n->id, "VLAN");
      auto it = vlans.find(n->id);
      if (it == vlans.end()) {
        throw Error(Status::kNotFound, "VLAN " + std::to_string(n->id) + " does not exist");
      }
      it->second = checked_vlan_name(n->id, n->name);
      out.vlans_[n->id] = it->second;
    } else if (auto* a = std::get_if<SetPortAdmin>(&change)) {
      PortSettings& p = port_of(a->port);
      p.admin_up = a->up;
      out.ports_[a->port] = p;
    } else if (auto* s = std::get_if<SetPortVlans>(&change)) {
      PortSettings& p = port_of(s->port);
      p.vlans = normalized(s->port, s->vlans);
      out.ports_[s->port] = p;
    } else if (auto* add = std::get_if<AddPortAddress>(&change)) {
      PortSettings& p = port_of(add->port);
      PortAddress a = make_port_address(add->address.address, add->address.prefix_length);
      for (const PortAddress& have : p.addresses) {
        if (have.family == a.family && have.address == a.address) {
          throw Error(Status::kAlreadyExists,
                      "port " + add->port + " already has address " + port_address_text(have));
        }
      }
      p.addresses.push_back(std::move(a));
      std::sort(p.addresses.begin(), p.addresses.end());
      p.vlans = PortVlans::none();  // a routed port switches no VLAN
      out.ports_[add->port] = p;
    } else if (auto* rm = std::get_if<RemovePortAddress>(&change)) {
      PortSettings& p = port_of(rm->port);
      std::string wanted = canonical_address(rm->address);
      auto it = std::find_if(p.addresses.begin(), p.addresses.end(), [&](const PortAddress& a) {
        return a.family == rm->address.family && a.address == wanted;
      });
      if (it == p.addresses.end()) {
        throw Error(Status::kNotFound,
                    "port " + rm->port + " has no address " + rm->address.address);
      }
      p.addresses.erase(it);
      out.ports_[rm->port] = p;
    }
  }
  return out;
}

Prepared SwitchDriver::prepare(const std::vector<Change>& changes) {
  std::lock_guard lock(mutex_);
  SwitchSettings current = settings_locked();
  Prepared out = prepare_locked(current, changes);
  validate(current, out);
  return out;
}

Prepared SwitchDriver::prepare(const SwitchSettings& desired) {
  std::lock_guard lock(mutex_);
  SwitchSettings current = settings_locked();
  Prepared out;
  out.owner_ = this;
  for (const Vlan& v : desired.vlans) {
    check_vlan_id(v.id, "VLAN");
    if (out.vlans_.count(v.id)) {
      throw Error(Status::kInvalidParameter, "VLAN " + std::to_string(v.id) + " is listed twice");
    }
    out.vlans_[v.id] = v.name;
  }
  for (const Vlan& v : current.vlans) {
    if (!out.vlans_.count(v.id)) out.vlans_[v.id] = std::nullopt;
  }
  for (const PortSettings& p : desired.ports) {
    if (out.ports_.count(p.port)) {
      throw Error(Status::kInvalidParameter, "port " + p.port + " is listed twice");
    }
    out.ports_[p.port] = p;
  }
  validate(current, out);
  return out;
}

ApplyResult SwitchDriver::apply(Prepared&& prepared) noexcept {
  Prepared edits = std::move(prepared);
  if (edits.owner_ != this) {
    return {false, "not applied: these changes were prepared by another switch driver"};
  }
  if (edits.empty()) return {};
  try {
    std::lock_guard lock(mutex_);
    SwitchSettings current;
    Prepared undo;
    try {
      current = settings_locked();
      validate(current, edits);
    } catch (const std::exception& e) {
      return {false, std::string("not applied: the switch changed since prepare: ") + e.what()};
    }
    for (const auto& [id, name] : edits.vlans_) {
      auto it = std::find_if(current.vlans.begin(), current.vlans.end(),
                             [id = id](const Vlan& v) { return v.id == id; });
      undo.vlans_[id] =
          it == current.vlans.end() ? std::nullopt : std::optional<std::string>(it->name);
    }
    for (const auto& [name, settings] : edits.ports_) {
      for (const PortSettings& p : current.ports) {
        if (p.port == name) undo.ports_[name] = p;
      }
    }
    try {
      write(edits.vlans_, edits.ports_);
      return {};
    } catch (const std::exception& e) {
      std::string message = std::string("apply failed on ") + spec() + ": " + e.what();
      try {
        write(undo.vlans_, undo.ports_);
        return {false, message + "; every touched item was restored"};
      } catch (const std::exception& e2) {
        return {false, message + "; restoring the previous state failed too: " + e2.what()};
      }
    }
  } catch (const std::exception& e) {
    return {false, std::string("apply failed: ") + e.what()};
  } catch (...) {
    return {false, "apply failed with an unknown error"};
  }
}

void SwitchDriver::change(const std::vector<Change>& changes) {
  ApplyResult result = apply(prepare(changes));
  if (!result.ok) throw Error(Status::kFailed, result.message);
}

}  // namespace cimnet::switching

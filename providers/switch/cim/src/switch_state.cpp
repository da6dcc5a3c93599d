#include "cimnet/switching/switch_state.h"

#include <algorithm>
#include <set>

#include "agent/log/log.h"

namespace cimnet::switching {

using cim::Error;
using cim::Status;

namespace yang_path {

std::string vlan(VlanId id) {
  return std::string(kVlans) + "[id='" + std::to_string(id) + "']";
}

std::string port(std::string_view name) {
  // Interface names come from the driver or from a CIM key; a quote would
  // break the predicate, so such a name never reaches here (validated first).
  return std::string(kInterfaces) + "[name='" + std::string(name) + "']";
}

std::string switchport(std::string_view name) {
  return port(name) + "/cimnet:switchport";
}

std::string port_address(std::string_view name, const PortAddress& address) {
  return port(name) + (address.family == IpFamily::kIPv4 ? "/ietf-ip:ipv4" : "/ietf-ip:ipv6") +
         "/address[ip='" + address.address + "']";
}

}  // namespace yang_path

namespace {

std::optional<VlanId> parse_vlan(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  try {
    unsigned long v = std::stoul(*text);
    if (v >= kMinVlanId && v <= kMaxVlanId) return static_cast<VlanId>(v);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string vlan_text(VlanId id) {
  return std::to_string(id);
}

void check_vlan_range(VlanId id, const std::string& what) {
  if (id < kMinVlanId || id > kMaxVlanId)
    throw Error(Status::kInvalidParameter,
                what + " " + std::to_string(id) + " is out of range: VLAN IDs are 1..4094");
}

void check_port_name(const std::string& name) {
  if (name.empty() || name.find('\'') != std::string::npos || name.size() > 64)
    throw Error(Status::kInvalidParameter, "'" + name + "' is not a valid port name");
}

void write_port_vlans(config::Transaction& tx, const std::string& port, const PortVlans& v,
                      const std::optional<PortVlans>& before);

void write_port_address(config::Transaction& tx, const std::string& port, const PortAddress& a) {
  tx.set(yang_path::port_address(port, a) + "/prefix-length", std::to_string(a.prefix_length));
}

// Refuses VLAN edits on a routed port, saying how to make it switch again.
void check_switched(const PortConfig& p, const std::string& what) {
  if (!p.routed()) return;
  throw Error(Status::kInvalidParameter,
              "port " + p.name + " is a routed port (IP address " +
                  port_address_text(p.addresses.front()) +
                  "): remove its IP addresses "
                  "(MSFT_SwitchService.RemoveProtocolEndpoint) before setting its " +
                  what);
}

std::string addresses_text(const std::vector<PortAddress>& addresses) {
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : ", ") + port_address_text(a);
  return out;
}

// The stored configuration of a port. A port the driver has but the store
// does not (an interface added to the bridge after the first start) is
// recorded in `tx` as the driver sees it now, so the edit can go on.
PortConfig need_port(config::Transaction& tx, const SwitchConfig& c, SwitchDriver& driver,
                     const std::string& name) {
  check_port_name(name);
  if (const PortConfig* p = c.port(name)) return *p;
  PortStatus live;
  try {
    live = driver.port(name);
  } catch (const Error&) {
    throw Error(Status::kNotFound, "the switch has no port named '" + name + "'");
  }
  PortConfig p;
  p.name = name;
  p.enabled = live.admin_up;
  std::string path = yang_path::port(name);
  tx.set(path + "/type", "iana-if-type:ethernetCsmacd");
  tx.set(path + "/enabled", live.admin_up ? "true" : "false");
  tx.set(yang_path::switchport(name) + "/port-number", std::to_string(live.number));
  if (live.vlans.mode != PortMode::kOther) {
    p.vlans = live.vlans;
    write_port_vlans(tx, name, live.vlans, std::nullopt);
  }
  for (const auto& a : live.addresses) write_port_address(tx, name, a);
  p.addresses = live.addresses;
  return p;
}

void need_vlan(const SwitchConfig& c, VlanId id, const std::string& what) {
  check_vlan_range(id, what);
  if (!c.vlan(id))
    throw Error(Status::kNotFound, what + " " + std::to_string(id) +
                                       " does not exist on the switch; create it first (AddVLAN)");
}

// Writes a port's VLAN settings, replacing what the store had.
void write_port_vlans(config::Transaction& tx, const std::string& port, const PortVlans& v,
                      const std::optional<PortVlans>& before) {
  std::string sp = yang_path::switchport(port);
  if (before && before->mode == PortMode::kTrunk)
    for (VlanId t : before->trunk_vlans)
      tx.remove(sp + "/trunk-vlan[.='" + vlan_text(t) + "']", false);
  tx.remove(sp + "/access-vlan", false);
  tx.remove(sp + "/native-vlan", false);
  if (v.mode == PortMode::kAccess) {
    tx.set(sp + "/mode", "access");
    tx.set(sp + "/access-vlan", vlan_text(v.access_vlan));
  } else {
    tx.set(sp + "/mode", "trunk");
    for (VlanId t : v.trunk_vlans) tx.set(sp + "/trunk-vlan[.='" + vlan_text(t) + "']");
    if (v.native_vlan) tx.set(sp + "/native-vlan", vlan_text(*v.native_vlan));
  }
}

}  // namespace

const VlanConfig* SwitchConfig::vlan(VlanId id) const {
  for (const auto& v : vlans)
    if (v.id == id) return &v;
  return nullptr;
}

const PortConfig* SwitchConfig::port(std::string_view name) const {
  for (const auto& p : ports)
    if (p.name == name) return &p;
  return nullptr;
}

SwitchConfig read_switch_config(const config::ConfigView& view) {
  SwitchConfig c;
  for (const auto& path : view.select(yang_path::kVlans)) {
    auto id = parse_vlan(view.get(path + "/id"));
    if (!id) continue;
    VlanConfig v;
    v.id = *id;
    v.name = view.get(path + "/name").value_or("");
    v.enabled = view.get(path + "/enabled").value_or("true") == "true";
    v.caption = view.get(path + "/caption").value_or("");
    v.description = view.get(path + "/description").value_or("");
    c.vlans.push_back(std::move(v));
  }
  std::sort(c.vlans.begin(), c.vlans.end(),
            [](const VlanConfig& a, const VlanConfig& b) { return a.id < b.id; });
  for (const auto& path : view.select(yang_path::kInterfaces)) {
    PortConfig p;
    p.name = view.get(path + "/name").value_or("");
    if (p.name.empty()) continue;
    p.enabled = view.get(path + "/enabled").value_or("true") == "true";
    p.description = view.get(path + "/description").value_or("");
    std::string sp = path + "/cimnet:switchport";
    std::string mode = view.get(sp + "/mode").value_or("access");
    if (mode == "access") {
      if (auto a = parse_vlan(view.get(sp + "/access-vlan"))) p.vlans = PortVlans::access(*a);
    } else if (mode == "trunk") {
      std::vector<VlanId> tagged;
      for (const auto& t : view.select(sp + "/trunk-vlan"))
        if (auto v = parse_vlan(view.get(t))) tagged.push_back(*v);
      std::sort(tagged.begin(), tagged.end());
      p.vlans = PortVlans::trunk(std::move(tagged), parse_vlan(view.get(sp + "/native-vlan")));
    }
    for (IpFamily family : {IpFamily::kIPv4, IpFamily::kIPv6}) {
      const bool v4 = family == IpFamily::kIPv4;
      // ietf-ip: with ipv4/ipv6 "enabled" false the family's addresses rest.
      if (view.get(path + (v4 ? "/ietf-ip:ipv4/enabled" : "/ietf-ip:ipv6/enabled")) == "false")
        continue;
      for (const auto& a :
           view.select(path + (v4 ? "/ietf-ip:ipv4/address" : "/ietf-ip:ipv6/address"))) {
        PortAddress address;
        address.family = family;
        address.address = view.get(a + "/ip").value_or("");
        std::optional<unsigned> prefix;
        if (auto text = view.get(a + "/prefix-length")) {
          prefix = static_cast<unsigned>(std::stoul(*text));
        } else if (auto mask = view.get(a + "/netmask"); mask && v4) {
          // An imported configuration may give a mask: the driver refuses a
          // non-contiguous one (prefix 0 is out of range).
          prefix = ipv4_mask_prefix(*mask).value_or(0);
        }
        address.prefix_length = static_cast<std::uint8_t>(prefix.value_or(0));
        p.addresses.push_back(std::move(address));
      }
    }
    std::sort(p.addresses.begin(), p.addresses.end());
    c.ports.push_back(std::move(p));
  }
  return c;
}

SwitchSettings desired_settings(const SwitchConfig& config, SwitchDriver& driver) {
  SwitchSettings s;
  std::set<VlanId> disabled;
  for (const auto& v : config.vlans) {
    s.vlans.push_back({v.id, v.name});
    if (!v.enabled) disabled.insert(v.id);
  }
  for (const auto& live : driver.ports()) {
    const PortConfig* p = config.port(live.name);
    if (!p) continue;
    if (p->routed()) {
      // A routed port carries no VLAN; its switchport settings wait.
      s.ports.push_back({p->name, p->enabled, PortVlans::none(), p->addresses});
      continue;
    }
    PortVlans vlans = p->vlans ? *p->vlans : live.vlans;
    if (!disabled.empty() && p->vlans) {
      // A disabled VLAN stays defined (ports keep referring to it) but no
      // port carries it until it is enabled again.
      std::vector<VlanMembership> members = vlans.to_membership();
      auto off = [&](const VlanMembership& m) { return disabled.count(m.vlan) > 0; };
      if (std::any_of(members.begin(), members.end(), off)) {
        std::erase_if(members, off);
        vlans = PortVlans::from_membership(std::move(members));
      }
    }
    s.ports.push_back({p->name, p->enabled, std::move(vlans), {}});
  }
  return s;
}

// ---------------------------------------------------------------- backend

namespace {
bool touches_switch(const config::Change& change) {
  return change.touches("/cimnet:vlans") || change.touches("/ietf-interfaces:interfaces");
}
}  // namespace

void SwitchBackend::load(const config::ConfigView& running) noexcept {
  std::lock_guard lock(mutex_);
  try {
    Prepared p = driver_.prepare(desired_settings(read_switch_config(running), driver_));
    ApplyResult r = driver_.apply(std::move(p));
    load_problem_ = r.ok ? "" : r.message;
  } catch (const std::exception& e) {
    load_problem_ = e.what();
  }
}

void SwitchBackend::prepare(const config::Change& change, const config::ConfigView& candidate) {
  std::lock_guard lock(mutex_);
  prepared_.reset();
  if (!touches_switch(change)) return;
  try {
    prepared_.emplace(driver_.prepare(desired_settings(read_switch_config(candidate), driver_)));
    rejection_.reset();
  } catch (const Error& e) {
    rejection_ = e;
    throw config::ConfigError(config::ErrorKind::kRejected, std::string("switch: ") + e.what());
  }
}

void SwitchBackend::abort(const config::Change&) noexcept {
  std::lock_guard lock(mutex_);
  prepared_.reset();
}

void SwitchBackend::apply(const config::Change&) noexcept {
  std::lock_guard lock(mutex_);
  if (!prepared_) return;
  Prepared p = std::move(*prepared_);
  prepared_.reset();
  ApplyResult r = driver_.apply(std::move(p));
  if (!r.ok) {
    // The store has the change but the switch rolled it back: say so loudly;
    // the next start (or CopyStartupToCurrent) replays the store again.
    load_problem_ = "apply failed: " + r.message;
    log::error("switch " + driver_.spec() +
               ": a committed change could not be applied: " + r.message);
  }
}

std::optional<Error> SwitchBackend::last_rejection() const {
  std::lock_guard lock(mutex_);
  return rejection_;
}

std::string SwitchBackend::load_problem() const {
  std::lock_guard lock(mutex_);
  return load_problem_;
}

// ---------------------------------------------------------------- state

SwitchState::SwitchState(config::Store& store, SwitchDriver& driver)
    : store_(store), driver_(driver), backend_(driver) {
  bool empty = true;
  store_.read([&](const config::ConfigView& v) {
    empty = v.select(yang_path::kVlans).empty() && v.select(yang_path::kInterfaces).empty();
  });
  if (empty) seed_from_driver();
  store_.register_backend(backend_);
}

SwitchState::~SwitchState() {
  store_.unregister_backend(backend_);
}

void SwitchState::seed_from_driver() {
  SwitchSettings s = driver_.settings();
  auto tx = store_.begin();
  for (const auto& v : s.vlans)
    tx.set(yang_path::vlan(v.id) + "/name", v.name.empty() ? default_vlan_name(v.id) : v.name);
  for (const auto& live : driver_.ports()) {
    if (live.name.find('\'') != std::string::npos) continue;
    std::string p = yang_path::port(live.name);
    tx.set(p + "/type", "iana-if-type:ethernetCsmacd");
    tx.set(p + "/enabled", live.admin_up ? "true" : "false");
    tx.set(yang_path::switchport(live.name) + "/port-number", std::to_string(live.number));
    if (live.vlans.mode != PortMode::kOther)
      write_port_vlans(tx, live.name, live.vlans, std::nullopt);
    for (const auto& a : live.addresses) write_port_address(tx, live.name, a);
  }
  try {
    tx.commit();
  } catch (const config::ConfigError& e) {
    throw Error(Status::kFailed,
                std::string("cannot record the switch's initial state in the store: ") + e.what());
  }
}

SwitchConfig SwitchState::config() const {
  SwitchConfig c;
  store_.read([&](const config::ConfigView& v) { c = read_switch_config(v); });
  return c;
}

void SwitchState::rethrow(const config::ConfigError& e) const {
  switch (e.kind()) {
    case config::ErrorKind::kInvalid:
      throw Error(Status::kInvalidParameter, e.what());
    case config::ErrorKind::kNotFound:
      throw Error(Status::kNotFound, e.what());
    case config::ErrorKind::kAlreadyExists:
      throw Error(Status::kAlreadyExists, e.what());
    case config::ErrorKind::kRejected:
      if (auto r = backend_.last_rejection()) throw Error(r->status(), r->what());
      throw Error(Status::kFailed, e.what());
    default:
      throw Error(Status::kFailed, e.what());
  }
}

void SwitchState::edit(
    const std::function<void(config::Transaction&, const SwitchConfig&)>& build) {
  std::lock_guard lock(edit_mutex_);
  SwitchConfig current = config();
  try {
    auto tx = store_.begin();
    build(tx, current);
    tx.commit();
  } catch (const config::ConfigError& e) {
    rethrow(e);
  }
}

void SwitchState::require_switched(const std::string& port, const std::string& what) const {
  SwitchConfig c = config();
  if (const PortConfig* p = c.port(port)) check_switched(*p, what);
}

void SwitchState::set_port_enabled(const std::string& port, bool enabled) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    need_port(tx, c, driver_, port);
    tx.set(yang_path::port(port) + "/enabled", enabled ? "true" : "false");
  });
}

void SwitchState::set_port_description(const std::string& port, const std::string& description) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    need_port(tx, c, driver_, port);
    if (description.empty())
      tx.remove(yang_path::port(port) + "/description", false);
    else
      tx.set(yang_path::port(port) + "/description", description);
  });
}

void SwitchState::set_port_mode(const std::string& port, PortMode mode) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    const PortConfig p = need_port(tx, c, driver_, port);
    check_switched(p, "VLAN mode");
    std::optional<PortVlans> before = p.vlans;
    if (!before) before = driver_.port(port).vlans;
    if (mode == PortMode::kOther)
      throw Error(Status::kInvalidParameter,
                  "port " + port + ": only access (2) and trunk (5) modes can be set");
    if (before->mode == mode) return;
    PortVlans next;
    if (mode == PortMode::kAccess) {
      VlanId access = 0;
      if (before->native_vlan)
        access = *before->native_vlan;
      else if (c.vlan(1))
        access = 1;
      else if (!before->trunk_vlans.empty())
        access = before->trunk_vlans.front();
      else if (!c.vlans.empty())
        access = c.vlans.front().id;
      if (!access)
        throw Error(Status::kInvalidParameter,
                    "port " + port + ": access mode needs a VLAN and the switch has none");
      next = PortVlans::access(access);
    } else {
      std::optional<VlanId> native;
      if (before->mode == PortMode::kAccess && c.vlan(before->access_vlan))
        native = before->access_vlan;
      std::vector<VlanId> tagged;
      for (const auto& v : c.vlans)
        if (!native || v.id != *native) tagged.push_back(v.id);
      if (tagged.empty())
        throw Error(Status::kInvalidParameter,
                    "port " + port +
                        ": trunk mode needs at least one tagged VLAN besides the "
                        "native VLAN; create another VLAN first");
      next = PortVlans::trunk(std::move(tagged), native);
    }
    write_port_vlans(tx, port, next, p.vlans);
  });
}

void SwitchState::set_port_vlans(const std::string& port, const VlanSettingsEdit& e) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    const PortConfig p = need_port(tx, c, driver_, port);
    check_switched(p, "VLANs");
    PortVlans v = p.vlans ? *p.vlans : driver_.port(port).vlans;
    if (e.access_vlan) {
      if (v.mode != PortMode::kAccess)
        throw Error(Status::kInvalidParameter,
                    "port " + port +
                        " is not in access mode: set DesiredEndpointMode to 2 "
                        "(Access) on its CIM_VLANEndpoint before setting AccessVLAN");
      need_vlan(c, *e.access_vlan, "AccessVLAN");
      v.access_vlan = *e.access_vlan;
    }
    if (e.trunk_vlans || e.native_vlan) {
      if (v.mode != PortMode::kTrunk)
        throw Error(Status::kInvalidParameter,
                    "port " + port +
                        " is not in trunk mode: set DesiredEndpointMode to 5 "
                        "(Trunk) on its CIM_VLANEndpoint before setting TrunkedVLANList or "
                        "NativeVLAN");
      if (e.trunk_vlans) {
        std::set<VlanId> seen;
        for (VlanId t : *e.trunk_vlans) {
          need_vlan(c, t, "TrunkedVLANList entry");
          if (!seen.insert(t).second)
            throw Error(Status::kInvalidParameter,
                        "TrunkedVLANList lists VLAN " + std::to_string(t) + " twice");
        }
        if (seen.empty())
          throw Error(Status::kInvalidParameter,
                      "TrunkedVLANList is empty: a trunk carries at least one tagged VLAN (use "
                      "access mode for a single untagged VLAN)");
        v.trunk_vlans.assign(seen.begin(), seen.end());
      }
      if (e.native_vlan) {
        if (*e.native_vlan) need_vlan(c, **e.native_vlan, "NativeVLAN");
        v.native_vlan = *e.native_vlan;
      }
      if (v.native_vlan && std::find(v.trunk_vlans.begin(), v.trunk_vlans.end(), *v.native_vlan) !=
                               v.trunk_vlans.end())
        throw Error(Status::kInvalidParameter,
                    "VLAN " + std::to_string(*v.native_vlan) + " is port " + port +
                        "'s native (untagged) VLAN and cannot also be in TrunkedVLANList; "
                        "change NativeVLAN (or set it to null) in the same request");
    }
    write_port_vlans(tx, port, v, p.vlans);
  });
}

std::vector<PortAddress> SwitchState::add_port_addresses(
    const std::string& port, const std::vector<PortAddress>& addresses) {
  std::vector<PortAddress> added;
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    added.clear();
    const PortConfig p = need_port(tx, c, driver_, port);
    if (addresses.empty()) throw Error(Status::kInvalidParameter, "no IP address given");
    if (auto why = driver_.routed_ports_unsupported())
      throw Error(Status::kNotSupported, "port " + port + ": " + *why);
    for (const auto& given : addresses) {
      PortAddress a = make_port_address(given.address, given.prefix_length);
      for (const auto& other : c.ports)
        for (const auto& b : other.addresses)
          if (b.family == a.family && b.address == a.address &&
              (other.name == port || !is_link_local(a)))
            throw Error(Status::kAlreadyExists,
                        "IP address " + a.address + " is already in use on port " + other.name);
      for (const auto& b : added)
        if (b.family == a.family && b.address == a.address)
          throw Error(Status::kAlreadyExists, "IP address " + a.address + " is given twice");
      added.push_back(a);
    }
    if (p.addresses.size() + added.size() > kMaxAddressesPerPort)
      throw Error(Status::kInvalidParameter,
                  "port " + port + " would have " +
                      std::to_string(p.addresses.size() + added.size()) +
                      " IP addresses; at most " + std::to_string(kMaxAddressesPerPort) +
                      " are allowed (it has " + addresses_text(p.addresses) + ")");
    for (const auto& a : added) write_port_address(tx, port, a);
  });
  return added;
}

void SwitchState::remove_port_address(const std::string& port, const PortAddress& address) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    check_port_name(port);
    const PortConfig* p = c.port(port);
    if (!p) {
      driver_.port(port);  // kNotFound for a port the switch does not have
      throw Error(Status::kNotFound, "port " + port + " has no IP address");
    }
    const std::string wanted = canonical_address(address);
    auto it = std::find_if(p->addresses.begin(), p->addresses.end(), [&](const PortAddress& a) {
      return a.family == address.family && a.address == wanted;
    });
    if (it == p->addresses.end())
      throw Error(
          Status::kNotFound,
          "port " + port + " has no IP address " + address.address +
              (p->addresses.empty() ? "" : " (it has " + addresses_text(p->addresses) + ")"));
    tx.remove(yang_path::port_address(port, *it));
    // The ipv4 / ipv6 containers are presence containers: drop an empty one.
    bool family_left = std::any_of(
        p->addresses.begin(), p->addresses.end(),
        [&](const PortAddress& a) { return a.family == address.family && a.address != wanted; });
    if (!family_left)
      tx.remove(yang_path::port(port) +
                    (address.family == IpFamily::kIPv4 ? "/ietf-ip:ipv4" : "/ietf-ip:ipv6"),
                false);
  });
}

void SwitchState::add_vlans(const std::vector<VlanConfig>& vlans) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    if (vlans.empty()) throw Error(Status::kInvalidParameter, "no VLAN given");
    std::set<VlanId> seen;
    for (const auto& v : vlans) {
      check_vlan_range(v.id, "VLANId");
      if (c.vlan(v.id))
        throw Error(Status::kAlreadyExists, "VLAN " + std::to_string(v.id) + " already exists");
      if (!seen.insert(v.id).second)
        throw Error(Status::kInvalidParameter, "VLAN " + std::to_string(v.id) + " is listed twice");
      if (v.name.size() > kMaxVlanNameLength)
        throw Error(Status::kInvalidParameter,
                    "VLAN name is longer than " + std::to_string(kMaxVlanNameLength) + " bytes");
      std::string path = yang_path::vlan(v.id);
      tx.create(path);
      tx.set(path + "/name", v.name.empty() ? default_vlan_name(v.id) : v.name);
      tx.set(path + "/enabled", v.enabled ? "true" : "false");
      if (!v.caption.empty()) tx.set(path + "/caption", v.caption);
      if (!v.description.empty()) tx.set(path + "/description", v.description);
    }
  });
}

void SwitchState::remove_vlans(const std::vector<VlanId>& ids) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    if (ids.empty()) throw Error(Status::kInvalidParameter, "no VLAN given");
    for (VlanId id : ids) {
      need_vlan(c, id, "VLAN");
      for (const auto& p : c.ports) {
        if (!p.vlans) continue;
        const PortVlans& v = *p.vlans;
        bool used = (v.mode == PortMode::kAccess && v.access_vlan == id) ||
                    (v.mode == PortMode::kTrunk &&
                     (v.native_vlan == id || std::find(v.trunk_vlans.begin(), v.trunk_vlans.end(),
                                                       id) != v.trunk_vlans.end()));
        if (used)
          throw Error(Status::kInvalidParameter,
                      "VLAN " + std::to_string(id) + " is still used by port " + p.name +
                          (p.routed() ? " (in the switchport settings it returns to when its IP "
                                        "addresses are removed)"
                                      : "") +
                          "; move the port to another VLAN first");
      }
      tx.remove(yang_path::vlan(id));
    }
  });
}

void SwitchState::set_vlans_enabled(const std::vector<VlanId>& ids, bool enabled) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    if (ids.empty()) throw Error(Status::kInvalidParameter, "no VLAN given");
    for (VlanId id : ids) {
      need_vlan(c, id, "VLAN");
      tx.set(yang_path::vlan(id) + "/enabled", enabled ? "true" : "false");
    }
  });
}

void SwitchState::edit_vlan(VlanId id, const VlanEdit& e) {
  edit([&](config::Transaction& tx, const SwitchConfig& c) {
    need_vlan(c, id, "VLAN");
    std::string path = yang_path::vlan(id);
    if (e.name) {
      if (e.name->size() > kMaxVlanNameLength)
        throw Error(Status::kInvalidParameter,
                    "VLAN name is longer than " + std::to_string(kMaxVlanNameLength) + " bytes");
      tx.set(path + "/name", e.name->empty() ? default_vlan_name(id) : *e.name);
    }
    auto optional_leaf = [&](const char* leaf, const std::optional<std::string>& value) {
      if (!value) return;
      if (value->empty())
        tx.remove(path + "/" + leaf, false);
      else
        tx.set(path + "/" + leaf, *value);
    };
    optional_leaf("caption", e.caption);
    optional_leaf("description", e.description);
    if (e.enabled) tx.set(path + "/enabled", *e.enabled ? "true" : "false");
  });
}

void SwitchState::save_startup() {
  std::lock_guard lock(edit_mutex_);
  try {
    store_.save_running_to_startup();
  } catch (const config::ConfigError& e) {
    rethrow(e);
  }
}

void SwitchState::restore_startup() {
  std::lock_guard lock(edit_mutex_);
  try {
    store_.restore_startup_to_running();
  } catch (const config::ConfigError& e) {
    if (e.kind() == config::ErrorKind::kNotFound)
      throw Error(Status::kNotFound,
                  "no startup configuration has been saved (call CopyCurrentToStartup first)");
    rethrow(e);
  }
}

}  // namespace cimnet::switching

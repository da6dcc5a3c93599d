#include "cimnet/switching/sim_switch.h"

#include <algorithm>

#include "cimnet/cim/error.h"

namespace cimnet::switching {

using cim::Error;
using cim::Status;

SimSwitch::SimSwitch(int port_count) {
  if (port_count < 1 || port_count > kMaxPorts) {
    throw Error(Status::kInvalidParameter, "sim switch port count " + std::to_string(port_count) +
                                               " is out of range 1.." + std::to_string(kMaxPorts));
  }
  const int uplinks = std::min(4, port_count / 6);
  for (int i = 1; i <= port_count; ++i) {
    SimPort sp;
    PortStatus& p = sp.status;
    p.name = "Ethernet" + std::to_string(i);
    p.number = static_cast<std::uint16_t>(i);
    // Locally administered unicast (02:...), "cns" in the middle, port number last.
    p.permanent_mac = {0x02,
                       0x63,
                       0x6e,
                       0x73,
                       static_cast<std::uint8_t>(i >> 8),
                       static_cast<std::uint8_t>(i & 0xff)};
    p.mac = p.permanent_mac;
    p.full_duplex = true;
    p.mtu = 1500;
    p.max_mtu = 9216;
    p.link_technology = LinkTechnology::kEthernet;
    if (i > port_count - uplinks) {
      p.speed_bps = p.max_speed_bps = 10'000'000'000ULL;
      p.port_type = port_type::k10GBaseSR;
      p.auto_sense = false;
    } else {
      p.speed_bps = p.max_speed_bps = 1'000'000'000ULL;
      p.port_type = port_type::k1000BaseT;
      p.auto_sense = true;
    }
    p.admin_up = true;
    p.oper_up = true;
    p.vlans = PortVlans::access(1);
    ports_.push_back(std::move(sp));
  }
  vlans_.push_back({1, "default"});
}

std::string SimSwitch::spec() const {
  return "sim:" + std::to_string(ports_.size());
}

SimSwitch::SimPort& SimSwitch::find(std::string_view port) {
  for (SimPort& p : ports_) {
    if (p.status.name == port) return p;
  }
  throw Error(Status::kNotFound, "no port named '" + std::string(port) + "' on " + spec());
}

void SimSwitch::set_carrier(std::string_view port, bool carrier) {
  std::lock_guard lock(sim_mutex_);
  find(port).carrier = carrier;
}

void SimSwitch::add_traffic(std::string_view port, const PortCounters& d) {
  std::lock_guard lock(sim_mutex_);
  PortCounters& c = find(port).status.counters;
  c.rx_packets += d.rx_packets;
  c.tx_packets += d.tx_packets;
  c.rx_bytes += d.rx_bytes;
  c.tx_bytes += d.tx_bytes;
  c.rx_errors += d.rx_errors;
  c.tx_errors += d.tx_errors;
  c.rx_dropped += d.rx_dropped;
  c.tx_dropped += d.tx_dropped;
}

std::vector<PortStatus> SimSwitch::read_ports() {
  std::lock_guard lock(sim_mutex_);
  std::vector<PortStatus> out;
  out.reserve(ports_.size());
  for (const SimPort& sp : ports_) {
    out.push_back(sp.status);
    PortStatus& p = out.back();
    p.oper_up = p.admin_up && sp.carrier;
    // Like a real PHY: no link, no negotiated speed.
    if (!p.oper_up) p.speed_bps = 0;
  }
  return out;
}

std::vector<Vlan> SimSwitch::read_vlans() {
  std::lock_guard lock(sim_mutex_);
  return vlans_;
}

std::optional<std::string> SimSwitch::routed_ports_unsupported() const {
  return std::nullopt;
}

void SimSwitch::write(const VlanEdits& vlan_edits, const PortEdits& port_edits) {
  std::lock_guard lock(sim_mutex_);
  // Look every port up before changing anything: all or nothing.
  std::vector<std::pair<SimPort*, const PortSettings*>> targets;
  for (const auto& [name, settings] : port_edits) targets.emplace_back(&find(name), &settings);
  for (const auto& [id, name] : vlan_edits) {
    auto it =
        std::find_if(vlans_.begin(), vlans_.end(), [id = id](const Vlan& v) { return v.id == id; });
    if (!name) {
      if (it != vlans_.end()) vlans_.erase(it);
    } else if (it != vlans_.end()) {
      it->name = *name;
    } else {
      vlans_.insert(std::upper_bound(vlans_.begin(), vlans_.end(), id,
                                     [](VlanId a, const Vlan& b) { return a < b.id; }),
                    Vlan{id, *name});
    }
  }
  for (auto& [port, settings] : targets) {
    port->status.admin_up = settings->admin_up;
    port->status.vlans = settings->vlans;
    port->status.addresses = settings->addresses;
  }
}

}  // namespace cimnet::switching

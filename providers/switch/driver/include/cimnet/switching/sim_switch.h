#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/switching/driver.h"

namespace cimnet::switching {

// The simulated switch (`--switch sim[:N]`): N front-panel ports named
// Ethernet1..EthernetN, all state in memory. The last min(4, N/6) ports are
// 10G uplinks (10GBase-SR), the others 1000BaseT. Each port's permanent MAC is
// locally administered and derived from its number (02:63:6e:73:HH:LL), so it
// is the same on every run. At start VLAN 1 "default" exists, every port is
// administratively up, in access mode on VLAN 1, with carrier. Any port can
// be made a routed (layer 3) port by giving it IP addresses (AddPortAddress);
// the sim keeps them and leaves the port out of every VLAN meanwhile.
// Persistence is not its business: the store replays the configuration.
class SimSwitch final : public SwitchDriver {
 public:
  static constexpr int kDefaultPorts = 24;
  static constexpr int kMaxPorts = 1024;

  // Throws cim::Error(kInvalidParameter) unless 1 <= port_count <= kMaxPorts.
  explicit SimSwitch(int port_count = kDefaultPorts);

  std::string spec() const override;
  // nullopt: every sim port can be routed.
  std::optional<std::string> routed_ports_unsupported() const override;

  // Simulation hooks (what a cable or traffic would do); kNotFound for an
  // unknown port. Carrier off makes the port operationally down even when
  // administratively up.
  void set_carrier(std::string_view port, bool carrier);
  // Adds traffic to a port's counters.
  void add_traffic(std::string_view port, const PortCounters& delta);

 protected:
  std::vector<PortStatus> read_ports() override;
  std::vector<Vlan> read_vlans() override;
  void write(const VlanEdits& vlan_edits, const PortEdits& port_edits) override;

 private:
  struct SimPort {
    PortStatus status;  // identity, counters, admin state and VLANs
    bool carrier = true;
  };
  SimPort& find(std::string_view port);

  std::mutex sim_mutex_;  // the hooks run outside the driver lock
  std::vector<SimPort> ports_;
  std::vector<Vlan> vlans_;
};

}  // namespace cimnet::switching

#pragma once

// The switch's configuration as the configuration store holds it (YANG
// module cimnet: /cimnet:vlans and the cimnet:switchport augment of
// ietf-interfaces), kept in step with a SwitchDriver through a store Backend.
// Every change the switch providers make goes through SwitchState: one store
// transaction per operation (validate -> driver prepare -> persist -> driver
// apply), so a refused change leaves both the store and the switch untouched
// and a restart replays the stored configuration onto the driver.

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/cim/error.h"
#include "cimnet/config/store.h"
#include "cimnet/switching/driver.h"

namespace cimnet::switching {

// YANG data paths of the switch configuration.
namespace yang_path {
inline constexpr const char* kVlans = "/cimnet:vlans/vlan";
inline constexpr const char* kInterfaces = "/ietf-interfaces:interfaces/interface";
// port(name) + "/ietf-ip:ipv4/address[ip='10.0.0.1']" (ipv6 for IPv6).
std::string port_address(std::string_view port, const PortAddress& address);
// "/cimnet:vlans/vlan[id='10']".
std::string vlan(VlanId id);
// "/ietf-interfaces:interfaces/interface[name='Ethernet1']".
std::string port(std::string_view name);
// port(name) + "/cimnet:switchport".
std::string switchport(std::string_view name);
}  // namespace yang_path

// One configured VLAN (MSFT_NetworkVLAN).
struct VlanConfig {
  VlanId id = 0;
  std::string name;
  bool enabled = true;
  std::string caption;
  std::string description;
  bool operator==(const VlanConfig&) const = default;
};

// One configured port. `vlans` is nullopt when the store holds no VLAN
// settings for the port (a port found on the switch in a shape the model
// cannot express): the driver keeps whatever it has. A port with
// `addresses` (ietf-ip) is a routed port: the driver gets no VLAN for it, and
// `vlans` are kept for when its last address is removed.
struct PortConfig {
  std::string name;
  bool enabled = true;
  std::string description;
  std::optional<PortVlans> vlans;
  std::vector<PortAddress> addresses;  // sorted
  bool routed() const { return !addresses.empty(); }
  bool operator==(const PortConfig&) const = default;
};

// The switch part of one configuration.
struct SwitchConfig {
  std::vector<VlanConfig> vlans;  // by id
  std::vector<PortConfig> ports;  // in store order
  const VlanConfig* vlan(VlanId id) const;
  const PortConfig* port(std::string_view name) const;
};

// Reads the switch part of a configuration view.
SwitchConfig read_switch_config(const config::ConfigView& view);

// What the driver must look like for `config`: every configured VLAN, and
// every configured port the driver has (a port that left the switch is
// skipped; ports without VLAN settings keep their live VLANs). Disabled VLANs
// stay defined but are taken out of every port's membership.
SwitchSettings desired_settings(const SwitchConfig& config, SwitchDriver& driver);

// The store backend of the switch: prepares every switch change on the
// driver (which validates it against the hardware) and applies it after the
// store has persisted it. load() replays the running configuration.
class SwitchBackend : public config::Backend {
 public:
  explicit SwitchBackend(SwitchDriver& driver) : driver_(driver) {}

  void load(const config::ConfigView& running) noexcept override;
  void prepare(const config::Change& change, const config::ConfigView& candidate) override;
  void abort(const config::Change& change) noexcept override;
  void apply(const config::Change& change) noexcept override;

  // The driver's refusal behind the last ConfigError(kRejected) this backend
  // threw, so that callers can report the CIM status the driver chose.
  std::optional<cim::Error> last_rejection() const;
  // What load() reported ("" when the replay succeeded).
  std::string load_problem() const;

 private:
  SwitchDriver& driver_;
  mutable std::mutex mutex_;
  std::optional<Prepared> prepared_;
  std::optional<cim::Error> rejection_;
  std::string load_problem_;
};

// The switch's configuration service: reads and edits the switch part of the
// store. Constructing it seeds an empty store from the driver's current state
// (first start) and registers the backend, which replays the store onto the
// driver (every later start). Edits are serialized; each validates against
// the running configuration, builds one transaction and commits it, and
// throws cim::Error (kInvalidParameter, kNotFound, kAlreadyExists, kFailed)
// with a message naming what is wrong; nothing changes when it throws.
class SwitchState {
 public:
  SwitchState(config::Store& store, SwitchDriver& driver);
  ~SwitchState();
  SwitchState(const SwitchState&) = delete;
  SwitchState& operator=(const SwitchState&) = delete;

  SwitchDriver& driver() { return driver_; }
  config::Store& store() { return store_; }
  const SwitchBackend& backend() const { return backend_; }

  // The running switch configuration.
  SwitchConfig config() const;

  // Throws kInvalidParameter, saying how to undo it, when `port` is a routed
  // port (it has IP addresses): its VLAN settings (`what`) cannot be set.
  void require_switched(const std::string& port, const std::string& what) const;

  // Ports.
  void set_port_enabled(const std::string& port, bool enabled);
  void set_port_description(const std::string& port, const std::string& description);
  // Access: the port's access VLAN becomes the trunk's native VLAN, else VLAN
  // 1, else the lowest trunked VLAN. Trunk: the old access VLAN becomes the
  // native VLAN and every other VLAN is trunked (refused when there is none).
  void set_port_mode(const std::string& port, PortMode mode);
  // Any of the three VLAN settings at once (absent: unchanged). The port must
  // be in the matching mode: access_vlan needs access mode, the others trunk.
  // native_vlan holding nullopt inside means "no native VLAN".
  struct VlanSettingsEdit {
    std::optional<VlanId> access_vlan;
    std::optional<std::vector<VlanId>> trunk_vlans;
    std::optional<std::optional<VlanId>> native_vlan;
  };
  void set_port_vlans(const std::string& port, const VlanSettingsEdit& edit);

  // Routed ports. add_port_addresses gives a port addresses (all or none, in
  // one transaction), making it a routed port: it leaves its VLANs until its
  // last address is removed. Each address is checked (make_port_address);
  // an address already on any port is kAlreadyExists, an overlapping subnet
  // kInvalidParameter, an unknown port kNotFound, a driver without routed
  // ports kNotSupported. Returns the addresses as stored (canonical).
  std::vector<PortAddress> add_port_addresses(const std::string& port,
                                              const std::vector<PortAddress>& addresses);
  // Removes one address (matched by family and address); kNotFound when the
  // port does not have it. The port switches its saved VLANs again when it
  // was the last one.
  void remove_port_address(const std::string& port, const PortAddress& address);

  // VLANs. add_vlans creates all or none (kAlreadyExists when one exists);
  // remove_vlans refuses a VLAN that a port still uses.
  void add_vlans(const std::vector<VlanConfig>& vlans);
  void remove_vlans(const std::vector<VlanId>& ids);
  void set_vlans_enabled(const std::vector<VlanId>& ids, bool enabled);
  struct VlanEdit {
    std::optional<std::string> name;
    std::optional<std::string> caption;
    std::optional<std::string> description;
    std::optional<bool> enabled;
  };
  void edit_vlan(VlanId id, const VlanEdit& edit);

  // Running -> startup, startup -> running (through the driver).
  void save_startup();
  void restore_startup();

 private:
  // Runs `build` on a new transaction with the running configuration and
  // commits it; maps store and driver refusals to cim::Error.
  void edit(const std::function<void(config::Transaction&, const SwitchConfig&)>& build);
  [[noreturn]] void rethrow(const config::ConfigError& e) const;
  void seed_from_driver();

  config::Store& store_;
  SwitchDriver& driver_;
  SwitchBackend backend_;
  std::mutex edit_mutex_;
};

}  // namespace cimnet::switching

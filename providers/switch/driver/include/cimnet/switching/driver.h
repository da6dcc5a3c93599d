#pragma once

// The switch driver interface: one small abstract class (like Open vSwitch's
// netdev provider table) that the switch CIM providers and the configuration
// store talk to, with two implementations: `sim` (in memory, the embedded
// default) and `linux-bridge` (a VLAN-filtering Linux bridge over rtnetlink).
//
// Reads are live: every call asks the implementation again (for linux-bridge,
// the kernel), so changes made outside the agent show up on the next read.
//
// Writes are two-phase, for the configuration store's transactions:
//   Prepared p = driver.prepare(changes);   // validates, throws cim::Error, changes nothing
//   ... store commits its own state ...
//   ApplyResult r = driver.apply(std::move(p));  // noexcept; all-or-nothing
// Errors are cimnet::cim::Error carrying the CIM status the outside will see.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cimnet::switching {

using VlanId = std::uint16_t;
inline constexpr VlanId kMinVlanId = 1;
inline constexpr VlanId kMaxVlanId = 4094;
// VLAN names longer than this are refused (the configuration store's limit;
// CIM ElementName has no MaxLen).
inline constexpr std::size_t kMaxVlanNameLength = 255;

using MacAddress = std::array<std::uint8_t, 6>;

// "00:15:5d:05:df:03".
std::string mac_to_text(const MacAddress& mac);
// "00155D05DF03": the canonical form CIM_NetworkPort.PermanentAddress and
// CIM_EthernetPort.NetworkAddresses use (12 hex digits, no separators).
std::string mac_to_cim(const MacAddress& mac);

// CIM_NetworkPort.LinkTechnology values we report.
enum class LinkTechnology : std::uint16_t { kUnknown = 0, kOther = 1, kEthernet = 2 };

// CIM_EthernetPort.PortType values (CIM 2.32 ValueMap) the drivers report.
namespace port_type {
inline constexpr std::uint16_t kUnknown = 0;
inline constexpr std::uint16_t kOther = 1;  // see PortStatus::port_type_description
inline constexpr std::uint16_t k10BaseT = 50;
inline constexpr std::uint16_t k10_100BaseT = 51;
inline constexpr std::uint16_t k100BaseT = 52;
inline constexpr std::uint16_t k1000BaseT = 53;
inline constexpr std::uint16_t k2500BaseT = 54;
inline constexpr std::uint16_t k10GBaseT = 55;
inline constexpr std::uint16_t k1000BaseSX = 102;
inline constexpr std::uint16_t k10GBaseSR = 105;
}  // namespace port_type

// How a port carries VLANs (CIM_VLANEndpoint.DesiredEndpointMode 2 / 5 / 1).
enum class PortMode {
  kAccess,  // one VLAN, untagged, and it is the PVID
  kTrunk,   // tagged VLAN list, plus optionally a native VLAN untagged + PVID
  kOther,   // anything else found on a real switch; `membership` says what
};

// The name a VLAN gets when none is given: "default" for 1, else "VLAN0010".
std::string default_vlan_name(VlanId id);

// "access", "trunk", "other".
std::string_view port_mode_name(PortMode mode);

// One VLAN as the forwarding plane sees it on a port.
struct VlanMembership {
  VlanId vlan = 0;
  bool pvid = false;      // untagged ingress frames are classified into it
  bool untagged = false;  // egress frames leave without a tag
  bool operator==(const VlanMembership&) const = default;
};

// A port's VLAN configuration (CIM_VLANEndpointSettingData AccessVLAN,
// TrunkedVLANList, NativeVLAN).
struct PortVlans {
  PortMode mode = PortMode::kAccess;
  VlanId access_vlan = 1;  // kAccess only
  // kTrunk only: the tagged VLANs. prepare() sorts them, drops duplicates
  // and drops the native VLAN if listed (it is carried untagged).
  std::vector<VlanId> trunk_vlans;
  std::optional<VlanId> native_vlan;       // kTrunk only: untagged + PVID
  std::vector<VlanMembership> membership;  // kOther only: kept exactly as is

  // Access mode on `vlan`.
  static PortVlans access(VlanId vlan);
  // Trunk mode carrying `tagged` VLANs tagged and `native` (if any) untagged.
  static PortVlans trunk(std::vector<VlanId> tagged, std::optional<VlanId> native = std::nullopt);
  // The forwarding-plane membership this configuration means, sorted by VLAN.
  std::vector<VlanMembership> to_membership() const;
  // No VLAN at all: what a routed (layer 3) port has. Mode kOther with an
  // empty membership, which is also what from_membership({}) gives.
  static PortVlans none();
  // The configuration a membership list represents: access when it is exactly
  // one VLAN that is PVID and untagged; trunk when every VLAN is tagged except
  // at most one that is PVID and untagged; otherwise kOther with the list.
  static PortVlans from_membership(std::vector<VlanMembership> membership);
  bool operator==(const PortVlans&) const = default;
};

// Address family of a routed port's address.
enum class IpFamily : std::uint8_t { kIPv4 = 4, kIPv6 = 6 };

// At most this many addresses on one routed port.
inline constexpr std::size_t kMaxAddressesPerPort = 32;

// One address of a routed (layer 3) port, with its prefix length
// (CIM_IPProtocolEndpoint; ietf-ip ipv4/ipv6 address). `address` is always in
// canonical text form (inet_ntop: "10.0.0.1", "2001:db8::1"), so two equal
// addresses compare equal.
struct PortAddress {
  IpFamily family = IpFamily::kIPv4;
  std::string address;
  std::uint8_t prefix_length = 0;
  auto operator<=>(const PortAddress&) const = default;
};

// Builds a checked PortAddress from text and a prefix length. Throws
// cim::Error(kInvalidParameter) with a message saying what is wrong when the
// text is not an IPv4 or IPv6 address, the prefix is out of range (IPv4
// 1..32, IPv6 1..128), or the address cannot be an interface address:
// unspecified, loopback, multicast, IPv4 broadcast or class E, IPv4-mapped
// IPv6, or an IPv4 subnet's network or broadcast address (prefixes up to /30).
PortAddress make_port_address(std::string_view text, unsigned prefix_length);
// The prefix length of a dotted-decimal IPv4 subnet mask ("255.255.255.0" ->
// 24); nullopt when the text is not a mask or its one-bits are not contiguous.
std::optional<unsigned> ipv4_mask_prefix(std::string_view mask);
// "255.255.255.0" for 24 (0..32).
std::string ipv4_prefix_mask(unsigned prefix_length);
// The canonical text of a.address in a.family ("2001:DB8:0::1" ->
// "2001:db8::1"); the text unchanged when it is not an address of that family.
std::string canonical_address(const PortAddress& a);
// "10.0.0.1/24", "2001:db8::1/64".
std::string port_address_text(const PortAddress& a);
// True for IPv6 link-local addresses (fe80::/10): the same one may sit on
// several ports, and their subnets do not count as overlapping.
bool is_link_local(const PortAddress& a);
// True when the subnets of a and b (same family) share an address.
bool subnets_overlap(const PortAddress& a, const PortAddress& b);

// Packet counters since the port came into existence (not resettable).
struct PortCounters {
  std::uint64_t rx_packets = 0, tx_packets = 0;
  std::uint64_t rx_bytes = 0, tx_bytes = 0;
  std::uint64_t rx_errors = 0, tx_errors = 0;
  std::uint64_t rx_dropped = 0, tx_dropped = 0;
};

// A live snapshot of one port: identity (CIM_EthernetPort), state and counters.
struct PortStatus {
  std::string name;                 // DeviceID / Name, e.g. "Ethernet1" or "veth0"
  std::uint16_t number = 0;         // PortNumber, 1-based, stable while the port exists
  MacAddress permanent_mac{};       // PermanentAddress
  MacAddress mac{};                 // current address (NetworkAddresses)
  std::uint64_t speed_bps = 0;      // Speed; 0 when unknown (e.g. no link)
  std::uint64_t max_speed_bps = 0;  // MaxSpeed; 0 when unknown
  bool full_duplex = false;         // FullDuplex
  bool auto_sense = false;          // AutoSense (autonegotiation on)
  std::uint32_t mtu = 0;            // ActiveMaximumTransmissionUnit
  std::uint32_t max_mtu = 0;        // SupportedMaximumTransmissionUnit; 0 when unknown
  LinkTechnology link_technology = LinkTechnology::kEthernet;
  std::uint16_t port_type = port_type::kUnknown;  // CIM_EthernetPort.PortType
  std::string port_type_description;              // OtherPortType when port_type is kOther
  bool admin_up = false;                          // administratively enabled (EnabledState 2 / 3)
  bool oper_up = false;  // carrier and operationally up (OperationalStatus)
  PortCounters counters;
  PortVlans vlans;  // the VLAN configuration read back
  // Routed ports only: the port's IP addresses, sorted (empty: a switched port).
  std::vector<PortAddress> addresses;
};

// A VLAN defined on the switch (CIM_NetworkVLAN VLANId, ElementName).
struct Vlan {
  VlanId id = 0;
  std::string name;
  bool operator==(const Vlan&) const = default;
};

// The configurable state of one port. A port with addresses is a routed
// (layer 3) port: it takes no part in VLAN switching, so its `vlans` must be
// PortVlans::none(); prepare() refuses anything else.
struct PortSettings {
  std::string port;
  bool admin_up = true;
  PortVlans vlans;
  std::vector<PortAddress> addresses;  // sorted, unique
  bool operator==(const PortSettings&) const = default;
};

// The configurable state of the whole switch (what the store persists and
// replays): VLANs by id, ports in port-number order.
struct SwitchSettings {
  std::vector<Vlan> vlans;
  std::vector<PortSettings> ports;
  bool operator==(const SwitchSettings&) const = default;
};

// One requested change. A batch is validated as a whole, each change against
// the state the earlier ones leave (so "create VLAN 10, put port 3 in VLAN 10"
// is one valid batch).
struct CreateVlan {
  VlanId id = 0;
  std::string name;  // empty: "VLAN0010" style default
};
struct RemoveVlan {
  VlanId id = 0;
};
struct RenameVlan {
  VlanId id = 0;
  std::string name;
};
struct SetPortAdmin {
  std::string port;
  bool up = true;
};
struct SetPortVlans {
  std::string port;
  PortVlans vlans;
};
// Gives a port an address (built with make_port_address). The port becomes a
// routed port: its VLAN membership is dropped (PortVlans::none()). Another
// port's address in an overlapping subnet, or the same address anywhere, is
// refused (link-local IPv6 addresses may repeat on different ports).
struct AddPortAddress {
  std::string port;
  PortAddress address;
};
// Takes an address (matched by family and address; the prefix length is not
// compared) off a port. The port keeps no VLAN membership: when it was the
// last address, give the port its VLANs back with SetPortVlans in the same
// batch (the configuration store does so from its saved switchport settings).
struct RemovePortAddress {
  std::string port;
  PortAddress address;
};
using Change = std::variant<CreateVlan, RemoveVlan, RenameVlan, SetPortAdmin, SetPortVlans,
                            AddPortAddress, RemovePortAddress>;

// Final values of the items a batch touches: a VLAN's name (nullopt: the VLAN
// is removed) and a port's settings.
using VlanEdits = std::map<VlanId, std::optional<std::string>>;
using PortEdits = std::map<std::string, PortSettings, std::less<>>;

// The validated outcome of prepare(): only the items the batch touches, with
// their final values. Move-only; apply() consumes it. Dropping it aborts.
class Prepared {
 public:
  Prepared(Prepared&&) noexcept = default;
  Prepared& operator=(Prepared&&) noexcept = default;
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  // True when the batch changes nothing (apply will be a no-op).
  bool empty() const { return vlans_.empty() && ports_.empty(); }

 private:
  friend class SwitchDriver;
  Prepared() = default;
  const void* owner_ = nullptr;
  VlanEdits vlans_;
  PortEdits ports_;
};

// What apply() did.
struct ApplyResult {
  bool ok = true;
  std::string message;  // on failure: what failed and whether the rollback worked
};

// The abstract switch driver. Thread-safe: every public call takes the
// driver's lock. Callers serialize their prepare/apply pairs (one transaction
// at a time); apply re-validates anyway, so a stale Prepared cannot break
// invariants.
class SwitchDriver {
 public:
  virtual ~SwitchDriver() = default;
  SwitchDriver(const SwitchDriver&) = delete;
  SwitchDriver& operator=(const SwitchDriver&) = delete;

  // The --switch value this driver answers to, e.g. "sim:24", "linux-bridge:br0".
  virtual std::string spec() const = 0;

  // Every port, in port-number order, read live.
  std::vector<PortStatus> ports();
  // One port by name; cim::Error(kNotFound) when there is no such port.
  PortStatus port(std::string_view name);
  // VLANs defined on the switch, by id.
  std::vector<Vlan> vlans();
  // The configurable state, read live.
  SwitchSettings settings();

  // Validates a batch of changes against the current state and returns what
  // apply must do. Throws cim::Error (kInvalidParameter for out-of-range or
  // incoherent values, kNotFound for unknown ports / VLANs, kAlreadyExists for
  // a VLAN created twice, kNotSupported when the switch cannot do it, kFailed
  // when the switch cannot be read); changes nothing.
  Prepared prepare(const std::vector<Change>& changes);
  // Validates a whole desired configuration (startup replay, CopyStartupTo-
  // Current): VLANs not listed are removed, listed ports get exactly these
  // settings, ports not listed are left alone. Idempotent: preparing the
  // current settings() yields an empty Prepared. Same errors as above.
  Prepared prepare(const SwitchSettings& desired);
  // Makes the prepared changes real. Never throws. Re-validates against the
  // state at this moment; on any failure it restores every touched item to
  // its value before the call and says so in the result.
  ApplyResult apply(Prepared&& prepared) noexcept;
  // prepare + apply in one go; throws cim::Error(kFailed) if apply fails.
  void change(const std::vector<Change>& changes);

  // Why this driver cannot have routed (layer 3) ports, or nullopt when it
  // can. A batch that changes any port's addresses is refused with
  // kNotSupported and this text. Default: refused (a driver must opt in).
  virtual std::optional<std::string> routed_ports_unsupported() const;

 protected:
  SwitchDriver() = default;

  // Implementations: read the live state (called under the lock).
  virtual std::vector<PortStatus> read_ports() = 0;
  virtual std::vector<Vlan> read_vlans() = 0;
  // Driver-specific refusals for a batch (e.g. a bridge that does not filter
  // VLANs); throws cim::Error. Default: accepts everything.
  // `current` is the state the edits apply to (read in the same call).
  virtual void check_supported(const SwitchSettings& current, const VlanEdits& vlan_edits,
                               const PortEdits& port_edits);
  // Makes the given items equal to the given values (VLAN nullopt: remove).
  // May throw on a system failure; apply() then rolls back with another call.
  virtual void write(const VlanEdits& vlan_edits, const PortEdits& port_edits) = 0;

 private:
  Prepared prepare_locked(const SwitchSettings& current, const std::vector<Change>& changes);
  void validate(const SwitchSettings& current, Prepared& edits);
  SwitchSettings settings_locked();

  std::mutex mutex_;
};

// Builds a driver from the cimnetd --switch value: "sim" (24 ports),
// "sim:N" (1 <= N <= 1024), or "linux-bridge:BRIDGE". Throws
// cim::Error(kInvalidParameter) for anything else, and whatever opening the
// driver throws (e.g. kNotFound for a missing bridge).
std::unique_ptr<SwitchDriver> make_switch_driver(std::string_view spec);

}  // namespace cimnet::switching

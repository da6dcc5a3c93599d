#pragma once

// The switch's CIM classes: what Windows' NetworkSwitchManager module (and
// cimsh) reads and calls on a logo-conformant Ethernet switch.
//
// root/interop: CIM_RegisteredProfile ("Ethernet Switch Profile" 1.0 by
// Microsoft, plus the DMTF profiles implemented) and
// CIM_ElementConformsToProfile pointing at the switch's CIM_ComputerSystem in
// root/cimv2 (a cross-namespace reference).
// root/cimv2: the switch (CIM_ComputerSystem), its ports (CIM_EthernetPort,
// CIM_LANEndpoint, CIM_VLANEndpoint, CIM_VLANEndpointSettingData, and
// CIM_IPProtocolEndpoint for each address of a routed port), VLANs
// (MSFT_NetworkVLAN), MSFT_SwitchService, MSFT_Feature,
// MSFT_GlobalEthernetSwitchSettingData, CIM_EnabledLogicalElementCapabilities
// and the associations between them, served as association classes whose
// instances carry the two references.
//
// Reads come live from the driver (operational state) and from the store
// (configuration); every write goes through SwitchState.

#include <memory>
#include <string>
#include <vector>

#include "agent/provider/provider.h"
#include "cimnet/switching/switch_state.h"

namespace cimnet::switching {

// Names and versions of what is registered.
struct SwitchIdentity {
  std::string system_name;  // CIM_ComputerSystem.Name (the host name)
  std::string version;      // cimnetd version, for the switch's description
};

// The provider behind every switch class (one object, registered once per
// class). Instances are built on each call, so what the kernel or the store
// says now is what a client gets.
class SwitchProvider : public provider::Provider {
 public:
  SwitchProvider(SwitchState& state, SwitchIdentity identity);

  std::unique_ptr<provider::InstanceStream> enumerate(const provider::CallContext& ctx,
                                                      const cim::Class& cls) override;
  cim::Instance get(const provider::CallContext& ctx, const cim::Class& cls,
                    const cim::ObjectPath& path) override;
  // Put: properties whose value equals the current one are not changes (a
  // client may send the whole instance back); the rest must be writable for
  // the class (else kNotSupported naming them) and valid, and go to the
  // switch in one store transaction.
  cim::Instance modify(const provider::CallContext& ctx, const cim::Class& cls,
                       const cim::ObjectPath& path, const cim::Instance& changes,
                       const std::vector<std::string>& properties) override;
  provider::MethodResult invoke(const provider::CallContext& ctx, const cim::Class& cls,
                                const cim::Method& method,
                                const std::optional<cim::ObjectPath>& target,
                                const std::vector<cim::PropertyValue>& in) override;

  // Every instance of exactly `class_name` in `ns` (what enumerate streams).
  std::vector<cim::Instance> instances(const std::string& ns, const std::string& class_name);

  // Object paths of the main instances (namespace included).
  cim::ObjectPath system_path() const;
  cim::ObjectPath port_path(const std::string& port) const;
  cim::ObjectPath lan_endpoint_path(const std::string& port) const;
  cim::ObjectPath vlan_endpoint_path(const std::string& port) const;
  cim::ObjectPath vlan_setting_path(const std::string& port) const;
  cim::ObjectPath vlan_path(VlanId id) const;
  cim::ObjectPath service_path() const;
  // The agent's CIM_SoftwareIdentity (served by cimnetd, not by this provider).
  cim::ObjectPath software_path() const;
  // The CIM_IPProtocolEndpoint of one address of a routed port.
  cim::ObjectPath ip_endpoint_path(const std::string& port, const PortAddress& address) const;

 private:
  provider::MethodResult add_protocol_endpoint(const std::vector<cim::PropertyValue>& in);
  void remove_protocol_endpoint(const std::vector<cim::PropertyValue>& in);

  SwitchState& state_;
  SwitchIdentity identity_;
};

// The classes SwitchProvider serves, by namespace.
std::vector<std::string> switch_classes_cimv2();
std::vector<std::string> switch_classes_interop();

// Registers `provider` for every switch class in root/cimv2 and root/interop.
void register_switch_providers(provider::ProviderRegistry& registry,
                               const std::shared_ptr<SwitchProvider>& provider);

}  // namespace cimnet::switching

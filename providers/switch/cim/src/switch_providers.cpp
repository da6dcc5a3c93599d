#include "cimnet/switching/switch_providers.h"

#include <algorithm>
#include <functional>
#include <map>

#include "agent/provider/software_identity.h"
#include "cimnet/cim/names.h"

namespace cimnet::switching {

using cim::Error;
using cim::Instance;
using cim::ObjectPath;
using cim::Status;
using cim::Type;
using cim::Value;

namespace {

constexpr const char* kCimv2 = "root/cimv2";
constexpr const char* kInterop = "root/interop";
constexpr const char* kSystemClass = "CIM_ComputerSystem";
constexpr const char* kServiceName = "cimnet-switch-service";
constexpr const char* kCapabilitiesId = "cimnet:EthernetPortCapabilities";
constexpr const char* kGlobalSettingsId = "cimnet:GlobalEthernetSwitchSettings";
constexpr const char* kFeatureId = "cimnet:Feature:VLAN";
constexpr const char* kRoutedFeatureId = "cimnet:Feature:RoutedPorts";
constexpr const char* kVlanPrefix = "cimnet:VLAN:";
constexpr const char* kSettingPrefix = "cimnet:VLANEndpointSettingData:";
constexpr const char* kLanPrefix = "LAN:";
constexpr const char* kVlanEpPrefix = "VLAN:";
constexpr const char* kIpEpPrefix = "IP:";
constexpr const char* kIpClass = "CIM_IPProtocolEndpoint";

// CIM_IPProtocolEndpoint values.
constexpr uint16_t kIfTypeIPv4 = 4096;
constexpr uint16_t kIfTypeIPv6 = 4097;
constexpr uint16_t kOriginStatic = 3;

// EnabledState / RequestedState values.
constexpr uint16_t kEnabled = 2;
constexpr uint16_t kDisabled = 3;
// CIM_VLANEndpoint endpoint modes.
constexpr uint16_t kModeOther = 1;
constexpr uint16_t kModeAccess = 2;
constexpr uint16_t kModeTrunk = 5;

// The profiles in root/interop: InstanceID, organization (1 Other, 2 DMTF),
// other organization, name, version.
struct Profile {
  const char* id;
  uint16_t organization;
  const char* other_organization;
  const char* name;
  const char* version;
};
constexpr Profile kProfiles[] = {
    {"cimnet:profile:EthernetSwitch", 1, "Microsoft", "Ethernet Switch Profile", "1.0"},
    {"cimnet:profile:ProfileRegistration", 2, nullptr, "Profile Registration", "1.0.0"},
    {"cimnet:profile:EthernetPort", 2, nullptr, "Ethernet Port", "1.0.1"},
};

Value str(const std::string& s) {
  return Value::string(s);
}
Value str_or_null(const std::string& s) {
  return s.empty() ? Value::null(Type::kString) : str(s);
}
Value u16(uint64_t v) {
  return Value::uint16(static_cast<uint16_t>(v));
}
Value u16s(const std::vector<uint16_t>& vs) {
  std::vector<Value> items;
  for (auto v : vs) items.push_back(Value::uint16(v));
  return Value::array(Type::kUint16, items);
}
Value ref(const ObjectPath& p) {
  return Value::reference(p);
}

// An association instance with its two references.
Instance association(const char* cls, const char* role1, const ObjectPath& p1, const char* role2,
                     const ObjectPath& p2) {
  Instance i(cls);
  i.set(role1, ref(p1));
  i.set(role2, ref(p2));
  return i;
}

std::string key_string(const ObjectPath& path, const char* key) {
  const Value* v = path.key(key);
  if (!v || v->is_null() || v->is_array() || v->type() != Type::kString) return {};
  return v->as_string();
}

// The VLAN ID in an MSFT_NetworkVLAN InstanceID ("cimnet:VLAN:10"), or 0.
VlanId vlan_from_instance_id(const std::string& id) {
  if (id.rfind(kVlanPrefix, 0) != 0) return 0;
  std::string digits = id.substr(std::string(kVlanPrefix).size());
  if (digits.empty() || digits.size() > 4 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  unsigned long v = std::stoul(digits);
  return v >= kMinVlanId && v <= kMaxVlanId ? static_cast<VlanId>(v) : 0;
}

uint16_t mode_value(PortMode m) {
  switch (m) {
    case PortMode::kAccess:
      return kModeAccess;
    case PortMode::kTrunk:
      return kModeTrunk;
    default:
      return kModeOther;
  }
}

std::string vlan_list_text(const std::vector<VlanMembership>& members) {
  std::string out;
  for (const auto& m : members) {
    if (!out.empty()) out += ",";
    out += std::to_string(m.vlan) + (m.untagged ? "u" : "t") + (m.pvid ? "p" : "");
  }
  return out;
}

// Refuses properties a Put may not change, naming them and what may be.
void only_writable(const std::string& cls, const std::vector<std::string>& properties,
                   std::initializer_list<const char*> writable) {
  for (const auto& p : properties) {
    bool ok = false;
    for (const char* w : writable) ok = ok || cim::iequals(p, w);
    if (!ok) {
      std::string list;
      for (const char* w : writable) list += (list.empty() ? "" : ", ") + std::string(w);
      throw Error(
          Status::kNotSupported,
          cls + "." + p + " cannot be changed on this switch; the writable properties are " + list);
    }
  }
}

const Value& changed(const Instance& changes, const char* name) {
  const Value* v = changes.get(name);
  if (!v) throw Error(Status::kFailed, std::string("property ") + name + " missing from changes");
  return *v;
}

VlanId vlan_value(const Value& v, const std::string& what) {
  if (v.is_null() || v.is_array())
    throw Error(Status::kInvalidParameter, what + " needs one VLAN ID (1..4094)");
  uint64_t id = v.as_uint();
  if (id < kMinVlanId || id > kMaxVlanId)
    throw Error(Status::kInvalidParameter,
                what + " " + std::to_string(id) + " is out of range: VLAN IDs are 1..4094");
  return static_cast<VlanId>(id);
}

const Value* input(const std::vector<cim::PropertyValue>& in, const char* name) {
  for (const auto& p : in)
    if (cim::iequals(p.name, name)) return &p.value;
  return nullptr;
}

}  // namespace

SwitchProvider::SwitchProvider(SwitchState& state, SwitchIdentity identity)
    : state_(state), identity_(std::move(identity)) {}

// ---------------------------------------------------------------- paths

ObjectPath SwitchProvider::system_path() const {
  return ObjectPath(
      kCimv2, kSystemClass,
      {{"CreationClassName", str(kSystemClass)}, {"Name", str(identity_.system_name)}});
}

namespace {
ObjectPath system_scoped(const std::string& system, const char* cls, const char* key,
                         const std::string& value) {
  return ObjectPath(kCimv2, cls,
                    {{"SystemCreationClassName", str(kSystemClass)},
                     {"SystemName", str(system)},
                     {"CreationClassName", str(cls)},
                     {key, str(value)}});
}
ObjectPath instance_id_path(const char* ns, const char* cls, const std::string& id) {
  return ObjectPath(ns, cls, {{"InstanceID", str(id)}});
}
}  // namespace

ObjectPath SwitchProvider::port_path(const std::string& port) const {
  return system_scoped(identity_.system_name, "CIM_EthernetPort", "DeviceID", port);
}
ObjectPath SwitchProvider::lan_endpoint_path(const std::string& port) const {
  return system_scoped(identity_.system_name, "CIM_LANEndpoint", "Name", kLanPrefix + port);
}
ObjectPath SwitchProvider::vlan_endpoint_path(const std::string& port) const {
  return system_scoped(identity_.system_name, "CIM_VLANEndpoint", "Name", kVlanEpPrefix + port);
}
ObjectPath SwitchProvider::vlan_setting_path(const std::string& port) const {
  return instance_id_path(kCimv2, "CIM_VLANEndpointSettingData", kSettingPrefix + port);
}
ObjectPath SwitchProvider::vlan_path(VlanId id) const {
  return instance_id_path(kCimv2, "MSFT_NetworkVLAN", kVlanPrefix + std::to_string(id));
}
ObjectPath SwitchProvider::service_path() const {
  return system_scoped(identity_.system_name, "MSFT_SwitchService", "Name", kServiceName);
}
ObjectPath SwitchProvider::software_path() const {
  // The agent's own CIM_SoftwareIdentity (served by cimnetd's
  // SoftwareIdentityProvider): the software that runs the switch.
  cim::Instance sw = provider::SoftwareIdentityProvider(identity_.version).instance();
  return instance_id_path(kCimv2, "CIM_SoftwareIdentity", sw.get("InstanceID")->as_string());
}
ObjectPath SwitchProvider::ip_endpoint_path(const std::string& port, const PortAddress& a) const {
  // "IP:Ethernet3:10.0.0.1": one endpoint per address (DSP1036 allows one
  // IPv4 and several IPv6 addresses per endpoint; one each is simpler to
  // add and remove, which is what the switch methods do).
  return system_scoped(identity_.system_name, kIpClass, "Name",
                       kIpEpPrefix + port + ":" + a.address);
}

std::vector<std::string> switch_classes_cimv2() {
  return {"CIM_ComputerSystem",
          "CIM_EthernetPort",
          "CIM_LANEndpoint",
          "CIM_VLANEndpoint",
          "CIM_VLANEndpointSettingData",
          "CIM_IPProtocolEndpoint",
          "MSFT_NetworkVLAN",
          "MSFT_SwitchService",
          "MSFT_Feature",
          "MSFT_GlobalEthernetSwitchSettingData",
          "CIM_EnabledLogicalElementCapabilities",
          "CIM_SystemDevice",
          "CIM_HostedAccessPoint",
          "CIM_DeviceSAPImplementation",
          "CIM_BindsToLANEndpoint",
          "CIM_ElementSettingData",
          "CIM_HostedCollection",
          "CIM_MemberOfCollection",
          "CIM_HostedService",
          "CIM_ElementCapabilities",
          "CIM_InstalledSoftwareIdentity",
          "CIM_ElementSoftwareIdentity",
          "CIM_ElementConformsToProfile"};
}

std::vector<std::string> switch_classes_interop() {
  return {"CIM_RegisteredProfile", "CIM_ElementConformsToProfile"};
}

void register_switch_providers(provider::ProviderRegistry& registry,
                               const std::shared_ptr<SwitchProvider>& provider) {
  for (const auto& c : switch_classes_cimv2()) registry.add(kCimv2, c, provider);
  for (const auto& c : switch_classes_interop()) registry.add(kInterop, c, provider);
}

// ---------------------------------------------------------------- instances

std::vector<Instance> SwitchProvider::instances(const std::string& ns,
                                                const std::string& class_name) {
  std::vector<Instance> out;
  auto is = [&](const char* c) { return cim::iequals(class_name, c); };
  bool cimv2 = cim::iequals(cim::canonical_namespace(ns), kCimv2);
  bool interop = cim::iequals(cim::canonical_namespace(ns), kInterop);
  if (!cimv2 && !interop) return out;

  auto profile_path = [](const Profile& p) {
    return instance_id_path(kInterop, "CIM_RegisteredProfile", p.id);
  };
  if (is("CIM_RegisteredProfile")) {
    if (!interop) return out;
    for (const auto& p : kProfiles) {
      Instance i("CIM_RegisteredProfile");
      i.set("InstanceID", str(p.id));
      i.set("RegisteredOrganization", u16(p.organization));
      if (p.other_organization) i.set("OtherRegisteredOrganization", str(p.other_organization));
      i.set("RegisteredName", str(p.name));
      i.set("RegisteredVersion", str(p.version));
      i.set("AdvertiseTypes", u16s({2}));  // Not Advertised
      i.set("ElementName", str(p.name));
      out.push_back(std::move(i));
    }
    return out;
  }

  // Everything else needs the live ports and the configuration.
  std::vector<PortStatus> ports = state_.driver().ports();
  SwitchConfig config = state_.config();
  auto port_config = [&](const PortStatus& p) -> PortVlans {
    const PortConfig* c = config.port(p.name);
    return c && c->vlans ? *c->vlans : p.vlans;
  };
  auto is_routed = [&](const PortStatus& p) {
    const PortConfig* c = config.port(p.name);
    return c && c->routed();
  };
  // Every configured address of a port the switch has, with its port.
  auto for_each_address =
      [&](const std::function<void(const PortStatus&, const PortAddress&)>& fn) {
        for (const auto& p : ports)
          if (const PortConfig* c = config.port(p.name))
            for (const auto& a : c->addresses) fn(p, a);
      };

  if (is("CIM_ElementConformsToProfile")) {
    out.push_back(association("CIM_ElementConformsToProfile", "ConformantStandard",
                              profile_path(kProfiles[0]), "ManagedElement", system_path()));
    for (const auto& p : ports)
      out.push_back(association("CIM_ElementConformsToProfile", "ConformantStandard",
                                profile_path(kProfiles[2]), "ManagedElement", port_path(p.name)));
    return out;
  }
  if (!cimv2) return out;

  if (is("CIM_ComputerSystem")) {
    Instance i(kSystemClass);
    i.set("CreationClassName", str(kSystemClass));
    i.set("Name", str(identity_.system_name));
    i.set("ElementName", str(identity_.system_name));
    i.set("NameFormat", str("Other"));
    i.set("Caption", str("cimnet Ethernet switch"));
    i.set("Description", str("Ethernet switch (" + state_.driver().spec() +
                             ") managed by cimnetd " + identity_.version));
    i.set("Dedicated", u16s({5, 38}));  // Switch, Ethernet Switch
    i.set("EnabledState", u16(kEnabled));
    i.set("RequestedState", u16(12));  // Not Applicable
    i.set("OperationalStatus", u16s({2}));
    out.push_back(std::move(i));
  } else if (is("CIM_EthernetPort")) {
    for (const auto& p : ports) {
      const PortConfig* c = config.port(p.name);
      Instance i("CIM_EthernetPort");
      ObjectPath path = port_path(p.name);
      for (const auto& k : path.keys()) i.set(k.name, k.value);
      i.set("Name", str(p.name));
      i.set("ElementName", str(p.name));
      i.set("Description", str_or_null(c ? c->description : ""));
      i.set("PortNumber", u16(p.number));
      i.set("Speed", Value::uint64(p.speed_bps));
      i.set("MaxSpeed", Value::uint64(p.max_speed_bps));
      i.set("FullDuplex", Value::boolean(p.full_duplex));
      i.set("AutoSense", Value::boolean(p.auto_sense));
      i.set("PermanentAddress", str(mac_to_cim(p.permanent_mac)));
      i.set("NetworkAddresses", Value::array(Type::kString, {str(mac_to_cim(p.mac))}));
      i.set("LinkTechnology", u16(static_cast<uint16_t>(p.link_technology)));
      i.set("PortType", u16(p.port_type));
      if (p.port_type == port_type::kOther) i.set("OtherPortType", str(p.port_type_description));
      i.set("ActiveMaximumTransmissionUnit", Value::uint64(p.mtu));
      if (p.max_mtu) i.set("SupportedMaximumTransmissionUnit", Value::uint64(p.max_mtu));
      i.set("MaxDataSize", Value::uint32(p.mtu));
      i.set("EnabledState", u16(p.admin_up ? kEnabled : kDisabled));
      i.set("RequestedState", u16(c ? (c->enabled ? kEnabled : kDisabled) : 12));
      i.set("EnabledDefault", u16(kEnabled));
      i.set("AvailableRequestedStates", u16s({kEnabled, kDisabled}));
      // 2 OK; 10 Stopped (administratively down); 13 Lost Communication (no carrier).
      i.set("OperationalStatus", u16s({static_cast<uint16_t>(!p.admin_up ? 10
                                                             : p.oper_up ? 2
                                                                         : 13)}));
      out.push_back(std::move(i));
    }
  } else if (is("CIM_LANEndpoint")) {
    for (const auto& p : ports) {
      Instance i("CIM_LANEndpoint");
      ObjectPath path = lan_endpoint_path(p.name);
      for (const auto& k : path.keys()) i.set(k.name, k.value);
      i.set("ElementName", str("LAN endpoint of " + p.name));
      i.set("MACAddress", str(mac_to_cim(p.mac)));
      i.set("ProtocolIFType", u16(6));  // Ethernet CSMA/CD
      i.set("MaxDataSize", Value::uint32(p.mtu));
      i.set("EnabledState", u16(p.admin_up ? kEnabled : kDisabled));
      i.set("RequestedState", u16(12));
      i.set("OperationalStatus", u16s({static_cast<uint16_t>(p.oper_up ? 2 : 10)}));
      out.push_back(std::move(i));
    }
  } else if (is("CIM_VLANEndpoint")) {
    for (const auto& p : ports) {
      PortVlans desired = port_config(p);
      const bool routed = is_routed(p);
      Instance i("CIM_VLANEndpoint");
      ObjectPath path = vlan_endpoint_path(p.name);
      for (const auto& k : path.keys()) i.set(k.name, k.value);
      i.set("ElementName", str("VLAN endpoint of " + p.name));
      i.set("ProtocolIFType", u16(135));  // Layer 2 VLAN using 802.1Q
      i.set("DesiredEndpointMode", u16(mode_value(desired.mode)));
      i.set("OperationalEndpointMode", u16(mode_value(p.vlans.mode)));
      if (routed)
        i.set("OtherEndpointMode", str("routed port (layer 3): no VLAN"));
      else if (p.vlans.mode == PortMode::kOther)
        i.set("OtherEndpointMode", str("VLAN membership " + vlan_list_text(p.vlans.membership)));
      i.set("DesiredVLANTrunkEncapsulation", u16(desired.mode == PortMode::kTrunk ? 3 : 2));
      i.set("OperationalVLANTrunkEncapsulation", u16(p.vlans.mode == PortMode::kTrunk ? 3 : 2));
      i.set("GVRPStatus", u16(2));  // Not Applicable
      // A routed port's VLAN endpoint waits, disabled, with the switchport
      // settings the port returns to when its last address goes.
      i.set("EnabledState", u16(p.admin_up && !routed ? kEnabled : kDisabled));
      i.set("RequestedState", u16(12));
      out.push_back(std::move(i));
    }
  } else if (is("CIM_VLANEndpointSettingData")) {
    for (const auto& p : ports) {
      PortVlans v = port_config(p);
      Instance i("CIM_VLANEndpointSettingData");
      i.set("InstanceID", str(kSettingPrefix + p.name));
      i.set("ElementName", str("VLAN settings of " + p.name));
      i.set("AccessVLAN",
            v.mode == PortMode::kAccess ? u16(v.access_vlan) : Value::null(Type::kUint16));
      i.set("NativeVLAN", v.mode == PortMode::kTrunk && v.native_vlan ? u16(*v.native_vlan)
                                                                      : Value::null(Type::kUint16));
      if (v.mode == PortMode::kTrunk) {
        std::vector<uint16_t> tagged(v.trunk_vlans.begin(), v.trunk_vlans.end());
        i.set("TrunkedVLANList", u16s(tagged));
      } else {
        i.set("TrunkedVLANList", Value::null(Type::kUint16, true));
      }
      out.push_back(std::move(i));
    }
  } else if (is(kIpClass)) {
    for_each_address([&](const PortStatus& p, const PortAddress& a) {
      Instance i(kIpClass);
      ObjectPath path = ip_endpoint_path(p.name, a);
      for (const auto& k : path.keys()) i.set(k.name, k.value);
      const bool v4 = a.family == IpFamily::kIPv4;
      i.set("ElementName",
            str((v4 ? "IPv4 address " : "IPv6 address ") + port_address_text(a) + " of " + p.name));
      i.set("NameFormat", str(v4 ? "IPv4" : "IPv6"));
      if (v4) {
        i.set("IPv4Address", str(a.address));
        i.set("SubnetMask", str(ipv4_prefix_mask(a.prefix_length)));
      } else {
        i.set("IPv6Address", str(a.address));
        i.set("PrefixLength", Value::uint8(a.prefix_length));
        i.set("IPv6SubnetPrefixLength", u16(a.prefix_length));
        i.set("IPv6AddressType", u16(is_link_local(a) ? 5 : 6));  // Link Local / Global Unicast
      }
      i.set("ProtocolIFType", u16(v4 ? kIfTypeIPv4 : kIfTypeIPv6));
      i.set("AddressOrigin", u16(kOriginStatic));
      i.set("EnabledState", u16(p.admin_up ? kEnabled : kDisabled));
      i.set("RequestedState", u16(12));
      i.set("OperationalStatus", u16s({static_cast<uint16_t>(p.oper_up ? 2 : 10)}));
      out.push_back(std::move(i));
    });
  } else if (is("MSFT_NetworkVLAN")) {
    for (const auto& v : config.vlans) {
      Instance i("MSFT_NetworkVLAN");
      i.set("InstanceID", str(kVlanPrefix + std::to_string(v.id)));
      i.set("VLANId", u16(v.id));
      i.set("ElementName", str(v.name));
      i.set("Caption", str_or_null(v.caption));
      i.set("Description", str_or_null(v.description));
      i.set("IsEnabled", Value::boolean(v.enabled));
      i.set("ConnectivityStatus", u16(v.enabled ? 2 : 3));
      i.set("TypeOfMedia", u16(3));  // Ethernet
      out.push_back(std::move(i));
    }
  } else if (is("MSFT_SwitchService")) {
    Instance i("MSFT_SwitchService");
    ObjectPath path = service_path();
    for (const auto& k : path.keys()) i.set(k.name, k.value);
    i.set("ElementName", str("Switch configuration service"));
    i.set("Started", Value::boolean(true));
    i.set("EnabledState", u16(kEnabled));
    i.set("RequestedState", u16(12));
    i.set("OperationalStatus", u16s({2}));
    out.push_back(std::move(i));
  } else if (is("MSFT_Feature")) {
    // The one optional function this switch has and reports truthfully:
    // 802.1Q VLAN filtering, always on (both drivers require it).
    Instance i("MSFT_Feature");
    i.set("InstanceID", str(kFeatureId));
    i.set("Name", str("VLAN"));
    i.set("ElementName", str("IEEE 802.1Q VLAN filtering"));
    i.set("FeatureName", u16(1));
    i.set("OtherFeatureName", str("802.1Q VLAN"));
    i.set("IsEnabled", Value::boolean(true));
    out.push_back(std::move(i));
    // Routed (layer 3) ports, as the driver can or cannot have them (the
    // 2014 FeatureName list has no value for it: 1 Other).
    std::optional<std::string> no_routing = state_.driver().routed_ports_unsupported();
    Instance r("MSFT_Feature");
    r.set("InstanceID", str(kRoutedFeatureId));
    r.set("Name", str("RoutedPorts"));
    r.set("ElementName", str("Routed (layer 3) ports"));
    r.set("Description", str(no_routing ? *no_routing
                                        : "Ethernet ports take IP addresses through "
                                          "MSFT_SwitchService.AddProtocolEndpoint"));
    r.set("FeatureName", u16(1));
    r.set("OtherFeatureName", str("Routed ports"));
    r.set("IsEnabled", Value::boolean(!no_routing));
    out.push_back(std::move(r));
  } else if (is("MSFT_GlobalEthernetSwitchSettingData")) {
    Instance i("MSFT_GlobalEthernetSwitchSettingData");
    i.set("InstanceID", str(kGlobalSettingsId));
    i.set("ElementName", str(identity_.system_name));
    i.set("Caption", str("Global switch settings"));
    i.set("Description", str("Switch driver " + state_.driver().spec()));
    i.set("BannerIsEnabled", Value::boolean(false));
    out.push_back(std::move(i));
  } else if (is("CIM_EnabledLogicalElementCapabilities")) {
    Instance i("CIM_EnabledLogicalElementCapabilities");
    i.set("InstanceID", str(kCapabilitiesId));
    i.set("ElementName", str("Ethernet port state capabilities"));
    i.set("RequestedStatesSupported", u16s({kEnabled, kDisabled}));
    i.set("ElementNameEditSupported", Value::boolean(false));
    out.push_back(std::move(i));
  } else if (is("CIM_SystemDevice")) {
    for (const auto& p : ports)
      out.push_back(association("CIM_SystemDevice", "GroupComponent", system_path(),
                                "PartComponent", port_path(p.name)));
  } else if (is("CIM_HostedAccessPoint")) {
    for (const auto& p : ports) {
      out.push_back(association("CIM_HostedAccessPoint", "Antecedent", system_path(), "Dependent",
                                lan_endpoint_path(p.name)));
      out.push_back(association("CIM_HostedAccessPoint", "Antecedent", system_path(), "Dependent",
                                vlan_endpoint_path(p.name)));
    }
    for_each_address([&](const PortStatus& p, const PortAddress& a) {
      out.push_back(association("CIM_HostedAccessPoint", "Antecedent", system_path(), "Dependent",
                                ip_endpoint_path(p.name, a)));
    });
  } else if (is("CIM_DeviceSAPImplementation")) {
    for (const auto& p : ports)
      out.push_back(association("CIM_DeviceSAPImplementation", "Antecedent", port_path(p.name),
                                "Dependent", lan_endpoint_path(p.name)));
  } else if (is("CIM_BindsToLANEndpoint")) {
    for (const auto& p : ports) {
      Instance i = association("CIM_BindsToLANEndpoint", "Antecedent", lan_endpoint_path(p.name),
                               "Dependent", vlan_endpoint_path(p.name));
      i.set("FrameType", u16(1));  // Ethernet
      out.push_back(std::move(i));
    }
    // DSP1036: an IP interface is bound to the LAN endpoint under it.
    for_each_address([&](const PortStatus& p, const PortAddress& a) {
      Instance i = association("CIM_BindsToLANEndpoint", "Antecedent", lan_endpoint_path(p.name),
                               "Dependent", ip_endpoint_path(p.name, a));
      i.set("FrameType", u16(1));
      out.push_back(std::move(i));
    });
  } else if (is("CIM_ElementSettingData")) {
    for (const auto& p : ports) {
      Instance i =
          association("CIM_ElementSettingData", "ManagedElement", vlan_endpoint_path(p.name),
                      "SettingData", vlan_setting_path(p.name));
      i.set("IsDefault", u16(2));
      i.set("IsCurrent", u16(1));
      i.set("IsNext", u16(1));
      out.push_back(std::move(i));
    }
  } else if (is("CIM_HostedCollection")) {
    for (const auto& v : config.vlans)
      out.push_back(association("CIM_HostedCollection", "Antecedent", system_path(), "Dependent",
                                vlan_path(v.id)));
  } else if (is("CIM_MemberOfCollection")) {
    for (const auto& p : ports) {
      if (is_routed(p)) continue;  // its VLAN settings wait; it carries none
      for (const auto& m : port_config(p).to_membership())
        if (config.vlan(m.vlan))
          out.push_back(association("CIM_MemberOfCollection", "Collection", vlan_path(m.vlan),
                                    "Member", vlan_endpoint_path(p.name)));
    }
  } else if (is("CIM_InstalledSoftwareIdentity")) {
    out.push_back(association("CIM_InstalledSoftwareIdentity", "System", system_path(),
                              "InstalledSoftware", software_path()));
  } else if (is("CIM_ElementSoftwareIdentity")) {
    Instance i = association("CIM_ElementSoftwareIdentity", "Antecedent", software_path(),
                             "Dependent", system_path());
    i.set("ElementSoftwareStatus", u16s({2, 6}));  // Current, Installed
    out.push_back(std::move(i));
  } else if (is("CIM_HostedService")) {
    out.push_back(
        association("CIM_HostedService", "Antecedent", system_path(), "Dependent", service_path()));
  } else if (is("CIM_ElementCapabilities")) {
    ObjectPath caps =
        instance_id_path(kCimv2, "CIM_EnabledLogicalElementCapabilities", kCapabilitiesId);
    for (const auto& p : ports) {
      Instance i = association("CIM_ElementCapabilities", "ManagedElement", port_path(p.name),
                               "Capabilities", caps);
      i.set("Characteristics", u16s({2, 3}));  // Default, Current
      out.push_back(std::move(i));
    }
  }
  return out;
}

std::unique_ptr<provider::InstanceStream> SwitchProvider::enumerate(
    const provider::CallContext& ctx, const cim::Class& cls) {
  return std::make_unique<provider::VectorStream>(instances(ctx.ns, cls.name()));
}

Instance SwitchProvider::get(const provider::CallContext& ctx, const cim::Class& cls,
                             const ObjectPath& path) {
  for (auto& i : instances(ctx.ns, cls.name()))
    if (provider::matches_path(i, path)) return std::move(i);
  throw Error(Status::kNotFound, "no instance " + path.to_string());
}

// ---------------------------------------------------------------- writes

Instance SwitchProvider::modify(const provider::CallContext& ctx, const cim::Class& cls,
                                const ObjectPath& path, const Instance& changes,
                                const std::vector<std::string>& requested) {
  Instance current = get(ctx, cls, path);  // kNotFound for a bad path
  auto is = [&](const char* c) { return cim::iequals(cls.name(), c); };
  // Set-CimInstance sends back the whole instance: only what differs from the
  // current values is a change (so read-only properties may come back as read).
  std::vector<std::string> properties;
  for (const auto& name : requested) {
    const Value* now = current.get(name);
    const Value* wanted = changes.get(name);
    bool same = wanted && (now ? *now == *wanted : wanted->is_null());
    if (!same) properties.push_back(name);
  }
  // A routed port refuses VLAN settings even when they equal the waiting
  // ones: Set-NetworkSwitchPortMode -AccessMode on it must not look done.
  auto names_any = [&](std::initializer_list<const char*> names) {
    return std::any_of(requested.begin(), requested.end(), [&](const std::string& r) {
      return std::any_of(names.begin(), names.end(),
                         [&](const char* n) { return cim::iequals(r, n); });
    });
  };
  if (is("CIM_VLANEndpoint") && names_any({"DesiredEndpointMode"}))
    state_.require_switched(key_string(path, "Name").substr(std::string(kVlanEpPrefix).size()),
                            "VLAN mode");
  if (is("CIM_VLANEndpointSettingData") &&
      names_any({"AccessVLAN", "NativeVLAN", "TrunkedVLANList"}))
    state_.require_switched(
        key_string(path, "InstanceID").substr(std::string(kSettingPrefix).size()), "VLANs");
  if (properties.empty()) return current;
  if (is("CIM_EthernetPort")) {
    only_writable(cls.name(), properties, {"Description"});
    const Value& d = changed(changes, "Description");
    state_.set_port_description(key_string(path, "DeviceID"), d.is_null() ? "" : d.as_string());
  } else if (is("CIM_VLANEndpoint")) {
    only_writable(cls.name(), properties, {"DesiredEndpointMode"});
    const Value& m = changed(changes, "DesiredEndpointMode");
    if (m.is_null()) throw Error(Status::kInvalidParameter, "DesiredEndpointMode cannot be null");
    uint64_t mode = m.as_uint();
    if (mode != kModeAccess && mode != kModeTrunk)
      throw Error(Status::kInvalidParameter, "DesiredEndpointMode " + std::to_string(mode) +
                                                 " is not supported: use 2 (Access) or 5 (Trunk)");
    std::string name = key_string(path, "Name").substr(std::string(kVlanEpPrefix).size());
    state_.set_port_mode(name, mode == kModeAccess ? PortMode::kAccess : PortMode::kTrunk);
  } else if (is("CIM_VLANEndpointSettingData")) {
    only_writable(cls.name(), properties, {"AccessVLAN", "NativeVLAN", "TrunkedVLANList"});
    // Set-NetworkSwitchPortMode changes the mode on the CIM_VLANEndpoint and
    // then puts back the setting data it read before, with the one property
    // it means changed: the other mode's properties in that body are stale.
    // When a body holds properties of the port's current mode, those of the
    // other mode are ignored; a body with only the other mode's is refused.
    bool access_now = current.get("AccessVLAN") && !current.get("AccessVLAN")->is_null();
    auto of_access = [](const std::string& p) { return cim::iequals(p, "AccessVLAN"); };
    bool any_current_mode = std::any_of(properties.begin(), properties.end(),
                                        [&](auto& p) { return of_access(p) == access_now; });
    if (any_current_mode)
      std::erase_if(properties, [&](const std::string& p) { return of_access(p) != access_now; });
    SwitchState::VlanSettingsEdit e;
    for (const auto& p : properties) {
      const Value& v = changed(changes, p.c_str());
      if (cim::iequals(p, "AccessVLAN")) {
        e.access_vlan = vlan_value(v, "AccessVLAN");
      } else if (cim::iequals(p, "NativeVLAN")) {
        e.native_vlan = v.is_null() ? std::optional<VlanId>() : vlan_value(v, "NativeVLAN");
      } else {
        std::vector<VlanId> list;
        if (!v.is_null())
          for (size_t k = 0; k < v.size(); ++k)
            list.push_back(vlan_value(v.at(k), "TrunkedVLANList entry"));
        e.trunk_vlans = std::move(list);
      }
    }
    std::string name = key_string(path, "InstanceID").substr(std::string(kSettingPrefix).size());
    state_.set_port_vlans(name, e);
  } else if (is("MSFT_NetworkVLAN")) {
    only_writable(cls.name(), properties, {"ElementName", "Caption", "Description", "IsEnabled"});
    SwitchState::VlanEdit e;
    for (const auto& p : properties) {
      const Value& v = changed(changes, p.c_str());
      if (cim::iequals(p, "IsEnabled")) {
        if (v.is_null()) throw Error(Status::kInvalidParameter, "IsEnabled cannot be null");
        e.enabled = v.as_bool();
        continue;
      }
      std::string text = v.is_null() ? "" : v.as_string();
      if (cim::iequals(p, "ElementName"))
        e.name = text;
      else if (cim::iequals(p, "Caption"))
        e.caption = text;
      else
        e.description = text;
    }
    state_.edit_vlan(vlan_from_instance_id(key_string(path, "InstanceID")), e);
  } else if (is("MSFT_Feature")) {
    if (cim::iequals(key_string(path, "InstanceID"), kRoutedFeatureId))
      throw Error(Status::kNotSupported,
                  "routed ports come with the switch driver (" + state_.driver().spec() +
                      ") and cannot be turned on or off; a port is routed while it has IP "
                      "addresses");
    throw Error(Status::kNotSupported,
                "the 802.1Q VLAN feature is always on on this switch and cannot be turned off");
  } else {
    throw Error(Status::kNotSupported, cls.name() + " instances are read-only on this switch");
  }
  return get(ctx, cls, path);
}

provider::MethodResult SwitchProvider::invoke(const provider::CallContext& ctx,
                                              const cim::Class& cls, const cim::Method& method,
                                              const std::optional<ObjectPath>& target,
                                              const std::vector<cim::PropertyValue>& in) {
  auto is = [&](const char* m) { return cim::iequals(method.name, m); };
  provider::MethodResult result{Value::uint32(0), {}};
  if (cim::iequals(cls.name(), "CIM_EthernetPort") && is("RequestStateChange")) {
    if (!target) throw Error(Status::kInvalidParameter, "RequestStateChange needs a port");
    Instance port = get(ctx, cls, *target);  // kNotFound for an unknown port
    const Value* requested = input(in, "RequestedState");
    const Value* timeout = input(in, "TimeoutPeriod");
    if (!requested || requested->is_null()) {
      result.return_value = Value::uint32(5);  // Invalid Parameter
      return result;
    }
    if (timeout && !timeout->is_null()) {
      const cim::Datetime& t = timeout->as_datetime();
      bool zero = t.is_interval() && t.days() == 0 && t.hour() == 0 && t.minute() == 0 &&
                  t.second() == 0 && t.microsecond() == 0;
      if (!zero) {
        result.return_value = Value::uint32(4098);  // Use of Timeout Parameter Not Supported
        return result;
      }
    }
    uint64_t state = requested->as_uint();
    if (state != kEnabled && state != kDisabled) {
      // A state the method defines but a port cannot take (Shut Down, Offline,
      // Test, Defer, Quiesce, Reboot, Reset) is an invalid transition; a
      // reserved or vendor value is an invalid parameter.
      static constexpr uint64_t kDefined[] = {4, 6, 7, 8, 9, 10, 11};
      bool defined =
          std::find(std::begin(kDefined), std::end(kDefined), state) != std::end(kDefined);
      result.return_value = Value::uint32(defined ? 4097 : 5);
      return result;
    }
    state_.set_port_enabled(key_string(*target, "DeviceID"), state == kEnabled);
    return result;
  }
  if (!cim::iequals(cls.name(), "MSFT_SwitchService"))
    throw Error(Status::kMethodNotAvailable,
                "method " + method.name + " of " + cls.name() + " is not implemented");
  if (!target) throw Error(Status::kInvalidParameter, method.name + " needs the switch service");
  get(ctx, cls, *target);  // kNotFound for another service

  auto vlan_refs = [&](const char* param) {
    const Value* v = input(in, param);
    if (!v || v->is_null() || v->size() == 0)
      throw Error(Status::kInvalidParameter,
                  method.name + " needs " + param + ": references to MSFT_NetworkVLAN instances");
    std::vector<VlanId> ids;
    for (size_t k = 0; k < v->size(); ++k) {
      const ObjectPath& p = v->at(k).as_reference();
      VlanId id = vlan_from_instance_id(key_string(p, "InstanceID"));
      if (!id)
        throw Error(Status::kNotFound,
                    method.name + ": " + p.to_string() + " does not name a VLAN of this switch");
      ids.push_back(id);
    }
    return ids;
  };

  if (is("AddVLAN")) {
    if (const Value* t = input(in, "TargetedSwitch"); t && !t->is_null()) {
      ObjectPath want = t->as_reference();
      if (want.ns().empty()) want.set_namespace(kCimv2);
      if (!(want == system_path()))
        throw Error(Status::kNotFound, "AddVLAN: TargetedSwitch " + want.to_string() +
                                           " is not this switch (" + system_path().to_string() +
                                           ")");
    }
    const Value* v = input(in, "NetworkVLAN");
    if (!v || v->is_null() || v->size() == 0)
      throw Error(Status::kInvalidParameter,
                  "AddVLAN needs NetworkVLAN: embedded CIM_NetworkVLAN instances with VLANId");
    std::vector<VlanConfig> vlans;
    std::vector<Value> refs;
    for (size_t k = 0; k < v->size(); ++k) {
      const Instance& e = v->at(k).as_instance();
      const Value* id = e.get("VLANId");
      if (!id || id->is_null())
        throw Error(Status::kInvalidParameter,
                    "AddVLAN: NetworkVLAN[" + std::to_string(k) + "] has no VLANId");
      VlanConfig c;
      c.id = vlan_value(*id, "AddVLAN: VLANId");
      auto text = [&](const char* name) {
        const Value* t = e.get(name);
        return t && !t->is_null() ? t->as_string() : std::string();
      };
      c.name = text("ElementName");
      c.caption = text("Caption");
      c.description = text("Description");
      if (const Value* en = e.get("IsEnabled"); en && !en->is_null()) c.enabled = en->as_bool();
      vlans.push_back(std::move(c));
      refs.push_back(ref(vlan_path(vlans.back().id)));
    }
    state_.add_vlans(vlans);
    result.out.push_back({"VLAN", Value::array(Type::kReference, refs)});
  } else if (is("RemoveVLAN")) {
    state_.remove_vlans(vlan_refs("VLAN"));
  } else if (is("EnableVLAN")) {
    state_.set_vlans_enabled(vlan_refs("VLAN"), true);
  } else if (is("DisableVLAN")) {
    state_.set_vlans_enabled(vlan_refs("VLAN"), false);
  } else if (is("CopyCurrentToStartup")) {
    state_.save_startup();
  } else if (is("CopyStartupToCurrent")) {
    state_.restore_startup();
  } else if (is("AddProtocolEndpoint")) {
    return add_protocol_endpoint(in);
  } else if (is("RemoveProtocolEndpoint")) {
    remove_protocol_endpoint(in);
  } else {
    throw Error(Status::kMethodNotAvailable,
                "MSFT_SwitchService." + method.name + " is not implemented by this switch");
  }
  return result;
}

// ---------------------------------------------------------------- routed ports

namespace {

// A string property of an embedded instance; nullopt when absent or NULL.
std::optional<std::string> text_of(const Instance& e, const char* name) {
  const Value* v = e.get(name);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_array() || v->type() != Type::kString)
    throw Error(Status::kInvalidParameter, std::string(name) + " must be one string");
  return v->as_string();
}

// An integer property of an embedded instance (a string of digits too: an
// instance of an unknown subclass arrives untyped); nullopt when absent/NULL.
std::optional<uint64_t> number_of(const Instance& e, const char* name) {
  const Value* v = e.get(name);
  if (!v || v->is_null()) return std::nullopt;
  try {
    if (v->is_array()) throw Error(Status::kInvalidParameter, "an array");
    return v->type() == Type::kString ? v->convert_to(Type::kUint64).as_uint() : v->as_uint();
  } catch (const Error&) {
    throw Error(Status::kInvalidParameter, std::string(name) + " must be a non-negative integer");
  }
}

// The address an embedded CIM_IPProtocolEndpoint asks for: IPv4Address with
// SubnetMask (or PrefixLength), or IPv6Address with PrefixLength (or
// IPv6SubnetPrefixLength); static only. `where` prefixes every message.
PortAddress requested_address(const Instance& e, const std::string& where) {
  std::optional<std::string> v4 = text_of(e, "IPv4Address");
  std::optional<std::string> v6 = text_of(e, "IPv6Address");
  std::optional<std::string> legacy = text_of(e, "Address");
  if (v4 && v6)
    throw Error(Status::kInvalidParameter,
                where + "gives both IPv4Address and IPv6Address; one endpoint holds one address");
  if (!v4 && !v6 && legacy) (legacy->find(':') == std::string::npos ? v4 : v6) = legacy;
  if (!v4 && !v6)
    throw Error(Status::kInvalidParameter,
                where + "needs IPv4Address (with SubnetMask) or IPv6Address (with PrefixLength)");
  std::optional<std::string> mask = text_of(e, "SubnetMask");
  std::optional<uint64_t> prefix = number_of(e, "PrefixLength");
  if (std::optional<uint64_t> p6 = number_of(e, "IPv6SubnetPrefixLength")) {
    if (prefix && *prefix != *p6)
      throw Error(Status::kInvalidParameter, where + "PrefixLength " + std::to_string(*prefix) +
                                                 " and IPv6SubnetPrefixLength " +
                                                 std::to_string(*p6) + " disagree");
    prefix = p6;
  }
  unsigned length = 0;
  if (v4) {
    if (v4->find(':') != std::string::npos)
      throw Error(Status::kInvalidParameter,
                  where + "IPv4Address '" + *v4 + "' is an IPv6 address; put it in IPv6Address");
    if (mask) {
      std::optional<unsigned> m = ipv4_mask_prefix(*mask);
      if (!m)
        throw Error(Status::kInvalidParameter,
                    where + "SubnetMask '" + *mask +
                        "' is not an IPv4 subnet mask with contiguous one-bits (e.g. "
                        "255.255.255.0)");
      if (prefix && *prefix != *m)
        throw Error(Status::kInvalidParameter, where + "SubnetMask " + *mask + " (/" +
                                                   std::to_string(*m) + ") and PrefixLength " +
                                                   std::to_string(*prefix) + " disagree");
      length = *m;
    } else if (prefix) {
      length = static_cast<unsigned>(std::min<uint64_t>(*prefix, 255));
    } else {
      throw Error(Status::kInvalidParameter,
                  where + "IPv4Address " + *v4 + " needs a SubnetMask (e.g. 255.255.255.0)");
    }
  } else {
    if (mask)
      throw Error(Status::kInvalidParameter, where +
                                                 "SubnetMask is an IPv4 mask; give IPv6Address " +
                                                 *v6 + " a PrefixLength instead");
    if (!prefix)
      throw Error(Status::kInvalidParameter,
                  where + "IPv6Address " + *v6 + " needs a PrefixLength (e.g. 64)");
    length = static_cast<unsigned>(std::min<uint64_t>(*prefix, 255));
  }
  PortAddress a;
  try {
    a = make_port_address(v4 ? *v4 : *v6, length);
  } catch (const Error& e) {
    throw Error(e.status(), where + e.what());
  }
  if (v6 && a.family != IpFamily::kIPv6)
    throw Error(Status::kInvalidParameter,
                where + "IPv6Address '" + *v6 + "' is not an IPv6 address");
  if (std::optional<uint64_t> t = number_of(e, "ProtocolIFType")) {
    uint64_t want = a.family == IpFamily::kIPv4 ? kIfTypeIPv4 : kIfTypeIPv6;
    if (*t != want)
      throw Error(Status::kInvalidParameter, where + "ProtocolIFType " + std::to_string(*t) +
                                                 " does not match an " +
                                                 (a.family == IpFamily::kIPv4 ? "IPv4" : "IPv6") +
                                                 " address (" + std::to_string(want) + ")");
  }
  if (std::optional<uint64_t> origin = number_of(e, "AddressOrigin")) {
    // 0 Unknown is the class default a client may send unchanged.
    if (*origin != 0 && *origin != kOriginStatic)
      throw Error(Status::kNotSupported,
                  where + "AddressOrigin " + std::to_string(*origin) +
                      " is not supported: this switch assigns static addresses only (3)");
  }
  return a;
}

ObjectPath in_cimv2(ObjectPath p) {
  if (p.ns().empty()) p.set_namespace(kCimv2);
  return p;
}

}  // namespace

provider::MethodResult SwitchProvider::add_protocol_endpoint(
    const std::vector<cim::PropertyValue>& in) {
  const Value* target = input(in, "TargetInterface");
  if (!target || target->is_null() || target->is_array())
    throw Error(Status::kInvalidParameter,
                "AddProtocolEndpoint needs TargetInterface: a reference to the CIM_EthernetPort "
                "that becomes a routed port");
  ObjectPath where = in_cimv2(target->as_reference());
  if (!cim::iequals(where.class_name(), "CIM_EthernetPort")) {
    if (cim::iequals(where.class_name(), kSystemClass) ||
        cim::iequals(where.class_name(), "MSFT_NetworkVLAN") ||
        cim::iequals(where.class_name(), "CIM_NetworkVLAN"))
      throw Error(Status::kNotSupported,
                  "AddProtocolEndpoint on " + where.class_name() +
                      " is not supported: this switch has routed ports but no VLAN (SVI) or "
                      "loopback interfaces; target a CIM_EthernetPort");
    throw Error(Status::kInvalidParameter, "AddProtocolEndpoint: TargetInterface " +
                                               where.to_string() + " is not a CIM_EthernetPort");
  }
  std::string port;
  for (const auto& i : instances(kCimv2, "CIM_EthernetPort"))
    if (cim::iequals(cim::canonical_namespace(where.ns()), kCimv2) &&
        provider::matches_path(i, where))
      port = i.get("DeviceID")->as_string();
  if (port.empty())
    throw Error(Status::kNotFound, "AddProtocolEndpoint: TargetInterface " + where.to_string() +
                                       " is not a port of this switch");
  if (const Value* s = input(in, "EndPointSettings"); s && !s->is_null() && s->size() > 0)
    throw Error(Status::kNotSupported,
                "AddProtocolEndpoint: EndPointSettings are not supported; put the address, "
                "SubnetMask / PrefixLength in the CIM_IPProtocolEndpoint itself");
  const Value* eps = input(in, "ProtocolEndpoint");
  if (!eps || eps->is_null() || eps->size() == 0)
    throw Error(Status::kInvalidParameter,
                "AddProtocolEndpoint needs ProtocolEndpoint: embedded CIM_IPProtocolEndpoint "
                "instances with IPv4Address and SubnetMask, or IPv6Address and PrefixLength");
  std::vector<PortAddress> wanted;
  for (size_t k = 0; k < eps->size(); ++k) {
    Value item = eps->at(k);
    if (item.is_null() || item.type() != Type::kInstance)
      throw Error(Status::kInvalidParameter, "AddProtocolEndpoint: ProtocolEndpoint[" +
                                                 std::to_string(k) +
                                                 "] is not an embedded instance");
    const Instance& e = item.as_instance();
    const std::string where_text =
        "AddProtocolEndpoint: ProtocolEndpoint[" + std::to_string(k) + "] ";
    if (!cim::iequals(e.class_name(), kIpClass))
      throw Error(Status::kNotSupported,
                  where_text + "is a " + e.class_name() +
                      "; this switch adds CIM_IPProtocolEndpoint only (VLAN endpoints come with "
                      "every port)");
    wanted.push_back(requested_address(e, where_text));
  }
  std::vector<PortAddress> added = state_.add_port_addresses(port, wanted);
  provider::MethodResult result{Value::uint32(0), {}};
  result.out.push_back({"ResultingEndpoint", ref(ip_endpoint_path(port, added.front()))});
  return result;
}

void SwitchProvider::remove_protocol_endpoint(const std::vector<cim::PropertyValue>& in) {
  const Value* e = input(in, "Endpoint");
  if (!e || e->is_null() || e->is_array())
    throw Error(Status::kInvalidParameter,
                "RemoveProtocolEndpoint needs Endpoint: a reference to a CIM_IPProtocolEndpoint");
  ObjectPath path = in_cimv2(e->as_reference());
  if (!cim::iequals(path.class_name(), kIpClass))
    throw Error(Status::kNotSupported,
                "RemoveProtocolEndpoint: " + path.class_name() +
                    " endpoints belong to their port and cannot be removed; only "
                    "CIM_IPProtocolEndpoint can");
  SwitchConfig config = state_.config();
  for (const auto& p : config.ports)
    for (const auto& a : p.addresses) {
      Instance probe(kIpClass);
      const ObjectPath candidate = ip_endpoint_path(p.name, a);
      for (const auto& k : candidate.keys()) probe.set(k.name, k.value);
      if (cim::iequals(cim::canonical_namespace(path.ns()), kCimv2) &&
          provider::matches_path(probe, path)) {
        state_.remove_port_address(p.name, a);
        return;
      }
    }
  throw Error(Status::kNotFound,
              "RemoveProtocolEndpoint: no IP endpoint " + path.to_string() + " on this switch");
}

}  // namespace cimnet::switching

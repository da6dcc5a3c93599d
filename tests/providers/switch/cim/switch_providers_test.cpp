// The switch providers over the sim driver and a real store: every served
// instance is valid against the served schema, the association references
// resolve to served instances, and Put / methods change the switch through
// the store (or refuse with a CIM error and change nothing).
#include "cimnet/switching/switch_providers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/provider/software_identity.h"
#include "cimnet/cim/served_schema.h"
#include "cimnet/switching/sim_switch.h"

namespace cimnet::switching {
namespace {

namespace fs = std::filesystem;
using cim::Instance;
using cim::ObjectPath;
using cim::Value;
using ::testing::HasSubstr;

class Providers : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("switchcim-prov-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    config::StoreOptions o;
    o.state_dir = dir_;
    o.fsync = false;
    store_ = config::Store::open(o);
    sim_ = std::make_unique<SimSwitch>(4);
    state_ = std::make_unique<SwitchState>(*store_, *sim_);
    provider_ = std::make_shared<SwitchProvider>(*state_, SwitchIdentity{"sw1", "0.1.0"});
    cim::load_served_schema(repo_);
    register_switch_providers(registry_, provider_);
  }
  void TearDown() override {
    provider_.reset();
    state_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  provider::CallContext ctx(const std::string& ns = "root/cimv2") {
    provider::CallContext c;
    c.ns = ns;
    c.admin = true;
    return c;
  }
  const cim::Class& cls(const std::string& name, const std::string& ns = "root/cimv2") {
    return repo_.get_class(ns, name);
  }
  std::vector<Instance> all(const std::string& name, const std::string& ns = "root/cimv2") {
    return provider_->instances(ns, name);
  }
  Instance modify(const std::string& class_name, const ObjectPath& path, Instance changes) {
    std::vector<std::string> names;
    for (const auto& p : changes.properties()) names.push_back(p.name);
    repo_.validate_instance("root/cimv2", changes, cim::Validation::kModify);
    return provider_->modify(ctx(), cls(class_name), path, changes, names);
  }
  provider::MethodResult call(const std::string& method, std::vector<cim::PropertyValue> in) {
    const cim::Class& c = cls("MSFT_SwitchService");
    return provider_->invoke(ctx(), c, *c.find_method(method), provider_->service_path(), in);
  }
  cim::Status status_of(const std::function<void()>& fn, std::string* message = nullptr) {
    try {
      fn();
    } catch (const cim::Error& e) {
      if (message) *message = e.what();
      return e.status();
    }
    return cim::Status::kOk;
  }

  fs::path dir_;
  std::unique_ptr<config::Store> store_;
  std::unique_ptr<SimSwitch> sim_;
  std::unique_ptr<SwitchState> state_;
  std::shared_ptr<SwitchProvider> provider_;
  cim::Repository repo_;
  provider::ProviderRegistry registry_;
};

TEST_F(Providers, EveryInstanceIsValidAgainstTheServedSchema) {
  state_->add_port_addresses(
      "Ethernet3", {make_port_address("10.3.0.1", 24), make_port_address("2001:db8:3::1", 64)});
  for (const auto& name : switch_classes_cimv2()) {
    auto items = all(name);
    if (name != "CIM_ElementConformsToProfile") {
      EXPECT_FALSE(items.empty()) << name;
    }
    for (const auto& i : items) {
      EXPECT_NO_THROW(repo_.validate_instance("root/cimv2", i, cim::Validation::kCreate))
          << name << " " << i.class_name();
      // Keys are complete, so a path can be built and get() finds the instance.
      ObjectPath path = i.path(cls(i.class_name()), "root/cimv2");
      EXPECT_EQ(provider_->get(ctx(), cls(i.class_name()), path), i) << path.to_string();
    }
  }
  for (const auto& i : all("CIM_RegisteredProfile", "root/interop"))
    EXPECT_NO_THROW(repo_.validate_instance("root/interop", i, cim::Validation::kCreate));
}

TEST_F(Providers, EthernetSwitchProfileLeadsToTheSwitchAcrossNamespaces) {
  auto profiles = all("CIM_RegisteredProfile", "root/interop");
  const Instance* esp = nullptr;
  for (const auto& p : profiles)
    if (p.get("RegisteredName")->as_string() == "Ethernet Switch Profile") esp = &p;
  ASSERT_NE(esp, nullptr);
  EXPECT_EQ(esp->get("RegisteredOrganization")->as_uint(), 1u);
  EXPECT_EQ(esp->get("RegisteredVersion")->as_string().rfind("1.", 0), 0u);
  ObjectPath esp_path = esp->path(cls("CIM_RegisteredProfile", "root/interop"), "root/interop");

  bool found = false;
  for (const auto& a : all("CIM_ElementConformsToProfile", "root/interop")) {
    if (!(a.get("ConformantStandard")->as_reference() == esp_path)) continue;
    const ObjectPath& cs = a.get("ManagedElement")->as_reference();
    EXPECT_EQ(cs.ns(), "root/cimv2");
    EXPECT_EQ(cs.class_name(), "CIM_ComputerSystem");
    Instance system = provider_->get(ctx(), cls("CIM_ComputerSystem"), cs);
    auto dedicated = system.get("Dedicated");
    EXPECT_EQ(dedicated->at(0).as_uint(), 5u);
    EXPECT_EQ(dedicated->at(1).as_uint(), 38u);
    found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(Providers, AssociationReferencesResolve) {
  state_->add_port_addresses("Ethernet2", {make_port_address("10.2.0.1", 24)});
  for (const char* assoc :
       {"CIM_SystemDevice", "CIM_HostedAccessPoint", "CIM_DeviceSAPImplementation",
        "CIM_BindsToLANEndpoint", "CIM_ElementSettingData", "CIM_HostedCollection",
        "CIM_MemberOfCollection", "CIM_HostedService", "CIM_ElementCapabilities",
        "CIM_InstalledSoftwareIdentity", "CIM_ElementSoftwareIdentity"}) {
    auto items = all(assoc);
    EXPECT_FALSE(items.empty()) << assoc;
    for (const auto& a : items)
      for (const auto& p : a.properties()) {
        if (p.value.type() != cim::Type::kReference) continue;
        const ObjectPath& r = p.value.as_reference();
        EXPECT_EQ(r.ns(), "root/cimv2");
        if (r.class_name() == "CIM_SoftwareIdentity") {  // cimnetd's own provider serves it
          EXPECT_TRUE(
              provider::matches_path(provider::SoftwareIdentityProvider("0.1.0").instance(), r))
              << r.to_string();
          continue;
        }
        EXPECT_NO_THROW(provider_->get(ctx(), cls(r.class_name()), r))
            << assoc << "." << p.name << " -> " << r.to_string();
      }
  }
}

TEST_F(Providers, PortStateThroughRequestStateChange) {
  const cim::Class& c = cls("CIM_EthernetPort");
  const cim::Method& m = *c.find_method("RequestStateChange");
  ObjectPath port = provider_->port_path("Ethernet2");
  auto rsc = [&](uint16_t s) {
    return provider_->invoke(ctx(), c, m, port, {{"RequestedState", Value::uint16(s)}})
        .return_value.as_uint();
  };
  EXPECT_EQ(rsc(3), 0u);
  EXPECT_FALSE(sim_->port("Ethernet2").admin_up);
  Instance i = provider_->get(ctx(), c, port);
  EXPECT_EQ(i.get("EnabledState")->as_uint(), 3u);
  EXPECT_EQ(i.get("RequestedState")->as_uint(), 3u);
  EXPECT_EQ(i.get("OperationalStatus")->at(0).as_uint(), 10u);
  EXPECT_EQ(rsc(2), 0u);
  EXPECT_TRUE(sim_->port("Ethernet2").admin_up);
  EXPECT_EQ(rsc(11), 4097u);  // Reset: Invalid State Transition
  EXPECT_EQ(rsc(99), 5u);     // DMTF Reserved: Invalid Parameter
  EXPECT_TRUE(sim_->port("Ethernet2").admin_up);
  EXPECT_EQ(provider_->invoke(ctx(), c, m, port, {}).return_value.as_uint(), 5u);
  EXPECT_EQ(status_of([&] {
              provider_->invoke(ctx(), c, m, provider_->port_path("Ethernet99"),
                                {{"RequestedState", Value::uint16(3)}});
            }),
            cim::Status::kNotFound);
}

TEST_F(Providers, AccessAndTrunkThroughPut) {
  Instance vlan("CIM_NetworkVLAN");
  vlan.set("VLANId", Value::uint16(10));
  vlan.set("ElementName", Value::string("blue"));
  Instance vlan20("CIM_NetworkVLAN");
  vlan20.set("VLANId", Value::uint16(20));
  auto r = call("AddVLAN",
                {{"TargetedSwitch", Value::reference(provider_->system_path())},
                 {"NetworkVLAN", Value::array(cim::Type::kInstance,
                                              {Value::instance(vlan), Value::instance(vlan20)})}});
  EXPECT_EQ(r.return_value.as_uint(), 0u);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].value.at(0).as_reference(), provider_->vlan_path(10));

  Instance access("CIM_VLANEndpointSettingData");
  access.set("AccessVLAN", Value::uint16(10));
  Instance after =
      modify("CIM_VLANEndpointSettingData", provider_->vlan_setting_path("Ethernet1"), access);
  EXPECT_EQ(after.get("AccessVLAN")->as_uint(), 10u);
  EXPECT_EQ(sim_->port("Ethernet1").vlans, PortVlans::access(10));

  Instance trunk_mode("CIM_VLANEndpoint");
  trunk_mode.set("DesiredEndpointMode", Value::uint16(5));
  after = modify("CIM_VLANEndpoint", provider_->vlan_endpoint_path("Ethernet2"), trunk_mode);
  EXPECT_EQ(after.get("DesiredEndpointMode")->as_uint(), 5u);
  EXPECT_EQ(after.get("OperationalEndpointMode")->as_uint(), 5u);
  Instance list("CIM_VLANEndpointSettingData");
  list.set("TrunkedVLANList",
           Value::array(cim::Type::kUint16, {Value::uint16(10), Value::uint16(20)}));
  modify("CIM_VLANEndpointSettingData", provider_->vlan_setting_path("Ethernet2"), list);
  EXPECT_EQ(sim_->port("Ethernet2").vlans, PortVlans::trunk({10, 20}, 1));

  // The Windows flow with a stale body: setting data read while Ethernet4 was
  // in access mode, mode switched to trunk, then the old body put back with
  // TrunkedVLANList changed (its AccessVLAN 1 is stale and ignored).
  Instance stale = provider_->get(ctx(), cls("CIM_VLANEndpointSettingData"),
                                  provider_->vlan_setting_path("Ethernet4"));
  stale.remove("InstanceID");
  modify("CIM_VLANEndpoint", provider_->vlan_endpoint_path("Ethernet4"), trunk_mode);
  stale.set("TrunkedVLANList", Value::array(cim::Type::kUint16, {Value::uint16(20)}));
  modify("CIM_VLANEndpointSettingData", provider_->vlan_setting_path("Ethernet4"), stale);
  EXPECT_EQ(sim_->port("Ethernet4").vlans.trunk_vlans, std::vector<VlanId>{20});

  // Members of VLAN 10: Ethernet1 (access) and Ethernet2 (trunk).
  int members = 0;
  for (const auto& a : all("CIM_MemberOfCollection"))
    if (a.get("Collection")->as_reference() == provider_->vlan_path(10)) ++members;
  EXPECT_EQ(members, 2);

  // Bad input: a clear error, nothing changes.
  std::string msg;
  Instance bad("CIM_VLANEndpointSettingData");
  bad.set("AccessVLAN", Value::uint16(4095));
  EXPECT_EQ(status_of(
                [&] {
                  modify("CIM_VLANEndpointSettingData", provider_->vlan_setting_path("Ethernet3"),
                         bad);
                },
                &msg),
            cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("1..4094"));
  Instance speed("CIM_EthernetPort");
  speed.set("Speed", Value::uint64(1));
  EXPECT_EQ(status_of([&] { modify("CIM_EthernetPort", provider_->port_path("Ethernet3"), speed); },
                      &msg),
            cim::Status::kNotSupported);
  EXPECT_THAT(msg, HasSubstr("Description"));
  // A whole instance sent back as read (Set-CimInstance) changes only what differs.
  Instance whole =
      provider_->get(ctx(), cls("CIM_VLANEndpoint"), provider_->vlan_endpoint_path("Ethernet3"));
  whole.set("DesiredEndpointMode", Value::uint16(5));
  for (const char* key : {"SystemCreationClassName", "SystemName", "CreationClassName", "Name"})
    whole.remove(key);
  after = modify("CIM_VLANEndpoint", provider_->vlan_endpoint_path("Ethernet3"), whole);
  EXPECT_EQ(after.get("DesiredEndpointMode")->as_uint(), 5u);
  EXPECT_EQ(sim_->port("Ethernet3").vlans, PortVlans::trunk({10, 20}, 1));
  whole.set("DesiredEndpointMode", Value::uint16(2));
  whole.set("ProtocolIFType", Value::uint16(1));
  EXPECT_EQ(
      status_of(
          [&] { modify("CIM_VLANEndpoint", provider_->vlan_endpoint_path("Ethernet3"), whole); },
          &msg),
      cim::Status::kNotSupported);
  EXPECT_THAT(msg, HasSubstr("ProtocolIFType"));
  EXPECT_EQ(sim_->port("Ethernet3").vlans, PortVlans::trunk({10, 20}, 1));
  Instance mode("CIM_VLANEndpoint");
  mode.set("DesiredEndpointMode", Value::uint16(3));
  EXPECT_EQ(
      status_of(
          [&] { modify("CIM_VLANEndpoint", provider_->vlan_endpoint_path("Ethernet3"), mode); },
          &msg),
      cim::Status::kInvalidParameter);
  EXPECT_EQ(sim_->port("Ethernet3").vlans, PortVlans::trunk({10, 20}, 1));
}

TEST_F(Providers, VlanMethodsAndProperties) {
  Instance vlan("CIM_NetworkVLAN");
  vlan.set("VLANId", Value::uint16(30));
  vlan.set("Caption", Value::string("thirty"));
  call("AddVLAN", {{"NetworkVLAN", Value::array(cim::Type::kInstance, {Value::instance(vlan)})}});
  auto refs = Value::array(cim::Type::kReference, {Value::reference(provider_->vlan_path(30))});
  call("DisableVLAN", {{"VLAN", refs}});
  Instance v = provider_->get(ctx(), cls("MSFT_NetworkVLAN"), provider_->vlan_path(30));
  EXPECT_FALSE(v.get("IsEnabled")->as_bool());
  EXPECT_EQ(v.get("ElementName")->as_string(), "VLAN0030");
  EXPECT_EQ(v.get("Caption")->as_string(), "thirty");
  call("EnableVLAN", {{"VLAN", refs}});
  Instance rename("MSFT_NetworkVLAN");
  rename.set("ElementName", Value::string("green"));
  rename.set("Description", Value::string("tenant green"));
  v = modify("MSFT_NetworkVLAN", provider_->vlan_path(30), rename);
  EXPECT_TRUE(v.get("IsEnabled")->as_bool());
  EXPECT_EQ(v.get("ElementName")->as_string(), "green");
  EXPECT_EQ(sim_->vlans()[1].name, "green");

  std::string msg;
  Instance dup("CIM_NetworkVLAN");
  dup.set("VLANId", Value::uint16(30));
  EXPECT_EQ(status_of(
                [&] {
                  call("AddVLAN", {{"NetworkVLAN",
                                    Value::array(cim::Type::kInstance, {Value::instance(dup)})}});
                },
                &msg),
            cim::Status::kAlreadyExists);
  EXPECT_EQ(status_of([&] { call("AddProtocolEndpoint", {}); }, &msg),
            cim::Status::kInvalidParameter);
  EXPECT_THAT(msg, HasSubstr("needs TargetInterface"));

  call("RemoveVLAN", {{"VLAN", refs}});
  EXPECT_EQ(sim_->vlans().size(), 1u);
  EXPECT_EQ(status_of([&] { call("RemoveVLAN", {{"VLAN", refs}}); }), cim::Status::kNotFound);
}

TEST_F(Providers, SaveAndRestoreThroughTheService) {
  Instance vlan("CIM_NetworkVLAN");
  vlan.set("VLANId", Value::uint16(40));
  call("AddVLAN", {{"NetworkVLAN", Value::array(cim::Type::kInstance, {Value::instance(vlan)})}});
  call("CopyCurrentToStartup", {});
  auto refs = Value::array(cim::Type::kReference, {Value::reference(provider_->vlan_path(40))});
  call("RemoveVLAN", {{"VLAN", refs}});
  EXPECT_EQ(sim_->vlans().size(), 1u);
  call("CopyStartupToCurrent", {});
  EXPECT_EQ(sim_->vlans().size(), 2u);
  EXPECT_EQ(all("MSFT_NetworkVLAN").size(), 2u);
}

// Set-NetworkSwitchEthernetPortIPAddress / Set-NetworkSwitchPortMode -RouteMode
// send AddProtocolEndpoint(TargetInterface = port, ProtocolEndpoint = an
// embedded CIM_IPProtocolEndpoint); Get-NetworkSwitchEthernetPort walks port ->
// CIM_LANEndpoint -> CIM_IPProtocolEndpoint; Remove-... calls
// RemoveProtocolEndpoint(Endpoint = that endpoint).
class RoutedPorts : public Providers {
 protected:
  static Instance ip(std::vector<std::pair<const char*, Value>> props) {
    Instance e("CIM_IPProtocolEndpoint");
    for (auto& [name, value] : props) e.set(name, value);
    return e;
  }
  provider::MethodResult add(const std::string& port, std::vector<Instance> eps) {
    std::vector<Value> items;
    for (auto& e : eps) items.push_back(Value::instance(e));
    return call("AddProtocolEndpoint",
                {{"TargetInterface", Value::reference(provider_->port_path(port))},
                 {"ProtocolEndpoint", Value::array(cim::Type::kInstance, items)}});
  }
  // Runs fn, expects `status` and a message containing `text`, and no change.
  void refused(const std::function<void()>& fn, cim::Status status, const std::string& text) {
    SwitchSettings before = sim_->settings();
    std::string msg;
    EXPECT_EQ(status_of(fn, &msg), status) << msg;
    EXPECT_THAT(msg, HasSubstr(text));
    EXPECT_EQ(sim_->settings(), before);
  }
  bool associated(const char* assoc, const ObjectPath& a, const ObjectPath& b) {
    for (const auto& i : all(assoc)) {
      std::vector<ObjectPath> refs;
      for (const auto& p : i.properties())
        if (p.value.type() == cim::Type::kReference) refs.push_back(p.value.as_reference());
      if (refs.size() == 2 && refs[0] == a && refs[1] == b) return true;
    }
    return false;
  }
};

TEST_F(RoutedPorts, AddProtocolEndpointMakesARoutedPort) {
  auto r = add("Ethernet4", {ip({{"IPv4Address", Value::string("10.4.0.1")},
                                 {"SubnetMask", Value::string("255.255.255.0")}})});
  EXPECT_EQ(r.return_value.as_uint(), 0u);
  PortAddress a = make_port_address("10.4.0.1", 24);
  ObjectPath ep = provider_->ip_endpoint_path("Ethernet4", a);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].name, "ResultingEndpoint");
  EXPECT_EQ(r.out[0].value.as_reference(), ep);

  Instance i = provider_->get(ctx(), cls("CIM_IPProtocolEndpoint"), ep);
  EXPECT_NO_THROW(repo_.validate_instance("root/cimv2", i, cim::Validation::kCreate));
  EXPECT_EQ(i.get("IPv4Address")->as_string(), "10.4.0.1");
  EXPECT_EQ(i.get("SubnetMask")->as_string(), "255.255.255.0");
  EXPECT_EQ(i.get("ProtocolIFType")->as_uint(), 4096u);
  EXPECT_EQ(i.get("AddressOrigin")->as_uint(), 3u);  // Static
  EXPECT_EQ(i.get("EnabledState")->as_uint(), 2u);
  EXPECT_EQ(sim_->port("Ethernet4").addresses, std::vector<PortAddress>{a});
  EXPECT_EQ(sim_->port("Ethernet4").vlans, PortVlans::none());

  // The graph Windows walks: port -> LAN endpoint -> IP endpoint; the switch hosts it.
  EXPECT_TRUE(associated("CIM_BindsToLANEndpoint", provider_->lan_endpoint_path("Ethernet4"), ep));
  EXPECT_TRUE(associated("CIM_HostedAccessPoint", provider_->system_path(), ep));
  // Its VLAN endpoint waits, disabled; it is no VLAN's member.
  Instance vep =
      provider_->get(ctx(), cls("CIM_VLANEndpoint"), provider_->vlan_endpoint_path("Ethernet4"));
  EXPECT_EQ(vep.get("DesiredEndpointMode")->as_uint(), 2u);
  EXPECT_EQ(vep.get("OperationalEndpointMode")->as_uint(), 1u);
  EXPECT_THAT(vep.get("OtherEndpointMode")->as_string(), HasSubstr("routed"));
  EXPECT_EQ(vep.get("EnabledState")->as_uint(), 3u);
  EXPECT_FALSE(associated("CIM_MemberOfCollection", provider_->vlan_path(1),
                          provider_->vlan_endpoint_path("Ethernet4")));

  // IPv6 with PrefixLength (uint8) on the same port.
  add("Ethernet4", {ip({{"IPv6Address", Value::string("2001:DB8:4::1")},
                        {"PrefixLength", Value::uint8(64)},
                        {"ProtocolIFType", Value::uint16(4097)},
                        {"AddressOrigin", Value::uint16(3)}})});
  Instance v6 = provider_->get(
      ctx(), cls("CIM_IPProtocolEndpoint"),
      provider_->ip_endpoint_path("Ethernet4", make_port_address("2001:db8:4::1", 64)));
  EXPECT_EQ(v6.get("IPv6Address")->as_string(), "2001:db8:4::1");
  EXPECT_EQ(v6.get("PrefixLength")->as_uint(), 64u);
  EXPECT_EQ(v6.get("ProtocolIFType")->as_uint(), 4097u);
  EXPECT_EQ(all("CIM_IPProtocolEndpoint").size(), 2u);

  // A VLAN Put on the routed port says what to do first.
  Instance access("CIM_VLANEndpointSettingData");
  access.set("AccessVLAN", Value::uint16(1));
  access.set("NativeVLAN", Value::uint16(1));
  refused(
      [&] {
        modify("CIM_VLANEndpointSettingData", provider_->vlan_setting_path("Ethernet4"), access);
      },
      cim::Status::kInvalidParameter, "is a routed port (IP address 10.4.0.1/24)");
  // Even a mode it already has waiting: Set-NetworkSwitchPortMode -AccessMode
  // on a routed port must not look done.
  Instance same_mode("CIM_VLANEndpoint");
  same_mode.set("DesiredEndpointMode", Value::uint16(2));
  refused(
      [&] { modify("CIM_VLANEndpoint", provider_->vlan_endpoint_path("Ethernet4"), same_mode); },
      cim::Status::kInvalidParameter, "before setting its VLAN mode");

  // RemoveProtocolEndpoint, one address at a time; then the port switches again.
  r = call("RemoveProtocolEndpoint", {{"Endpoint", Value::reference(ep)}});
  EXPECT_EQ(r.return_value.as_uint(), 0u);
  EXPECT_EQ(all("CIM_IPProtocolEndpoint").size(), 1u);
  refused(
      [&] {
        call("RemoveProtocolEndpoint", {{"Endpoint", Value::reference(ep)}});
      },
      cim::Status::kNotFound, "no IP endpoint");
  ObjectPath v6_path = v6.path(cls("CIM_IPProtocolEndpoint"), "root/cimv2");
  call("RemoveProtocolEndpoint", {{"Endpoint", Value::reference(v6_path)}});
  EXPECT_TRUE(all("CIM_IPProtocolEndpoint").empty());
  EXPECT_EQ(sim_->port("Ethernet4").vlans, PortVlans::access(1));
  EXPECT_TRUE(associated("CIM_MemberOfCollection", provider_->vlan_path(1),
                         provider_->vlan_endpoint_path("Ethernet4")));
}

TEST_F(RoutedPorts, BadRequestsSayWhatIsWrongAndChangeNothing) {
  add("Ethernet1", {ip({{"IPv4Address", Value::string("10.1.0.1")},
                        {"SubnetMask", Value::string("255.255.0.0")}})});
  auto v4 = [](const char* address, const char* mask) {
    return ip({{"IPv4Address", Value::string(address)}, {"SubnetMask", Value::string(mask)}});
  };
  refused([&] { add("Ethernet2", {v4("10.2.0.300", "255.255.255.0")}); },
          cim::Status::kInvalidParameter, "is not an IPv4 address");
  refused([&] { add("Ethernet9", {v4("10.9.0.1", "255.255.255.0")}); }, cim::Status::kNotFound,
          "is not a port of this switch");
  refused([&] { add("Ethernet2", {v4("10.1.0.1", "255.255.255.0")}); }, cim::Status::kAlreadyExists,
          "10.1.0.1 is already in use on port Ethernet1");
  refused([&] { add("Ethernet2", {v4("10.1.7.1", "255.255.255.0")}); },
          cim::Status::kInvalidParameter, "overlaps 10.1.0.1/16 on port Ethernet1");
  refused([&] { add("Ethernet2", {v4("10.2.0.1", "255.0.255.0")}); },
          cim::Status::kInvalidParameter, "contiguous");
  refused([&] { add("Ethernet2", {v4("10.2.0.0", "255.255.255.0")}); },
          cim::Status::kInvalidParameter, "network address");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv4Address", Value::string("10.2.0.1")}})});
      },
      cim::Status::kInvalidParameter, "needs a SubnetMask");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv4Address", Value::string("10.2.0.1")},
                              {"SubnetMask", Value::string("255.255.255.0")},
                              {"PrefixLength", Value::uint8(16)}})});
      },
      cim::Status::kInvalidParameter, "disagree");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv6Address", Value::string("2001:db8::1")},
                              {"SubnetMask", Value::string("255.255.255.0")}})});
      },
      cim::Status::kInvalidParameter, "SubnetMask is an IPv4 mask");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv6Address", Value::string("2001:db8::1")}})});
      },
      cim::Status::kInvalidParameter, "needs a PrefixLength");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv4Address", Value::string("2001:db8::1")},
                              {"PrefixLength", Value::uint8(64)}})});
      },
      cim::Status::kInvalidParameter, "put it in IPv6Address");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv4Address", Value::string("10.2.0.1")},
                              {"IPv6Address", Value::string("2001:db8::1")},
                              {"PrefixLength", Value::uint8(64)}})});
      },
      cim::Status::kInvalidParameter, "both IPv4Address and IPv6Address");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv4Address", Value::string("10.2.0.1")},
                              {"SubnetMask", Value::string("255.255.255.0")},
                              {"AddressOrigin", Value::uint16(4)}})});
      },
      cim::Status::kNotSupported, "static addresses only");
  refused(
      [&] {
        add("Ethernet2", {ip({{"IPv4Address", Value::string("10.2.0.1")},
                              {"SubnetMask", Value::string("255.255.255.0")},
                              {"ProtocolIFType", Value::uint16(4097)}})});
      },
      cim::Status::kInvalidParameter, "ProtocolIFType 4097");
  // Two endpoints in one call: all or none.
  refused(
      [&] {
        add("Ethernet2", {v4("10.2.0.1", "255.255.255.0"), v4("10.1.0.1", "255.255.255.0")});
      },
      cim::Status::kAlreadyExists, "already in use");
  refused([&] { add("Ethernet2", {}); }, cim::Status::kInvalidParameter, "needs ProtocolEndpoint");
  Instance vlan_ep("CIM_VLANEndpoint");
  refused([&] { add("Ethernet2", {vlan_ep}); }, cim::Status::kNotSupported,
          "adds CIM_IPProtocolEndpoint only");
  refused(
      [&] {
        call("AddProtocolEndpoint",
             {{"TargetInterface", Value::reference(provider_->system_path())},
              {"ProtocolEndpoint",
               Value::array(cim::Type::kInstance,
                            {Value::instance(v4("10.2.0.1", "255.255.255.0"))})}});
      },
      cim::Status::kNotSupported, "no VLAN (SVI) or loopback interfaces");
  refused(
      [&] {
        call("RemoveProtocolEndpoint",
             {{"Endpoint", Value::reference(provider_->lan_endpoint_path("Ethernet1"))}});
      },
      cim::Status::kNotSupported, "belong to their port");
  refused([&] { call("RemoveProtocolEndpoint", {}); }, cim::Status::kInvalidParameter,
          "needs Endpoint");
  EXPECT_EQ(all("CIM_IPProtocolEndpoint").size(), 1u);
}

TEST_F(Providers, FeaturesSayWhatTheDriverCanDo) {
  auto features = all("MSFT_Feature");
  ASSERT_EQ(features.size(), 2u);
  EXPECT_EQ(features[0].get("InstanceID")->as_string(), "cimnet:Feature:VLAN");
  EXPECT_EQ(features[1].get("InstanceID")->as_string(), "cimnet:Feature:RoutedPorts");
  EXPECT_TRUE(features[1].get("IsEnabled")->as_bool());  // the sim routes
  ObjectPath routed = features[1].path(cls("MSFT_Feature"), "root/cimv2");
  // Enable-NetworkSwitchFeature on an enabled feature changes nothing and succeeds.
  Instance on("MSFT_Feature");
  on.set("IsEnabled", Value::boolean(true));
  EXPECT_TRUE(modify("MSFT_Feature", routed, on).get("IsEnabled")->as_bool());
  Instance off("MSFT_Feature");
  off.set("IsEnabled", Value::boolean(false));
  std::string msg;
  EXPECT_EQ(status_of([&] { modify("MSFT_Feature", routed, off); }, &msg),
            cim::Status::kNotSupported);
  EXPECT_THAT(msg, HasSubstr("come with the switch driver (sim:4)"));
  // The switch runs cimnetd: CIM_InstalledSoftwareIdentity and
  // CIM_ElementSoftwareIdentity (Current, Installed).
  auto esi = all("CIM_ElementSoftwareIdentity");
  ASSERT_EQ(esi.size(), 1u);
  EXPECT_EQ(esi[0].get("Dependent")->as_reference(), provider_->system_path());
  EXPECT_EQ(esi[0].get("ElementSoftwareStatus")->at(0).as_uint(), 2u);
  EXPECT_EQ(all("CIM_InstalledSoftwareIdentity")[0].get("InstalledSoftware")->as_reference(),
            provider_->software_path());
}

}  // namespace
}  // namespace cimnet::switching

#include <gtest/gtest.h>

#include "cimnet/cim/served_schema.h"

namespace cimnet::cim {
namespace {

TEST(ServedSchema, LoadsEveryNamespace) {
  Repository repo;
  MofStats stats = load_served_schema(repo);
  EXPECT_EQ(stats.classes, 129u);
  EXPECT_EQ(repo.classes(kInteropNamespace).size(), 7u);
  EXPECT_EQ(repo.classes(kCimv2Namespace).size(), 58u);
  EXPECT_EQ(repo.classes(kStandardCimv2Namespace).size(), 64u);
}

TEST(ServedSchema, HasTheClassesTheCmdletsUse) {
  Repository repo;
  load_served_schema(repo);
  for (const char* cls :
       {"CIM_ComputerSystem", "CIM_EthernetPort", "CIM_LANEndpoint", "CIM_VLANEndpoint",
        "CIM_VLANEndpointSettingData", "MSFT_NetworkVLAN", "CIM_IPProtocolEndpoint",
        "MSFT_SwitchService", "MSFT_Feature", "MSFT_GlobalEthernetSwitchSettingData",
        "CIM_SoftwareIdentity", "CIM_SystemDevice", "CIM_HostedCollection",
        "CIM_MemberOfCollection", "CIM_ElementSettingData", "CIM_BindsToLANEndpoint",
        "CIM_DeviceSAPImplementation", "CIM_RegisteredProfile"}) {
    EXPECT_NE(repo.find_class(kCimv2Namespace, cls), nullptr) << cls;
  }
  EXPECT_NE(repo.find_class(kInteropNamespace, "CIM_ElementConformsToProfile"), nullptr);
  for (const char* cls : {"MSFT_NetVirtualizationLookupRecordSettingData",
                          "MSFT_NetVirtualizationCustomerRouteSettingData",
                          "MSFT_NetVirtualizationProviderAddressSettingData",
                          "MSFT_NetVirtualizationProviderRouteSettingData",
                          "MSFT_NetVirtualizationGlobalSettingData"}) {
    EXPECT_NE(repo.find_class(kStandardCimv2Namespace, cls), nullptr) << cls;
  }
  const Class& port = repo.get_class(kCimv2Namespace, "CIM_EthernetPort");
  EXPECT_EQ(port.key_properties().size(), 4u);
  const Method* rsc = port.find_method("RequestStateChange");
  ASSERT_NE(rsc, nullptr);
  ASSERT_NE(rsc->find_parameter("RequestedState"), nullptr);
  const Class& service = repo.get_class(kCimv2Namespace, "MSFT_SwitchService");
  for (const char* m : {"AddVLAN", "RemoveVLAN", "EnableVLAN", "DisableVLAN", "AddProtocolEndpoint",
                        "RemoveProtocolEndpoint", "CopyCurrentToStartup", "CopyStartupToCurrent"}) {
    EXPECT_NE(service.find_method(m), nullptr) << m;
  }
}

TEST(ServedSchema, ValidatesWhatProvidersWillCreate) {
  Repository repo;
  load_served_schema(repo);
  Instance vlan("MSFT_NetworkVLAN");
  vlan.set("InstanceID", Value::string("cimnet:vlan:10"));
  vlan.set("VLANId", Value::uint16(10));
  EXPECT_NO_THROW(repo.validate_instance(kCimv2Namespace, vlan, Validation::kCreate));
}

}  // namespace
}  // namespace cimnet::cim

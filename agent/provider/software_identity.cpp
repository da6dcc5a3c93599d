#include "agent/provider/software_identity.h"

#include <cstdio>

namespace cimnet::provider {

SoftwareIdentityProvider::SoftwareIdentityProvider(std::string version)
    : version_(std::move(version)) {}

cim::Instance SoftwareIdentityProvider::instance() const {
  unsigned major = 0, minor = 0, revision = 0;
  std::sscanf(version_.c_str(), "%u.%u.%u", &major, &minor, &revision);
  cim::Instance i("CIM_SoftwareIdentity");
  i.set("InstanceID", cim::Value::string("cimnet:cimnetd"));
  i.set("ElementName", cim::Value::string("cimnetd"));
  i.set("Name", cim::Value::string("cimnetd"));
  i.set("Caption", cim::Value::string("cimnet WS-Management agent"));
  i.set("Manufacturer", cim::Value::string("cimnet project"));
  i.set("VersionString", cim::Value::string(version_));
  i.set("MajorVersion", cim::Value::uint16(static_cast<uint16_t>(major)));
  i.set("MinorVersion", cim::Value::uint16(static_cast<uint16_t>(minor)));
  i.set("RevisionNumber", cim::Value::uint16(static_cast<uint16_t>(revision)));
  i.set("IsLargeBuildNumber", cim::Value::boolean(false));
  // 5 = Instrumentation: software that exposes management information.
  i.set("Classifications", cim::Value::array(cim::Type::kUint16, {cim::Value::uint16(5)}));
  i.set("TargetOperatingSystems",
        cim::Value::array(cim::Type::kString, {cim::Value::string("Linux")}));
  return i;
}

std::unique_ptr<InstanceStream> SoftwareIdentityProvider::enumerate(const CallContext&,
                                                                    const cim::Class& cls) {
  std::vector<cim::Instance> items;
  // Only the class itself: a subclass request gets nothing from us.
  if (cim::iequals(cls.name(), "CIM_SoftwareIdentity")) items.push_back(instance());
  return std::make_unique<VectorStream>(std::move(items));
}

}  // namespace cimnet::provider

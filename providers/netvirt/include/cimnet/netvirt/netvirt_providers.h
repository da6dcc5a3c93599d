#pragma once

// The network-virtualization classes of root/StandardCimv2: the Windows
// NetWNV classes (MSFT_NetVirtualization*), cimnet's virtual subnets and VM
// network adapters, their associations and datapath statistics. Every change
// is validated here (a CIM error naming the property), committed through the
// configuration store and applied to the datapath by DatapathBackend.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/provider/provider.h"
#include "cimnet/config/store.h"
#include "cimnet/dataplane/datapath.h"
#include "cimnet/netvirt/policy_backend.h"

namespace cimnet::netvirt {

inline constexpr const char* kStandardCimv2 = "root/StandardCimv2";

// Who this host is, for the keys of CIMNET_VMNetworkAdapter.
struct HostIdentity {
  std::string system_creation_class = "CIM_ComputerSystem";
  std::string system_name;  // the host name
};

// One provider for every network-virtualization class (dispatch by class
// name). Thread-safe: reads go to the store's consistent views, writes are
// serialised by the store's commits.
class NetvirtProvider : public provider::Provider {
 public:
  NetvirtProvider(config::Store& store, dataplane::Datapath& datapath, DatapathBackend& backend,
                  HostIdentity host);

  std::unique_ptr<provider::InstanceStream> enumerate(const provider::CallContext& ctx,
                                                      const cim::Class& cls) override;
  cim::Instance get(const provider::CallContext& ctx, const cim::Class& cls,
                    const cim::ObjectPath& path) override;
  cim::ObjectPath create(const provider::CallContext& ctx, const cim::Class& cls,
                         const cim::Instance& instance) override;
  cim::Instance modify(const provider::CallContext& ctx, const cim::Class& cls,
                       const cim::ObjectPath& path, const cim::Instance& changes,
                       const std::vector<std::string>& properties) override;
  void remove(const provider::CallContext& ctx, const cim::Class& cls,
              const cim::ObjectPath& path) override;
  provider::MethodResult invoke(const provider::CallContext& ctx, const cim::Class& cls,
                                const cim::Method& method,
                                const std::optional<cim::ObjectPath>& target,
                                const std::vector<cim::PropertyValue>& in) override;

  // Counters kept outside the datapath (the kernel fast path of
  // --datapath-offload tc), added to CIMNET_VirtualSubnetStatistics and
  // CIMNET_VMNetworkAdapterStatistics. Set before the provider serves.
  struct ExtraCounters {
    std::function<std::optional<dataplane::VsidCounters>(uint32_t vsid)> vsid;
    std::function<dataplane::PortCounters(dataplane::PortId port)> port;
  };
  void set_extra_counters(ExtraCounters extra);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The classes NetvirtProvider serves in root/StandardCimv2.
const std::vector<std::string>& netvirt_class_names();

// Registers `provider` for every class of netvirt_class_names().
void register_netvirt_providers(provider::ProviderRegistry& registry,
                                std::shared_ptr<NetvirtProvider> provider);

// True for "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (hex digits, braces required).
bool is_guid(const std::string& text);

}  // namespace cimnet::netvirt

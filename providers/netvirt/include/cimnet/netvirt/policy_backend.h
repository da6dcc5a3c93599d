#pragma once

// The configuration-store backend that keeps the NVGRE datapath in step with
// the committed network-virtualization policy (virtual subnets, lookup
// records, customer routes, provider addresses and routes, VM adapters).

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cimnet/config/store.h"
#include "cimnet/dataplane/datapath.h"

namespace cimnet::netvirt {

// YANG container of the policy.
inline constexpr const char* kPolicyRoot = "/cimnet:network-virtualization";

// Address conversions between the store's and the datapath's types (same layout).
dataplane::IpAddress to_dataplane(const config::IpAddress& a);
config::IpAddress to_config(const dataplane::IpAddress& a);
dataplane::MacAddress to_dataplane(const config::MacAddress& m);

// The gateway (distributed-router) address cimnet gives a virtual subnet
// prefix: its highest host address (10.1.1.254 for 10.1.1.0/24), or nullopt
// when the prefix is too small to have one (/31, /32, /127, /128).
std::optional<dataplane::IpAddress> gateway_of(const dataplane::IpPrefix& prefix);

// Where the datapath keeps a store lookup record: a record whose customer
// address is 0.0.0.0 or :: and that is not a GatewayWildcard record maps only
// its MAC (datapath L2Only); every other record is keyed by its customer
// address. Records of the store that share one datapath key (GatewayWildcard
// records differing only by MAC) all stay in the store; the first in key
// order is the one the datapath uses, the others are Unusable.
dataplane::RecordKey datapath_key(const config::LookupRecord& record);
dataplane::LookupRecord datapath_record(const config::LookupRecord& record);

// A VM adapter as the datapath runs it.
struct AdapterPort {
  std::string name;       // vm-adapter key (CIMNET_VMNetworkAdapter.Name)
  std::string interface;  // host interface of the VM's port
  uint16_t port = 0;      // datapath port id
  uint32_t vsid = 0;
  dataplane::MacAddress mac;
};

// What the Linux packet I/O must open: the VM adapters' interfaces and the
// interfaces the provider addresses are on.
struct PortLayout {
  std::vector<AdapterPort> adapters;
  std::vector<uint32_t> provider_interfaces;  // interface indexes, ascending
};

// The non-lookup part of the policy, in datapath terms.
struct SmallPolicy {
  std::map<uint32_t, dataplane::VirtualSubnet> subnets;
  std::map<std::tuple<std::string, uint32_t, dataplane::IpPrefix>, dataplane::CustomerRoute>
      customer_routes;
  std::map<dataplane::IpAddress, dataplane::ProviderAddress> provider_addresses;
  std::map<dataplane::IpPrefix, dataplane::ProviderRoute> provider_routes;
  std::map<std::string, AdapterPort> adapters;
  std::set<uint32_t> provider_interfaces;  // InterfaceIndex of the provider addresses
};

// Applies committed policy to a Datapath atomically: prepare() computes the
// datapath edit and has the datapath check it (a refusal vetoes the commit
// with kRejected and the datapath's reason), apply() performs exactly the
// checked edit and cannot fail. load() replays the whole stored policy, so a
// restarted agent programs the same datapath state it had.
class DatapathBackend : public config::Backend {
 public:
  // `settings` are the datapath's own (router MAC, provider MAC, MTU), set at load.
  DatapathBackend(dataplane::Datapath& datapath, dataplane::DatapathSettings settings);

  void load(const config::ConfigView& running) noexcept override;
  void prepare(const config::Change& change, const config::ConfigView& candidate) override;
  void abort(const config::Change& change) noexcept override;
  void apply(const config::Change& change) noexcept override;

  // Non-empty when the stored policy could not be replayed onto the datapath at load.
  std::string load_problem() const;
  // The VM adapters the datapath runs now.
  std::vector<AdapterPort> adapters() const;
  // True when a committed virtual subnet has this VSID.
  bool has_subnet(uint32_t vsid) const;
  // The adapters and provider interfaces the datapath runs now.
  PortLayout layout() const;
  // Called (from apply or load, store and backend locks held: call neither the
  // store nor this backend, only record the layout) after the VM adapters or
  // the provider interfaces changed, and once at every load.
  void on_layout_changed(std::function<void(const PortLayout&)> fn);
  // Sets the source MAC of encapsulated frames (the provider interface's
  // address) and keeps it across reloads. Throws dataplane::PolicyError for a
  // multicast or zero MAC (nothing changed).
  void set_provider_mac(const dataplane::MacAddress& mac);

 private:
  SmallPolicy read_small(const config::ConfigView& view) const;
  void diff_small(const SmallPolicy& want, dataplane::PolicyChange& out) const;
  PortLayout layout_locked() const;

  dataplane::Datapath& datapath_;
  dataplane::DatapathSettings settings_;
  mutable std::mutex mutex_;
  SmallPolicy applied_;
  std::optional<SmallPolicy> pending_small_;
  std::optional<dataplane::PolicyChange> pending_;
  // How many lookup records (and how many of them Nat) use each provider
  // address: Nat needs a provider address no other record uses.
  struct PaUse {
    int64_t records = 0;
    int64_t nat = 0;
  };
  std::map<dataplane::IpAddress, PaUse> pa_use_;
  std::map<dataplane::IpAddress, PaUse> pending_pa_;
  std::string load_problem_;
  std::function<void(const PortLayout&)> layout_changed_;
};

}  // namespace cimnet::netvirt

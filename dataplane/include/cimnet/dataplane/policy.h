#pragma once
// Network-virtualization policy as the control plane describes it (HNV objects): lookup records,
// virtual subnets, customer routes, local provider addresses, provider routes and neighbours, VM
// ports. A PolicyChange groups edits that become visible to packets together.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cimnet/dataplane/addr.h"

namespace cimnet::dataplane {

// Thrown for policy that is invalid; the datapath is unchanged when it is thrown.
class PolicyError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Lowest and highest VSID the datapath accepts. 0xFFFFFF is reserved (RFC 7637) and 0 means
// "none" here. RFC 7637 also reserves 1..0xFFF for future use and HNV tools only accept 4096 and
// up; the datapath still takes them so the classic HNV examples (VSIDs 20, 30) run unchanged.
// Providers that want HNV's range check it themselves against kHnvMinVsid.
inline constexpr uint32_t kMinVsid = 1;
inline constexpr uint32_t kHnvMinVsid = 0x1000;
inline constexpr uint32_t kMaxVsid = 0xFFFFFE;

// How packets to a lookup record's customer address travel (HNV TranslationMethod).
enum class Rule : uint8_t { Encap = 0, Nat = 1 };

// HNV record types. L2Only records have no customer address (keyed by MAC only); GatewayWildcard
// records (customer address 0.0.0.0 or ::) catch every destination in the VSID that has no record
// of its own and send it to the gateway VM at the record's provider address.
enum class RecordType : uint8_t { Static = 0, Dynamic = 1, L2Only = 2, GatewayWildcard = 3 };

// (VSID, customer address) -> provider address, customer MAC, rule, type.
struct LookupRecord {
  uint32_t vsid = 0;
  IpAddress customer;  // unset for L2Only; 0.0.0.0 or :: for GatewayWildcard
  IpAddress provider;
  MacAddress mac;
  Rule rule = Rule::Encap;
  RecordType type = RecordType::Static;
};

// Identifies one lookup record: L2Only records by MAC, the others by customer address.
struct RecordKey {
  uint32_t vsid = 0;
  IpAddress customer;  // unset for L2Only
  MacAddress mac;      // only for L2Only
  friend auto operator<=>(const RecordKey&, const RecordKey&) = default;
};
RecordKey key_of(const LookupRecord& r);

// A virtual subnet and its routing domain. Gateways are the customer addresses of the subnet's
// virtual router; ARP / neighbour solicitations for them are answered with the router MAC.
struct VirtualSubnet {
  uint32_t vsid = 0;
  std::string routing_domain;
  std::vector<IpAddress> gateways;
};

// A customer route inside a routing domain: destination prefix lives in virtual subnet `vsid`;
// with a next hop, packets go to the record of that next-hop address in `vsid` instead.
struct CustomerRoute {
  std::string routing_domain;
  uint32_t vsid = 0;
  IpPrefix destination;
  IpAddress next_hop;  // unset: on-link
  uint32_t metric = 0;
};

// A provider address owned by this host, with its on-link provider prefix length.
struct ProviderAddress {
  IpAddress address;
  uint8_t prefix_length = 0;
};

// A route in the provider network (destination prefix via a next-hop provider address).
struct ProviderRoute {
  IpPrefix destination;
  IpAddress next_hop;
  uint32_t metric = 0;
};

// How a provider address is reached from this host: the local provider address used as outer
// source and the next hop whose neighbour MAC the outer header carries.
struct ProviderPath {
  IpAddress source;
  IpAddress next_hop;
};
// The path to `pa`: a connected provider prefix first (the next hop is `pa` itself), else the
// longest matching provider route (lowest metric on ties) whose next hop is connected. nullopt
// when neither applies. `pa` must not be one of `local_pas`.
std::optional<ProviderPath> provider_path(const IpAddress& pa,
                                          const std::map<IpAddress, ProviderAddress>& local_pas,
                                          const std::map<IpPrefix, ProviderRoute>& routes);

// The Ethernet address of a provider address on the provider link.
struct ProviderNeighbor {
  IpAddress address;
  MacAddress mac;
};

// A local VM network adapter attached to the datapath, in one virtual subnet.
struct VmPort {
  uint16_t id = 0;
  MacAddress mac;
  uint32_t vsid = 0;
};

// Settings of the whole datapath.
struct DatapathSettings {
  MacAddress router_mac;    // the distributed router's MAC (answers for subnet gateways)
  MacAddress provider_mac;  // source MAC on the provider link
  uint16_t provider_mtu = 1500;
  bool flow_id_zero = false;  // FlowID 0 for peers that match the whole GRE key
};

// A set of edits applied atomically: removals first, then upserts, then settings.
struct PolicyChange {
  std::vector<RecordKey> remove_records;
  std::vector<LookupRecord> upsert_records;
  std::vector<uint32_t> remove_subnets;
  std::vector<VirtualSubnet> upsert_subnets;
  std::vector<CustomerRoute> remove_customer_routes;  // matched by domain, vsid and destination
  std::vector<CustomerRoute> upsert_customer_routes;
  std::vector<IpAddress> remove_provider_addresses;
  std::vector<ProviderAddress> upsert_provider_addresses;
  std::vector<IpPrefix> remove_provider_routes;
  std::vector<ProviderRoute> upsert_provider_routes;
  std::vector<IpAddress> remove_neighbors;
  std::vector<ProviderNeighbor> upsert_neighbors;
  std::vector<uint16_t> remove_ports;
  std::vector<VmPort> upsert_ports;
  std::optional<DatapathSettings> settings;
};

}  // namespace cimnet::dataplane

#include "cimnet/netvirt/netvirt_providers.h"

#include <net/if.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "cimnet/cim/names.h"
#include "cimnet/config/error.h"

namespace cimnet::netvirt {

namespace dp = cimnet::dataplane;
using cim::Error;
using cim::Instance;
using cim::ObjectPath;
using cim::Status;
using cim::Type;
using cim::Value;
using config::ConfigError;
using config::ConfigView;

namespace {

// Class names.
constexpr const char* kLookupClass = "MSFT_NetVirtualizationLookupRecordSettingData";
constexpr const char* kCustomerRouteClass = "MSFT_NetVirtualizationCustomerRouteSettingData";
constexpr const char* kProviderAddressClass = "MSFT_NetVirtualizationProviderAddressSettingData";
constexpr const char* kProviderRouteClass = "MSFT_NetVirtualizationProviderRouteSettingData";
constexpr const char* kGlobalClass = "MSFT_NetVirtualizationGlobalSettingData";
constexpr const char* kNextHopClass = "MSFT_NetVirtualizationNextHopLookup";
constexpr const char* kSubnetClass = "CIMNET_VirtualSubnet";
constexpr const char* kAdapterClass = "CIMNET_VMNetworkAdapter";
constexpr const char* kSubnetAdapterAssoc = "CIMNET_VirtualSubnetAdapter";
constexpr const char* kSubnetRecordAssoc = "CIMNET_VirtualSubnetLookupRecord";
constexpr const char* kSubnetRouteAssoc = "CIMNET_VirtualSubnetCustomerRoute";
constexpr const char* kAdapterRecordAssoc = "CIMNET_VMNetworkAdapterLookupRecord";
constexpr const char* kSubnetStatsClass = "CIMNET_VirtualSubnetStatistics";
constexpr const char* kAdapterStatsClass = "CIMNET_VMNetworkAdapterStatistics";

constexpr const char* kGlobalId = "cimnet:NetVirtualizationGlobal";
constexpr uint32_t kMinVsid = 4096;
constexpr uint32_t kMaxVsid = 16777214;
constexpr size_t kPageSize = 256;

// CIMNET_*Statistics drop reasons.
constexpr uint16_t kDropOther = 1;

bool is(const cim::Class& cls, const char* name) {
  return cim::iequals(cls.name(), name);
}

Error invalid(const std::string& property, const std::string& why) {
  return Error(Status::kInvalidParameter, property + ": " + why);
}

Error to_cim(const ConfigError& e) {
  switch (e.kind()) {
    case config::ErrorKind::kInvalid:
      return Error(Status::kInvalidParameter, e.what());
    case config::ErrorKind::kNotFound:
      return Error(Status::kNotFound, e.what());
    case config::ErrorKind::kAlreadyExists:
      return Error(Status::kAlreadyExists, e.what());
    case config::ErrorKind::kUnsupported:
      return Error(Status::kNotSupported, e.what());
    default:
      return Error(Status::kFailed, e.what());
  }
}

// Runs a store edit and commits it, turning store errors into CIM errors.
void commit(config::Store& store, const std::function<void(config::Transaction&)>& edit) {
  try {
    auto tx = store.begin();
    edit(tx);
    tx.commit();
  } catch (const ConfigError& e) {
    throw to_cim(e);
  }
}

// ---- reading properties of incoming instances ----

const Value* present(const Instance& i, const char* name) {
  const Value* v = i.get(name);
  return v && !v->is_null() ? v : nullptr;
}

std::optional<std::string> opt_string(const Instance& i, const char* name) {
  const Value* v = present(i, name);
  if (!v) return std::nullopt;
  if (v->is_array() || v->type() != Type::kString) throw invalid(name, "must be a string");
  return v->as_string();
}

std::string need_string(const Instance& i, const char* name) {
  auto s = opt_string(i, name);
  if (!s) throw invalid(name, "is required");
  return *s;
}

std::optional<uint64_t> opt_uint(const Instance& i, const char* name) {
  const Value* v = present(i, name);
  if (!v) return std::nullopt;
  if (v->is_array() || !cim::is_integer_type(v->type())) throw invalid(name, "must be an integer");
  if (cim::is_signed_type(v->type()) && v->as_int() < 0)
    throw invalid(name, "must not be negative");
  return v->as_uint();
}

uint64_t need_uint(const Instance& i, const char* name) {
  auto u = opt_uint(i, name);
  if (!u) throw invalid(name, "is required");
  return *u;
}

std::optional<bool> opt_bool(const Instance& i, const char* name) {
  const Value* v = present(i, name);
  if (!v) return std::nullopt;
  if (v->is_array() || v->type() != Type::kBoolean) throw invalid(name, "must be a boolean");
  return v->as_bool();
}

// ---- value checks ----

uint32_t check_vsid(uint64_t v, const char* property = "VirtualSubnetID") {
  if (v < kMinVsid || v > kMaxVsid)
    throw invalid(property, std::to_string(v) + " is outside the virtual subnet ID range " +
                                std::to_string(kMinVsid) + ".." + std::to_string(kMaxVsid));
  return uint32_t(v);
}

config::IpAddress check_ip(const std::string& text, const char* property) {
  auto a = config::IpAddress::parse(text);
  if (!a) throw invalid(property, "'" + text + "' is not an IPv4 or IPv6 address");
  return *a;
}

config::IpAddress check_unicast(const std::string& text, const char* property) {
  config::IpAddress a = check_ip(text, property);
  bool multicast = a.family == 4 ? (a.bytes[0] >= 224) : (a.bytes[0] == 0xff);
  if (a.is_unspecified() || multicast)
    throw invalid(property, "'" + text + "' is not a unicast address");
  return a;
}

config::MacAddress check_mac(const std::string& text, const char* property = "MACAddress") {
  auto m = config::MacAddress::parse(text);
  if (!m)
    throw invalid(property, "'" + text +
                                "' is not a MAC address (12 hexadecimal digits, optionally in "
                                "pairs separated by '-' or ':')");
  return *m;
}

dp::IpPrefix check_prefix(const std::string& text, const char* property) {
  auto p = dp::IpPrefix::parse(text);
  if (!p)
    throw invalid(property, "'" + text +
                                "' is not an address prefix \"address/length\" with the host "
                                "bits clear");
  return *p;
}

std::string canonical_guid(const std::string& text, const char* property) {
  if (!is_guid(text))
    throw invalid(property,
                  "'" + text + "' is not a GUID string {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}");
  std::string out = text;
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

uint32_t check_local_interface(uint64_t index) {
  char name[IF_NAMESIZE] = {};
  if (index == 0 || index > UINT32_MAX || ::if_indextoname(unsigned(index), name) == nullptr)
    throw invalid("InterfaceIndex",
                  std::to_string(index) + " is not the index of an interface of this host");
  return uint32_t(index);
}

void check_text(const std::string& s, size_t max, const char* property) {
  if (s.size() > max)
    throw invalid(property, "is longer than " + std::to_string(max) + " characters");
}

// Refuses properties a Put may not change.
void only_writable(const cim::Class& cls, const std::vector<std::string>& properties,
                   std::initializer_list<const char*> writable) {
  for (const auto& p : properties) {
    bool ok = false;
    for (const char* w : writable) ok = ok || cim::iequals(p, w);
    if (!ok) {
      std::string list;
      for (const char* w : writable) list += (list.empty() ? "" : ", ") + std::string(w);
      throw Error(Status::kNotSupported,
                  cls.name() + "." + p + " cannot be changed; the writable properties are " + list);
    }
  }
}

bool changes(const std::vector<std::string>& properties, const char* name) {
  for (const auto& p : properties)
    if (cim::iequals(p, name)) return true;
  return false;
}

// ---- instance IDs: "cimnet:<Kind>;<field>;<field>..." ----

std::vector<std::string> split_id(const std::string& id, const std::string& kind) {
  std::string prefix = "cimnet:" + kind + ";";
  if (id.rfind(prefix, 0) != 0) return {};
  std::vector<std::string> out;
  size_t start = prefix.size();
  while (true) {
    size_t semi = id.find(';', start);
    out.push_back(id.substr(start, semi == std::string::npos ? std::string::npos : semi - start));
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  return out;
}

std::string instance_id(const ObjectPath& path) {
  const Value* v = path.key("InstanceID");
  if (!v || v->is_null() || v->is_array() || v->type() != Type::kString)
    throw Error(Status::kNotFound, "no InstanceID in " + path.to_string());
  return v->as_string();
}

Error not_found(const ObjectPath& path) {
  return Error(Status::kNotFound, "no instance " + path.to_string());
}

uint32_t parse_u32(const std::string& s) {
  if (s.empty() || s.size() > 10 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  uint64_t v = std::stoull(s);
  return v > UINT32_MAX ? 0 : uint32_t(v);
}

std::string record_id(const config::LookupKey& k) {
  return "cimnet:LookupRecord;" + std::to_string(k.vsid) + ";" + k.mac.to_string() + ";" +
         k.customer_address.to_string();
}

std::optional<config::LookupKey> record_key_of(const std::string& id) {
  auto f = split_id(id, "LookupRecord");
  if (f.size() != 3) return std::nullopt;
  auto mac = config::MacAddress::parse(f[1]);
  auto ca = config::IpAddress::parse(f[2]);
  if (!mac || !ca) return std::nullopt;
  return config::LookupKey{parse_u32(f[0]), *ca, *mac};
}

// ---- YANG paths ----

std::string q(const std::string& v) {
  return "'" + v + "'";
}
const std::string kRoot = kPolicyRoot;

std::string subnet_path(uint32_t vsid) {
  return kRoot + "/virtual-subnet[vsid=" + q(std::to_string(vsid)) + "]";
}
std::string route_path(const std::string& rd, uint32_t vsid, const std::string& prefix) {
  return kRoot + "/customer-route[routing-domain=" + q(rd) + "][vsid=" + q(std::to_string(vsid)) +
         "][destination-prefix=" + q(prefix) + "]";
}
std::string pa_path(uint32_t ifindex, const std::string& address) {
  return kRoot + "/provider-address[interface-index=" + q(std::to_string(ifindex)) +
         "][address=" + q(address) + "]";
}
std::string proute_path(uint32_t ifindex, const std::string& prefix, const std::string& nh) {
  return kRoot + "/provider-route[interface-index=" + q(std::to_string(ifindex)) +
         "][destination-prefix=" + q(prefix) + "][next-hop=" + q(nh) + "]";
}
std::string adapter_path(const std::string& name) {
  return kRoot + "/vm-adapter[name=" + q(name) + "]";
}

// The value of `leaf` in the list entry at `path`.
std::string leaf(const ConfigView& v, const std::string& path, const char* name) {
  return v.get(path + "/" + name).value_or(std::string());
}

std::vector<std::string> leaf_list(const ConfigView& v, const std::string& path, const char* name) {
  std::vector<std::string> out;
  for (const auto& p : v.select(path + "/" + name))
    if (auto value = v.get(p)) out.push_back(*value);
  return out;
}

Value str_or_null(const std::string& s) {
  return s.empty() ? Value::null(Type::kString) : Value::string(s);
}

Value strings(const std::vector<std::string>& items) {
  std::vector<Value> v;
  for (const auto& s : items) v.push_back(Value::string(s));
  return Value::array(Type::kString, v);
}

ObjectPath id_path(const char* cls, const std::string& id) {
  return ObjectPath(kStandardCimv2, cls, {{"InstanceID", Value::string(id)}});
}

}  // namespace

bool is_guid(const std::string& t) {
  if (t.size() != 38 || t.front() != '{' || t.back() != '}') return false;
  for (size_t i = 1; i < 37; ++i) {
    bool dash = i == 9 || i == 14 || i == 19 || i == 24;
    if (dash ? t[i] != '-' : !std::isxdigit(static_cast<unsigned char>(t[i]))) return false;
  }
  return true;
}

const std::vector<std::string>& netvirt_class_names() {
  static const std::vector<std::string> names = {
      kLookupClass,        kCustomerRouteClass, kProviderAddressClass, kProviderRouteClass,
      kGlobalClass,        kNextHopClass,       kSubnetClass,          kAdapterClass,
      kSubnetAdapterAssoc, kSubnetRecordAssoc,  kSubnetRouteAssoc,     kAdapterRecordAssoc,
      kSubnetStatsClass,   kAdapterStatsClass};
  return names;
}

void register_netvirt_providers(provider::ProviderRegistry& registry,
                                std::shared_ptr<NetvirtProvider> provider) {
  for (const auto& name : netvirt_class_names()) registry.add(kStandardCimv2, name, provider);
}

struct NetvirtProvider::Impl {
  config::Store& store;
  dp::Datapath& datapath;
  DatapathBackend& backend;
  HostIdentity host;
  NetvirtProvider::ExtraCounters extra = {};

  // ---------------------------------------------------------------- records

  // True when another store record takes this record's place in the datapath.
  bool unusable(const config::LookupRecord& r) const {
    if (!r.key.customer_address.is_unspecified()) return false;
    dp::RecordKey k = datapath_key(r);
    bool shadowed = false;
    store.read([&](const ConfigView& v) {
      if (!k.customer.is_set()) {
        // MAC-only: 0.0.0.0 comes before :: with the same MAC.
        if (r.key.customer_address.family == 6) {
          config::LookupKey other{r.key.vsid, *config::IpAddress::parse("0.0.0.0"), r.key.mac};
          if (auto o = v.find_lookup(other); o && datapath_key(*o) == k) shadowed = true;
        }
        return;
      }
      config::LookupKey first{r.key.vsid, r.key.customer_address, {}};
      auto check = [&](const config::LookupRecord& o) {
        if (o.key == r.key) return false;
        if (datapath_key(o) == k) {
          shadowed = true;
          return false;
        }
        return true;
      };
      if (auto o = v.find_lookup(first); o && !check(*o)) return;
      v.for_each_lookup(
          [&](const config::LookupRecord& o) {
            if (o.key.vsid != r.key.vsid || o.key.customer_address != r.key.customer_address)
              return false;
            return check(o);
          },
          &first);
    });
    return shadowed;
  }

  Instance record_instance(const config::LookupRecord& r, bool with_unusable = true) const {
    Instance i(kLookupClass);
    i.set("InstanceID", Value::string(record_id(r.key)));
    i.set("ElementName",
          Value::string("VSID " + std::to_string(r.key.vsid) + " " +
                        r.key.customer_address.to_string() + " " + r.key.mac.to_string()));
    i.set("CustomerAddress", Value::string(r.key.customer_address.to_string()));
    i.set("ProviderAddress", Value::string(r.provider_address.to_string()));
    i.set("MACAddress", Value::string(r.key.mac.to_string()));
    i.set("VirtualSubnetID", Value::uint32(r.key.vsid));
    i.set("CustomerID", str_or_null(r.customer_id));
    i.set("Context", str_or_null(r.context));
    i.set("Rule", Value::uint8(uint8_t(r.rule)));
    i.set("VMName", str_or_null(r.vm_name));
    i.set("UseVmMACAddress", Value::boolean(r.use_vm_mac_address));
    i.set("Type", Value::uint8(uint8_t(r.type)));
    i.set("Unusable", Value::boolean(with_unusable && unusable(r)));
    i.set("Unsynchronized", Value::boolean(false));
    return i;
  }

  // Checks a whole record (new or changed) before it goes to the store.
  void validate_record(const config::LookupRecord& r, bool is_new) const {
    const auto& ca = r.key.customer_address;
    bool wildcard = ca.is_unspecified();
    if (!wildcard) {
      bool multicast = ca.family == 4 ? (ca.bytes[0] >= 224) : (ca.bytes[0] == 0xff);
      if (multicast) throw invalid("CustomerAddress", ca.to_string() + " is not unicast");
    }
    const auto& pa = r.provider_address;
    bool pa_multicast = pa.family == 4 ? (pa.bytes[0] >= 224) : (pa.bytes[0] == 0xff);
    if (pa.is_unspecified() || pa_multicast)
      throw invalid("ProviderAddress", pa.to_string() + " is not a unicast address");
    if (r.key.mac.bytes[0] & 1 || r.key.mac.bytes == std::array<uint8_t, 6>{})
      throw invalid("MACAddress", r.key.mac.to_string() + " is not a unicast MAC address");
    if (r.rule == config::TranslationRule::kNone)
      throw Error(Status::kNotSupported,
                  "Rule: TranslationMethodNone is not supported by the cimnet datapath (use "
                  "TranslationMethodEncap or TranslationMethodNat)");
    if (r.use_vm_mac_address && r.rule != config::TranslationRule::kNat)
      throw invalid("UseVmMACAddress", "true is only valid with Rule TranslationMethodNat");
    if (r.rule == config::TranslationRule::kNat) {
      if (wildcard)
        throw invalid("Rule",
                      "TranslationMethodNat needs a customer address, not " + ca.to_string());
      if (pa.family != ca.family)
        throw invalid("ProviderAddress",
                      "TranslationMethodNat rewrites addresses, so the provider address must be "
                      "of the customer address's family (IPv" +
                          std::to_string(ca.family) + ")");
    }
    if ((r.type == config::LookupRecordType::kL2Only ||
         r.type == config::LookupRecordType::kGatewayWildcard) &&
        !wildcard)
      throw invalid(
          "CustomerAddress",
          std::string("Type ") +
              (r.type == config::LookupRecordType::kL2Only ? "L2Only" : "GatewayWildcard") +
              " records use CustomerAddress 0.0.0.0 or ::");
    if (!r.customer_id.empty() && !is_guid(r.customer_id))
      throw invalid("CustomerID", "'" + r.customer_id +
                                      "' is not a GUID string {xxxxxxxx-xxxx-xxxx-xxxx-"
                                      "xxxxxxxxxxxx}");
    check_text(r.context, 1024, "Context");
    check_text(r.vm_name, 255, "VMName");
    // The committed subnets as the backend holds them: no libyang walk per record.
    if (!backend.has_subnet(r.key.vsid))
      throw invalid("VirtualSubnetID", "no virtual subnet (CIMNET_VirtualSubnet) has VSID " +
                                           std::to_string(r.key.vsid));
    if (is_new && !wildcard) {
      // One MAC per customer address in a virtual subnet.
      config::LookupKey first{r.key.vsid, ca, {}};
      std::optional<config::LookupRecord> other = store.find_lookup(first);
      if (!other) {
        auto page = store.lookup_page(&first, 1);
        if (!page.empty()) other = page.front();
      }
      if (other && other->key.vsid == r.key.vsid && other->key.customer_address == ca)
        throw Error(Status::kAlreadyExists, "CustomerAddress " + ca.to_string() +
                                                " already has a lookup record in VSID " +
                                                std::to_string(r.key.vsid) + " (MACAddress " +
                                                other->key.mac.to_string() + ")");
    }
  }

  void apply_record_settings(config::LookupRecord& r, const Instance& i,
                             const std::vector<std::string>* only) const {
    auto wanted = [&](const char* n) { return !only || changes(*only, n); };
    if (wanted("ProviderAddress"))
      r.provider_address = check_ip(need_string(i, "ProviderAddress"), "ProviderAddress");
    if (wanted("CustomerID")) {
      r.customer_id = opt_string(i, "CustomerID").value_or("");
      if (!r.customer_id.empty()) r.customer_id = canonical_guid(r.customer_id, "CustomerID");
    }
    if (wanted("Context")) r.context = opt_string(i, "Context").value_or("");
    if (wanted("VMName")) r.vm_name = opt_string(i, "VMName").value_or("");
    if (wanted("UseVmMACAddress"))
      r.use_vm_mac_address = opt_bool(i, "UseVmMACAddress").value_or(false);
    if (wanted("Rule")) {
      auto rule = opt_uint(i, "Rule");
      if (!rule) throw invalid("Rule", "is required");
      if (*rule > 2)
        throw invalid("Rule", std::to_string(*rule) +
                                  " is not 0 (TranslationMethodNat), 1 (TranslationMethodEncap) "
                                  "or 2 (TranslationMethodNone)");
      r.rule = config::TranslationRule(*rule);
    }
  }

  ObjectPath create_record(const Instance& i) {
    config::LookupRecord r;
    r.key.vsid = check_vsid(need_uint(i, "VirtualSubnetID"));
    r.key.customer_address = check_ip(need_string(i, "CustomerAddress"), "CustomerAddress");
    r.key.mac = check_mac(need_string(i, "MACAddress"));
    apply_record_settings(r, i, nullptr);
    if (auto t = opt_uint(i, "Type")) {
      if (*t > 3)
        throw invalid("Type", std::to_string(*t) +
                                  " is not 0 (Static), 1 (Dynamic), 2 (GatewayWildcard) or 3 "
                                  "(L2Only)");
      r.type = config::LookupRecordType(*t);
    }
    validate_record(r, true);
    commit(store, [&](config::Transaction& tx) { tx.create_lookup(r); });
    return id_path(kLookupClass, record_id(r.key));
  }

  config::LookupRecord find_record(const ObjectPath& path) const {
    auto key = record_key_of(instance_id(path));
    if (!key) throw not_found(path);
    auto r = store.find_lookup(*key);
    if (!r) throw not_found(path);
    return *r;
  }

  Instance modify_record(const cim::Class& cls, const ObjectPath& path, const Instance& changes_,
                         const std::vector<std::string>& props) {
    only_writable(
        cls, props,
        {"ProviderAddress", "CustomerID", "Context", "Rule", "VMName", "UseVmMACAddress"});
    config::LookupRecord r = find_record(path);
    apply_record_settings(r, changes_, &props);
    validate_record(r, false);
    commit(store, [&](config::Transaction& tx) { tx.put_lookup(r); });
    return record_instance(r);
  }

  // Pages through the store's lookup table: never holds more than one page.
  class RecordStream : public provider::InstanceStream {
   public:
    using Make = std::function<std::optional<Instance>(const config::LookupRecord&)>;
    // Holds the provider's state alive as long as the enumeration lasts.
    RecordStream(std::shared_ptr<const Impl> impl, Make make)
        : impl_(std::move(impl)), make_(std::move(make)) {}
    std::optional<Instance> next() override {
      while (true) {
        if (pos_ < page_.size()) {
          const auto& r = page_[pos_++];
          if (auto i = make_(r)) return i;
          continue;
        }
        if (done_) return std::nullopt;
        page_ = impl_->store.lookup_page(started_ ? &after_ : nullptr, kPageSize);
        pos_ = 0;
        started_ = true;
        if (page_.size() < kPageSize) done_ = true;
        if (page_.empty()) return std::nullopt;
        after_ = page_.back().key;
      }
    }
    std::optional<uint64_t> estimate() const override {
      return started_ ? std::nullopt : std::optional<uint64_t>(impl_->store.lookup_count());
    }

   private:
    std::shared_ptr<const Impl> impl_;
    Make make_;
    std::vector<config::LookupRecord> page_;
    size_t pos_ = 0;
    config::LookupKey after_;
    bool started_ = false;
    bool done_ = false;
  };

  // --------------------------------------------------------- small tables

  struct SubnetRow {
    uint32_t vsid;
    std::string rd, customer_id, name;
    std::vector<std::string> prefixes;
  };
  std::vector<SubnetRow> subnets() const {
    std::vector<SubnetRow> out;
    store.read([&](const ConfigView& v) {
      for (const auto& p : v.select(kRoot + "/virtual-subnet"))
        out.push_back({parse_u32(leaf(v, p, "vsid")), leaf(v, p, "routing-domain"),
                       leaf(v, p, "customer-id"), leaf(v, p, "name"), leaf_list(v, p, "prefix")});
    });
    return out;
  }
  Instance subnet_instance(const SubnetRow& s) const {
    Instance i(kSubnetClass);
    i.set("InstanceID", Value::string("cimnet:VirtualSubnet;" + std::to_string(s.vsid)));
    i.set("VirtualSubnetID", Value::uint32(s.vsid));
    i.set("RoutingDomainID", Value::string(s.rd));
    i.set("CustomerID", str_or_null(s.customer_id));
    i.set("ElementName", str_or_null(s.name));
    i.set("AddressPrefixes", strings(s.prefixes));
    return i;
  }
  std::optional<SubnetRow> subnet(uint32_t vsid) const {
    for (auto& s : subnets())
      if (s.vsid == vsid) return s;
    return std::nullopt;
  }
  uint32_t subnet_vsid(const ObjectPath& path) const {
    auto f = split_id(instance_id(path), "VirtualSubnet");
    uint32_t vsid = f.size() == 1 ? parse_u32(f[0]) : 0;
    if (!vsid || !subnet(vsid)) throw not_found(path);
    return vsid;
  }
  std::vector<std::string> check_prefixes(const Instance& i) const {
    std::vector<std::string> out;
    const Value* v = present(i, "AddressPrefixes");
    if (!v) return out;
    if (!v->is_array() || v->type() != Type::kString)
      throw invalid("AddressPrefixes", "must be an array of strings");
    for (size_t k = 0; k < v->size(); ++k)
      out.push_back(check_prefix(v->at(k).as_string(), "AddressPrefixes").to_string());
    return out;
  }
  void write_subnet_leaves(config::Transaction& tx, const std::string& p, const Instance& i,
                           const std::vector<std::string>* only,
                           const std::vector<std::string>& old_prefixes = {}) const {
    auto wanted = [&](const char* n) { return !only || changes(*only, n); };
    if (wanted("CustomerID")) {
      auto c = opt_string(i, "CustomerID");
      if (c && !c->empty())
        tx.set(p + "/customer-id", canonical_guid(*c, "CustomerID"));
      else
        tx.remove(p + "/customer-id", false);
    }
    if (wanted("ElementName")) {
      auto n = opt_string(i, "ElementName");
      if (n) check_text(*n, 255, "ElementName");
      if (n && !n->empty())
        tx.set(p + "/name", *n);
      else
        tx.remove(p + "/name", false);
    }
    if (wanted("AddressPrefixes")) {
      auto prefixes = check_prefixes(i);
      for (const auto& x : old_prefixes) tx.remove(p + "/prefix[.=" + q(x) + "]", false);
      for (const auto& x : prefixes) tx.set(p + "/prefix[.=" + q(x) + "]");
    }
  }
  ObjectPath create_subnet(const Instance& i) {
    uint32_t vsid = check_vsid(need_uint(i, "VirtualSubnetID"));
    std::string rd = canonical_guid(need_string(i, "RoutingDomainID"), "RoutingDomainID");
    check_prefixes(i);
    if (subnet(vsid))
      throw Error(Status::kAlreadyExists, "VirtualSubnetID: a virtual subnet with VSID " +
                                              std::to_string(vsid) + " exists");
    std::string p = subnet_path(vsid);
    commit(store, [&](config::Transaction& tx) {
      tx.create(p);
      tx.set(p + "/routing-domain", rd);
      write_subnet_leaves(tx, p, i, nullptr);
    });
    return id_path(kSubnetClass, "cimnet:VirtualSubnet;" + std::to_string(vsid));
  }

  struct RouteRow {
    std::string rd;
    uint32_t vsid;
    std::string prefix, next_hop, customer_id;
    uint32_t metric;
  };
  static std::string route_id(const RouteRow& r) {
    return "cimnet:CustomerRoute;" + r.rd + ";" + std::to_string(r.vsid) + ";" + r.prefix;
  }
  std::vector<RouteRow> routes() const {
    std::vector<RouteRow> out;
    store.read([&](const ConfigView& v) {
      for (const auto& p : v.select(kRoot + "/customer-route"))
        out.push_back({leaf(v, p, "routing-domain"), parse_u32(leaf(v, p, "vsid")),
                       leaf(v, p, "destination-prefix"), leaf(v, p, "next-hop"),
                       leaf(v, p, "customer-id"), parse_u32(leaf(v, p, "metric"))});
    });
    return out;
  }
  Instance route_instance(const RouteRow& r) const {
    Instance i(kCustomerRouteClass);
    i.set("InstanceID", Value::string(route_id(r)));
    i.set("ElementName", Value::string(r.prefix + " via " + r.next_hop));
    i.set("RoutingDomainID", Value::string(r.rd));
    i.set("VirtualSubnetID", Value::uint32(r.vsid));
    i.set("DestinationPrefix", Value::string(r.prefix));
    i.set("NextHop", Value::string(r.next_hop));
    i.set("Metric", Value::uint32(r.metric));
    i.set("CustomerID", str_or_null(r.customer_id));
    return i;
  }
  RouteRow find_route(const ObjectPath& path) const {
    std::string id = instance_id(path);
    for (auto& r : routes())
      if (route_id(r) == id) return r;
    throw not_found(path);
  }
  ObjectPath create_route(const Instance& i) {
    RouteRow r;
    r.rd = canonical_guid(need_string(i, "RoutingDomainID"), "RoutingDomainID");
    r.vsid = check_vsid(need_uint(i, "VirtualSubnetID"));
    dp::IpPrefix prefix = check_prefix(need_string(i, "DestinationPrefix"), "DestinationPrefix");
    r.prefix = prefix.to_string();
    config::IpAddress nh = check_ip(need_string(i, "NextHop"), "NextHop");
    if (nh.family != prefix.address.family)
      throw invalid("NextHop", nh.to_string() + " is not of the destination prefix's family (IPv" +
                                   std::to_string(prefix.address.family) + ")");
    r.next_hop = nh.to_string();
    r.metric = uint32_t(opt_uint(i, "Metric").value_or(0));
    r.customer_id = opt_string(i, "CustomerID").value_or("");
    if (!r.customer_id.empty()) r.customer_id = canonical_guid(r.customer_id, "CustomerID");
    bool domain_exists = false;
    std::optional<SubnetRow> sub;
    for (auto& s : subnets()) {
      if (s.rd == r.rd) domain_exists = true;
      if (s.vsid == r.vsid) sub = s;
    }
    if (!domain_exists)
      throw invalid("RoutingDomainID", "no virtual subnet belongs to routing domain " + r.rd);
    if (!sub)
      throw invalid("VirtualSubnetID",
                    "no virtual subnet (CIMNET_VirtualSubnet) has VSID " + std::to_string(r.vsid));
    if (sub->rd != r.rd)
      throw invalid("VirtualSubnetID", "VSID " + std::to_string(r.vsid) +
                                           " belongs to routing domain " + sub->rd + ", not " +
                                           r.rd);
    std::string p = route_path(r.rd, r.vsid, r.prefix);
    commit(store, [&](config::Transaction& tx) {
      tx.create(p);
      tx.set(p + "/next-hop", r.next_hop);
      tx.set(p + "/metric", std::to_string(r.metric));
      if (!r.customer_id.empty()) tx.set(p + "/customer-id", r.customer_id);
    });
    return id_path(kCustomerRouteClass, route_id(r));
  }

  struct PaRow {
    uint32_t ifindex;
    std::string address, mac;
    uint32_t prefix_length, vlan;
    bool cluster;
  };
  static std::string pa_id(const PaRow& r) {
    return "cimnet:ProviderAddress;" + std::to_string(r.ifindex) + ";" + r.address;
  }
  std::vector<PaRow> pas() const {
    std::vector<PaRow> out;
    store.read([&](const ConfigView& v) {
      for (const auto& p : v.select(kRoot + "/provider-address"))
        out.push_back({parse_u32(leaf(v, p, "interface-index")), leaf(v, p, "address"),
                       leaf(v, p, "mac-address"), parse_u32(leaf(v, p, "prefix-length")),
                       parse_u32(leaf(v, p, "vlan-id")),
                       leaf(v, p, "managed-by-cluster") == "true"});
    });
    return out;
  }
  Instance pa_instance(const PaRow& r) const {
    Instance i(kProviderAddressClass);
    i.set("InstanceID", Value::string(pa_id(r)));
    i.set("ElementName", Value::string(r.address));
    i.set("ProviderAddress", Value::string(r.address));
    i.set("InterfaceIndex", Value::uint32(r.ifindex));
    i.set("PrefixLength", Value::uint8(uint8_t(r.prefix_length)));
    i.set("VlanID", Value::uint16(uint16_t(r.vlan)));
    i.set("AddressState", Value::uint16(4));  // Preferred: the datapath owns and answers it
    i.set("MACAddress", str_or_null(r.mac));
    i.set("ManagedByCluster", Value::boolean(r.cluster));
    return i;
  }
  PaRow find_pa(const ObjectPath& path) const {
    std::string id = instance_id(path);
    for (auto& r : pas())
      if (pa_id(r) == id) return r;
    throw not_found(path);
  }
  void pa_settings(PaRow& r, const Instance& i, const std::vector<std::string>* only) const {
    auto wanted = [&](const char* n) { return !only || changes(*only, n); };
    unsigned bits = r.address.find(':') == std::string::npos ? 32 : 128;
    if (wanted("PrefixLength")) {
      auto len = opt_uint(i, "PrefixLength");
      if (!len) throw invalid("PrefixLength", "is required");
      if (*len > bits)
        throw invalid("PrefixLength",
                      std::to_string(*len) + " is longer than " + std::to_string(bits) + " bits");
      r.prefix_length = uint32_t(*len);
    }
    if (wanted("VlanID")) {
      r.vlan = uint32_t(opt_uint(i, "VlanID").value_or(0));
      if (r.vlan != 0)
        throw Error(Status::kNotSupported,
                    "VlanID: the cimnet datapath does not tag provider traffic; only 0 is "
                    "supported");
    }
    if (wanted("MACAddress")) {
      auto m = opt_string(i, "MACAddress");
      r.mac = m && !m->empty() ? check_mac(*m).to_string() : std::string();
    }
    if (wanted("ManagedByCluster")) r.cluster = opt_bool(i, "ManagedByCluster").value_or(false);
  }
  void write_pa(config::Transaction& tx, const PaRow& r, bool create) const {
    std::string p = pa_path(r.ifindex, r.address);
    if (create) tx.create(p);
    tx.set(p + "/prefix-length", std::to_string(r.prefix_length));
    tx.set(p + "/vlan-id", std::to_string(r.vlan));
    if (r.mac.empty())
      tx.remove(p + "/mac-address", false);
    else
      tx.set(p + "/mac-address", r.mac);
    tx.set(p + "/managed-by-cluster", r.cluster ? "true" : "false");
  }
  ObjectPath create_pa(const Instance& i) {
    PaRow r{};
    r.address = check_unicast(need_string(i, "ProviderAddress"), "ProviderAddress").to_string();
    r.ifindex = check_local_interface(need_uint(i, "InterfaceIndex"));
    pa_settings(r, i, nullptr);
    for (auto& o : pas())
      if (o.address == r.address)
        throw Error(Status::kAlreadyExists, "ProviderAddress " + r.address +
                                                " is already configured (InterfaceIndex " +
                                                std::to_string(o.ifindex) + ")");
    commit(store, [&](config::Transaction& tx) { write_pa(tx, r, true); });
    return id_path(kProviderAddressClass, pa_id(r));
  }

  struct ProuteRow {
    uint32_t ifindex;
    std::string prefix, next_hop, customer_id;
    uint32_t metric;
  };
  static std::string proute_id(const ProuteRow& r) {
    return "cimnet:ProviderRoute;" + std::to_string(r.ifindex) + ";" + r.prefix + ";" + r.next_hop;
  }
  std::vector<ProuteRow> proutes() const {
    std::vector<ProuteRow> out;
    store.read([&](const ConfigView& v) {
      for (const auto& p : v.select(kRoot + "/provider-route"))
        out.push_back({parse_u32(leaf(v, p, "interface-index")), leaf(v, p, "destination-prefix"),
                       leaf(v, p, "next-hop"), leaf(v, p, "customer-id"),
                       parse_u32(leaf(v, p, "metric"))});
    });
    return out;
  }
  Instance proute_instance(const ProuteRow& r) const {
    Instance i(kProviderRouteClass);
    i.set("InstanceID", Value::string(proute_id(r)));
    i.set("ElementName", Value::string(r.prefix + " via " + r.next_hop));
    i.set("InterfaceIndex", Value::uint32(r.ifindex));
    i.set("DestinationPrefix", Value::string(r.prefix));
    i.set("NextHop", Value::string(r.next_hop));
    i.set("Metric", Value::uint32(r.metric));
    i.set("CustomerID", str_or_null(r.customer_id));
    return i;
  }
  ProuteRow find_proute(const ObjectPath& path) const {
    std::string id = instance_id(path);
    for (auto& r : proutes())
      if (proute_id(r) == id) return r;
    throw not_found(path);
  }
  ObjectPath create_proute(const Instance& i) {
    ProuteRow r{};
    r.ifindex = check_local_interface(need_uint(i, "InterfaceIndex"));
    dp::IpPrefix prefix = check_prefix(need_string(i, "DestinationPrefix"), "DestinationPrefix");
    r.prefix = prefix.to_string();
    config::IpAddress nh = check_ip(need_string(i, "NextHop"), "NextHop");
    if (nh.family != prefix.address.family)
      throw invalid("NextHop", nh.to_string() + " is not of the destination prefix's family (IPv" +
                                   std::to_string(prefix.address.family) + ")");
    r.next_hop = nh.to_string();
    r.metric = uint32_t(opt_uint(i, "Metric").value_or(0));
    r.customer_id = opt_string(i, "CustomerID").value_or("");
    if (!r.customer_id.empty()) r.customer_id = canonical_guid(r.customer_id, "CustomerID");
    std::string p = proute_path(r.ifindex, r.prefix, r.next_hop);
    commit(store, [&](config::Transaction& tx) {
      tx.create(p);
      tx.set(p + "/metric", std::to_string(r.metric));
      if (!r.customer_id.empty()) tx.set(p + "/customer-id", r.customer_id);
    });
    return id_path(kProviderRouteClass, proute_id(r));
  }

  struct AdapterRow {
    std::string name, interface, mac;
    uint32_t vsid;
  };
  std::vector<AdapterRow> adapter_rows() const {
    std::vector<AdapterRow> out;
    store.read([&](const ConfigView& v) {
      for (const auto& p : v.select(kRoot + "/vm-adapter"))
        out.push_back({leaf(v, p, "name"), leaf(v, p, "interface"), leaf(v, p, "mac-address"),
                       parse_u32(leaf(v, p, "vsid"))});
    });
    return out;
  }
  ObjectPath adapter_object_path(const std::string& name) const {
    return ObjectPath(kStandardCimv2, kAdapterClass,
                      {{"SystemCreationClassName", Value::string(host.system_creation_class)},
                       {"SystemName", Value::string(host.system_name)},
                       {"CreationClassName", Value::string(kAdapterClass)},
                       {"Name", Value::string(name)}});
  }
  Instance adapter_instance(const AdapterRow& a) const {
    Instance i(kAdapterClass);
    i.set("SystemCreationClassName", Value::string(host.system_creation_class));
    i.set("SystemName", Value::string(host.system_name));
    i.set("CreationClassName", Value::string(kAdapterClass));
    i.set("Name", Value::string(a.name));
    i.set("ElementName", Value::string(a.name));
    i.set("InterfaceName", Value::string(a.interface));
    i.set("MACAddress", Value::string(a.mac));
    i.set("VirtualSubnetID", Value::uint32(a.vsid));
    return i;
  }
  AdapterRow find_adapter(const ObjectPath& path) const {
    const Value* n = path.key("Name");
    if (n && !n->is_null() && !n->is_array() && n->type() == Type::kString)
      for (auto& a : adapter_rows())
        if (a.name == n->as_string()) return a;
    throw not_found(path);
  }
  ObjectPath create_adapter(const Instance& i) {
    AdapterRow a;
    a.interface = need_string(i, "InterfaceName");
    if (a.interface.empty() || a.interface.size() > 15 ||
        std::any_of(a.interface.begin(), a.interface.end(), [](char c) {
          return c == '/' || c == '\'' || c == '"' || std::isspace(static_cast<unsigned char>(c)) ||
                 !std::isprint(static_cast<unsigned char>(c));
        }))
      throw invalid("InterfaceName", "'" + a.interface +
                                         "' is not a Linux interface name (1 to 15 printable "
                                         "characters, no '/', quotes or spaces)");
    if (auto name = opt_string(i, "Name"); name && *name != a.interface)
      throw invalid("Name", "must equal InterfaceName ('" + a.interface + "')");
    a.name = a.interface;
    a.mac = check_mac(need_string(i, "MACAddress")).to_string();
    a.vsid = check_vsid(need_uint(i, "VirtualSubnetID"));
    if (!subnet(a.vsid))
      throw invalid("VirtualSubnetID",
                    "no virtual subnet (CIMNET_VirtualSubnet) has VSID " + std::to_string(a.vsid));
    for (auto& o : adapter_rows()) {
      if (o.name == a.name)
        throw Error(Status::kAlreadyExists, "InterfaceName: adapter " + a.name + " exists");
      if (o.vsid == a.vsid && o.mac == a.mac)
        throw Error(Status::kAlreadyExists, "MACAddress " + a.mac + " is already adapter " +
                                                o.name + "'s in VSID " + std::to_string(a.vsid));
    }
    std::string p = adapter_path(a.name);
    commit(store, [&](config::Transaction& tx) {
      tx.create(p);
      tx.set(p + "/interface", a.interface);
      tx.set(p + "/mac-address", a.mac);
      tx.set(p + "/vsid", std::to_string(a.vsid));
    });
    return adapter_object_path(a.name);
  }

  // ------------------------------------------------------------ statistics

  static void set_drops(Instance& i, uint64_t dropped) {
    // The datapath counts drops per subnet and per port in one total; the
    // reason split exists only datapath-wide, so they are reported as Other.
    std::vector<Value> reasons, counts;
    if (dropped) {
      reasons.push_back(Value::uint16(kDropOther));
      counts.push_back(Value::uint64(dropped));
    }
    i.set("DropReasons", Value::array(Type::kUint16, reasons));
    i.set("DroppedPackets", Value::array(Type::kUint64, counts));
  }
  Instance subnet_stats(uint32_t vsid) const {
    Instance i(kSubnetStatsClass);
    i.set("InstanceID", Value::string("cimnet:VirtualSubnetStatistics;" + std::to_string(vsid)));
    i.set("ElementName", Value::string("VSID " + std::to_string(vsid)));
    i.set("VirtualSubnetID", Value::uint32(vsid));
    dp::VsidCounters c = datapath.vsid_counters(vsid).value_or(dp::VsidCounters{});
    if (auto f = extra.vsid ? extra.vsid(vsid) : std::nullopt) {
      c.encapsulated.packets += f->encapsulated.packets;
      c.encapsulated.bytes += f->encapsulated.bytes;
      c.decapsulated.packets += f->decapsulated.packets;
      c.decapsulated.bytes += f->decapsulated.bytes;
    }
    i.set("PacketsTransmitted", Value::uint64(c.encapsulated.packets));
    i.set("BytesTransmitted", Value::uint64(c.encapsulated.bytes));
    i.set("PacketsReceived", Value::uint64(c.decapsulated.packets));
    i.set("BytesReceived", Value::uint64(c.decapsulated.bytes));
    set_drops(i, c.dropped);
    return i;
  }
  std::optional<Instance> adapter_stats(const std::string& name) const {
    for (auto& a : backend.adapters()) {
      if (a.name != name) continue;
      Instance i(kAdapterStatsClass);
      i.set("InstanceID", Value::string("cimnet:VMNetworkAdapterStatistics;" + name));
      i.set("ElementName", Value::string(name));
      i.set("InterfaceName", Value::string(a.interface));
      dp::PortCounters c = datapath.port_counters(a.port);
      if (extra.port) {
        dp::PortCounters f = extra.port(a.port);
        c.from_vm.packets += f.from_vm.packets;
        c.from_vm.bytes += f.from_vm.bytes;
        c.to_vm.packets += f.to_vm.packets;
        c.to_vm.bytes += f.to_vm.bytes;
      }
      i.set("PacketsTransmitted", Value::uint64(c.from_vm.packets));
      i.set("BytesTransmitted", Value::uint64(c.from_vm.bytes));
      i.set("PacketsReceived", Value::uint64(c.to_vm.packets));
      i.set("BytesReceived", Value::uint64(c.to_vm.bytes));
      set_drops(i, c.dropped);
      return i;
    }
    return std::nullopt;
  }

  // ----------------------------------------------------------- next hop

  // Where a packet from `src` to `dst` in `vsid` goes, per the policy.
  Instance next_hop(const std::string& src_text, const std::string& dst_text, uint32_t vsid) const {
    config::IpAddress dst = check_ip(dst_text, "DestinationCustomerAddress");
    auto sub = subnet(vsid);
    if (!sub)
      throw invalid("SourceVirtualSubnetID",
                    "no virtual subnet (CIMNET_VirtualSubnet) has VSID " + std::to_string(vsid));
    auto record_in = [&](uint32_t v,
                         const config::IpAddress& ca) -> std::optional<config::LookupRecord> {
      config::LookupKey first{v, ca, {}};
      if (auto r = store.find_lookup(first)) return r;
      auto page = store.lookup_page(&first, 1);
      if (!page.empty() && page.front().key.vsid == v && page.front().key.customer_address == ca)
        return page.front();
      return std::nullopt;
    };
    Instance out(kNextHopClass);
    out.set("InstanceID", Value::string("cimnet:NextHop;" + std::to_string(vsid) + ";" + dst_text));
    out.set("ElementName", Value::string(dst_text));
    out.set("SourceCustomerAddress", str_or_null(src_text));
    out.set("DestinationCustomerAddress", Value::string(dst.to_string()));
    out.set("SourceVirtualSubnetID", Value::uint32(vsid));
    if (!src_text.empty()) {
      config::IpAddress src = check_ip(src_text, "SourceCustomerAddress");
      auto s = record_in(vsid, src);
      if (!s)
        throw Error(Status::kNotFound, "SourceCustomerAddress: no lookup record for " +
                                           src.to_string() + " in VSID " + std::to_string(vsid));
      out.set("SourceMACAddress", Value::string(s->key.mac.to_string()));
    }
    // Same subnet first, then the longest customer route of the routing domain.
    std::optional<config::LookupRecord> hop = record_in(vsid, dst);
    if (!hop) {
      dp::IpAddress d = to_dataplane(dst);
      std::optional<RouteRow> best;
      unsigned best_len = 0;
      for (auto& r : routes()) {
        if (r.rd != sub->rd) continue;
        auto p = dp::IpPrefix::parse(r.prefix);
        if (!p || !p->contains(d)) continue;
        if (!best || p->length > best_len || (p->length == best_len && r.metric < best->metric)) {
          best = r;
          best_len = p->length;
        }
      }
      if (!best)
        throw Error(Status::kNotFound,
                    "DestinationCustomerAddress: no lookup record or customer "
                    "route of routing domain " +
                        sub->rd + " reaches " + dst.to_string());
      config::IpAddress nh = check_ip(best->next_hop, "NextHop");
      hop = record_in(best->vsid, nh.is_unspecified() ? dst : nh);
      if (!hop)
        throw Error(Status::kNotFound,
                    "DestinationCustomerAddress: the customer route " + best->prefix +
                        " leads to " + (nh.is_unspecified() ? dst : nh).to_string() +
                        ", which has no lookup record in VSID " + std::to_string(best->vsid));
    }
    out.set("NextHopAddress", Value::string(hop->key.customer_address.to_string()));
    out.set("NextHopMACAddress", Value::string(hop->key.mac.to_string()));
    return out;
  }

  // --------------------------------------------------------- global

  Instance global() const {
    Instance i(kGlobalClass);
    i.set("InstanceID", Value::string(kGlobalId));
    i.set("ElementName", Value::string("Network virtualization"));
    i.set("UseExternalRouter",
          Value::boolean(store.get(kRoot + "/use-external-router").value_or("false") == "true"));
    i.set("RoutingRule", Value::uint8(0));
    return i;
  }
};

NetvirtProvider::NetvirtProvider(config::Store& store, dp::Datapath& datapath,
                                 DatapathBackend& backend, HostIdentity host)
    : impl_(std::make_shared<Impl>(Impl{store, datapath, backend, std::move(host)})) {}

void NetvirtProvider::set_extra_counters(ExtraCounters extra) {
  impl_->extra = std::move(extra);
}

std::unique_ptr<provider::InstanceStream> NetvirtProvider::enumerate(const provider::CallContext&,
                                                                     const cim::Class& cls) {
  Impl& m = *impl_;
  std::vector<Instance> out;
  if (is(cls, kLookupClass)) {
    return std::make_unique<Impl::RecordStream>(
        impl_, [&m](const config::LookupRecord& r) -> std::optional<Instance> {
          return m.record_instance(r);
        });
  }
  if (is(cls, kSubnetRecordAssoc)) {
    return std::make_unique<Impl::RecordStream>(
        impl_, [](const config::LookupRecord& r) -> std::optional<Instance> {
          Instance a(kSubnetRecordAssoc);
          a.set("ManagedElement",
                Value::reference(
                    id_path(kSubnetClass, "cimnet:VirtualSubnet;" + std::to_string(r.key.vsid))));
          a.set("SettingData", Value::reference(id_path(kLookupClass, record_id(r.key))));
          return a;
        });
  }
  if (is(cls, kCustomerRouteClass))
    for (auto& r : m.routes()) out.push_back(m.route_instance(r));
  else if (is(cls, kProviderAddressClass))
    for (auto& r : m.pas()) out.push_back(m.pa_instance(r));
  else if (is(cls, kProviderRouteClass))
    for (auto& r : m.proutes()) out.push_back(m.proute_instance(r));
  else if (is(cls, kGlobalClass))
    out.push_back(m.global());
  else if (is(cls, kSubnetClass))
    for (auto& s : m.subnets()) out.push_back(m.subnet_instance(s));
  else if (is(cls, kAdapterClass))
    for (auto& a : m.adapter_rows()) out.push_back(m.adapter_instance(a));
  else if (is(cls, kSubnetStatsClass))
    for (auto& s : m.subnets()) out.push_back(m.subnet_stats(s.vsid));
  else if (is(cls, kAdapterStatsClass)) {
    for (auto& a : m.adapter_rows())
      if (auto i = m.adapter_stats(a.name)) out.push_back(*i);
  } else if (is(cls, kSubnetAdapterAssoc)) {
    for (auto& a : m.adapter_rows()) {
      Instance i(kSubnetAdapterAssoc);
      i.set("Collection", Value::reference(id_path(
                              kSubnetClass, "cimnet:VirtualSubnet;" + std::to_string(a.vsid))));
      i.set("Member", Value::reference(m.adapter_object_path(a.name)));
      out.push_back(std::move(i));
    }
  } else if (is(cls, kSubnetRouteAssoc)) {
    for (auto& r : m.routes()) {
      Instance i(kSubnetRouteAssoc);
      i.set("ManagedElement", Value::reference(id_path(
                                  kSubnetClass, "cimnet:VirtualSubnet;" + std::to_string(r.vsid))));
      i.set("SettingData", Value::reference(id_path(kCustomerRouteClass, Impl::route_id(r))));
      out.push_back(std::move(i));
    }
  } else if (is(cls, kAdapterRecordAssoc)) {
    // Per adapter, the records of its VSID with its MAC (one VSID scanned each).
    for (auto& a : m.adapter_rows()) {
      auto mac = config::MacAddress::parse(a.mac);
      if (!mac) continue;
      m.store.read([&](const ConfigView& v) {
        config::LookupKey first{a.vsid, {}, {}};
        auto visit = [&](const config::LookupRecord& r) {
          if (r.key.vsid != a.vsid) return false;
          if (r.key.mac == *mac) {
            Instance i(kAdapterRecordAssoc);
            i.set("ManagedElement", Value::reference(m.adapter_object_path(a.name)));
            i.set("SettingData", Value::reference(id_path(kLookupClass, record_id(r.key))));
            out.push_back(std::move(i));
          }
          return true;
        };
        if (auto r = v.find_lookup(first)) visit(*r);
        v.for_each_lookup(visit, &first);
      });
    }
  } else if (is(cls, kNextHopClass)) {
    // Results of Select only; nothing to enumerate.
  } else {
    throw Error(Status::kNotSupported, "no network-virtualization provider for " + cls.name());
  }
  return std::make_unique<provider::VectorStream>(std::move(out));
}

Instance NetvirtProvider::get(const provider::CallContext& ctx, const cim::Class& cls,
                              const ObjectPath& path) {
  Impl& m = *impl_;
  if (is(cls, kLookupClass)) return m.record_instance(m.find_record(path));
  if (is(cls, kCustomerRouteClass)) return m.route_instance(m.find_route(path));
  if (is(cls, kProviderAddressClass)) return m.pa_instance(m.find_pa(path));
  if (is(cls, kProviderRouteClass)) return m.proute_instance(m.find_proute(path));
  if (is(cls, kGlobalClass)) {
    if (instance_id(path) != kGlobalId) throw not_found(path);
    return m.global();
  }
  if (is(cls, kSubnetClass)) return m.subnet_instance(*m.subnet(m.subnet_vsid(path)));
  if (is(cls, kAdapterClass)) {
    auto a = m.find_adapter(path);
    Instance i = m.adapter_instance(a);
    if (!provider::matches_path(i, path)) throw not_found(path);
    return i;
  }
  if (is(cls, kSubnetStatsClass)) {
    auto f = split_id(instance_id(path), "VirtualSubnetStatistics");
    uint32_t vsid = f.size() == 1 ? parse_u32(f[0]) : 0;
    if (!vsid || !m.subnet(vsid)) throw not_found(path);
    return m.subnet_stats(vsid);
  }
  if (is(cls, kAdapterStatsClass)) {
    auto f = split_id(instance_id(path), "VMNetworkAdapterStatistics");
    if (f.size() == 1)
      if (auto i = m.adapter_stats(f[0])) return *i;
    throw not_found(path);
  }
  return Provider::get(ctx, cls, path);
}

ObjectPath NetvirtProvider::create(const provider::CallContext&, const cim::Class& cls,
                                   const Instance& instance) {
  Impl& m = *impl_;
  if (is(cls, kLookupClass)) return m.create_record(instance);
  if (is(cls, kCustomerRouteClass)) return m.create_route(instance);
  if (is(cls, kProviderAddressClass)) return m.create_pa(instance);
  if (is(cls, kProviderRouteClass)) return m.create_proute(instance);
  if (is(cls, kSubnetClass)) return m.create_subnet(instance);
  if (is(cls, kAdapterClass)) return m.create_adapter(instance);
  throw Error(Status::kNotSupported,
              cls.name() + " instances are not created by clients (the agent maintains them)");
}

Instance NetvirtProvider::modify(const provider::CallContext&, const cim::Class& cls,
                                 const ObjectPath& path, const Instance& changes_,
                                 const std::vector<std::string>& props) {
  Impl& m = *impl_;
  if (is(cls, kLookupClass)) return m.modify_record(cls, path, changes_, props);
  if (is(cls, kCustomerRouteClass)) {
    only_writable(cls, props, {"Metric", "CustomerID"});
    auto r = m.find_route(path);
    if (changes(props, "Metric")) r.metric = uint32_t(opt_uint(changes_, "Metric").value_or(0));
    if (changes(props, "CustomerID")) {
      r.customer_id = opt_string(changes_, "CustomerID").value_or("");
      if (!r.customer_id.empty()) r.customer_id = canonical_guid(r.customer_id, "CustomerID");
    }
    std::string p = route_path(r.rd, r.vsid, r.prefix);
    commit(m.store, [&](config::Transaction& tx) {
      tx.set(p + "/metric", std::to_string(r.metric));
      if (r.customer_id.empty())
        tx.remove(p + "/customer-id", false);
      else
        tx.set(p + "/customer-id", r.customer_id);
    });
    return m.route_instance(r);
  }
  if (is(cls, kProviderAddressClass)) {
    only_writable(cls, props, {"PrefixLength", "VlanID", "MACAddress", "ManagedByCluster"});
    auto r = m.find_pa(path);
    m.pa_settings(r, changes_, &props);
    commit(m.store, [&](config::Transaction& tx) { m.write_pa(tx, r, false); });
    return m.pa_instance(r);
  }
  if (is(cls, kProviderRouteClass)) {
    only_writable(cls, props, {"Metric", "CustomerID"});
    auto r = m.find_proute(path);
    if (changes(props, "Metric")) r.metric = uint32_t(opt_uint(changes_, "Metric").value_or(0));
    if (changes(props, "CustomerID")) {
      r.customer_id = opt_string(changes_, "CustomerID").value_or("");
      if (!r.customer_id.empty()) r.customer_id = canonical_guid(r.customer_id, "CustomerID");
    }
    std::string p = proute_path(r.ifindex, r.prefix, r.next_hop);
    commit(m.store, [&](config::Transaction& tx) {
      tx.set(p + "/metric", std::to_string(r.metric));
      if (r.customer_id.empty())
        tx.remove(p + "/customer-id", false);
      else
        tx.set(p + "/customer-id", r.customer_id);
    });
    return m.proute_instance(r);
  }
  if (is(cls, kGlobalClass)) {
    only_writable(cls, props, {"UseExternalRouter", "RoutingRule"});
    if (instance_id(path) != kGlobalId) throw not_found(path);
    if (changes(props, "RoutingRule") && opt_uint(changes_, "RoutingRule").value_or(0) != 0)
      throw invalid("RoutingRule", "only 0 (EncapsulationTypeGre) is defined");
    if (changes(props, "UseExternalRouter") &&
        opt_bool(changes_, "UseExternalRouter").value_or(false))
      throw Error(Status::kNotSupported,
                  "UseExternalRouter: the cimnet datapath routes between the virtual subnets of a "
                  "routing domain on the host; sending that traffic to external routers is not "
                  "supported");
    commit(m.store,
           [&](config::Transaction& tx) { tx.set(kRoot + "/use-external-router", "false"); });
    return m.global();
  }
  if (is(cls, kSubnetClass)) {
    only_writable(cls, props, {"CustomerID", "ElementName", "AddressPrefixes"});
    uint32_t vsid = m.subnet_vsid(path);
    std::string p = subnet_path(vsid);
    auto old = m.subnet(vsid)->prefixes;
    commit(m.store,
           [&](config::Transaction& tx) { m.write_subnet_leaves(tx, p, changes_, &props, old); });
    return m.subnet_instance(*m.subnet(vsid));
  }
  if (is(cls, kAdapterClass)) {
    only_writable(cls, props, {"VirtualSubnetID"});
    auto a = m.find_adapter(path);
    uint32_t vsid = check_vsid(need_uint(changes_, "VirtualSubnetID"));
    if (!m.subnet(vsid))
      throw invalid("VirtualSubnetID",
                    "no virtual subnet (CIMNET_VirtualSubnet) has VSID " + std::to_string(vsid));
    commit(m.store, [&](config::Transaction& tx) {
      tx.set(adapter_path(a.name) + "/vsid", std::to_string(vsid));
    });
    a.vsid = vsid;
    return m.adapter_instance(a);
  }
  throw Error(Status::kNotSupported, cls.name() + " instances cannot be changed");
}

void NetvirtProvider::remove(const provider::CallContext&, const cim::Class& cls,
                             const ObjectPath& path) {
  Impl& m = *impl_;
  if (is(cls, kLookupClass)) {
    auto r = m.find_record(path);
    commit(m.store, [&](config::Transaction& tx) { tx.remove_lookup(r.key); });
    return;
  }
  std::string p;
  if (is(cls, kCustomerRouteClass)) {
    auto r = m.find_route(path);
    p = route_path(r.rd, r.vsid, r.prefix);
  } else if (is(cls, kProviderAddressClass)) {
    auto r = m.find_pa(path);
    p = pa_path(r.ifindex, r.address);
  } else if (is(cls, kProviderRouteClass)) {
    auto r = m.find_proute(path);
    p = proute_path(r.ifindex, r.prefix, r.next_hop);
  } else if (is(cls, kSubnetClass)) {
    uint32_t vsid = m.subnet_vsid(path);
    config::LookupKey first{vsid, {}, {}};
    bool has_records = m.store.find_lookup(first).has_value();
    if (!has_records) {
      auto page = m.store.lookup_page(&first, 1);
      has_records = !page.empty() && page.front().key.vsid == vsid;
    }
    if (has_records)
      throw Error(Status::kFailed, "VirtualSubnetID " + std::to_string(vsid) +
                                       " still has lookup records; remove them first");
    for (auto& r : m.routes())
      if (r.vsid == vsid)
        throw Error(Status::kFailed, "VirtualSubnetID " + std::to_string(vsid) +
                                         " still has customer routes; remove them first");
    for (auto& a : m.adapter_rows())
      if (a.vsid == vsid)
        throw Error(Status::kFailed, "VirtualSubnetID " + std::to_string(vsid) +
                                         " still has VM adapters (" + a.name +
                                         "); remove or move them first");
    p = subnet_path(vsid);
  } else if (is(cls, kAdapterClass)) {
    p = adapter_path(m.find_adapter(path).name);
  } else {
    throw Error(Status::kNotSupported, cls.name() + " instances cannot be deleted");
  }
  commit(m.store, [&](config::Transaction& tx) { tx.remove(p); });
}

provider::MethodResult NetvirtProvider::invoke(const provider::CallContext& ctx,
                                               const cim::Class& cls, const cim::Method& method,
                                               const std::optional<ObjectPath>& target,
                                               const std::vector<cim::PropertyValue>& in) {
  if (!is(cls, kNextHopClass) || !cim::iequals(method.name, "Select"))
    return Provider::invoke(ctx, cls, method, target, in);
  std::string src, dst;
  std::optional<uint64_t> vsid;
  for (const auto& p : in) {
    if (p.value.is_null()) continue;
    if (cim::iequals(p.name, "SourceCustomerAddress")) src = p.value.as_string();
    if (cim::iequals(p.name, "DestinationCustomerAddress")) dst = p.value.as_string();
    if (cim::iequals(p.name, "SourceVirtualSubnetID")) vsid = p.value.as_uint();
  }
  if (dst.empty()) throw invalid("DestinationCustomerAddress", "is required");
  if (!vsid) throw invalid("SourceVirtualSubnetID", "is required");
  Instance hop = impl_->next_hop(src, dst, check_vsid(*vsid, "SourceVirtualSubnetID"));
  provider::MethodResult result;
  result.return_value = Value::uint32(0);
  result.out.push_back({"CmdletOutput", Value::array(Type::kInstance, {Value::instance(hop)})});
  return result;
}

}  // namespace cimnet::netvirt

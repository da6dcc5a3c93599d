// The NetWNV cmdlets (Windows' NetWNV module: lookup records, customer routes, provider
// addresses and routes, the global settings and the next-hop lookup) with Windows' parameter
// sets, plus cmdlets in the same style for cimnet's CIMNET_VirtualSubnet and
// CIMNET_VMNetworkAdapter. Like Windows' CDXML module they are thin: Get- enumerates and
// filters, New- is CreateInstance, Set- is a Put of the changed properties, Remove- is
// DeleteInstance and Select-NetVirtualizationNextHop calls the static Select method. The
// agent validates everything.

#include <algorithm>
#include <cstdlib>

#include "context.h"
#include "cimnet/shell/interpreter.h"

namespace cimnet::shell::cim {

namespace {

constexpr const char* kNamespace = "root/StandardCimv2";
constexpr const char* kByName = "ByName";
constexpr const char* kByInput = "InputObject (cdxml)";

// Enum names by value (the ValueMap order of netvirt.mof).
const std::vector<std::string>& rule_names() {
  static const std::vector<std::string> names{"TranslationMethodNat", "TranslationMethodEncap", "TranslationMethodNone"};
  return names;
}
const std::vector<std::string>& type_names() {
  static const std::vector<std::string> names{"Static", "Dynamic", "GatewayWildcard", "L2Only"};
  return names;
}
const std::vector<std::string>& state_names() {
  static const std::vector<std::string> names{"Invalid", "Tentative", "Duplicate", "Deprecated", "Preferred"};
  return names;
}

// One cmdlet parameter that stands for one CIM property.
struct Field {
  std::string param;
  std::string property;
  ParamType type = ParamType::String;
  const std::vector<std::string>* names = nullptr;  // enum names by value
  std::string enum_type;                            // as error messages name it
  std::string help;
  bool mandatory = false;  // on New-
  bool array_property = false;
};

// What the cmdlets of one noun work on.
struct Noun {
  std::string noun;        // "LookupRecord" -> Get-NetVirtualizationLookupRecord
  std::string class_name;  // CIM class
  std::string what;        // "lookup records", for help texts
  std::vector<Field> filters;      // Get- and Remove- ByName
  std::vector<std::string> set_filters;  // the filters of Set- ByName
  std::vector<Field> settable;     // Set-
  std::vector<Field> create;       // New-
  std::string example_get, example_new, example_set, example_remove;
  // Properties that name an instance in -WhatIf/-Confirm messages (empty: its key properties).
  std::vector<std::string> label;
};

Value prop(const Value& v, const std::string& name) {
  if (!v.is_object()) return Value();
  const Value* p = v.as_object()->get(name);
  return p ? *p : Value();
}

// The enum name of a value ("TranslationMethodEncap" for 1), or the number when unknown.
Value enum_name(const Value& v, const std::vector<std::string>& names) {
  auto n = v.is_null() ? std::nullopt : to_int(v);
  if (n && *n >= 0 && static_cast<size_t>(*n) < names.size()) return Value(names[static_cast<size_t>(*n)]);
  return v;
}

// MAC addresses compare without separators.
std::string normal_mac(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '-' || c == ':' || c == '.'; }), s.end());
  return s;
}

ErrorRecord wnv_error(CommandRuntime& rt, const std::string& message, const std::string& id, ErrorCategory cat,
                      Value target = {}) {
  return make_error(message, id + "," + rt.command().name, cat, std::move(target));
}

// The integer a script gave for an enum parameter: a name (case-insensitive) or a number in range.
int64_t enum_value(CommandRuntime& rt, const Field& f, const Value& v) {
  if (auto n = v.is_string() ? std::nullopt : to_int(v); n && *n >= 0 && static_cast<size_t>(*n) < f.names->size())
    return *n;
  std::string s = to_string(v);
  for (size_t i = 0; i < f.names->size(); ++i)
    if (iequals(s, (*f.names)[i]) || s == std::to_string(i)) return static_cast<int64_t>(i);
  std::string list;
  for (const auto& n : *f.names) list += (list.empty() ? "\"" : ",\"") + n + "\"";
  rt.throw_terminating(make_error("Cannot bind parameter '" + f.param + "'. Cannot convert value \"" + s +
                                      "\" to type \"" + f.enum_type +
                                      "\". Error: \"Unable to match the identifier name " + s +
                                      " to a valid enumerator name. Specify one of the following enumerator names "
                                      "and try again: " + list + "\"",
                                  "CannotConvertArgumentNoMessage," + rt.command().name,
                                  ErrorCategory::InvalidArgument, v));
  std::abort();  // not reached: gcc does not see [[noreturn]] through the virtual call
}

// The shell value sent for a parameter's argument (enum names become their numbers).
Value argument(CommandRuntime& rt, const Field& f, const Value& v) {
  if (f.names) return Value(enum_value(rt, f, v));
  if (f.array_property) return Value::array(enumerate(v));
  return v;
}

// Whether an instance's property matches one filter value.
bool matches(CommandRuntime& rt, const Field& f, const Value& have, const Value& want) {
  if (have.is_null()) return false;
  if (f.names) return to_int(have) == std::optional<int64_t>(enum_value(rt, f, want));
  switch (f.type) {
    case ParamType::Bool:
      return to_bool(have) == to_bool(want);
    case ParamType::Int:
      return values_equal(have, want);
    default:
      break;
  }
  std::string h = to_string(have), w = to_string(want);
  if (iequals(f.property, "MACAddress")) {
    h = normal_mac(h);
    w = normal_mac(w);
  }
  return wildcard_match(w, h);
}

// -AsJob: cimsh has no background jobs, so it says so instead of running in the foreground.
void refuse_job(CommandRuntime& rt) {
  if (rt.get_switch("AsJob"))
    rt.throw_terminating(wnv_error(rt, "cimsh does not run background jobs; run the command without -AsJob.",
                                   "AsJobNotSupported", ErrorCategory::NotImplemented));
}

// Shared by every NetWNV cmdlet: sessions, enumeration and the CIM operations.
class WnvCmdlet : public Cmdlet {
 public:
  WnvCmdlet(std::shared_ptr<CimContext> ctx, std::shared_ptr<const Noun> noun) : ctx_(std::move(ctx)), noun_(std::move(noun)) {}
  void begin(CommandRuntime& rt) override { refuse_job(rt); }

 protected:
  std::vector<Value> all(CommandRuntime& rt, const std::shared_ptr<CimSession>& s) {
    try {
      return enumerate_objects(rt, s, kNamespace, noun_->class_name);
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, Value(noun_->class_name), true);
    }
    return {};
  }

  // Instances that pass every bound filter of `names` (values of one parameter OR-ed,
  // parameters AND-ed); CDXML's not-found error for each non-wildcard value nothing matched.
  std::vector<Value> query(CommandRuntime& rt, const std::shared_ptr<CimSession>& s, const std::vector<std::string>& names) {
    std::vector<const Field*> bound;
    for (const auto& f : noun_->filters)
      if (rt.has(f.param) && std::find(names.begin(), names.end(), f.param) != names.end()) bound.push_back(&f);
    std::vector<Value> out;
    for (auto& v : all(rt, s)) {
      bool keep = true;
      for (const Field* f : bound) {
        bool any = false;
        for (const auto& want : enumerate(rt.get(f->param))) any = any || matches(rt, *f, prop(v, f->property), want);
        keep = keep && any;
      }
      if (keep) out.push_back(v);
    }
    for (const Field* f : bound)
      for (const auto& want : enumerate(rt.get(f->param))) {
        if (want.is_string() && has_wildcard(to_string(want))) continue;
        bool hit = std::any_of(out.begin(), out.end(), [&](const Value& v) { return matches(rt, *f, prop(v, f->property), want); });
        if (!hit)
          rt.write_error(wnv_error(rt,
                                   "No " + noun_->class_name + " objects found with property '" + f->param +
                                       "' equal to '" + to_string(want) + "'. Verify the value of the property and retry.",
                                   "CmdletizationQuery_NotFound_" + f->param, ErrorCategory::ObjectNotFound, want));
      }
    return out;
  }

  // How -WhatIf and -Confirm name an instance.
  std::string label(const Value& v) const {
    if (noun_->label.empty()) return instance_label(v);
    std::string out;
    for (const auto& p : noun_->label) out += (out.empty() ? "" : ", ") + p + " = \"" + to_string(prop(v, p)) + "\"";
    return noun_->class_name + " (" + out + ")";
  }

  std::vector<std::string> filter_names() const {
    std::vector<std::string> n;
    for (const auto& f : noun_->filters) n.push_back(f.param);
    return n;
  }

  // The instances a Set-/Remove- works on, each with its session: -InputObject (each
  // object's own session) or the ByName filters on every target session.
  std::vector<std::pair<std::shared_ptr<CimSession>, Value>> targets(CommandRuntime& rt, const std::vector<std::string>& names) {
    std::vector<std::pair<std::shared_ptr<CimSession>, Value>> out;
    if (rt.has("InputObject")) {
      for (const auto& v : rt.get_array("InputObject")) {
        auto origin = instance_origin(v);
        if (!origin || !iequals(origin->class_name, noun_->class_name)) {
          rt.write_error(wnv_error(rt, "The input object is not a " + noun_->class_name + " instance.", "NotACimInstance",
                                   ErrorCategory::InvalidArgument, v));
          continue;
        }
        out.emplace_back(ctx_->targets(rt, &v).front(), v);
      }
      return out;
    }
    for (const auto& s : ctx_->targets(rt))
      for (auto& v : query(rt, s, names)) out.emplace_back(s, v);
    return out;
  }

  // Sends `props` (property -> value) to the instance with Put; updates the object.
  bool put(CommandRuntime& rt, const std::shared_ptr<CimSession>& s, const Value& target,
           const std::vector<Property>& props) {
    auto origin = instance_origin(target);
    client::Instance body;
    body.class_name = origin->class_name;
    for (const auto& p : props) {
      const client::PropertyDecl* d = origin->cls ? origin->cls->find_property(p.name) : nullptr;
      body.properties.push_back(value_to_wire(d ? d->name : p.name, p.value, d ? d->type : "",
                                              d ? d->is_array : p.value.is_array(), ""));
    }
    try {
      s->client().put(epr_of(rt, target), body);
      for (const auto& p : props) target.as_object()->set(p.name, p.value);
      return true;
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, target);
      return false;
    }
  }

  std::shared_ptr<CimContext> ctx_;
  std::shared_ptr<const Noun> noun_;
};

class GetWnv : public WnvCmdlet {
 public:
  using WnvCmdlet::WnvCmdlet;
  void process(CommandRuntime& rt) override {
    for (const auto& s : ctx_->targets(rt))
      for (const auto& v : query(rt, s, filter_names())) rt.write_object(v);
  }
};

class NewWnv : public WnvCmdlet {
 public:
  using WnvCmdlet::WnvCmdlet;
  void process(CommandRuntime& rt) override {
    for (const auto& s : ctx_->targets(rt)) {
      auto decl = s->find_class(kNamespace, noun_->class_name);
      client::Instance inst;
      inst.class_name = noun_->class_name;
      std::string label;
      for (const auto& f : noun_->create) {
        if (!rt.has(f.param)) continue;
        Value v = argument(rt, f, rt.get(f.param));
        const client::PropertyDecl* d = decl ? decl->find_property(f.property) : nullptr;
        inst.properties.push_back(value_to_wire(f.property, v, d ? d->type : "", d ? d->is_array : v.is_array(), ""));
        if (f.mandatory) label += (label.empty() ? "" : ", ") + f.property + " = " + to_string(rt.get(f.param));
      }
      if (!rt.should_process(noun_->class_name + " (" + label + ")", "Create")) continue;
      try {
        client::Epr epr = s->client().create(kNamespace, inst);
        rt.write_object(to_shell(s->client().get(epr), s, kNamespace));
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, Value(noun_->class_name));
      }
    }
  }
};

class SetWnv : public WnvCmdlet {
 public:
  using WnvCmdlet::WnvCmdlet;
  void process(CommandRuntime& rt) override {
    std::vector<Property> props;
    for (const auto& f : noun_->settable)
      if (rt.has(f.param)) props.push_back({f.property, argument(rt, f, rt.get(f.param))});
    for (auto& [s, v] : targets(rt, noun_->set_filters)) {
      if (!rt.should_process(label(v), "Set")) continue;
      if (!props.empty() && !put(rt, s, v, props)) continue;
      if (rt.get_switch("PassThru")) rt.write_object(v);
    }
  }
};

class RemoveWnv : public WnvCmdlet {
 public:
  using WnvCmdlet::WnvCmdlet;
  void process(CommandRuntime& rt) override {
    for (auto& [s, v] : targets(rt, filter_names())) {
      if (!rt.should_process(label(v), "Remove")) continue;
      try {
        s->client().remove(epr_of(rt, v));
        if (rt.get_switch("PassThru")) rt.write_object(v);
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, v);
      }
    }
  }
};

// Select-NetVirtualizationNextHop: the static Select method of MSFT_NetVirtualizationNextHopLookup.
class SelectNextHop : public Cmdlet {
 public:
  explicit SelectNextHop(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void begin(CommandRuntime& rt) override { refuse_job(rt); }
  void process(CommandRuntime& rt) override {
    constexpr const char* cls = "MSFT_NetVirtualizationNextHopLookup";
    auto args = std::make_shared<Hashtable>();
    if (rt.has("SourceCustomerAddress")) args->set("SourceCustomerAddress", rt.get("SourceCustomerAddress"));
    args->set("DestinationCustomerAddress", rt.get("DestinationCustomerAddress"));
    args->set("SourceVirtualSubnetID", rt.get("SourceVirtualSubnetID"));
    std::string target = "VSID " + rt.get_string("SourceVirtualSubnetID") + ", " +
                         (rt.has("SourceCustomerAddress") ? rt.get_string("SourceCustomerAddress") + " -> " : "") +
                         rt.get_string("DestinationCustomerAddress");
    for (const auto& s : ctx_->targets(rt)) {
      if (!rt.should_process(target, "Select")) continue;
      try {
        Value r = invoke_method(rt, s, kNamespace, cls, client::WsmanClient::class_epr(kNamespace, cls), "Select", Value(args));
        auto code = to_int(prop(r, "ReturnValue"));
        if (code && *code != 0) {
          rt.write_error(wnv_error(rt, "Select failed with return value " + std::to_string(*code) + ".", "MethodFailed",
                                   ErrorCategory::InvalidResult));
          continue;
        }
        for (const auto& hop : enumerate(prop(r, "CmdletOutput"))) rt.write_object(hop);
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, Value(target));
      }
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

// ------------------------------------------------------------------ the nouns

Field str(std::string param, std::string help, bool mandatory = false) {
  Field f;
  f.param = param;
  f.property = std::move(param);
  f.help = std::move(help);
  f.mandatory = mandatory;
  return f;
}

Field num(std::string param, std::string help, bool mandatory = false) {
  Field f = str(std::move(param), std::move(help), mandatory);
  f.type = ParamType::Int;
  return f;
}

Field boolean(std::string param, std::string help) {
  Field f = str(std::move(param), std::move(help));
  f.type = ParamType::Bool;
  return f;
}

Field enumeration(std::string param, const std::vector<std::string>& names, std::string type, std::string help,
                  bool mandatory = false) {
  Field f = str(std::move(param), std::move(help), mandatory);
  f.type = ParamType::Any;
  f.names = &names;
  f.enum_type = std::move(type);
  return f;
}

std::vector<std::shared_ptr<const Noun>> nouns() {
  const std::string vsid_help = "Virtual subnet ID (VSID), 4096 to 16777214.";
  const std::string rdid_help = "Routing domain ID (RDID), a GUID string in braces.";
  std::vector<std::shared_ptr<const Noun>> out;
  {
    auto n = std::make_shared<Noun>();
    n->noun = "LookupRecord";
    n->class_name = "MSFT_NetVirtualizationLookupRecordSettingData";
    n->what = "lookup records (customer address and MAC in a virtual subnet -> provider address)";
    Field ca = str("CustomerAddress", "Customer address (CA), IPv4 or IPv6; 0.0.0.0 or :: for a wildcard record.", true);
    Field mac = str("MACAddress", "MAC address of the VM, 12 hexadecimal digits.", true);
    Field vsid = num("VirtualSubnetID", vsid_help, true);
    Field pa = str("ProviderAddress", "Provider address (PA) that reaches the customer address.", true);
    Field cust = str("CustomerID", "GUID naming the customer that owns the record.");
    Field context = str("Context", "Free-text note.");
    Field rule = enumeration("Rule", rule_names(), "RuleType",
                             "TranslationMethodEncap (NVGRE), TranslationMethodNat or TranslationMethodNone.", true);
    Field vm = str("VMName", "Name of the VM.");
    Field usemac = boolean("UseVmMACAddress", "Put the VM's MAC on the wire (only with TranslationMethodNat).");
    Field type = enumeration("Type", type_names(), "Type", "Static, Dynamic, GatewayWildcard or L2Only.");
    n->filters = {ca, mac, vsid, pa, cust, context, rule, vm, usemac, type,
                  boolean("Unusable", "Records that cannot forward traffic."),
                  boolean("Unsynchronized", "Records not in step with the policy controller.")};
    n->set_filters = {"CustomerAddress", "VirtualSubnetID", "MACAddress"};
    n->settable = {pa, cust, context, rule, vm, usemac};
    n->create = {ca, vsid, mac, pa, cust, context, rule, vm, usemac, type};
    n->example_get = "Get-NetVirtualizationLookupRecord -VirtualSubnetID 5001";
    n->example_new = "New-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.5 -MACAddress 101010101105 "
                     "-ProviderAddress 192.168.1.101 -Rule TranslationMethodEncap -VirtualSubnetID 6000 -VMName BlueS1-VM1";
    n->example_set = "Get-NetVirtualizationLookupRecord -VirtualSubnetID 6000 | Set-NetVirtualizationLookupRecord -Context 'Blue'";
    n->example_remove = "Remove-NetVirtualizationLookupRecord -VMName Contoso-VM2";
    out.push_back(n);
  }
  {
    auto n = std::make_shared<Noun>();
    n->noun = "CustomerRoute";
    n->class_name = "MSFT_NetVirtualizationCustomerRouteSettingData";
    n->what = "customer routes (routing domain, virtual subnet, destination prefix -> next hop)";
    Field rd = str("RoutingDomainID", rdid_help, true);
    Field vsid = num("VirtualSubnetID", vsid_help, true);
    Field dest = str("DestinationPrefix", "Destination prefix in customer address space, address/length.", true);
    Field hop = str("NextHop", "Customer address of the next hop; 0.0.0.0 or :: for on-link.", true);
    Field metric = num("Metric", "Route metric; the lowest wins.");
    n->filters = {rd, vsid, dest, hop, metric};
    n->set_filters = {"RoutingDomainID", "VirtualSubnetID", "DestinationPrefix", "NextHop"};
    n->settable = {metric};
    n->create = {rd, vsid, dest, hop, metric};
    n->example_get = "Get-NetVirtualizationCustomerRoute -DestinationPrefix 172.16.0.0/16";
    n->example_new = "New-NetVirtualizationCustomerRoute -DestinationPrefix 172.16.0.0/16 -NextHop 172.16.0.1 "
                     "-RoutingDomainID '{11111111-2222-3333-4444-000000000000}' -VirtualSubnetID 8392";
    n->example_set = "Get-NetVirtualizationCustomerRoute -NextHop 172.16.0.1 | Set-NetVirtualizationCustomerRoute -Metric 3";
    n->example_remove = "Get-NetVirtualizationCustomerRoute -NextHop 172.16.0.1 | Remove-NetVirtualizationCustomerRoute";
    out.push_back(n);
  }
  {
    auto n = std::make_shared<Noun>();
    n->noun = "ProviderAddress";
    n->class_name = "MSFT_NetVirtualizationProviderAddressSettingData";
    n->what = "provider addresses (the host's addresses for virtualized traffic)";
    Field pa = str("ProviderAddress", "The provider address, IPv4 or IPv6.", true);
    Field ifindex = num("InterfaceIndex", "Interface index of the physical interface.", true);
    Field len = num("PrefixLength", "Prefix length of the provider subnet.", true);
    Field vlan = num("VlanID", "VLAN of the provider address (0 for none).");
    Field mac = str("MACAddress", "MAC address of the interface.");
    n->filters = {pa, ifindex, len, vlan,
                  enumeration("AddressState", state_names(), "AddressState",
                              "Invalid, Tentative, Duplicate, Deprecated or Preferred."),
                  mac, boolean("ManagedByCluster", "Addresses managed by a cluster.")};
    n->set_filters = {"ProviderAddress", "InterfaceIndex", "AddressState"};
    n->settable = {vlan, len, mac};
    n->create = {pa, ifindex, len, vlan, mac};
    n->example_get = "Get-NetVirtualizationProviderAddress -InterfaceIndex 13";
    n->example_new = "New-NetVirtualizationProviderAddress -InterfaceIndex 13 -PrefixLength 24 -ProviderAddress 10.0.1.23";
    n->example_set = "Get-NetVirtualizationProviderAddress -InterfaceIndex 23 | Set-NetVirtualizationProviderAddress -PrefixLength 16";
    n->example_remove = "Remove-NetVirtualizationProviderAddress -ProviderAddress 2001:DB8:11:22:33:44:55:6";
    out.push_back(n);
  }
  {
    auto n = std::make_shared<Noun>();
    n->noun = "ProviderRoute";
    n->class_name = "MSFT_NetVirtualizationProviderRouteSettingData";
    n->what = "provider routes (routes of the physical network)";
    Field ifindex = num("InterfaceIndex", "Interface index of the physical interface.", true);
    Field dest = str("DestinationPrefix", "Destination prefix in provider address space, address/length.", true);
    Field hop = str("NextHop", "Provider address of the gateway; 0.0.0.0 or :: for on-link.", true);
    Field metric = num("Metric", "Route metric; the lowest wins.");
    n->filters = {ifindex, dest, hop, metric};
    n->set_filters = {"InterfaceIndex", "DestinationPrefix", "NextHop"};
    n->settable = {metric};
    n->create = {ifindex, dest, hop, metric};
    n->example_get = "Get-NetVirtualizationProviderRoute -InterfaceIndex 21";
    n->example_new = "New-NetVirtualizationProviderRoute -DestinationPrefix 0.0.0.0/0 -InterfaceIndex 23 -NextHop 192.168.1.1 -Metric 5";
    n->example_set = "Set-NetVirtualizationProviderRoute -DestinationPrefix 10.10.0.0/16 -InterfaceIndex 23 -Metric 2";
    n->example_remove = "Remove-NetVirtualizationProviderRoute -InterfaceIndex 12";
    out.push_back(n);
  }
  {
    auto n = std::make_shared<Noun>();
    n->noun = "VirtualSubnet";
    n->class_name = "CIMNET_VirtualSubnet";
    n->what = "virtual subnets (cimnet's CIMNET_VirtualSubnet: a VSID in a routing domain)";
    Field vsid = num("VirtualSubnetID", vsid_help, true);
    Field rd = str("RoutingDomainID", rdid_help, true);
    Field name = str("Name", "Name of the virtual subnet (ElementName).");
    name.property = "ElementName";
    Field cust = str("CustomerID", "GUID naming the customer that owns the subnet.");
    Field prefixes = str("AddressPrefixes", "Customer address prefixes of the subnet, address/length.");
    prefixes.array_property = true;
    n->filters = {vsid, rd, name, cust};
    n->set_filters = {"VirtualSubnetID", "RoutingDomainID"};
    n->settable = {name, cust, prefixes};
    n->create = {vsid, rd, name, cust, prefixes};
    n->example_get = "Get-NetVirtualizationVirtualSubnet -RoutingDomainID '{11111111-2222-3333-4444-000000000000}'";
    n->example_new = "New-NetVirtualizationVirtualSubnet -VirtualSubnetID 5001 -RoutingDomainID "
                     "'{11111111-2222-3333-4444-000000000000}' -Name Blue -AddressPrefixes 10.0.0.0/24";
    n->example_set = "Set-NetVirtualizationVirtualSubnet -VirtualSubnetID 5001 -Name Blue2";
    n->example_remove = "Remove-NetVirtualizationVirtualSubnet -VirtualSubnetID 5001";
    out.push_back(n);
  }
  {
    auto n = std::make_shared<Noun>();
    n->noun = "VMNetworkAdapter";
    n->class_name = "CIMNET_VMNetworkAdapter";
    n->what = "VM network adapters (cimnet's CIMNET_VMNetworkAdapter: a host interface in a virtual subnet)";
    Field ifname = str("InterfaceName", "Host interface of the VM's port, such as tap0.", true);
    Field mac = str("MACAddress", "MAC address of the VM's adapter, 12 hexadecimal digits.", true);
    Field vsid = num("VirtualSubnetID", vsid_help, true);
    n->filters = {ifname, mac, vsid};
    n->set_filters = {"InterfaceName", "MACAddress"};
    Field move = vsid;
    move.mandatory = false;
    n->settable = {move};
    // Its keys include the host name; the interface name is what an administrator knows it by.
    n->label = {"InterfaceName", "MACAddress", "VirtualSubnetID"};
    n->create = {ifname, mac, vsid};
    n->example_get = "Get-NetVirtualizationVMNetworkAdapter -VirtualSubnetID 5001";
    n->example_new = "New-NetVirtualizationVMNetworkAdapter -InterfaceName tap0 -MACAddress 00155d000001 -VirtualSubnetID 5001";
    n->example_set = "Get-NetVirtualizationVMNetworkAdapter -InterfaceName tap0 | Set-NetVirtualizationVMNetworkAdapter -VirtualSubnetID 5002";
    n->example_remove = "Remove-NetVirtualizationVMNetworkAdapter -InterfaceName tap0";
    out.push_back(n);
  }
  {
    auto n = std::make_shared<Noun>();
    n->noun = "Global";
    n->class_name = "MSFT_NetVirtualizationGlobalSettingData";
    n->what = "the global network virtualization settings";
    Field router = boolean("UseExternalRouter", "Send traffic between virtual subnets to external routers.");
    n->filters = {router};
    n->settable = {router};
    n->example_get = "Get-NetVirtualizationGlobal";
    n->example_set = "Set-NetVirtualizationGlobal -UseExternalRouter $false";
    out.push_back(n);
  }
  return out;
}

Param to_param(const Field& f, bool array) {
  Param p(f.param, f.type);
  if (array) p.array();
  if (f.array_property) p.array();
  if (f.names) {
    std::vector<std::string> allowed = *f.names;
    p.help(f.help + " One of: " + [&] {
      std::string s;
      for (const auto& n : allowed) s += (s.empty() ? "" : ", ") + n;
      return s;
    }() + ".");
  } else {
    p.help(f.help);
  }
  if (f.property != f.param) p.alias(f.property);
  return p;
}

Param session_param() {
  return Param("CimSession", ParamType::Object)
      .object_type(kCimSessionType)
      .array()
      .alias("Session")
      .help("The CIM sessions to use (default: the local agent, or the session the input came from).");
}

// The parameters every CDXML cmdlet has besides -CimSession.
void cdxml_params(CommandDef& d) {
  d.param(session_param());
  d.param(Param("ThrottleLimit", ParamType::Int)
              .help("Most sessions contacted at once; cimsh contacts them one after another, which keeps any limit."));
  d.param(Param("AsJob", ParamType::Switch).help("Not supported: cimsh has no background jobs (an error says so)."));
}

Param instances(const std::string& what) {
  return Param("InputObject", ParamType::Object)
      .object_type(kCimInstanceType)
      .array()
      .help("Instances from Get-, piped or given: " + what + ".");
}

template <class T>
void bind(CommandDef& d, const std::shared_ptr<CimContext>& ctx, const std::shared_ptr<const Noun>& noun) {
  d.factory = [ctx, noun] { return std::make_unique<T>(ctx, noun); };
}

Column col(const char* label, const char* property, int align = 0) { return Column{label, property, {}, 0, align}; }

Column enum_col(const char* label, const char* property, const std::vector<std::string>& names) {
  std::string p = property;
  return Column{label, "", [p, &names](const Value& v) { return enum_name(prop(v, p), names); }, 0, -1};
}

void register_noun(CommandRegistry& r, const std::shared_ptr<CimContext>& ctx, const std::shared_ptr<const Noun>& n) {
  const std::string out_type = std::string(kCimInstanceType) + "#" + n->class_name;
  const std::string suffix = "NetVirtualization" + n->noun;
  const bool global = n->noun == "Global";
  {
    CommandDef d("Get-" + suffix);
    d.synopsis("Gets " + n->what + ".")
        .description("Enumerates " + n->class_name + " in " + kNamespace +
                     ". Several values of one parameter are OR-ed, different parameters AND-ed; string values take "
                     "wildcards.")
        .example(n->example_get, "");
    for (const auto& f : n->filters) d.param(to_param(f, true));
    cdxml_params(d);
    d.output_type(out_type);
    bind<GetWnv>(d, ctx, n);
    r.add(std::move(d));
  }
  if (!n->create.empty()) {
    CommandDef d("New-" + suffix);
    d.synopsis("Creates " + n->what + ".")
        .description("CreateInstance of " + n->class_name + " in " + kNamespace +
                     "; the agent checks the values and assigns InstanceID.")
        .example(n->example_new, "");
    for (const auto& f : n->create) {
      Param p = to_param(f, false);
      if (f.mandatory) p.mandatory();
      d.param(std::move(p));
    }
    cdxml_params(d);
    d.should_process(ConfirmImpact::Medium);
    d.output_type(out_type);
    bind<NewWnv>(d, ctx, n);
    r.add(std::move(d));
  }
  {
    CommandDef d("Set-" + suffix);
    d.synopsis("Changes " + n->what + ".")
        .description("Put of the given properties on each " + n->class_name +
                     (global ? "." : " chosen by the filters or piped in."))
        .example(n->example_set, "");
    if (global) {
      d.param(instances(n->what));
      d.params.back().pipeline();
    } else {
      for (const auto& name : n->set_filters)
        for (const auto& f : n->filters)
          if (f.param == name) d.param(to_param(f, true).set(kByName));
      d.param(instances(n->what).set(kByInput).mandatory().pipeline());
      d.default_set(kByName);
    }
    for (const auto& f : n->settable) d.param(to_param(f, false));
    d.param(Param("PassThru", ParamType::Switch).help("Writes the changed instances."));
    cdxml_params(d);
    d.should_process(ConfirmImpact::Medium);
    bind<SetWnv>(d, ctx, n);
    r.add(std::move(d));
  }
  if (!global) {
    CommandDef d("Remove-" + suffix);
    d.synopsis("Removes " + n->what + ".")
        .description("DeleteInstance of each " + n->class_name +
                     " chosen by the filters (all of them without filters) or piped in.")
        .example(n->example_remove, "");
    for (const auto& f : n->filters) d.param(to_param(f, true).set(kByName));
    d.param(instances(n->what).set(kByInput).mandatory().pipeline());
    d.param(Param("PassThru", ParamType::Switch).help("Writes the removed instances."));
    cdxml_params(d);
    d.default_set(kByName);
    d.should_process(ConfirmImpact::Medium);
    bind<RemoveWnv>(d, ctx, n);
    r.add(std::move(d));
  }
}

}  // namespace

void register_netwnv_cmdlets(Interpreter& in, const std::shared_ptr<CimContext>& ctx) {
  CommandRegistry& r = in.commands();
  for (const auto& n : nouns()) register_noun(r, ctx, n);
  {
    CommandDef d("Select-NetVirtualizationNextHop");
    d.synopsis("Shows where the policy sends a packet between two customer addresses.")
        .description("Calls the static method Select of MSFT_NetVirtualizationNextHopLookup: the lookup record of the "
                     "destination in the source's virtual subnet, else the best customer route of its routing domain.")
        .example("Select-NetVirtualizationNextHop -DestinationCustomerAddress 10.20.20.6 -SourceCustomerAddress 10.20.20.5 "
                 "-SourceVirtualSubnetID 5001",
                 "");
    d.param(Param("SourceCustomerAddress", ParamType::String).position(0).help("Source customer address (optional)."));
    d.param(Param("DestinationCustomerAddress", ParamType::String).position(1).mandatory().help("Destination customer address."));
    d.param(Param("SourceVirtualSubnetID", ParamType::Int).position(2).mandatory().help("VSID of the source."));
    cdxml_params(d);
    d.should_process(ConfirmImpact::Low);
    d.output_type(std::string(kCimInstanceType) + "#MSFT_NetVirtualizationNextHopLookup");
    d.factory = [ctx] { return std::make_unique<SelectNextHop>(ctx); };
    r.add(std::move(d));
  }

  // Default views.
  Formatter& f = in.formatter();
  const std::string ci = std::string(kCimInstanceType) + "#";
  View record;
  record.columns = {col("CustomerAddress", "CustomerAddress", -1), col("VirtualSubnetID", "VirtualSubnetID", 1),
                    col("MACAddress", "MACAddress", -1), col("ProviderAddress", "ProviderAddress", -1),
                    enum_col("Rule", "Rule", rule_names()), enum_col("Type", "Type", type_names()),
                    col("VMName", "VMName", -1)};
  f.add_view(ci + "MSFT_NetVirtualizationLookupRecordSettingData", record);
  View route;
  route.columns = {col("RoutingDomainID", "RoutingDomainID", -1), col("VirtualSubnetID", "VirtualSubnetID", 1),
                   col("DestinationPrefix", "DestinationPrefix", -1), col("NextHop", "NextHop", -1),
                   col("Metric", "Metric", 1)};
  f.add_view(ci + "MSFT_NetVirtualizationCustomerRouteSettingData", route);
  View pa;
  pa.columns = {col("ProviderAddress", "ProviderAddress", -1), col("InterfaceIndex", "InterfaceIndex", 1),
                col("PrefixLength", "PrefixLength", 1), col("VlanID", "VlanID", 1),
                enum_col("AddressState", "AddressState", state_names())};
  f.add_view(ci + "MSFT_NetVirtualizationProviderAddressSettingData", pa);
  View pr;
  pr.columns = {col("InterfaceIndex", "InterfaceIndex", 1), col("DestinationPrefix", "DestinationPrefix", -1),
                col("NextHop", "NextHop", -1), col("Metric", "Metric", 1)};
  f.add_view(ci + "MSFT_NetVirtualizationProviderRouteSettingData", pr);
  View subnet;
  subnet.columns = {col("VirtualSubnetID", "VirtualSubnetID", 1), col("RoutingDomainID", "RoutingDomainID", -1),
                    col("Name", "ElementName", -1), col("AddressPrefixes", "AddressPrefixes", -1)};
  f.add_view(ci + "CIMNET_VirtualSubnet", subnet);
  View adapter;
  adapter.columns = {col("InterfaceName", "InterfaceName", -1), col("MACAddress", "MACAddress", -1),
                     col("VirtualSubnetID", "VirtualSubnetID", 1)};
  f.add_view(ci + "CIMNET_VMNetworkAdapter", adapter);
  View hop;
  hop.columns = {col("SourceCustomerAddress", "SourceCustomerAddress", -1),
                 col("DestinationCustomerAddress", "DestinationCustomerAddress", -1),
                 col("SourceVirtualSubnetID", "SourceVirtualSubnetID", 1), col("NextHopAddress", "NextHopAddress", -1),
                 col("SourceMACAddress", "SourceMACAddress", -1), col("NextHopMACAddress", "NextHopMACAddress", -1)};
  f.add_view(ci + "MSFT_NetVirtualizationNextHopLookup", hop);
}

}  // namespace cimnet::shell::cim

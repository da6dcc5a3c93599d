// The NetworkSwitchManager cmdlets (Windows' module, same parameter sets, same discovery and
// the same CIM operations), with the short names of the early demos as aliases.

#include <algorithm>

#include "context.h"
#include "cimnet/shell/interpreter.h"

namespace cimnet::shell::cim {

namespace {

constexpr const char* kPortClass = "CIM_EthernetPort";
constexpr const char* kVlanClass = "CIM_NetworkVLAN";
constexpr const char* kServiceClass = "MSFT_SwitchService";

ErrorRecord switch_error(CommandRuntime& rt, const std::string& message, const std::string& base_id, ErrorCategory cat,
                         Value target = {}) {
  return make_error(message, "NetworkSwitchManager : " + rt.command().name + " : " + base_id, cat, std::move(target));
}

// Shared by every NetworkSwitchManager cmdlet: the session and the implementation
// namespace found through the Ethernet Switch Profile (cim-classes.md A2).
class SwitchCmdlet : public Cmdlet {
 public:
  explicit SwitchCmdlet(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}

 protected:
  std::shared_ptr<CimSession> session(CommandRuntime& rt, const Value* input = nullptr) {
    return ctx_->targets(rt, input).front();
  }

  std::string discover(CommandRuntime& rt, const std::shared_ptr<CimSession>& s) {
    if (!s->switch_namespace.empty()) return s->switch_namespace;
    std::vector<Value> profiles;
    for (const char* ns : {"root/interop", "interop", "/root/interop", "/interop"}) {
      try {
        for (auto& p : enumerate_objects(rt, s, ns, "CIM_RegisteredProfile")) {
          const Object& o = *p.as_object();
          const Value* name = o.get("RegisteredName");
          const Value* org = o.get("RegisteredOrganization");
          const Value* ver = o.get("RegisteredVersion");
          if (name && iequals(to_string(*name), "Ethernet Switch Profile") && org && to_string(*org) == "1" && ver &&
              to_string(*ver).rfind("1.", 0) == 0)
            profiles.push_back(p);
        }
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception&) {
        // Windows ignores namespaces that fail and tries the next one.
      }
      if (!profiles.empty()) break;
    }
    if (profiles.empty())
      rt.throw_terminating(switch_error(rt,
                                        "The Ethernet Switch Profile was not registered in root/interop, interop, "
                                        "/root/interop or /interop on " + s->computer() + ".",
                                        "NoValidRegisteredProfile", ErrorCategory::ObjectNotFound));
    std::vector<Value> systems;
    try {
      // No ResultClassName on the wire: the switch lives in another namespace than the
      // profile, and a service may check the result class in the profile's namespace.
      for (auto& v : associators(rt, s, profiles.front(), ""))
        if (v.as_object()->is_a(std::string(kCimInstanceType) + "#CIM_ComputerSystem")) systems.push_back(v);
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, profiles.front(), true);
    }
    if (systems.empty())
      rt.throw_terminating(switch_error(rt, "No switch (CIM_ComputerSystem) is associated with the Ethernet Switch Profile.",
                                        "NoValidAssociatedSwitch", ErrorCategory::ObjectNotFound));
    auto origin = instance_origin(systems.front());
    if (!origin || origin->ns.empty())
      rt.throw_terminating(switch_error(rt, "The switch's namespace could not be determined.", "NoValidAssociatedNamespace",
                                        ErrorCategory::ObjectNotFound));
    s->switch_namespace = origin->ns;
    return s->switch_namespace;
  }

  std::vector<Value> all(CommandRuntime& rt, const std::shared_ptr<CimSession>& s, const std::string& cls) {
    try {
      return enumerate_objects(rt, s, discover(rt, s), cls);
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, Value(cls), true);
    }
    return {};
  }

  Value service(CommandRuntime& rt, const std::shared_ptr<CimSession>& s) {
    auto ss = all(rt, s, kServiceClass);
    if (ss.empty())
      rt.throw_terminating(switch_error(rt, "The switch has no MSFT_SwitchService.", "NoMatchingInstance",
                                        ErrorCategory::ObjectNotFound));
    return ss.front();
  }

  // Invokes a method of MSFT_SwitchService (or another instance) and checks ReturnValue.
  bool call(CommandRuntime& rt, const std::shared_ptr<CimSession>& s, const Value& target, const std::string& method,
            const Value& args) {
    auto origin = instance_origin(target);
    try {
      Value r = invoke_method(rt, s, origin->ns, origin->class_name, epr_of(rt, target), method, args);
      const Value* rv = r.as_object()->get("ReturnValue");
      auto code = rv ? to_int(*rv) : std::optional<int64_t>(0);
      if (code && *code != 0 && *code != 4096) {
        rt.write_error(switch_error(rt, method + " failed with return value " + std::to_string(*code) + ".",
                                   "MethodFailed", ErrorCategory::InvalidResult, target));
        return false;
      }
      return true;
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, target);
      return false;
    }
  }

  bool set_props(CommandRuntime& rt, const std::shared_ptr<CimSession>& s, const Value& target,
                 std::vector<Property> props) {
    auto origin = instance_origin(target);
    client::Instance body;
    body.class_name = origin->class_name;
    for (auto& p : props) {
      const client::PropertyDecl* d = origin->cls ? origin->cls->find_property(p.name) : nullptr;
      body.properties.push_back(value_to_wire(d ? d->name : p.name, p.value, d ? d->type : "",
                                              d ? d->is_array : p.value.is_array(), ""));
    }
    try {
      s->client().put(epr_of(rt, target), body);
      for (auto& p : props) target.as_object()->set(p.name, p.value);
      return true;
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, target);
      return false;
    }
  }

  static Value prop(const Value& v, const char* name) {
    const Value* p = v.as_object()->get(name);
    return p ? *p : Value();
  }

  static std::string describe_port(const Value& port) {
    return to_string(prop(port, "Name")) + " (DeviceID " + to_string(prop(port, "DeviceID")) + ", PortNumber " +
           to_string(prop(port, "PortNumber")) + ")";
  }

  static std::string describe_vlan(const Value& vlan) {
    return to_string(prop(vlan, "ElementName")) + " (VlanID " + to_string(prop(vlan, "VLANId")) + ", InstanceID " +
           to_string(prop(vlan, "InstanceID")) + ")";
  }

  // Input objects of an InputObject parameter or the pipeline, in order.
  static std::vector<Value> inputs(CommandRuntime& rt) {
    if (rt.has("InputObject")) return rt.get_array("InputObject");
    return {};
  }

  // Ports chosen by -DeviceID / -PortNumber / -InputObject; NoMatchingInstance for misses.
  std::vector<Value> select_ports(CommandRuntime& rt, const std::shared_ptr<CimSession>& s) {
    if (rt.has("InputObject")) return inputs(rt);
    auto ports = all(rt, s, kPortClass);
    std::vector<Value> out;
    if (rt.has("PortNumber")) {
      for (const auto& n : rt.get_array("PortNumber")) {
        bool hit = false;
        for (const auto& p : ports)
          if (values_equal(prop(p, "PortNumber"), n)) {
            out.push_back(p);
            hit = true;
          }
        if (!hit)
          rt.write_error(switch_error(rt, "Did not find any instances matching search criteria: PortNumber = " + to_string(n) + ".",
                                     "NoMatchingInstance", ErrorCategory::ObjectNotFound, n));
      }
      return out;
    }
    if (rt.has("DeviceID")) {
      for (const auto& n : rt.get_array("DeviceID")) {
        bool hit = false;
        for (const auto& p : ports)
          if (iequals(to_string(prop(p, "DeviceID")), to_string(n))) {
            out.push_back(p);
            hit = true;
          }
        if (!hit)
          rt.write_error(switch_error(rt, "Did not find any instances matching search criteria: DeviceID = " + to_string(n) + ".",
                                     "NoMatchingInstance", ErrorCategory::ObjectNotFound, n));
      }
      return out;
    }
    return ports;
  }

  std::vector<Value> select_vlans(CommandRuntime& rt, const std::shared_ptr<CimSession>& s) {
    if (rt.has("InputObject")) return inputs(rt);
    auto vlans = all(rt, s, kVlanClass);
    for (auto& v : vlans)
      if (!v.as_object()->get("Name")) v.as_object()->set("Name", prop(v, "ElementName"));
    std::vector<Value> out;
    std::string criterion;
    Value wanted;
    for (const auto& v : vlans) {
      bool keep = true;
      if (rt.has("VlanId")) {
        criterion = "VlanID";
        wanted = rt.get("VlanId");
        keep = false;
        for (const auto& id : enumerate(wanted)) keep = keep || values_equal(prop(v, "VLANId"), id);
      } else if (rt.has("InstanceId")) {
        criterion = "InstanceID";
        wanted = rt.get("InstanceId");
        keep = iequals(to_string(prop(v, "InstanceID")), to_string(wanted));
      } else if (rt.has("Name")) {
        criterion = "Name";
        wanted = rt.get("Name");
        keep = wildcard_match(to_string(wanted), to_string(prop(v, "ElementName")));
      } else if (rt.has("Caption")) {
        criterion = "Caption";
        wanted = rt.get("Caption");
        keep = wildcard_match(to_string(wanted), to_string(prop(v, "Caption")));
      } else if (rt.has("Description")) {
        criterion = "Description";
        wanted = rt.get("Description");
        keep = wildcard_match(to_string(wanted), to_string(prop(v, "Description")));
      }
      if (keep) out.push_back(v);
    }
    bool exact = criterion == "VlanID" || criterion == "InstanceID" ||
                 (!criterion.empty() && !has_wildcard(to_string(wanted)));
    if (out.empty() && exact)
      rt.write_error(switch_error(rt, "Did not find any instances matching search criteria: " + criterion + " = " +
                                         to_string(wanted) + ".",
                                 "NoMatchingInstance", ErrorCategory::ObjectNotFound, wanted));
    return out;
  }

  std::shared_ptr<CimContext> ctx_;
};

// ------------------------------------------------------------------ ports

class GetPort : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    auto s = session(rt);
    std::vector<Value> ports = select_ports(rt, s);
    for (auto& p : ports) {
      if (rt.has("FullDuplexEnabled") && !to_bool(prop(p, "FullDuplex"))) continue;
      if (rt.has("FullDuplexDisabled") && to_bool(prop(p, "FullDuplex"))) continue;
      annotate(rt, s, p);
      rt.write_object(p);
    }
  }

 private:
  void annotate(CommandRuntime& rt, const std::shared_ptr<CimSession>& s, Value& port) {
    Value ip, mode, access, trunk;
    try {
      auto lan = associators(rt, s, port, "CIM_LANEndpoint");
      if (!lan.empty()) {
        auto ips = associators(rt, s, lan.front(), "CIM_IPProtocolEndpoint");
        if (!ips.empty()) ip = ips.size() == 1 ? ips.front() : Value::array(ips);
        auto veps = associators(rt, s, lan.front(), "CIM_VLANEndpoint");
        if (!veps.empty()) {
          mode = prop(veps.front(), "DesiredEndpointMode");
          auto sds = associators(rt, s, veps.front(), "CIM_VLANEndpointSettingData");
          if (!sds.empty()) {
            access = prop(sds.front(), "AccessVLAN");
            trunk = prop(sds.front(), "TrunkedVLANList");
          }
        }
      }
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, port);
    }
    Object& o = *port.as_object();
    o.set("IPAddress", ip);
    o.set("PortMode", mode);
    o.set("AccessVLAN", access);
    o.set("TrunkedVLANList", trunk);
  }
};

class SetPortState : public SwitchCmdlet {
 public:
  SetPortState(std::shared_ptr<CimContext> ctx, bool enable) : SwitchCmdlet(std::move(ctx)), enable_(enable) {}
  void process(CommandRuntime& rt) override {
    for (const auto& p : rt.has("InputObject") ? inputs(rt) : std::vector<Value>{Value()}) {
      auto s = session(rt, p.is_null() ? nullptr : &p);
      std::vector<Value> ports = p.is_null() ? select_ports(rt, s) : std::vector<Value>{p};
      for (const auto& port : ports) {
        if (!instance_origin(port)) {
          rt.write_error(make_error("The input object is not a CIM_EthernetPort instance.", "NotACimInstance",
                                    ErrorCategory::InvalidArgument, port));
          continue;
        }
        if (!rt.should_process(describe_port(port), enable_ ? "Enable" : "Disable")) continue;
        auto args = std::make_shared<Hashtable>();
        args->set("RequestedState", Value(int64_t{enable_ ? 2 : 3}));
        if (call(rt, s, port, "RequestStateChange", Value(args))) {
          port.as_object()->set("EnabledState", Value(int64_t{enable_ ? 2 : 3}));
          port.as_object()->set("RequestedState", Value(int64_t{enable_ ? 2 : 3}));
        }
      }
    }
  }

 private:
  bool enable_;
};

class SetPortMode : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    for (const auto& port : inputs(rt)) {
      auto origin = instance_origin(port);
      if (!origin) {
        rt.write_error(make_error("The input object is not a CIM_EthernetPort instance.", "NotACimInstance",
                                  ErrorCategory::InvalidArgument, port));
        continue;
      }
      auto s = session(rt, &port);
      const std::string& set = rt.parameter_set();
      std::string what = set == "AccessSet"   ? "Set access mode, VLAN " + rt.get_string("VlanID")
                         : set == "TrunkSet" ? "Set trunk mode, VLANs " + rt.get_string("VlanIDs")
                                             : "Set route mode, " + rt.get_string("IpAddress") + "/" + rt.get_string("SubnetAddress");
      if (!rt.should_process(describe_port(port), what)) continue;
      if (set == "RouteSet") {
        add_ip(rt, s, port, rt.get_string("IpAddress"), rt.get_string("SubnetAddress"));
        continue;
      }
      auto lan = associators(rt, s, port, "CIM_LANEndpoint");
      auto veps = lan.empty() ? std::vector<Value>{} : associators(rt, s, lan.front(), "CIM_VLANEndpoint");
      if (veps.empty()) {
        rt.write_error(switch_error(rt, "The port " + describe_port(port) + " has no CIM_VLANEndpoint.", "NoMatchingInstance",
                                   ErrorCategory::ObjectNotFound, port));
        continue;
      }
      auto sds = associators(rt, s, veps.front(), "CIM_VLANEndpointSettingData");
      if (sds.empty()) {
        rt.write_error(switch_error(rt, "The port " + describe_port(port) + " has no CIM_VLANEndpointSettingData.",
                                   "NoMatchingInstance", ErrorCategory::ObjectNotFound, port));
        continue;
      }
      if (set == "AccessSet") {
        if (!set_props(rt, s, veps.front(), {{"DesiredEndpointMode", Value(int64_t{2})}})) continue;
        set_props(rt, s, sds.front(), {{"AccessVLAN", Value(rt.get_int("VlanID"))}});
      } else {
        if (!set_props(rt, s, veps.front(), {{"DesiredEndpointMode", Value(int64_t{5})}})) continue;
        set_props(rt, s, sds.front(), {{"TrunkedVLANList", Value::array(rt.get_array("VlanIDs"))}});
      }
    }
  }

 protected:
  void add_ip(CommandRuntime& rt, const std::shared_ptr<CimSession>& s, const Value& port, const std::string& ip,
              const std::string& mask) {
    auto ep = std::make_shared<Object>();
    auto origin = std::make_shared<CimInstanceOrigin>();
    origin->class_name = "CIM_IPProtocolEndpoint";
    ep->type_names = {std::string(kCimInstanceType) + "#CIM_IPProtocolEndpoint", kCimInstanceType};
    if (ip.find(':') == std::string::npos) {
      ep->set("IPv4Address", Value(ip));
      ep->set("SubnetMask", Value(mask));
    } else {
      // cimnet: Windows sends IPv4 only; an IPv6 address takes -SubnetAddress
      // as its prefix length ("64" or "/64").
      std::string prefix = !mask.empty() && mask.front() == '/' ? mask.substr(1) : mask;
      ep->set("IPv6Address", Value(ip));
      if (prefix.empty() || prefix.size() > 3 || !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        rt.write_error(make_error("For an IPv6 address, -SubnetAddress is the prefix length (for example 64), not '" +
                                      mask + "'.",
                                  "InvalidPrefixLength", ErrorCategory::InvalidArgument, Value(mask)));
        return;
      }
      ep->set("PrefixLength", Value(int64_t{std::stoi(prefix)}));
    }
    ep->origin = origin;
    auto args = std::make_shared<Hashtable>();
    args->set("TargetInterface", port);
    args->set("ProtocolEndpoint", Value::array({Value(ep)}));
    call(rt, s, service(rt, s), "AddProtocolEndpoint", Value(args));
  }
};

class SetPortIp : public SetPortMode {
 public:
  using SetPortMode::SetPortMode;
  void process(CommandRuntime& rt) override {
    auto s = session(rt, rt.has("InputObject") ? &inputs(rt).front() : nullptr);
    for (const auto& port : select_ports(rt, s)) {
      if (!rt.should_process(describe_port(port), "Set IP address " + rt.get_string("IpAddress"))) continue;
      add_ip(rt, s, port, rt.get_string("IpAddress"), rt.get_string("SubnetAddress"));
    }
  }
};

class RemovePortIp : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    auto s = session(rt, rt.has("InputObject") ? &inputs(rt).front() : nullptr);
    for (const auto& port : select_ports(rt, s)) {
      auto lan = associators(rt, s, port, "CIM_LANEndpoint");
      auto ips = lan.empty() ? std::vector<Value>{} : associators(rt, s, lan.front(), "CIM_IPProtocolEndpoint");
      for (const auto& ip : ips) {
        Value address = prop(ip, "IPv4Address").is_null() ? prop(ip, "IPv6Address") : prop(ip, "IPv4Address");
        if (!rt.should_process(describe_port(port), "Remove IP address " + to_string(address))) continue;
        auto args = std::make_shared<Hashtable>();
        args->set("Endpoint", ip);
        call(rt, s, service(rt, s), "RemoveProtocolEndpoint", Value(args));
      }
    }
  }
};

class SetPortProperty : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    Value props = rt.get("Property");
    if (!props.is_hashtable() || props.as_hashtable()->size() == 0) return;
    for (const auto& port : inputs(rt)) {
      if (!instance_origin(port)) {
        rt.write_error(make_error("The input object is not a CIM_EthernetPort instance.", "NotACimInstance",
                                  ErrorCategory::InvalidArgument, port));
        continue;
      }
      if (!rt.should_process(describe_port(port), "Set properties")) continue;
      std::vector<Property> list;
      for (const auto& [k, v] : props.as_hashtable()->entries()) list.push_back({k, v});
      set_props(rt, session(rt, &port), port, list);
    }
  }
};

// ------------------------------------------------------------------ VLANs

class GetVlan : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    auto s = session(rt);
    for (const auto& v : select_vlans(rt, s)) rt.write_object(v);
  }
};

class NewVlan : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    auto s = session(rt);
    int64_t id = rt.get_int("VlanID");
    if (id < 1 || id > 4094)
      rt.throw_terminating(make_error("VlanID must be between 1 and 4094, not " + std::to_string(id) + ".", "InvalidVlanID",
                                      ErrorCategory::InvalidArgument, Value(id)));
    auto systems = all(rt, s, "CIM_ComputerSystem");
    if (systems.empty())
      rt.throw_terminating(switch_error(rt, "The switch has no CIM_ComputerSystem.", "NoValidAssociatedSwitch",
                                        ErrorCategory::ObjectNotFound));
    auto vlan = std::make_shared<Object>();
    auto origin = std::make_shared<CimInstanceOrigin>();
    origin->class_name = kVlanClass;
    vlan->type_names = {std::string(kCimInstanceType) + "#" + kVlanClass, kCimInstanceType};
    vlan->set("VLANId", Value(id));
    vlan->set("ElementName", Value(rt.get_string("Name")));
    if (rt.has("Caption")) vlan->set("Caption", Value(rt.get_string("Caption")));
    if (rt.has("Description")) vlan->set("Description", Value(rt.get_string("Description")));
    vlan->origin = origin;
    auto args = std::make_shared<Hashtable>();
    args->set("TargetedSwitch", systems.front());
    args->set("NetworkVLAN", Value::array({Value(vlan)}));
    call(rt, s, service(rt, s), "AddVLAN", Value(args));
  }
};

class VlanAction : public SwitchCmdlet {
 public:
  VlanAction(std::shared_ptr<CimContext> ctx, std::string method, std::string verb)
      : SwitchCmdlet(std::move(ctx)), method_(std::move(method)), verb_(std::move(verb)) {}
  void process(CommandRuntime& rt) override {
    auto in = inputs(rt);
    auto s = session(rt, in.empty() ? nullptr : &in.front());
    auto vlans = select_vlans(rt, s);
    if (vlans.empty()) return;
    Value ss = service(rt, s);
    for (const auto& v : vlans) {
      if (!instance_origin(v)) {
        rt.write_error(make_error("The input object is not a CIM_NetworkVLAN instance.", "NotACimInstance",
                                  ErrorCategory::InvalidArgument, v));
        continue;
      }
      if (!rt.should_process(describe_vlan(v), verb_)) continue;
      auto args = std::make_shared<Hashtable>();
      args->set("VLAN", Value::array({v}));
      call(rt, s, ss, method_, Value(args));
    }
  }

 private:
  std::string method_, verb_;
};

class SetVlanProperty : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    Value props = rt.get("Property");
    auto in = inputs(rt);
    auto s = session(rt, in.empty() ? nullptr : &in.front());
    auto vlans = select_vlans(rt, s);
    if (!props.is_hashtable()) return;
    for (const auto& v : vlans) {
      if (!rt.should_process(describe_vlan(v), "Set properties")) continue;
      std::vector<Property> list;
      for (const auto& [k, x] : props.as_hashtable()->entries()) list.push_back({k, x});
      set_props(rt, s, v, list);
    }
  }
};

// ------------------------------------------------------------------ features, global data, configuration

class GetFeature : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    auto s = session(rt);
    for (auto& f : all(rt, s, "MSFT_Feature")) {
      if (!f.as_object()->get("Name")) f.as_object()->set("Name", prop(f, "ElementName"));
      if (rt.has("Name") && !wildcard_match(rt.get_string("Name"), to_string(prop(f, "Name")))) continue;
      if (rt.has("Enabled") && !to_bool(prop(f, "IsEnabled"))) continue;
      if (rt.has("Disabled") && to_bool(prop(f, "IsEnabled"))) continue;
      rt.write_object(f);
    }
  }
};

class SetFeature : public SwitchCmdlet {
 public:
  SetFeature(std::shared_ptr<CimContext> ctx, bool enable) : SwitchCmdlet(std::move(ctx)), enable_(enable) {}
  void process(CommandRuntime& rt) override {
    auto in = inputs(rt);
    auto s = session(rt, in.empty() ? nullptr : &in.front());
    std::vector<Value> features = in;
    if (features.empty()) {
      for (auto& f : all(rt, s, "MSFT_Feature")) {
        Value name = prop(f, "Name").is_null() ? prop(f, "ElementName") : prop(f, "Name");
        bool keep = rt.has("Name") ? wildcard_match(rt.get_string("Name"), to_string(name))
                  : rt.has("InstanceId") ? iequals(rt.get_string("InstanceId"), to_string(prop(f, "InstanceID")))
                  : rt.has("FeatureName") ? values_equal(prop(f, "FeatureName"), rt.get("FeatureName"))
                                          : false;
        if (keep) features.push_back(f);
      }
      if (features.empty())
        rt.write_error(switch_error(rt, "Did not find any instances matching search criteria.", "NoMatchingInstance",
                                   ErrorCategory::ObjectNotFound));
    }
    for (const auto& f : features) {
      if (!rt.should_process(to_string(prop(f, "InstanceID")), enable_ ? "Enable" : "Disable")) continue;
      set_props(rt, s, f, {{"IsEnabled", Value(enable_)}});
    }
  }

 private:
  bool enable_;
};

class GetGlobalData : public SwitchCmdlet {
 public:
  using SwitchCmdlet::SwitchCmdlet;
  void process(CommandRuntime& rt) override {
    auto s = session(rt);
    for (auto& g : all(rt, s, "MSFT_GlobalEthernetSwitchSettingData")) {
      if (!g.as_object()->get("Name")) g.as_object()->set("Name", prop(g, "ElementName"));
      rt.write_object(g);
    }
  }
};

class Configuration : public SwitchCmdlet {
 public:
  Configuration(std::shared_ptr<CimContext> ctx, std::string method, std::string verb)
      : SwitchCmdlet(std::move(ctx)), method_(std::move(method)), verb_(std::move(verb)) {}
  void process(CommandRuntime& rt) override {
    auto s = session(rt);
    Value ss = service(rt, s);
    if (!rt.should_process(s->computer(), verb_)) return;
    call(rt, s, ss, method_, Value(std::make_shared<Hashtable>()));
  }

 private:
  std::string method_, verb_;
};

template <class T, class... A>
void bind(CommandDef& d, const std::shared_ptr<CimContext>& ctx, A... extra) {
  d.factory = [ctx, extra...] { return std::make_unique<T>(ctx, extra...); };
}

Param session_param() {
  return Param("CimSession", ParamType::Object)
      .object_type(kCimSessionType)
      .array()
      .help("The switch's CIM session (default: the local agent, or the session the input came from).");
}

Param instances(const char* help) {
  return Param("InputObject", ParamType::Object).object_type(kCimInstanceType).array().alias("CimInstance").help(help);
}

Column col(const char* label, const char* property, int align = 0) { return Column{label, property, {}, 0, align}; }

}  // namespace

void register_switch_cmdlets(Interpreter& in, const std::shared_ptr<CimContext>& ctx) {
  CommandRegistry& r = in.commands();
  auto common = [](CommandDef& d) {
    d.param(session_param());
    d.notes("Finds the switch's namespace through the Ethernet Switch Profile in root/interop (or interop, "
            "/root/interop, /interop) as Windows' NetworkSwitchManager module does.");
  };
  {
    CommandDef d("Get-NetworkSwitchEthernetPort");
    d.alias("Get-SwitchEthernetPort")
        .synopsis("Gets the Ethernet ports of a network switch.")
        .description("Enumerates CIM_EthernetPort and adds IPAddress, PortMode, AccessVLAN and TrunkedVLANList from the "
                     "port's LAN endpoint, VLAN endpoint and VLAN settings.")
        .example("Get-NetworkSwitchEthernetPort -PortNumber 1,4", "Ports 1 and 4.");
    d.param(Param("DeviceId", ParamType::String).array().alias("DeviceID").set("DeviceIDSet").help("Port device IDs."));
    d.param(Param("FullDuplexEnabled", ParamType::Switch).set("FullDuplexEnabledSet").mandatory().help("Only full-duplex ports."));
    d.param(Param("FullDuplexDisabled", ParamType::Switch).set("FullDuplexDisabledSet").mandatory().help("Only half-duplex ports."));
    d.param(Param("PortNumber", ParamType::Int).array().set("PortNumberSet").mandatory().help("Port numbers."));
    d.default_set("DeviceIDSet");
    d.output_type("Microsoft.Management.Infrastructure.CimInstance#CIM_EthernetPort");
    common(d);
    bind<GetPort>(d, ctx);
    r.add(std::move(d));
  }
  for (bool enable : {true, false}) {
    CommandDef d(enable ? "Enable-NetworkSwitchEthernetPort" : "Disable-NetworkSwitchEthernetPort");
    d.alias(enable ? "Enable-SwitchEthernetPort" : "Disable-SwitchEthernetPort")
        .synopsis(enable ? "Enables switch ports." : "Disables switch ports.")
        .description(std::string("Calls RequestStateChange(RequestedState=") + (enable ? "2 Enabled" : "3 Disabled") +
                     ") on each CIM_EthernetPort chosen by -PortNumber, -DeviceID or the pipeline.")
        .example(std::string("Get-NetworkSwitchEthernetPort -PortNumber 1,4 | ") +
                     (enable ? "Enable" : "Disable") + "-NetworkSwitchEthernetPort -WhatIf",
                 "Shows what would change.");
    d.param(Param("DeviceID", ParamType::String).array().set("DeviceIdSet").mandatory().help("Port device IDs."));
    d.param(Param("PortNumber", ParamType::Int).array().set("PortNumberSet").mandatory().help("Port numbers."));
    d.param(instances("Ports from Get-NetworkSwitchEthernetPort.").set("InputObjectSet").mandatory().pipeline());
    d.default_set("InputObjectSet");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<SetPortState>(d, ctx, enable);
    r.add(std::move(d));
  }
  {
    CommandDef d("Set-NetworkSwitchPortMode");
    d.alias("Set-SwitchEthernetPort")
        .synopsis("Puts switch ports in access, trunk or route mode.")
        .description("Access: DesiredEndpointMode 2 on the port's CIM_VLANEndpoint and AccessVLAN on its "
                     "CIM_VLANEndpointSettingData. Trunk: mode 5 and TrunkedVLANList. Route: "
                     "MSFT_SwitchService.AddProtocolEndpoint with an embedded CIM_IPProtocolEndpoint.")
        .example("Get-NetworkSwitchEthernetPort -PortNumber 3 | Set-NetworkSwitchPortMode -AccessMode -VlanID 10", "Port 3 into VLAN 10.")
        .example("Get-SwitchEthernetPort -PortNumber 5 | Set-SwitchEthernetPort -TrunkMode -TrunkVlans 10,20", "Port 5 trunks VLANs 10 and 20.");
    d.param(Param("AccessMode", ParamType::Switch).set("AccessSet").mandatory().help("Access mode."));
    d.param(Param("VlanID", ParamType::Int).alias("AccessVlan").set("AccessSet").mandatory().help("The access VLAN."));
    d.param(Param("TrunkMode", ParamType::Switch).set("TrunkSet").mandatory().help("Trunk mode."));
    d.param(Param("VlanIDs", ParamType::Int).array().alias("TrunkVlans").set("TrunkSet").mandatory().help("The trunked VLANs."));
    d.param(Param("RouteMode", ParamType::Switch).set("RouteSet").mandatory().help("Route mode."));
    d.param(Param("IpAddress", ParamType::String).set("RouteSet").mandatory().help("The IPv4 address."));
    d.param(Param("SubnetAddress", ParamType::String).set("RouteSet").mandatory().help("The subnet mask."));
    d.param(instances("Ports from Get-NetworkSwitchEthernetPort.").mandatory().pipeline());
    d.default_set("AccessSet");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<SetPortMode>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Set-NetworkSwitchPortProperty");
    d.synopsis("Changes properties of switch ports (WS-Man Put).")
        .description("Sets the hashtable's properties on each piped CIM_EthernetPort.")
        .example("Get-NetworkSwitchEthernetPort -PortNumber 2 | Set-NetworkSwitchPortProperty -Property @{Description='uplink'}", "Describes port 2.");
    d.param(Param("Property", ParamType::Hashtable).position(1).help("New property values."));
    d.param(instances("Ports from Get-NetworkSwitchEthernetPort.").position(2).mandatory().pipeline());
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<SetPortProperty>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Set-NetworkSwitchEthernetPortIPAddress");
    d.synopsis("Gives switch ports an IP address (routed ports).")
        .description("MSFT_SwitchService.AddProtocolEndpoint with an embedded CIM_IPProtocolEndpoint "
                     "(IPv4Address and SubnetMask). cimnet: an IPv6 -IpAddress is sent as IPv6Address with "
                     "-SubnetAddress as its PrefixLength.")
        .example("Set-NetworkSwitchEthernetPortIPAddress -PortNumber 21 -IpAddress 10.4.10.12 -SubnetAddress 255.255.255.248", "Port 21 gets an address.");
    d.param(Param("IpAddress", ParamType::String).mandatory().help("The IPv4 address."));
    d.param(Param("SubnetAddress", ParamType::String).mandatory().help("The subnet mask."));
    d.param(Param("PortNumber", ParamType::Int).array().set("PortNumberSet").mandatory().help("Port numbers."));
    d.param(instances("Ports.").set("InputObjectSet").mandatory().pipeline());
    d.default_set("PortNumberSet");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<SetPortIp>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Remove-NetworkSwitchEthernetPortIPAddress");
    d.synopsis("Removes the IP addresses of switch ports.").description("MSFT_SwitchService.RemoveProtocolEndpoint for each CIM_IPProtocolEndpoint of the port.")
        .example("Remove-NetworkSwitchEthernetPortIPAddress -PortNumber 21", "Port 21 loses its address.");
    d.param(Param("PortNumber", ParamType::Int).array().set("PortNumberSet").mandatory().help("Port numbers."));
    d.param(instances("Ports.").set("InputObjectSet").mandatory().pipeline());
    d.default_set("PortNumberSet");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<RemovePortIp>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-NetworkSwitchVlan");
    d.alias("Get-SwitchVlan").synopsis("Gets the VLANs of a network switch.")
        .description("Enumerates CIM_NetworkVLAN; -Name, -Caption and -Description take wildcards.")
        .example("Get-NetworkSwitchVlan -VlanId 10", "VLAN 10.");
    d.param(Param("Name", ParamType::String).set("NameSet").help("VLAN name (ElementName, wildcards)."));
    d.param(Param("VlanId", ParamType::Int).set("VlanIdSet").mandatory().help("VLAN ID."));
    d.param(Param("InstanceId", ParamType::String).set("InstanceIdSet").mandatory().help("InstanceID."));
    d.param(Param("Caption", ParamType::String).set("CaptionSet").mandatory().help("Caption (wildcards)."));
    d.param(Param("Description", ParamType::String).set("DescriptionSet").mandatory().help("Description (wildcards)."));
    d.default_set("NameSet");
    d.output_type("Microsoft.Management.Infrastructure.CimInstance#CIM_NetworkVLAN");
    common(d);
    bind<GetVlan>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("New-NetworkSwitchVlan");
    d.alias("New-SwitchVlan").synopsis("Creates a VLAN on a network switch.")
        .description("MSFT_SwitchService.AddVLAN with an embedded CIM_NetworkVLAN {VLANId, ElementName, Caption, Description}.")
        .example("New-NetworkSwitchVlan -VlanID 10 -Name web", "Creates VLAN 10.");
    d.param(Param("Caption", ParamType::String).position(1).help("Caption."));
    d.param(Param("Description", ParamType::String).position(2).help("Description."));
    d.param(Param("VlanID", ParamType::Int).position(3).mandatory().help("VLAN ID (1-4094)."));
    d.param(Param("Name", ParamType::String).position(4).mandatory().help("VLAN name."));
    common(d);
    bind<NewVlan>(d, ctx);
    r.add(std::move(d));
  }
  struct VlanVerb {
    const char* name;
    const char* method;
    const char* verb;
    const char* synopsis;
  };
  for (const VlanVerb& v : {VlanVerb{"Remove-NetworkSwitchVlan", "RemoveVLAN", "Remove", "Deletes VLANs."},
                            VlanVerb{"Enable-NetworkSwitchVlan", "EnableVLAN", "Enable", "Enables VLANs."},
                            VlanVerb{"Disable-NetworkSwitchVlan", "DisableVLAN", "Disable", "Disables VLANs."}}) {
    CommandDef d(v.name);
    d.synopsis(v.synopsis).description(std::string("MSFT_SwitchService.") + v.method + " for each chosen VLAN.")
        .example(std::string(v.name) + " -VlanId 74 -WhatIf", "Shows what would change.");
    bool remove = std::string(v.verb) == "Remove";
    d.param(Param("InstanceId", ParamType::String).set("InstanceIdSet").mandatory(!remove).help("InstanceID."));
    d.param(Param("Name", ParamType::String).set("NameSet").mandatory(!remove).help("VLAN name (wildcards)."));
    d.param(Param("VlanId", ParamType::Int).set("VlanIdSet").mandatory(!remove).help("VLAN ID."));
    if (remove) d.param(instances("VLANs from Get-NetworkSwitchVlan.").set("InputObjectSet").mandatory().pipeline());
    d.default_set(remove ? "InputObjectSet" : "VlanIdSet");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<VlanAction>(d, ctx, std::string(v.method), std::string(v.verb));
    r.add(std::move(d));
  }
  {
    CommandDef d("Set-NetworkSwitchVlanProperty");
    d.synopsis("Changes VLAN properties (WS-Man Put).").description("Sets the hashtable's properties (ElementName, Caption, Description) on the chosen VLANs.")
        .example("Set-NetworkSwitchVlanProperty -VlanId 12 -Property @{ElementName='Contoso VLAN 07'}", "Renames VLAN 12.");
    d.param(Param("Property", ParamType::Hashtable).help("New values."));
    d.param(Param("VlanId", ParamType::Int).array().set("VlanIdSet").mandatory().help("VLAN IDs."));
    d.param(instances("VLANs.").set("InputObjectSet").mandatory().pipeline());
    d.default_set("VlanIdSet");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<SetVlanProperty>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-NetworkSwitchFeature");
    d.synopsis("Gets the features of a network switch.").description("Enumerates MSFT_Feature.").example("Get-NetworkSwitchFeature -Enabled", "Enabled features.");
    d.param(Param("Name", ParamType::String).set("NameSet").help("Feature name (wildcards)."));
    d.param(Param("Enabled", ParamType::Switch).set("EnabledSet").mandatory().help("Only enabled features."));
    d.param(Param("Disabled", ParamType::Switch).set("DisabledSet").mandatory().help("Only disabled features."));
    d.default_set("NameSet");
    common(d);
    bind<GetFeature>(d, ctx);
    r.add(std::move(d));
  }
  for (bool enable : {true, false}) {
    CommandDef d(enable ? "Enable-NetworkSwitchFeature" : "Disable-NetworkSwitchFeature");
    d.synopsis(enable ? "Enables switch features." : "Disables switch features.").description("Sets MSFT_Feature.IsEnabled (WS-Man Put).")
        .example(std::string(enable ? "Enable" : "Disable") + "-NetworkSwitchFeature -Name VLAN", "");
    d.param(Param("FeatureName", ParamType::Int).set("FeatureNameSet").mandatory().help("Feature number."));
    d.param(Param("Name", ParamType::String).set("NameSet").mandatory().help("Feature name."));
    d.param(Param("InstanceId", ParamType::String).set("InstanceIdSet").mandatory().help("InstanceID."));
    d.param(instances("Features.").set("InputObjectSet").mandatory().pipeline());
    d.default_set("NameSet");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<SetFeature>(d, ctx, enable);
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-NetworkSwitchGlobalData");
    d.alias("Get-SwitchInformation").synopsis("Gets the switch's global settings.")
        .description("Enumerates MSFT_GlobalEthernetSwitchSettingData.").example("Get-NetworkSwitchGlobalData", "Host name, banner ...");
    common(d);
    bind<GetGlobalData>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Save-NetworkSwitchConfiguration");
    d.synopsis("Saves the running configuration as the startup configuration.").description("MSFT_SwitchService.CopyCurrentToStartup().")
        .example("Save-NetworkSwitchConfiguration", "");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<Configuration>(d, ctx, std::string("CopyCurrentToStartup"), std::string("Save configuration"));
    r.add(std::move(d));
  }
  {
    CommandDef d("Restore-NetworkSwitchConfiguration");
    d.synopsis("Restores the last saved startup configuration.").description("MSFT_SwitchService.CopyStartupToCurrent().")
        .example("Restore-NetworkSwitchConfiguration", "");
    d.should_process(ConfirmImpact::Medium);
    common(d);
    bind<Configuration>(d, ctx, std::string("CopyStartupToCurrent"), std::string("Restore configuration"));
    r.add(std::move(d));
  }

  // Default views (NetworkSwitchManager.format.ps1xml columns).
  Formatter& f = in.formatter();
  const std::string ci = std::string(kCimInstanceType) + "#";
  View port;
  port.columns = {col("Name", "Name", -1), col("PortNumber", "PortNumber", 1), col("DeviceID", "DeviceID", -1),
                  col("FullDuplex", "FullDuplex", 1), col("AutoSense", "AutoSense", 1), col("PortType", "PortType", 1),
                  col("MaxDataSize", "MaxDataSize", 1)};
  f.add_view(ci + "CIM_EthernetPort", port);
  View vlan;
  vlan.columns = {col("Caption", "Caption", -1), col("Description", "Description", -1), col("Name", "ElementName", -1),
                  col("InstanceID", "InstanceID", -1), col("VlanID", "VLANId", 1)};
  f.add_view(ci + "CIM_NetworkVLAN", vlan);
  View feature;
  feature.columns = {col("Name", "ElementName", -1), col("IsEnabled", "IsEnabled", 1), col("InstanceID", "InstanceID", -1)};
  f.add_view(ci + "MSFT_Feature", feature);
  View global;
  global.columns = {col("Caption", "Caption", -1), col("Description", "Description", -1), col("Name", "ElementName", -1),
                    col("Banner", "Banner", -1), col("BannerIsEnabled", "BannerIsEnabled", 1), col("InstanceID", "InstanceID", -1)};
  f.add_view(ci + "MSFT_GlobalEthernetSwitchSettingData", global);
  View ip;
  ip.columns = {col("SubnetAddress", "SubnetMask", -1), col("IPAddress", "IPv4Address", -1)};
  f.add_view(ci + "CIM_IPProtocolEndpoint", ip);
}

}  // namespace cimnet::shell::cim

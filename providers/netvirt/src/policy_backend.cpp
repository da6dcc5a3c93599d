#include "cimnet/netvirt/policy_backend.h"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "cimnet/config/error.h"

namespace cimnet::netvirt {

namespace dp = cimnet::dataplane;
using config::ConfigError;
using config::ConfigView;
using config::ErrorKind;

dp::IpAddress to_dataplane(const config::IpAddress& a) {
  dp::IpAddress out;
  out.family = a.family;
  out.bytes = a.bytes;
  return out;
}

config::IpAddress to_config(const dp::IpAddress& a) {
  config::IpAddress out;
  out.family = a.family;
  out.bytes = a.bytes;
  return out;
}

dp::MacAddress to_dataplane(const config::MacAddress& m) {
  dp::MacAddress out;
  out.bytes = m.bytes;
  return out;
}

std::optional<dp::IpAddress> gateway_of(const dp::IpPrefix& prefix) {
  unsigned bits = prefix.address.is_v4() ? 32 : 128;
  if (!prefix.address.is_set() || prefix.length + 1u >= bits) return std::nullopt;
  dp::IpAddress g = prefix.address;
  // Set every host bit, then clear the last one: the highest host address.
  for (unsigned i = prefix.length; i < bits; ++i) g.bytes[i / 8] |= uint8_t(0x80u >> (i % 8));
  g.bytes[bits / 8 - 1] &= 0xFE;
  return g;
}

namespace {

bool maps_mac_only(const config::LookupRecord& r) {
  return r.key.customer_address.is_unspecified() &&
         r.type != config::LookupRecordType::kGatewayWildcard;
}

}  // namespace

dp::RecordKey datapath_key(const config::LookupRecord& record) {
  dp::RecordKey k;
  k.vsid = record.key.vsid;
  if (maps_mac_only(record))
    k.mac = to_dataplane(record.key.mac);
  else
    k.customer = to_dataplane(record.key.customer_address);
  return k;
}

dp::LookupRecord datapath_record(const config::LookupRecord& record) {
  dp::LookupRecord r;
  r.vsid = record.key.vsid;
  r.provider = to_dataplane(record.provider_address);
  r.mac = to_dataplane(record.key.mac);
  r.rule = record.rule == config::TranslationRule::kNat ? dp::Rule::Nat : dp::Rule::Encap;
  if (maps_mac_only(record)) {
    r.type = dp::RecordType::L2Only;
  } else {
    r.customer = to_dataplane(record.key.customer_address);
    switch (record.type) {
      case config::LookupRecordType::kDynamic:
        r.type = dp::RecordType::Dynamic;
        break;
      case config::LookupRecordType::kGatewayWildcard:
        r.type = dp::RecordType::GatewayWildcard;
        break;
      // An L2Only record with a real customer address is refused by the
      // provider; the datapath sees it as the static mapping it describes.
      default:
        r.type = dp::RecordType::Static;
        break;
    }
  }
  return r;
}

namespace {

// The store records that land on datapath key `k`, in store key order.
std::vector<config::LookupRecord> records_at(const ConfigView& view, const dp::RecordKey& k) {
  std::vector<config::LookupRecord> out;
  if (!k.customer.is_set()) {
    // MAC-only records: the two wildcard customer addresses with this MAC.
    for (const char* ca : {"0.0.0.0", "::"}) {
      config::LookupKey key{k.vsid, *config::IpAddress::parse(ca), {}};
      key.mac.bytes = k.mac.bytes;
      if (auto r = view.find_lookup(key); r && datapath_key(*r) == k) out.push_back(*r);
    }
    return out;
  }
  config::LookupKey first{k.vsid, to_config(k.customer), {}};
  if (auto r = view.find_lookup(first); r && datapath_key(*r) == k) out.push_back(*r);
  view.for_each_lookup(
      [&](const config::LookupRecord& r) {
        if (r.key.vsid != first.vsid || r.key.customer_address != first.customer_address)
          return false;
        if (datapath_key(r) == k) out.push_back(r);
        return true;
      },
      &first);
  return out;
}

std::string leaf(const ConfigView& v, const std::string& path, const char* name) {
  return v.get(path + "/" + name).value_or(std::string());
}

uint32_t leaf_u32(const ConfigView& v, const std::string& path, const char* name) {
  std::string s = leaf(v, path, name);
  return s.empty() ? 0 : uint32_t(std::stoul(s));
}

dp::IpAddress leaf_ip(const ConfigView& v, const std::string& path, const char* name) {
  auto a = dp::IpAddress::parse(leaf(v, path, name));
  return a ? *a : dp::IpAddress{};
}

dp::IpPrefix leaf_prefix(const ConfigView& v, const std::string& path, const char* name) {
  auto p = dp::IpPrefix::parse(leaf(v, path, name));
  return p ? *p : dp::IpPrefix{};
}

std::vector<std::string> leaf_list(const ConfigView& v, const std::string& path, const char* name) {
  std::vector<std::string> out;
  for (const auto& p : v.select(path + "/" + name))
    if (auto value = v.get(p)) out.push_back(*value);
  return out;
}

}  // namespace

DatapathBackend::DatapathBackend(dp::Datapath& datapath, dp::DatapathSettings settings)
    : datapath_(datapath), settings_(settings) {}

SmallPolicy DatapathBackend::read_small(const ConfigView& v) const {
  SmallPolicy out;
  const std::string root = kPolicyRoot;
  for (const auto& p : v.select(root + "/virtual-subnet")) {
    dp::VirtualSubnet s;
    s.vsid = leaf_u32(v, p, "vsid");
    s.routing_domain = leaf(v, p, "routing-domain");
    for (const auto& text : leaf_list(v, p, "prefix"))
      if (auto prefix = dp::IpPrefix::parse(text))
        if (auto g = gateway_of(*prefix)) s.gateways.push_back(*g);
    out.subnets[s.vsid] = s;
  }
  for (const auto& p : v.select(root + "/customer-route")) {
    dp::CustomerRoute r;
    r.routing_domain = leaf(v, p, "routing-domain");
    r.vsid = leaf_u32(v, p, "vsid");
    r.destination = leaf_prefix(v, p, "destination-prefix");
    r.next_hop = leaf_ip(v, p, "next-hop");
    if (r.next_hop.is_unspecified()) r.next_hop = {};  // 0.0.0.0 / :: = on-link
    r.metric = leaf_u32(v, p, "metric");
    out.customer_routes[{r.routing_domain, r.vsid, r.destination}] = r;
  }
  for (const auto& p : v.select(root + "/provider-address")) {
    dp::ProviderAddress a;
    a.address = leaf_ip(v, p, "address");
    a.prefix_length = uint8_t(leaf_u32(v, p, "prefix-length"));
    out.provider_addresses[a.address] = a;
    out.provider_interfaces.insert(leaf_u32(v, p, "interface-index"));
  }
  for (const auto& p : v.select(root + "/provider-route")) {
    dp::ProviderRoute r;
    r.destination = leaf_prefix(v, p, "destination-prefix");
    r.next_hop = leaf_ip(v, p, "next-hop");
    r.metric = leaf_u32(v, p, "metric");
    // Several interfaces may route one prefix: the lowest metric wins.
    auto it = out.provider_routes.find(r.destination);
    if (it == out.provider_routes.end() || r.metric < it->second.metric)
      out.provider_routes[r.destination] = r;
  }
  std::set<uint16_t> used;
  std::vector<AdapterPort> fresh;
  for (const auto& p : v.select(root + "/vm-adapter")) {
    AdapterPort a;
    a.name = leaf(v, p, "name");
    a.interface = leaf(v, p, "interface");
    a.vsid = leaf_u32(v, p, "vsid");
    if (auto m = config::MacAddress::parse(leaf(v, p, "mac-address"))) a.mac = to_dataplane(*m);
    // An adapter keeps its datapath port while it exists.
    if (auto it = applied_.adapters.find(a.name); it != applied_.adapters.end()) {
      a.port = it->second.port;
      used.insert(a.port);
      out.adapters[a.name] = a;
    } else {
      fresh.push_back(a);
    }
  }
  uint16_t next = 0;
  for (auto& a : fresh) {
    while (used.count(next)) ++next;
    if (next >= dp::kMaxPorts)
      throw ConfigError(ErrorKind::kRejected, "the datapath has no free VM port for adapter " +
                                                  a.name + " (limit " +
                                                  std::to_string(dp::kMaxPorts) + ")");
    a.port = next;
    used.insert(next);
    out.adapters[a.name] = a;
  }
  return out;
}

void DatapathBackend::diff_small(const SmallPolicy& want, dp::PolicyChange& c) const {
  const SmallPolicy& have = applied_;
  for (auto& [k, v] : have.subnets)
    if (!want.subnets.count(k)) c.remove_subnets.push_back(k);
  for (auto& [k, v] : want.subnets) {
    auto it = have.subnets.find(k);
    if (it == have.subnets.end() || it->second.routing_domain != v.routing_domain ||
        it->second.gateways != v.gateways)
      c.upsert_subnets.push_back(v);
  }
  for (auto& [k, v] : have.customer_routes)
    if (!want.customer_routes.count(k)) c.remove_customer_routes.push_back(v);
  for (auto& [k, v] : want.customer_routes) {
    auto it = have.customer_routes.find(k);
    if (it == have.customer_routes.end() || it->second.next_hop != v.next_hop ||
        it->second.metric != v.metric)
      c.upsert_customer_routes.push_back(v);
  }
  for (auto& [k, v] : have.provider_addresses)
    if (!want.provider_addresses.count(k)) c.remove_provider_addresses.push_back(k);
  for (auto& [k, v] : want.provider_addresses) {
    auto it = have.provider_addresses.find(k);
    if (it == have.provider_addresses.end() || it->second.prefix_length != v.prefix_length)
      c.upsert_provider_addresses.push_back(v);
  }
  for (auto& [k, v] : have.provider_routes)
    if (!want.provider_routes.count(k)) c.remove_provider_routes.push_back(k);
  for (auto& [k, v] : want.provider_routes) {
    auto it = have.provider_routes.find(k);
    if (it == have.provider_routes.end() || it->second.next_hop != v.next_hop ||
        it->second.metric != v.metric)
      c.upsert_provider_routes.push_back(v);
  }
  for (auto& [k, v] : have.adapters)
    if (!want.adapters.count(k)) c.remove_ports.push_back(v.port);
  for (auto& [k, v] : want.adapters) {
    auto it = have.adapters.find(k);
    if (it == have.adapters.end() || it->second.mac != v.mac || it->second.vsid != v.vsid)
      c.upsert_ports.push_back(dp::VmPort{v.port, v.mac, v.vsid});
  }
}

void DatapathBackend::load(const ConfigView& running) noexcept {
  std::lock_guard lock(mutex_);
  try {
    applied_ = {};
    SmallPolicy want = read_small(running);
    dp::PolicyChange c;
    c.settings = settings_;
    diff_small(want, c);
    std::set<dp::RecordKey> gateways_seen;
    pa_use_.clear();
    running.for_each_lookup([&](const config::LookupRecord& r) {
      PaUse& use = pa_use_[to_dataplane(r.provider_address)];
      ++use.records;
      if (r.rule == config::TranslationRule::kNat) ++use.nat;
      // Only the first store record of a shared datapath key is programmed.
      dp::RecordKey k = datapath_key(r);
      if (k.customer.is_set() && k.customer.is_unspecified() && !gateways_seen.insert(k).second)
        return true;
      if (!k.customer.is_set()) {
        // A MAC-only record at "::" is shadowed by the same MAC at 0.0.0.0.
        auto first = records_at(running, k);
        if (!first.empty() && first.front().key != r.key) return true;
      }
      c.upsert_records.push_back(datapath_record(r));
      return true;
    });
    datapath_.apply(c);
    applied_ = std::move(want);
  } catch (const std::exception& e) {
    load_problem_ = e.what();
    // Keep the datapath usable with its own settings even when the policy is not.
    try {
      dp::PolicyChange c;
      c.settings = settings_;
      datapath_.apply(c);
    } catch (...) {
    }
  }
  if (layout_changed_) layout_changed_(layout_locked());
}

void DatapathBackend::prepare(const config::Change& change, const ConfigView& candidate) {
  std::lock_guard lock(mutex_);
  pending_.reset();
  pending_small_.reset();
  pending_pa_.clear();
  bool small = change.touches(kPolicyRoot);
  if (!small && change.lookups.empty()) return;

  dp::PolicyChange c;
  std::map<dp::IpAddress, PaUse> pa_delta;
  if (small) {
    pending_small_ = read_small(candidate);
    diff_small(*pending_small_, c);
  }
  if (!change.lookups.empty()) {
    // Datapath keys this change touches, and whether each held a record before.
    std::map<dp::RecordKey, bool> touched;
    std::set<config::LookupKey> created;
    for (const auto& lc : change.lookups) {
      if (lc.before) touched[datapath_key(*lc.before)] = true;
      if (lc.after) touched.try_emplace(datapath_key(*lc.after), false);
      if (!lc.before) created.insert(lc.key);
    }
    // Nat rewrites addresses one to one: its provider address belongs to that record alone.
    std::map<dp::IpAddress, PaUse>& delta = pa_delta;
    for (const auto& lc : change.lookups) {
      int sign = -1;
      for (const auto* r : {lc.before ? &*lc.before : nullptr, lc.after ? &*lc.after : nullptr}) {
        if (r) {
          PaUse& d = delta[to_dataplane(r->provider_address)];
          d.records += sign;
          if (r->rule == config::TranslationRule::kNat) d.nat += sign;
        }
        sign = 1;
      }
    }
    for (auto& [pa, d] : delta) {
      PaUse now = d;
      if (auto it = pa_use_.find(pa); it != pa_use_.end()) {
        now.records += it->second.records;
        now.nat += it->second.nat;
      }
      if (now.nat > 0 && now.records > 1)
        throw ConfigError(ErrorKind::kRejected,
                          "ProviderAddress " + pa.to_string() +
                              " is used by a TranslationMethodNat record and by another lookup "
                              "record; Nat needs a provider address unique to its customer "
                              "address");
    }
    for (auto& [k, had] : touched) {
      auto now = records_at(candidate, k);
      // A customer address has one MAC in a VSID; only wildcards may share.
      if (now.size() > 1 && k.customer.is_set() && !k.customer.is_unspecified())
        throw ConfigError(ErrorKind::kAlreadyExists,
                          "CustomerAddress " + k.customer.to_string() +
                              " already has a lookup record in VSID " + std::to_string(k.vsid),
                          config::lookup_record_path(now.back().key));
      if (!had)
        for (const auto& r : now)
          if (!created.count(r.key)) had = true;
      if (!now.empty())
        c.upsert_records.push_back(datapath_record(now.front()));
      else if (had)
        c.remove_records.push_back(k);
    }
  }
  try {
    datapath_.check(c);
  } catch (const dp::PolicyError& e) {
    pending_small_.reset();
    throw ConfigError(ErrorKind::kRejected, std::string("datapath: ") + e.what());
  }
  pending_ = std::move(c);
  pending_pa_ = std::move(pa_delta);
}

void DatapathBackend::abort(const config::Change&) noexcept {
  std::lock_guard lock(mutex_);
  pending_pa_.clear();
  pending_.reset();
  pending_small_.reset();
}

void DatapathBackend::apply(const config::Change&) noexcept {
  std::unique_lock lock(mutex_);
  if (!pending_) return;
  try {
    datapath_.apply(*pending_);
  } catch (const std::exception& e) {
    // check() accepted exactly this edit on exactly this policy: cannot happen.
    std::fprintf(stderr, "cimnet: datapath refused a checked policy change: %s\n", e.what());
    std::abort();
  }
  pending_.reset();
  for (auto& [pa, d] : pending_pa_) {
    PaUse& use = pa_use_[pa];
    use.records += d.records;
    use.nat += d.nat;
    if (use.records <= 0) pa_use_.erase(pa);
  }
  pending_pa_.clear();
  if (pending_small_) {
    bool ports_changed = pending_small_->provider_interfaces != applied_.provider_interfaces;
    if (pending_small_->adapters.size() != applied_.adapters.size()) ports_changed = true;
    for (auto& [k, a] : pending_small_->adapters) {
      auto it = applied_.adapters.find(k);
      if (it == applied_.adapters.end() || it->second.interface != a.interface ||
          it->second.port != a.port)
        ports_changed = true;
    }
    applied_ = std::move(*pending_small_);
    pending_small_.reset();
    if (ports_changed && layout_changed_) layout_changed_(layout_locked());
  }
}

std::string DatapathBackend::load_problem() const {
  std::lock_guard lock(mutex_);
  return load_problem_;
}

PortLayout DatapathBackend::layout_locked() const {
  PortLayout out;
  for (auto& [k, a] : applied_.adapters) out.adapters.push_back(a);
  out.provider_interfaces.assign(applied_.provider_interfaces.begin(),
                                 applied_.provider_interfaces.end());
  return out;
}

std::vector<AdapterPort> DatapathBackend::adapters() const {
  std::lock_guard lock(mutex_);
  return layout_locked().adapters;
}

bool DatapathBackend::has_subnet(uint32_t vsid) const {
  std::lock_guard lock(mutex_);
  return applied_.subnets.count(vsid) != 0;
}

PortLayout DatapathBackend::layout() const {
  std::lock_guard lock(mutex_);
  return layout_locked();
}

void DatapathBackend::on_layout_changed(std::function<void(const PortLayout&)> fn) {
  std::lock_guard lock(mutex_);
  layout_changed_ = std::move(fn);
}

void DatapathBackend::set_provider_mac(const dp::MacAddress& mac) {
  std::lock_guard lock(mutex_);
  dp::DatapathSettings s = settings_;
  s.provider_mac = mac;
  dp::PolicyChange c;
  c.settings = s;
  // Settings never make a checked-but-not-yet-applied policy edit invalid:
  // they are validated on their own.
  datapath_.apply(c);
  settings_ = s;
}

}  // namespace cimnet::netvirt

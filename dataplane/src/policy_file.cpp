#include "cimnet/dataplane/policy_file.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace cimnet::dataplane {

namespace {

class LineParser {
 public:
  LineParser(size_t number, std::vector<std::string> words)
      : number_(number), words_(std::move(words)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw PolicyError("line " + std::to_string(number_) + ": " + what);
  }
  bool done() const { return pos_ >= words_.size(); }
  const std::string& next(const char* what) {
    if (done()) fail(std::string("missing ") + what);
    return words_[pos_++];
  }
  uint64_t number(const char* what, uint64_t max) {
    const std::string& w = next(what);
    if (w.empty() || w.size() > 10 || w.find_first_not_of("0123456789") != std::string::npos)
      fail(std::string("bad ") + what + " '" + w + "'");
    uint64_t v = std::stoull(w);
    if (v > max) fail(std::string(what) + " " + w + " is larger than " + std::to_string(max));
    return v;
  }
  IpAddress address(const char* what) {
    const std::string& w = next(what);
    auto a = IpAddress::parse(w);
    if (!a) fail(std::string("bad ") + what + " '" + w + "'");
    return *a;
  }
  IpPrefix prefix(const char* what) {
    const std::string& w = next(what);
    auto p = IpPrefix::parse(w);
    if (!p) fail(std::string("bad ") + what + " '" + w + "' (ADDRESS/LENGTH, host bits zero)");
    return *p;
  }
  MacAddress mac(const char* what) {
    const std::string& w = next(what);
    auto m = MacAddress::parse(w);
    if (!m) fail(std::string("bad ") + what + " '" + w + "'");
    return *m;
  }

 private:
  size_t number_;
  std::vector<std::string> words_;
  size_t pos_ = 0;
};

}  // namespace

PolicyFile parse_policy_text(const std::string& text) {
  PolicyFile out;
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  DatapathSettings settings;
  settings.router_mac = *MacAddress::parse("02:00:5e:00:01:01");
  bool have_settings = false;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ws(line);
    std::vector<std::string> words;
    for (std::string w; ws >> w;) words.push_back(w);
    if (words.empty()) continue;
    LineParser p(number, words);
    std::string kind = p.next("keyword");
    if (kind == "settings") {
      have_settings = true;
      while (!p.done()) {
        std::string key = p.next("setting");
        if (key == "router-mac") settings.router_mac = p.mac("router MAC");
        else if (key == "provider-mac") settings.provider_mac = p.mac("provider MAC");
        else if (key == "mtu") settings.provider_mtu = uint16_t(p.number("MTU", 65535));
        else if (key == "flow-id") {
          std::string mode = p.next("flow-id mode");
          if (mode == "hash") settings.flow_id_zero = false;
          else if (mode == "zero") settings.flow_id_zero = true;
          else p.fail("flow-id must be 'hash' or 'zero'");
        } else {
          p.fail("unknown setting '" + key + "'");
        }
      }
    } else if (kind == "provider-address") {
      std::string w = p.next("provider address");
      auto slash = w.find('/');
      auto a = IpAddress::parse(w.substr(0, slash));
      if (!a || slash == std::string::npos) p.fail("bad provider address '" + w + "' (ADDRESS/LENGTH)");
      std::string len = w.substr(slash + 1);
      if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(len) > (a->is_v4() ? 32u : 128u))
        p.fail("bad prefix length in '" + w + "'");
      out.change.upsert_provider_addresses.push_back({*a, uint8_t(std::stoul(len))});
      while (!p.done()) {
        std::string key = p.next("option");
        if (key == "interface") out.provider_interface = p.next("interface name");
        else p.fail("unknown option '" + key + "'");
      }
    } else if (kind == "provider-route") {
      ProviderRoute r;
      r.destination = p.prefix("destination prefix");
      if (p.next("'via'") != "via") p.fail("expected 'via'");
      r.next_hop = p.address("next hop");
      while (!p.done()) {
        std::string key = p.next("option");
        if (key == "metric") r.metric = uint32_t(p.number("metric", 0xFFFFFFFF));
        else p.fail("unknown option '" + key + "'");
      }
      out.change.upsert_provider_routes.push_back(r);
    } else if (kind == "neighbor") {
      ProviderNeighbor n;
      n.address = p.address("neighbour address");
      n.mac = p.mac("neighbour MAC");
      out.change.upsert_neighbors.push_back(n);
    } else if (kind == "subnet") {
      VirtualSubnet s;
      s.vsid = uint32_t(p.number("VSID", kMaxVsid));
      if (p.next("'domain'") != "domain") p.fail("expected 'domain NAME'");
      s.routing_domain = p.next("routing domain");
      while (!p.done()) {
        std::string key = p.next("option");
        if (key == "gateway") s.gateways.push_back(p.address("gateway"));
        else p.fail("unknown option '" + key + "'");
      }
      out.change.upsert_subnets.push_back(s);
    } else if (kind == "route") {
      CustomerRoute r;
      r.routing_domain = p.next("routing domain");
      r.vsid = uint32_t(p.number("VSID", kMaxVsid));
      r.destination = p.prefix("destination prefix");
      while (!p.done()) {
        std::string key = p.next("option");
        if (key == "via") r.next_hop = p.address("next hop");
        else if (key == "metric") r.metric = uint32_t(p.number("metric", 0xFFFFFFFF));
        else p.fail("unknown option '" + key + "'");
      }
      out.change.upsert_customer_routes.push_back(r);
    } else if (kind == "record") {
      LookupRecord r;
      r.vsid = uint32_t(p.number("VSID", kMaxVsid));
      std::string ca = p.next("customer address");
      if (ca != "-") {
        auto a = IpAddress::parse(ca);
        if (!a) p.fail("bad customer address '" + ca + "'");
        r.customer = *a;
      }
      r.provider = p.address("provider address");
      r.mac = p.mac("MAC");
      while (!p.done()) {
        std::string w = p.next("option");
        if (w == "encap") r.rule = Rule::Encap;
        else if (w == "nat") r.rule = Rule::Nat;
        else if (w == "static") r.type = RecordType::Static;
        else if (w == "dynamic") r.type = RecordType::Dynamic;
        else if (w == "l2only") r.type = RecordType::L2Only;
        else if (w == "gateway-wildcard") r.type = RecordType::GatewayWildcard;
        else p.fail("unknown record option '" + w + "'");
      }
      out.change.upsert_records.push_back(r);
    } else if (kind == "port") {
      VmPort port;
      port.id = PortId(p.number("port id", kMaxPorts - 1));
      port.mac = p.mac("port MAC");
      port.vsid = uint32_t(p.number("VSID", kMaxVsid));
      while (!p.done()) {
        std::string key = p.next("option");
        if (key == "interface") out.port_interfaces[port.id] = p.next("interface name");
        else p.fail("unknown option '" + key + "'");
      }
      out.change.upsert_ports.push_back(port);
    } else {
      p.fail("unknown keyword '" + kind + "'");
    }
  }
  if (have_settings) out.change.settings = settings;
  return out;
}

PolicyFile read_policy_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw PolicyError("cannot read policy file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return parse_policy_text(ss.str());
  } catch (const PolicyError& e) {
    throw PolicyError(path + ": " + e.what());
  }
}

}  // namespace cimnet::dataplane

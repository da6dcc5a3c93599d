#include "agent/cimnetd/options.h"

#include <stdexcept>

namespace cimnet::wsman {

namespace {

uint64_t parse_number(const std::string& flag, const std::string& text, uint64_t min,
                      uint64_t max) {
  bool ok = !text.empty() && text.size() <= 19;
  for (char c : text) ok = ok && c >= '0' && c <= '9';
  uint64_t v = ok ? std::stoull(text) : 0;
  if (!ok || v < min || v > max)
    throw std::invalid_argument(flag + ": '" + text + "' is not a number from " +
                                std::to_string(min) + " to " + std::to_string(max));
  return v;
}

}  // namespace

http::Endpoint parse_endpoint(const std::string& text, bool tls) {
  http::Endpoint e;
  e.tls = tls;
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("'" + text + "' is not [ADDR]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw std::invalid_argument("'" + text + "' is not ADDR:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  e.address = host;
  e.port = static_cast<uint16_t>(parse_number("port", port, 0, 65535));
  return e;
}

std::string usage() {
  return "usage: cimnetd [--state-dir DIR] [--http ADDR:PORT]... [--https ADDR:PORT]...\n"
         "               [--tls-cert FILE --tls-key FILE] [--port-file FILE]\n"
         "               [--switch sim[:N] | linux-bridge:BRIDGE] [--datapath memory | linux]\n"
         "               [--datapath-offload tc]\n"
         "               [--log-level error|warn|info|debug] [--schema served.mof]\n"
         "               [--threads N] [--max-connections N] [--max-body BYTES]\n"
         "               [--idle-timeout SECONDS] [--request-timeout SECONDS]\n"
         "               [--max-enumerations N] [--max-enumerations-per-user N]\n"
         "               [--enumeration-expiry SECONDS]\n"
         "       cimnetd user add NAME --role admin|reader [--state-dir DIR]   (password on stdin)\n"
         "       cimnetd user del NAME [--state-dir DIR]\n"
         "       cimnetd user list [--state-dir DIR]\n"
         "       cimnetd user passwd NAME [--state-dir DIR]                    (password on stdin)\n"
         "\n"
         "  --datapath memory   the NVGRE datapath in memory only (default)\n"
         "  --datapath linux    the datapath on Linux interfaces (AF_PACKET, needs CAP_NET_RAW):\n"
         "                      the provider port is the interface of the provider addresses\n"
         "                      (MSFT_NetVirtualizationProviderAddressSettingData.InterfaceIndex),\n"
         "                      each CIMNET_VMNetworkAdapter's InterfaceName is a VM port, attached\n"
         "                      and detached as adapters are created and deleted; provider next-hop\n"
         "                      MACs come from the kernel's neighbour table of the provider interface\n"
         "  --datapath-offload tc\n"
         "                      with --datapath linux: the kernel fast path (tc BPF, needs\n"
         "                      CAP_BPF and CAP_NET_ADMIN) on the provider interface and every VM\n"
         "                      port, attached as ports are; the userspace datapath takes the rest\n"
         "                      (ARP/ND, routing, broadcast, ...). VM ports must be veth host ends.\n"
         "                      Exits 2 if this build has no fast path (libbpf / clang missing)\n"
         "  --threads N         request threads (default 4; commits waiting on the disk share syncs)\n";
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine cl;
  size_t i = 0;
  auto value = [&](const std::string& flag) -> std::string {
    if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
    return args[++i];
  };
  if (!args.empty() && args[0] == "user") {
    UserCommand u;
    if (args.size() < 2) throw std::invalid_argument("user: expected add, del, list or passwd");
    u.verb = args[1];
    if (u.verb != "add" && u.verb != "del" && u.verb != "list" && u.verb != "passwd")
      throw std::invalid_argument("user: unknown command '" + u.verb + "'");
    bool role_given = false;
    for (i = 2; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--state-dir") u.state_dir = value(a);
      else if (a == "--role") {
        u.role = value(a);
        role_given = true;
        if (u.role != "admin" && u.role != "reader")
          throw std::invalid_argument("--role must be admin or reader, not '" + u.role + "'");
      } else if (!a.empty() && a[0] == '-') throw std::invalid_argument("unknown option " + a);
      else if (u.name.empty() && u.verb != "list") u.name = a;
      else throw std::invalid_argument("unexpected argument '" + a + "'");
    }
    if (u.verb != "list" && u.name.empty())
      throw std::invalid_argument("user " + u.verb + ": NAME is missing");
    if (u.verb == "add" && !role_given)
      throw std::invalid_argument("user add: --role admin|reader is required");
    if (u.verb != "add" && role_given)
      throw std::invalid_argument("--role only applies to user add");
    cl.user = u;
    return cl;
  }
  DaemonOptions d;
  bool default_endpoint = true;
  for (i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      cl.help = true;
      return cl;
    } else if (a == "--state-dir") d.state_dir = value(a);
    else if (a == "--http" || a == "--https") {
      if (default_endpoint) d.endpoints.clear();
      default_endpoint = false;
      d.endpoints.push_back(parse_endpoint(value(a), a == "--https"));
    } else if (a == "--tls-cert") d.tls_cert = value(a);
    else if (a == "--tls-key") d.tls_key = value(a);
    else if (a == "--port-file") d.port_file = value(a);
    else if (a == "--switch") {
      d.switch_driver = value(a);
      bool ok = d.switch_driver == "sim" || d.switch_driver.rfind("sim:", 0) == 0 ||
                (d.switch_driver.rfind("linux-bridge:", 0) == 0 && d.switch_driver.size() > 13);
      if (d.switch_driver.rfind("sim:", 0) == 0)
        parse_number("--switch sim:N", d.switch_driver.substr(4), 1, 4096);
      if (!ok)
        throw std::invalid_argument("--switch must be sim[:N] or linux-bridge:BRIDGE, not '" +
                                    d.switch_driver + "'");
    } else if (a == "--datapath") {
      d.datapath = value(a);
      if (d.datapath != "memory" && d.datapath != "linux")
        throw std::invalid_argument("--datapath must be memory or linux");
    } else if (a == "--datapath-offload") {
      d.datapath_offload = value(a);
      if (d.datapath_offload != "tc")
        throw std::invalid_argument("--datapath-offload knows only tc, not '" +
                                    d.datapath_offload + "'");
    } else if (a == "--log-level") {
      auto v = value(a);
      if (!log::parse_level(v, d.log_level))
        throw std::invalid_argument("--log-level must be error, warn, info or debug");
    } else if (a == "--schema") d.schema_file = value(a);
    else if (a == "--threads") d.threads = static_cast<unsigned>(parse_number(a, value(a), 1, 256));
    else if (a == "--max-connections")
      d.limits.max_connections = parse_number(a, value(a), 1, 1'000'000);
    else if (a == "--max-body") d.limits.body_bytes = parse_number(a, value(a), 8192, 1ull << 30);
    else if (a == "--idle-timeout")
      d.limits.idle_timeout = std::chrono::seconds(parse_number(a, value(a), 1, 86400));
    else if (a == "--request-timeout")
      d.limits.request_timeout = std::chrono::seconds(parse_number(a, value(a), 1, 86400));
    else if (a == "--max-enumerations")
      d.max_enumerations = parse_number(a, value(a), 1, 1'000'000);
    else if (a == "--max-enumerations-per-user")
      d.max_enumerations_per_user = parse_number(a, value(a), 1, 1'000'000);
    else if (a == "--enumeration-expiry")
      d.enumeration_expiry_seconds = static_cast<uint32_t>(parse_number(a, value(a), 1, 86400));
    else throw std::invalid_argument("unknown argument '" + a + "'");
  }
  if (default_endpoint) d.endpoints.push_back(http::Endpoint{false, "127.0.0.1", 5985});
  if (!d.datapath_offload.empty() && d.datapath != "linux")
    throw std::invalid_argument("--datapath-offload tc needs --datapath linux");
  if (d.tls_cert.empty() != d.tls_key.empty())
    throw std::invalid_argument("--tls-cert and --tls-key go together");
  cl.daemon = d;
  return cl;
}

}  // namespace cimnet::wsman

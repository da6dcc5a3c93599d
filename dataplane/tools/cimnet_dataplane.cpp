// cimnet-dataplane: runs the NVGRE datapath on Linux interfaces from a policy file (for the
// network-namespace tests and for trying the datapath without the agent).
//
//   cimnet-dataplane run --config FILE [--ready-file F] [--stats-file F] [--threads N]
//                        [--tap IFNAME=NETNS_PATH[:NAME]]... [--vm-mtu N] [--resolve-neighbors]
//                        [--offload tc]
//   cimnet-dataplane check --config FILE
//   cimnet-dataplane disable-offloads IFNAME

#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/io/af_packet_io.h"
#include "cimnet/dataplane/io/neighbor_resolver.h"
#include "cimnet/dataplane/io/tap_io.h"
#include "cimnet/dataplane/io/tc_offload.h"
#include "cimnet/dataplane/policy_file.h"
#include "cimnet/dataplane/runner.h"

using namespace cimnet::dataplane;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

int usage() {
  std::cerr
      << "usage: cimnet-dataplane run --config FILE [--ready-file F] [--stats-file F]\n"
         "           [--threads N] [--tap IFNAME=NETNS_PATH[:NAME]]... [--vm-mtu N]\n"
         "           [--resolve-neighbors] [--offload tc]\n"
         "  --threads N           datapath threads (default: one per core); the provider\n"
         "                        port is spread over them with PACKET_FANOUT (hash)\n"
         "  --tap IF=NS[:NAME]    VM port IF is a TAP device (vnet header, offloads on)\n"
         "                        created here and moved into network namespace NS\n"
         "  --vm-mtu N            MTU of the TAP devices\n"
         "  --resolve-neighbors   learn provider next-hop MACs with ARP / neighbour discovery\n"
         "  --offload tc          kernel fast path (tc BPF) for the common encap/decap cases;\n"
         "                        VM ports must be veth host ends (not --tap), VM offloads on\n"
         "       cimnet-dataplane check --config FILE\n"
         "       cimnet-dataplane disable-offloads IFNAME\n";
  return 2;
}

MacAddress interface_mac(const std::string& name) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  int r = fd < 0 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
  if (fd >= 0) ::close(fd);
  if (r < 0) throw IoError("cannot read the MAC address of " + name + ": " + std::strerror(errno));
  MacAddress m;
  std::memcpy(m.bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

// The datapath's counters (plus what the tc fast path forwarded, when there is one: `vsid` and
// `port` lines are the sums, `offload` lines the fast path's share).
void write_stats(const Datapath& dp, const TcOffload* offload, std::ostream& out) {
  DropCounters d = dp.drop_counters();
  for (size_t i = 0; i < kDropReasonCount; ++i)
    out << "drop " << drop_reason_name(DropReason(i)) << " " << d[i] << "\n";
  auto add = [](TrafficCounters& a, const TrafficCounters& b) {
    a.packets += b.packets;
    a.bytes += b.bytes;
  };
  for (const VirtualSubnet& s : dp.subnets()) {
    auto c = dp.vsid_counters(s.vsid);
    if (!c) continue;
    if (auto f = offload ? offload->vsid_counters(s.vsid) : std::nullopt) {
      out << "offload vsid " << s.vsid << " encapsulated " << f->encapsulated.packets
          << " decapsulated " << f->decapsulated.packets << " local " << f->local.packets << "\n";
      add(c->encapsulated, f->encapsulated);
      add(c->decapsulated, f->decapsulated);
      add(c->local, f->local);
    }
    out << "vsid " << s.vsid << " encapsulated " << c->encapsulated.packets << " decapsulated "
        << c->decapsulated.packets << " local " << c->local.packets << " dropped " << c->dropped
        << "\n";
  }
  for (const VmPort& p : dp.ports()) {
    PortCounters c = dp.port_counters(p.id);
    if (offload) {
      PortCounters f = offload->port_counters(p.id);
      out << "offload port " << p.id << " from_vm " << f.from_vm.packets << " to_vm "
          << f.to_vm.packets << "\n";
      add(c.from_vm, f.from_vm);
      add(c.to_vm, f.to_vm);
    }
    out << "port " << p.id << " from_vm " << c.from_vm.packets << " to_vm " << c.to_vm.packets
        << " dropped " << c.dropped << "\n";
  }
  if (offload) {
    TcOffloadStats st = offload->stats();
    out << "offload enabled " << offload->enabled() << " tx_passed " << st.tx_passed
        << " rx_passed " << st.rx_passed << " errors " << st.errors << " map_full " << st.map_full
        << "\n";
  }
}

struct TapPlace {
  std::string netns;
  std::string name;
};

struct RunOptions {
  std::string config, ready_file, stats_file;
  bool check_only = false;
  unsigned threads = 0;
  std::map<std::string, TapPlace> taps;  // by interface name in the policy file
  uint32_t vm_mtu = 0;
  bool resolve_neighbors = false;
  bool offload_tc = false;
};

void write_tap_stats(const std::map<PortId, std::vector<const TapIo*>>& taps, std::ostream& out) {
  for (auto& [id, queues] : taps) {
    TapCounters sum;
    for (const TapIo* q : queues) {
      const TapCounters& c = q->counters();
      sum.frames_in += c.frames_in, sum.gso_frames_in += c.gso_frames_in;
      sum.segments_in += c.segments_in, sum.refused_in += c.refused_in;
      sum.frames_out += c.frames_out, sum.gso_frames_out += c.gso_frames_out;
      sum.packets_out += c.packets_out, sum.failed_out += c.failed_out;
    }
    out << "tap " << id << " frames_in " << sum.frames_in << " gso_frames_in " << sum.gso_frames_in
        << " segments_in " << sum.segments_in << " refused_in " << sum.refused_in << " frames_out "
        << sum.frames_out << " gso_frames_out " << sum.gso_frames_out << " packets_out "
        << sum.packets_out << " failed_out " << sum.failed_out << "\n";
  }
}

// With --offload tc: GSO frames the slow path's sockets got, and frames it could not handle.
void write_slow_path_stats(const std::map<std::string, std::vector<const SlowPathIo*>>& slow,
                           std::ostream& out) {
  for (auto& [name, sockets] : slow) {
    uint64_t gso = 0, refused = 0;
    for (const SlowPathIo* s : sockets) gso += s->gso_frames(), refused += s->refused();
    out << "slowpath " << name << " gso_frames " << gso << " refused " << refused << "\n";
  }
}

int run(const RunOptions& o) {
  const std::string& config = o.config;
  const std::string& ready_file = o.ready_file;
  const std::string& stats_file = o.stats_file;
  bool check_only = o.check_only;
  PolicyFile pf = read_policy_file(config);
  auto dp = std::make_unique<Datapath>();
  if (check_only) {
    dp->apply(pf.change);
    std::cout << "policy OK: " << dp->records().size() << " records, " << dp->subnets().size()
              << " subnets, " << dp->ports().size() << " ports\n";
    return 0;
  }
  if (pf.provider_interface.empty())
    throw PolicyError(config + ": no provider interface (provider-address ... interface IFNAME)");
  if (!pf.change.settings) {
    pf.change.settings = DatapathSettings{};
    pf.change.settings->router_mac = *MacAddress::parse("02:00:5e:00:01:01");
  }
  if (pf.change.settings->provider_mac.is_zero())
    pf.change.settings->provider_mac = interface_mac(pf.provider_interface);
  dp->apply(pf.change);

  for (const auto& tap : o.taps) {
    const std::string& tap_name = tap.first;
    if (std::none_of(pf.port_interfaces.begin(), pf.port_interfaces.end(),
                     [&](const auto& p) { return p.second == tap_name; }))
      throw PolicyError("--tap " + tap_name + ": no port of the policy uses that interface");
  }
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  // Fanout group ids are per namespace; keep them apart from other datapaths in this one.
  uint16_t group = uint16_t(1 + (getpid() % 30000));
  auto next_group = [&] { return threads > 1 ? group++ : uint16_t(0); };
  std::vector<std::unique_ptr<PacketIo>> providers;
  // With the tc fast path, the slow path's sockets are served after tc ingress (SlowPathIo), so
  // they only see what the fast path passed on; three fanout groups per interface then.
  std::map<std::string, std::vector<const SlowPathIo*>> slow;  // by interface
  auto open_port = [&](const std::string& name, uint16_t g) -> std::unique_ptr<PacketIo> {
    if (o.offload_tc) {
      auto io = SlowPathIo::open(name, g);
      slow[name].push_back(io.get());
      return io;
    }
    return AfPacketIo::open(name, g);
  };
  if (o.offload_tc && threads > 1) group = uint16_t(group * 3 % 60000 + 1);
  auto next_ports_group = [&] {
    uint16_t g = next_group();
    if (o.offload_tc && g) group = uint16_t(group + 2);
    return g;
  };
  uint16_t provider_group = next_ports_group();
  for (unsigned t = 0; t < threads; ++t)
    providers.push_back(open_port(pf.provider_interface, provider_group));
  RunnerThreads runner(*dp, std::move(providers));
  std::map<PortId, std::vector<const TapIo*>> taps;
  for (auto& [id, name] : pf.port_interfaces) {
    std::vector<std::unique_ptr<PacketIo>> per_thread;
    auto tap = o.taps.find(name);
    if (tap != o.taps.end()) {
      TapOptions to;
      to.name = name;
      for (const VmPort& p : pf.change.upsert_ports)
        if (p.id == id) to.mac = p.mac.bytes;
      to.mtu = o.vm_mtu;
      to.queues = threads;
      to.netns = tap->second.netns;
      to.name_in_netns = tap->second.name;
      for (auto& q : TapIo::create(to)) {
        taps[id].push_back(q.get());
        per_thread.push_back(std::move(q));
      }
    } else {
      uint16_t g = next_ports_group();
      for (unsigned t = 0; t < threads; ++t) per_thread.push_back(open_port(name, g));
    }
    runner.attach_port(id, std::move(per_thread));
  }
  std::unique_ptr<NeighborResolver> resolver;
  if (o.resolve_neighbors) {
    NeighborResolverConfig rc;
    for (const ProviderAddress& a : pf.change.upsert_provider_addresses)
      if (a.address.is_v4() && !rc.source.is_set()) rc.source = a.address;
      else if (a.address.is_v6() && !rc.source6.is_set()) rc.source6 = a.address;
    rc.source_mac = pf.change.settings->provider_mac;
    resolver = std::make_unique<NeighborResolver>(*dp, rc);
    resolver->set_targets(NeighborResolver::next_hops(pf.change.upsert_records,
                                                      pf.change.upsert_provider_addresses,
                                                      pf.change.upsert_provider_routes));
    runner.set_neighbor_resolver(resolver.get());
  }
  std::unique_ptr<TcOffload> offload;
  if (o.offload_tc) {
    TcOffloadOptions to;
    to.provider_interface = pf.provider_interface;
    for (auto& [id, name] : pf.port_interfaces) to.port_interfaces[id] = name;
    offload = TcOffload::attach(*dp, to);
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  if (!ready_file.empty()) {
    std::ofstream(ready_file + ".tmp") << getpid() << "\n";
    std::rename((ready_file + ".tmp").c_str(), ready_file.c_str());
  }
  runner.start();
  while (!g_stop.load()) ::poll(nullptr, 0, 100);
  runner.stop();
  if (!stats_file.empty()) {
    std::ofstream out(stats_file + ".tmp");
    write_stats(*dp, offload.get(), out);
    write_tap_stats(taps, out);
    write_slow_path_stats(slow, out);
    if (resolver) out << "arp requests " << resolver->requests_sent() << "\n";
    out.close();
    std::rename((stats_file + ".tmp").c_str(), stats_file.c_str());
  } else {
    write_stats(*dp, offload.get(), std::cout);
    write_tap_stats(taps, std::cout);
    write_slow_path_stats(slow, std::cout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  try {
    if (cmd == "disable-offloads") {
      if (argc != 3) return usage();
      disable_offloads(argv[2]);
      return 0;
    }
    if (cmd != "run" && cmd != "check") return usage();
    RunOptions o;
    o.check_only = cmd == "check";
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--resolve-neighbors") {
        o.resolve_neighbors = true;
        continue;
      }
      if (i + 1 >= argc) return usage();
      std::string v = argv[++i];
      if (a == "--config") o.config = v;
      else if (a == "--offload") {
        if (v != "tc") {
          std::cerr << "cimnet-dataplane: --offload knows only 'tc', got '" << v << "'\n";
          return 2;
        }
        std::string why;
        if (!TcOffload::available(&why)) {
          std::cerr << "cimnet-dataplane: --offload tc: " << why << "\n";
          return 2;
        }
        o.offload_tc = true;
      } else if (a == "--ready-file")
        o.ready_file = v;
      else if (a == "--stats-file") o.stats_file = v;
      else if (a == "--threads" || a == "--vm-mtu") {
        char* end = nullptr;
        unsigned long n = std::strtoul(v.c_str(), &end, 10);
        if (v.empty() || *end || n == 0 || n > (a == "--threads" ? 64 : 65535)) {
          std::cerr << "cimnet-dataplane: bad " << a << " '" << v << "'\n";
          return 2;
        }
        (a == "--threads" ? o.threads : o.vm_mtu) = unsigned(n);
      } else if (a == "--tap") {
        size_t eq = v.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
          std::cerr << "cimnet-dataplane: --tap wants IFNAME=NETNS_PATH[:NAME], got '" << v << "'\n";
          return 2;
        }
        TapPlace place;
        std::string rest = v.substr(eq + 1);
        size_t colon = rest.find(':');
        place.netns = rest.substr(0, colon);
        if (colon != std::string::npos) place.name = rest.substr(colon + 1);
        o.taps[v.substr(0, eq)] = place;
      } else {
        return usage();
      }
    }
    if (o.config.empty()) return usage();
    if (o.offload_tc && !o.taps.empty()) {
      std::cerr << "cimnet-dataplane: --offload tc needs veth VM ports (the fast path runs on the "
                   "host end's tc ingress); it cannot be combined with --tap\n";
      return 2;
    }
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "cimnet-dataplane: " << e.what() << "\n";
    return 1;
  }
}

// cimnet-dataplane: runs the NVGRE datapath on Linux interfaces from a policy file (for the
// network-namespace tests and for trying the datapath without the agent).
//
//   cimnet-dataplane run --config FILE [--ready-file F] [--stats-file F]
//   cimnet-dataplane check --config FILE
//   cimnet-dataplane disable-offloads IFNAME

#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/io/af_packet_io.h"
#include "cimnet/dataplane/policy_file.h"
#include "cimnet/dataplane/runner.h"

using namespace cimnet::dataplane;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop.store(true); }

int usage() {
  std::cerr << "usage: cimnet-dataplane run --config FILE [--ready-file F] [--stats-file F]\n"
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

void write_stats(const Datapath& dp, std::ostream& out) {
  DropCounters d = dp.drop_counters();
  for (size_t i = 0; i < kDropReasonCount; ++i)
    out << "drop " << drop_reason_name(DropReason(i)) << " " << d[i] << "\n";
  for (const VirtualSubnet& s : dp.subnets()) {
    auto c = dp.vsid_counters(s.vsid);
    if (!c) continue;
    out << "vsid " << s.vsid << " encapsulated " << c->encapsulated.packets << " decapsulated "
        << c->decapsulated.packets << " local " << c->local.packets << " dropped " << c->dropped
        << "\n";
  }
  for (const VmPort& p : dp.ports()) {
    PortCounters c = dp.port_counters(p.id);
    out << "port " << p.id << " from_vm " << c.from_vm.packets << " to_vm " << c.to_vm.packets
        << " dropped " << c.dropped << "\n";
  }
}

int run(const std::string& config, const std::string& ready_file, const std::string& stats_file,
        bool check_only) {
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

  auto provider = AfPacketIo::open(pf.provider_interface);
  std::vector<std::unique_ptr<AfPacketIo>> ports;
  Runner runner(*dp, *provider);
  for (auto& [id, name] : pf.port_interfaces) {
    ports.push_back(AfPacketIo::open(name));
    runner.attach_port(id, *ports.back());
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  if (!ready_file.empty()) {
    std::ofstream(ready_file + ".tmp") << getpid() << "\n";
    std::rename((ready_file + ".tmp").c_str(), ready_file.c_str());
  }
  runner.run(g_stop);
  if (!stats_file.empty()) {
    std::ofstream out(stats_file + ".tmp");
    write_stats(*dp, out);
    out.close();
    std::rename((stats_file + ".tmp").c_str(), stats_file.c_str());
  } else {
    write_stats(*dp, std::cout);
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
    std::string config, ready, stats;
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      if (i + 1 >= argc) return usage();
      if (a == "--config") config = argv[++i];
      else if (a == "--ready-file") ready = argv[++i];
      else if (a == "--stats-file") stats = argv[++i];
      else return usage();
    }
    if (config.empty()) return usage();
    return run(config, ready, stats, cmd == "check");
  } catch (const std::exception& e) {
    std::cerr << "cimnet-dataplane: " << e.what() << "\n";
    return 1;
  }
}

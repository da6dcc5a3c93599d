// Switch driver figures (not pass/fail):
// - linux-bridge: one live read of every port (rtnetlink dumps + ethtool per
//   port) against spawning `ip -j -s -d link show master br0`, which is what
//   a script-driven agent would do; and one admin down+up through the driver
//   against two `ip link set` runs. Needs root: it builds a namespace with a
//   bridge and 32 veth ports, and skips (saying so) otherwise.
// - sim: one transaction moving every port of sim:1024 to a 100-VLAN trunk.

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cimnet/switching/driver.h"
#include "cimnet/switching/linux_bridge.h"
#include "cimnet/switching/sim_switch.h"

using namespace cimnet::switching;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPorts = 32;

int sh(const std::string& command) {
  int raw = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

template <typename Fn>
double ms_per_call(int n, Fn&& fn) {
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) fn(i);
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / n;
}

void report(const char* name, double value, const char* unit, const char* baseline, double base) {
  std::printf("BENCH %s %.3f %s baseline=%s:%.3f ratio=%.3f\n", name, value, unit, baseline, base,
              value / base);
}

void bench_linux_bridge() {
  if (geteuid() != 0) {
    std::printf("SKIP switch.linux_bridge: needs root to build a network namespace\n");
    return;
  }
  const std::string ns = "cimnet-swbench-" + std::to_string(getpid());
  if (sh("ip netns add " + ns) != 0) {
    std::printf("SKIP switch.linux_bridge: cannot create a network namespace\n");
    return;
  }
  int original = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  bool filtering = sh("ip -n " + ns + " link add br0 type bridge vlan_filtering 1") == 0;
  if (!filtering) sh("ip -n " + ns + " link add br0 type bridge");
  std::string batch;
  for (int i = 1; i <= kPorts; ++i) {
    std::string p = "p" + std::to_string(i);
    batch += "link add " + p + " type veth peer name " + p + "x\nlink set " + p +
             " master br0\nlink set " + p + " up\nlink set " + p + "x up\n";
  }
  batch += "link set br0 up\n";
  FILE* pipe = popen(("ip -n " + ns + " -batch - >/dev/null 2>&1").c_str(), "w");
  if (pipe) {
    std::fputs(batch.c_str(), pipe);
    pclose(pipe);
  }
  if (target >= 0 && setns(target, CLONE_NEWNET) == 0) {
    {
      auto sw = open_linux_bridge("br0", {.require_vlan_filtering = filtering});
      std::size_t seen = 0;
      double ours = ms_per_call(200, [&](int) { seen = sw->ports().size(); });
      double ip =
          ms_per_call(20, [&](int) { sh("ip -n " + ns + " -j -s -d link show master br0"); });
      if (seen != kPorts) std::printf("WARN read %zu ports, expected %d\n", seen, kPorts);
      report("switch.linux_bridge.read_32_ports", ours, "ms", "ip_link_show_spawn", ip);

      double admin = ms_per_call(100, [&](int i) { sw->change({SetPortAdmin{"p1", i % 2 != 0}}); });
      double admin_ip = ms_per_call(
          20, [&](int i) { sh("ip -n " + ns + " link set p1 " + (i % 2 ? "up" : "down")); });
      report("switch.linux_bridge.admin_change", admin, "ms", "ip_link_set_spawn", admin_ip);
    }
    if (setns(original, CLONE_NEWNET) != 0) std::abort();
  } else {
    std::printf("SKIP switch.linux_bridge: cannot enter the namespace\n");
  }
  if (target >= 0) close(target);
  if (original >= 0) close(original);
  sh("ip netns del " + ns);
}

void bench_sim() {
  SimSwitch sw(SimSwitch::kMaxPorts);
  std::vector<Change> vlans;
  std::vector<VlanId> trunk;
  for (VlanId v = 2; v <= 101; ++v) {
    vlans.push_back(CreateVlan{v, ""});
    trunk.push_back(v);
  }
  sw.change(vlans);
  std::vector<Change> batch;
  for (const PortStatus& p : sw.ports())
    batch.push_back(SetPortVlans{p.name, PortVlans::trunk(trunk, 1)});
  // Baseline: only reading the settings the transaction starts from.
  double read = ms_per_call(20, [&](int) { (void)sw.settings(); });
  double txn = ms_per_call(5, [&](int i) {
    for (Change& c : batch)
      std::get<SetPortVlans>(c).vlans = i % 2 ? PortVlans::access(1) : PortVlans::trunk(trunk, 1);
    ApplyResult r = sw.apply(sw.prepare(batch));
    if (!r.ok) std::printf("WARN %s\n", r.message.c_str());
  });
  report("switch.sim.1024_ports_trunk_txn", txn, "ms", "settings_read", read);
}

}  // namespace

int main() {
  bench_sim();
  bench_linux_bridge();
  return 0;
}

// End to end through cimnetd: the two-tenant NVGRE example in network
// namespaces with one `cimnetd --datapath linux` per host namespace and ALL
// policy created over WS-Man (netns_policy.py, python3-winrm raw envelopes),
// both agents given the same lookup records as a central manager would push
// them. Blue (VSID 5030) and Red (VSID 5020) both have VMs 10.1.1.1 on host 1
// and 10.1.1.2 on host 2 (Blue also fd00:30::1 / ::2); every VM is a namespace
// (netns/topology.sh). Checks: pings within a tenant arrive, and only in that
// tenant's VM (ICMP counters of the VMs' namespaces); IPv6 customer addresses;
// deleting a lookup record over WS-Man stops that traffic at once; deleting
// and re-creating a VM adapter detaches and re-attaches its port at run time;
// SIGTERM stops an agent cleanly and its restart restores the policy and the
// traffic. CimnetdNetnsOffload.TwoTenants runs both agents with
// --datapath-offload tc and the VMs' offloads on: pings, a TCP transfer
// (iperf3), tenant isolation, fast-path counters (WS-Man statistics and the
// agents' log at SIGTERM), a port attached at run time given the tc program,
// no tc filter left after SIGTERM. Needs root; skipped with a message where
// namespaces cannot be made.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>

#include "../../agent/cimnetd/process.h"

namespace cimnet {
namespace {

namespace fs = std::filesystem;
namespace tp = test_process;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs a shell command; returns its exit status and (optionally) its output.
int sh(const std::string& cmd, std::string* out = nullptr) {
  static const auto t0 = Clock::now();
  std::fprintf(stderr, "[netns %6.1fs] %s\n",
               std::chrono::duration<double>(Clock::now() - t0).count(), cmd.c_str());
  tp::Result r = tp::shell(cmd);
  if (out) *out = std::move(r.output);
  return r.status;
}

template <class Cond>
bool wait_for(Cond cond, std::chrono::seconds limit) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return cond();
}

class CimnetdNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = "cnv" + std::to_string(::getpid());
    bin_ = tp::env_or("CIMNET_BIN_DIR", "bin");
    src_ = tp::env_or("CIMNET_SOURCE_DIR", ".") + "/tests/providers/netvirt";
    dir_ = fs::temp_directory_path() / ("cimnet-netvirt-netns-" + prefix_);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
    std::string why;
    if (::geteuid() != 0 || sh("ip netns add " + prefix_ + "-probe", &why) != 0) {
      skipped_ = true;
      GTEST_SKIP() << "SKIPPED: network namespaces cannot be created here (need root): " << why;
    }
    sh("ip netns del " + prefix_ + "-probe");
    // Namespaces of an earlier run that was killed (its process is gone) are removed.
    sh("for n in $(ip netns list | awk '{print $1}' | grep -E '^cnv[0-9]+-'); do "
       "p=${n#cnv}; p=${p%%-*}; [ -d /proc/$p ] || ip netns del $n; done");
    ASSERT_TRUE(fs::exists(bin_ + "/cimnetd"));
    ASSERT_TRUE(fs::exists(bin_ + "/cimnet-dataplane"));
    std::string out;
    ASSERT_EQ(sh(src_ + "/netns/topology.sh up " + prefix_ + " " + bin_ + "/cimnet-dataplane" +
                     (vm_offloads_ ? " on" : ""),
                 &out),
              0)
        << out;
  }

  void TearDown() override {
    // An iperf3 server that never got its client (one-off, daemonised by the test).
    std::string pid = tp::read_file(dir_ / "iperf3.pid");
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    if (!pid.empty() && tp::read_file("/proc/" + pid + "/comm").rfind("iperf3", 0) == 0)
      ::kill(pid_t(std::stol(pid)), SIGKILL);
    for (int h : {1, 2}) {
      if (pid_[h] > 0) {
        ::kill(pid_[h], SIGKILL);
        tp::wait_exit(pid_[h], 10s);
      }
    }
    if (HasFailure() && !skipped_)
      for (const auto& e : fs::directory_iterator(dir_))
        if (e.path().filename().string().rfind("run", 0) == 0)
          std::cerr << "--- " << e.path().filename().string() << ":\n" << tp::read_file(e.path());
    if (!skipped_) sh(src_ + "/netns/topology.sh down " + prefix_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string ns(const std::string& n) const { return prefix_ + "-" + n; }
  std::string in(const std::string& n, const std::string& cmd) const {
    return "ip netns exec " + ns(n) + " " + cmd;
  }

  // Starts (or restarts) host h's agent in its namespace on its own state directory.
  void start_agent(int h) {
    std::string state = (dir_ / ("state" + std::to_string(h))).string();
    fs::path ports = dir_ / ("ports" + std::to_string(h));
    fs::remove(ports);
    if (!fs::exists(fs::path(state) / "users")) {
      auto r = tp::run(
          {bin_ + "/cimnetd", "user", "add", "admin", "--role", "admin", "--state-dir", state},
          "secret-admin\n");
      ASSERT_EQ(r.status, 0) << r.output;
    }
    // One log file per start: run<host>-<n>.
    run_log_[h] = dir_ / ("run" + std::to_string(h) + "-" + std::to_string(++starts_));
    std::vector<std::string> argv = {
        "/bin/ip",         "netns",       "exec",         ns("h" + std::to_string(h)),
        bin_ + "/cimnetd", "--state-dir", state,          "--http",
        "127.0.0.1:0",     "--port-file", ports.string(), "--datapath",
        "linux",           "--log-level", "info"};
    argv.insert(argv.end(), agent_args_.begin(), agent_args_.end());
    pid_[h] = tp::spawn(argv, run_log_[h]);
    ASSERT_TRUE(tp::wait_for_file(ports, 60s)) << tp::read_file(run_log_[h]);
    std::string text = tp::read_file(ports);
    port_[h] = text.substr(text.rfind(':') + 1);
    while (!port_[h].empty() && (port_[h].back() == '\n' || port_[h].back() == ' '))
      port_[h].pop_back();
  }
  // SIGTERM; the agent must exit 0 on its own.
  void stop_agent(int h) {
    ASSERT_GT(pid_[h], 0);
    ::kill(pid_[h], SIGTERM);
    EXPECT_EQ(tp::wait_exit(pid_[h], 30s), 0) << "cimnetd " << h << " did not stop cleanly\n"
                                              << tp::read_file(run_log_[h]);
    pid_[h] = -1;
  }
  // netns_policy.py against host h's agent, run in h's namespace.
  void policy(int h, const std::string& args) {
    std::string out;
    int status = sh(in("h" + std::to_string(h),
                       "/usr/bin/python3 " + src_ + "/netns_policy.py " + port_[h] + " " + args),
                    &out);
    EXPECT_EQ(status, 0) << "netns_policy.py " << args << ":\n"
                         << out << "\n--- cimnetd log:\n"
                         << tp::read_file(run_log_[h]);
  }
  bool ping(const std::string& vm, const std::string& to, int count = 1, int timeout = 1) {
    // The dataplane tests' ping (ICMP and ICMPv6 over a raw socket; no iputils here).
    static const std::string script =
        tp::env_or("CIMNET_SOURCE_DIR", ".") + "/tests/dataplane/icmp_ping.py";
    return sh(in(vm, "/usr/bin/python3 " + script + " " + to + " " + std::to_string(count) + " " +
                         std::to_string(timeout))) == 0;
  }
  // Pings until one answer comes back (ARP / ND and port attachment settle).
  bool ping_soon(const std::string& vm, const std::string& to) {
    return wait_for([&] { return ping(vm, to); }, 30s);
  }
  // Echo requests the VM's kernel answered so far (its namespace's SNMP counters).
  long echos(const std::string& vm, bool v6 = false) {
    std::string out;
    if (v6) {
      sh(in(vm, "cat /proc/net/snmp6"), &out);
      auto p = out.find("Icmp6InEchos ");
      return p == std::string::npos ? -1 : std::stol(out.substr(p + 13));
    }
    return snmp(vm, "Icmp", "InEchos");
  }
  // One IPv4 SNMP counter of the VM's namespace (/proc/net/snmp: for each group a line of counter
  // names, then a line of their values), or -1.
  long snmp(const std::string& vm, const std::string& group, const std::string& name) {
    std::string out;
    sh(in(vm, "cat /proc/net/snmp"), &out);
    std::istringstream lines(out);
    std::vector<std::string> names;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(group + ":", 0) != 0) continue;
      std::istringstream words(line.substr(group.size() + 1));
      std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
      if (names.empty()) {
        names = w;
        continue;
      }
      for (size_t i = 0; i < names.size() && i < w.size(); ++i)
        if (names[i] == name) return std::stol(w[i]);
    }
    return -1;
  }
  // Host `h` (1 or 2) learns the other host's provider address and MAC as a permanent
  // neighbour on pa0.
  void static_provider_neighbor(int h) {
    int peer = 3 - h;
    ASSERT_EQ(sh(in("h" + std::to_string(h), "ip neigh replace 192.168.1.1" + std::to_string(peer) +
                                                 " lladdr 02:aa:00:00:00:1" + std::to_string(peer) +
                                                 " dev pa0 nud permanent")),
              0);
  }
  std::string ifindex(const std::string& host) {
    std::string out;
    sh(in(host, "cat /sys/class/net/pa0/ifindex"), &out);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  std::string prefix_, bin_, src_;
  fs::path dir_;
  bool skipped_ = false;
  pid_t pid_[3] = {-1, -1, -1};
  std::string port_[3];
  fs::path run_log_[3];
  int starts_ = 0;
  std::vector<std::string> agent_args_;  // added to every cimnetd started
  bool vm_offloads_ = false;             // VMs keep checksum/segmentation offloads on
};

// Both agents with the kernel fast path; the VMs keep their offloads on (GSO
// frames travel whole through the fast path, the slow path segments the rest).
class CimnetdNetnsOffload : public CimnetdNetns {
 protected:
  void SetUp() override {
    vm_offloads_ = true;
    agent_args_ = {"--datapath-offload", "tc"};
    CimnetdNetns::SetUp();
  }
};

TEST_F(CimnetdNetns, TwoTenantsOverWsman) {
  // Host 1 knows its provider neighbour before its agent starts (read by the
  // dump); host 2 learns it while running (neighbour event).
  ASSERT_NO_FATAL_FAILURE(static_provider_neighbor(1));
  ASSERT_NO_FATAL_FAILURE(start_agent(1));
  ASSERT_NO_FATAL_FAILURE(start_agent(2));
  policy(1, "configure 1 " + ifindex("h1"));
  policy(2, "configure 2 " + ifindex("h2"));
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(static_provider_neighbor(2));

  // Within each tenant; the echo lands in that tenant's VM only.
  ASSERT_TRUE(ping_soon("b1", "10.1.1.2")) << "Blue 10.1.1.1 -> 10.1.1.2";
  ASSERT_TRUE(ping_soon("r1", "10.1.1.2")) << "Red 10.1.1.1 -> 10.1.1.2";
  long blue2 = echos("b2"), red2 = echos("r2");
  EXPECT_TRUE(ping("b1", "10.1.1.2", 3));
  EXPECT_GE(echos("b2"), blue2 + 1);  // at least one arrived (loss under load is not the point)
  EXPECT_EQ(echos("r2"), red2) << "Blue's pings reached Red's VM";
  blue2 = echos("b2");
  EXPECT_TRUE(ping("r1", "10.1.1.2", 3));
  EXPECT_GE(echos("r2"), red2 + 1);
  EXPECT_EQ(echos("b2"), blue2) << "Red's pings reached Blue's VM";
  long blue1 = echos("b1"), red1 = echos("r1");
  EXPECT_TRUE(ping("r2", "10.1.1.1", 2));
  EXPECT_GE(echos("r1"), red1 + 1);
  EXPECT_EQ(echos("b1"), blue1);

  // IPv6 customer addresses, both ways.
  EXPECT_TRUE(ping_soon("b1", "fd00:30::2"));
  long v6 = echos("b1", true);
  EXPECT_TRUE(ping("b2", "fd00:30::1", 2));
  EXPECT_GE(echos("b1", true), v6 + 1);

  // Deleting a lookup record over WS-Man stops that traffic at once (no wait).
  policy(1, "delete-record 5030 10.1.1.2");
  blue2 = echos("b2");
  EXPECT_FALSE(ping("b1", "10.1.1.2", 2)) << "Blue traffic after its record was deleted";
  EXPECT_EQ(echos("b2"), blue2);
  EXPECT_TRUE(ping("r1", "10.1.1.2")) << "Red lost traffic when a Blue record was deleted";
  policy(1, "create-record 5030 10.1.1.2 00155d003002 192.168.1.12");
  EXPECT_TRUE(ping("b1", "10.1.1.2")) << "Blue traffic after its record came back";

  // A VM adapter deleted over WS-Man is detached; created again, re-attached.
  policy(1, "delete-adapter vr1");
  EXPECT_TRUE(wait_for([&] { return !ping("r1", "10.1.1.2"); }, 20s))
      << "Red VM still forwarded after its adapter was deleted";
  EXPECT_TRUE(ping("b1", "10.1.1.2")) << "Blue lost traffic when Red's adapter was deleted";
  policy(1, "create-adapter vr1 00155d002001 5020");
  EXPECT_TRUE(ping_soon("r1", "10.1.1.2")) << "Red VM after its adapter was created again";

  // An adapter whose interface does not exist yet is reported, then attached
  // once the interface appears, without disturbing the others.
  policy(1, "create-adapter vx1 00155d0030ee 5030");
  EXPECT_TRUE(wait_for(
      [&] {
        return tp::read_file(run_log_[1]).find("VM adapter interface vx1") != std::string::npos;
      },
      20s))
      << tp::read_file(run_log_[1]);
  ASSERT_EQ(sh(in("h1", "ip link add vx1 type veth peer name vx1p")), 0);
  ASSERT_EQ(sh(in("h1", "ip link set vx1 up")), 0);
  EXPECT_TRUE(wait_for(
      [&] { return tp::read_file(run_log_[1]).find("attached on vx1") != std::string::npos; }, 20s))
      << tp::read_file(run_log_[1]);
  EXPECT_TRUE(ping("b1", "10.1.1.2")) << "Blue after another adapter was attached";
  policy(1, "delete-adapter vx1");

  // Host 2's agent stops cleanly and its restart restores the policy and traffic.
  ASSERT_NO_FATAL_FAILURE(stop_agent(2));
  EXPECT_FALSE(ping("b1", "10.1.1.2")) << "traffic with host 2's agent stopped";
  ASSERT_NO_FATAL_FAILURE(start_agent(2));
  policy(2, "check 2");
  EXPECT_TRUE(ping_soon("b1", "10.1.1.2")) << "Blue after host 2's restart";
  EXPECT_TRUE(ping_soon("r1", "10.1.1.2")) << "Red after host 2's restart";
  EXPECT_TRUE(ping_soon("b1", "fd00:30::2")) << "Blue IPv6 after host 2's restart";
  red2 = echos("r2");
  EXPECT_TRUE(ping("b1", "10.1.1.2", 2));
  EXPECT_EQ(echos("r2"), red2) << "Blue's pings reached Red's VM after the restart";

  ASSERT_NO_FATAL_FAILURE(stop_agent(1));
  ASSERT_NO_FATAL_FAILURE(stop_agent(2));
}

// A count from the agent's "tc fast path counters:" log line (written at
// SIGTERM): `key` ("errors", "from_vm", ...) in the part of the line about
// `port` (an interface; empty: the totals before the first port); -1 when absent.
long fast_path_count(const std::string& log, const std::string& key, const std::string& port = "") {
  auto line = log.find("tc fast path counters:");
  if (line == std::string::npos) return -1;
  std::string text = log.substr(line, log.find('\n', line) - line);
  size_t from = port.empty() ? 0 : text.find("; port " + port + " ");
  if (from == std::string::npos) return -1;
  std::string part = text.substr(from, text.find(';', from + 1) - from);
  auto p = part.find(" " + key + " ");
  return p == std::string::npos ? -1 : std::stol(part.substr(p + key.size() + 2));
}

TEST_F(CimnetdNetnsOffload, TwoTenants) {
  // Both hosts know their provider neighbour (static, like the other case).
  ASSERT_NO_FATAL_FAILURE(static_provider_neighbor(1));
  ASSERT_NO_FATAL_FAILURE(static_provider_neighbor(2));
  ASSERT_NO_FATAL_FAILURE(start_agent(1));
  ASSERT_NO_FATAL_FAILURE(start_agent(2));
  policy(1, "configure 1 " + ifindex("h1"));
  policy(2, "configure 2 " + ifindex("h2"));
  ASSERT_FALSE(HasFailure());
  // The fast path follows the ports: the provider interface, then every VM port.
  for (int h : {1, 2})
    EXPECT_TRUE(wait_for(
        [&] {
          std::string log = tp::read_file(run_log_[h]);
          return log.find("tc fast path on VM port") != std::string::npos &&
                 log.find("(vb" + std::to_string(h) + ")") != std::string::npos &&
                 log.find("(vr" + std::to_string(h) + ")") != std::string::npos;
        },
        20s))
        << tp::read_file(run_log_[h]);
  std::string filters;
  sh(in("h1", "tc filter show dev vb1 ingress"), &filters);
  EXPECT_NE(filters.find("bpf"), std::string::npos) << filters;

  // Within each tenant; the echo lands in that tenant's VM only.
  ASSERT_TRUE(ping_soon("b1", "10.1.1.2")) << "Blue 10.1.1.1 -> 10.1.1.2";
  ASSERT_TRUE(ping_soon("r1", "10.1.1.2")) << "Red 10.1.1.1 -> 10.1.1.2";
  long blue2 = echos("b2"), red2 = echos("r2");
  EXPECT_TRUE(ping("b1", "10.1.1.2", 3));
  EXPECT_GE(echos("b2"), blue2 + 1);
  EXPECT_EQ(echos("r2"), red2) << "Blue's pings reached Red's VM";
  blue2 = echos("b2");
  EXPECT_TRUE(ping("r1", "10.1.1.2", 3));
  EXPECT_GE(echos("r2"), red2 + 1);
  EXPECT_EQ(echos("b2"), blue2) << "Red's pings reached Blue's VM";
  EXPECT_TRUE(ping_soon("b1", "fd00:30::2")) << "Blue IPv6";

  // TCP between the Blue VMs: 8 MB from b1 to b2 (iperf3, one-off server in b2).
  fs::path pid_file = dir_ / "iperf3.pid";
  ASSERT_EQ(sh(in("b2", "iperf3 -s -1 -D -B 10.1.1.2 -p 5201 -I " + pid_file.string())), 0);
  std::string out;
  EXPECT_TRUE(wait_for(
      [&] { return sh(in("b1", "iperf3 -c 10.1.1.2 -p 5201 -n 8M -f m"), &out) == 0; }, 30s))
      << out;
  std::cerr << out;
  EXPECT_NE(out.find("receiver"), std::string::npos) << out;
  // Red's VM saw none of it: its TCP stack never got a segment for 10.1.1.2:5201.
  EXPECT_EQ(snmp("r2", "Tcp", "InSegs"), 0) << "Blue's TCP reached Red's VM";

  // The statistics over WS-Man include what the fast path forwarded.
  std::string stats;
  sh(in("h1", "/usr/bin/python3 " + src_ + "/netns_policy.py " + port_[1] + " stats"), &stats);
  // The number at `column` (1: TX, 2: RX) of the line starting with `what`.
  auto stat = [&](const std::string& what, int column) -> long {
    auto p = stats.find(what + " ");
    if (p == std::string::npos) return -1;
    std::istringstream words(stats.substr(p + what.size()));
    long v = -1;
    for (int i = 0; i < column; ++i)
      if (!(words >> v)) return -1;
    return v;
  };
  EXPECT_GT(stat("adapter vb1", 1), 1000) << stats;  // PacketsTransmitted
  EXPECT_GT(stat("subnet 5030", 1), 1000) << stats;  // PacketsTransmitted (encapsulated)

  // A VM port attached at run time gets the tc program; detached, loses it.
  ASSERT_EQ(sh(in("h1", "ip link add vx1 type veth peer name vx1p")), 0);
  ASSERT_EQ(sh(in("h1", "ip link set vx1 up")), 0);
  policy(1, "create-adapter vx1 00155d0030ee 5030");
  EXPECT_TRUE(
      wait_for([&] { return tp::read_file(run_log_[1]).find("(vx1)") != std::string::npos; }, 20s))
      << tp::read_file(run_log_[1]);
  sh(in("h1", "tc filter show dev vx1 ingress"), &filters);
  EXPECT_NE(filters.find("bpf"), std::string::npos) << filters;
  policy(1, "delete-adapter vx1");
  EXPECT_TRUE(wait_for(
      [&] {
        std::string f;
        sh(in("h1", "tc filter show dev vx1 ingress"), &f);
        return f.find("bpf") == std::string::npos;
      },
      20s));
  EXPECT_TRUE(ping("b1", "10.1.1.2")) << "Blue after another adapter came and went";

  // SIGTERM: counters logged, every filter and qdisc the agents added removed.
  ASSERT_NO_FATAL_FAILURE(stop_agent(1));
  ASSERT_NO_FATAL_FAILURE(stop_agent(2));
  std::string log1 = tp::read_file(run_log_[1]), log2 = tp::read_file(run_log_[2]);
  EXPECT_GT(fast_path_count(log1, "from_vm", "vb1"), 1000) << log1;
  EXPECT_GT(fast_path_count(log2, "to_vm", "vb2"), 1000) << log2;
  EXPECT_EQ(fast_path_count(log1, "errors"), 0) << log1;
  EXPECT_EQ(fast_path_count(log2, "errors"), 0) << log2;
  for (const auto& [host, dev] : std::vector<std::pair<std::string, std::string>>{{"h1", "pa0"},
                                                                                  {"h1", "vb1"},
                                                                                  {"h1", "vr1"},
                                                                                  {"h2", "pa0"},
                                                                                  {"h2", "vb2"},
                                                                                  {"h2", "vr2"}}) {
    std::string f, q;
    EXPECT_EQ(sh(in(host, "tc filter show dev " + dev + " ingress"), &f), 0);
    EXPECT_EQ(f, "") << host << " " << dev << " keeps a tc filter after SIGTERM";
    sh(in(host, "tc qdisc show dev " + dev), &q);
    EXPECT_EQ(q.find("clsact"), std::string::npos) << host << " " << dev << ": " << q;
  }
}

// Refused before anything starts (no root needed): exit 2 and why.
TEST(CimnetdOffloadOption, NeedsLinuxDatapath) {
  std::string bin = tp::env_or("CIMNET_BIN_DIR", "bin");
  fs::path state = fs::temp_directory_path() / ("cimnet-offload-opt-" + std::to_string(::getpid()));
  auto r = tp::run({bin + "/cimnetd", "--datapath-offload", "tc", "--state-dir", state.string()});
  std::error_code ec;
  fs::remove_all(state, ec);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--datapath-offload tc needs --datapath linux"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace cimnet

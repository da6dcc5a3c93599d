// End-to-end: the classic HNV two-tenant example in network namespaces, with the datapath
// (cimnet-dataplane) on two hosts joined by a veth provider link, once with VM ports on veth
// peers read with AF_PACKET (VM offloads off) and once with TAP VM ports (offloads on: GSO
// frames segmented and coalesced by the datapath). Provider neighbours are learned with ARP.
//
// Blue (VSID 30) and Red (VSID 20) both have VMs 10.1.1.1 on host 1 and 10.1.1.2 on host 2.
// Blue's routing domain also has VSID 31 (10.1.2.3 on host 2); Green (VSID 40, 10.1.3.3) is in
// a routing domain of its own. Needs root; skipped with a message where namespaces cannot be made.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../agent/cimnetd/process.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Runs a shell command; returns its exit status and (optionally) its standard output.
int sh(const std::string& cmd, std::string* out = nullptr) {
  static const auto t0 = Clock::now();
  std::fprintf(stderr, "[netns %6.1fs] %s\n",
               std::chrono::duration<double>(Clock::now() - t0).count(), cmd.c_str());
  cimnet::test_process::Result r = cimnet::test_process::shell(cmd);
  if (out) *out = std::move(r.output);
  return r.status;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `cond` until it holds or `seconds` pass.
template <class Cond>
bool wait_for(Cond cond, int seconds) {
  auto end = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

class TwoTenantNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = "cdp" + std::to_string(getpid());
    bin_ = env("CIMNET_BIN_DIR") + "/cimnet-dataplane";
    src_ = env("CIMNET_SOURCE_DIR") + "/tests/dataplane";
    dir_ = fs::temp_directory_path() / ("cimnet-netns-" + prefix_);
    fs::create_directories(dir_);
    std::string why;
    if (geteuid() != 0 || sh("ip netns add " + prefix_ + "-probe", &why) != 0) {
      skipped_ = true;
      GTEST_SKIP() << "SKIPPED: network namespaces cannot be created here (need root): " << why;
    }
    sh("ip netns del " + prefix_ + "-probe");
    // Namespaces left by an earlier run that was killed (its process is gone) are removed.
    sh("for n in $(ip netns list | awk '{print $1}' | grep -E '^cdp[0-9]+-'); do "
       "p=${n#cdp}; p=${p%%-*}; [ -d /proc/$p ] || ip netns del $n; done");
    ASSERT_TRUE(fs::exists(bin_)) << bin_;
    for (const char* h : {"1", "2"}) {
      // No static provider neighbours: the datapaths resolve each other's PA with ARP.
      std::string conf = read_file(src_ + "/netns/common.conf") +
                         read_file(src_ + "/netns/host" + std::string(h) + ".conf");
      std::istringstream lines(conf);
      std::ofstream out(dir_ / ("host" + std::string(h) + ".conf"));
      for (std::string line; std::getline(lines, line);)
        if (line.rfind("neighbor ", 0) != 0) out << line << "\n";
    }
  }

  // Builds the topology with VM ports of `mode` (veth, veth-offload or tap; TAPs are made by the
  // datapath).
  void build_topology(const std::string& mode) {
    std::string out;
    ASSERT_EQ(sh(src_ + "/netns/topology.sh up " + prefix_ + " " + bin_ + " " + mode, &out), 0)
        << out;
  }
  // Starts both datapaths (`threads` each) and, with TAPs, gives the VMs their addresses.
  void start_hosts(const std::string& mode, int threads) {
    std::string out;
    for (std::string h : {"1", "2"}) {
      std::string n = "host" + h;
      std::string cmd = bin_;
      cmd += " run --config " + (dir_ / (n + ".conf")).string();
      cmd += " --ready-file " + (dir_ / (n + ".ready")).string();
      cmd += " --stats-file " + (dir_ / (n + ".stats")).string();
      cmd += " --threads " + std::to_string(threads) + " --resolve-neighbors";
      if (mode == "veth-offload") cmd += " --offload tc";
      if (mode == "tap") {
        std::string args;
        ASSERT_EQ(sh(src_ + "/netns/topology.sh tap-args " + prefix_ + " h" + h, &args), 0) << args;
        cmd += " " + args.substr(0, args.find('\n'));
      }
      start(n, in("h" + h, cmd));
      ASSERT_TRUE(wait_for([&] { return fs::exists(dir_ / (n + ".ready")); }, 30))
          << read_file(dir_ / (n + ".log"));
    }
    if (mode == "tap") {
      ASSERT_EQ(sh(src_ + "/netns/topology.sh vm-addresses " + prefix_, &out), 0) << out;
    }
  }

  // Pings that must work, retried until the datapaths have resolved each other.
  bool ping_soon(const std::string& from, const std::string& to) {
    return wait_for([&] { return ping(from, to, 1); }, 20);
  }

  void TearDown() override {
    for (auto& [name, pid] : pids_) kill(pid, SIGKILL);
    if (!skipped_) sh(src_ + "/netns/topology.sh down " + prefix_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string ns(const std::string& n) const { return prefix_ + "-" + n; }
  std::string in(const std::string& n, const std::string& cmd) const {
    return "ip netns exec " + ns(n) + " " + cmd;
  }

  // Starts `cmd` in the background (stdout+stderr to NAME.log) and remembers its pid.
  void start(const std::string& name, const std::string& cmd) {
    fs::path log = dir_ / (name + ".log"), pidf = dir_ / (name + ".pid");
    ASSERT_EQ(sh(cmd + " > " + log.string() + " 2>&1 & echo $! > " + pidf.string()), 0);
    pids_[name] = std::stoi(read_file(pidf));
  }
  // Sends SIGTERM and waits (bounded) for the process to exit.
  void stop(const std::string& name) {
    auto it = pids_.find(name);
    if (it == pids_.end()) return;
    kill(it->second, SIGTERM);
    wait_for([&] { return kill(it->second, 0) != 0; }, 20);
    pids_.erase(it);
  }
  // Starts tshark on the given (name, namespace, interface) triples and waits until all capture.
  void capture(const std::vector<std::array<std::string, 3>>& what) {
    for (auto& [name, netns, ifname] : what)
      start(name, in(netns, "tshark -s 128 -i " + ifname + " -w " + (dir_ / (name + ".pcap")).string()));
    for (auto& w : what) {
      fs::path log = dir_ / (w[0] + ".log");
      ASSERT_TRUE(wait_for([&] { return read_file(log).find("Capturing on") != std::string::npos; },
                           60))
          << read_file(log);
    }
  }
  // One line per frame of a capture: the first occurrence (outermost header) of each field.
  struct Frame {
    std::map<std::string, std::string> f;
    const std::string& operator[](const std::string& k) const {
      static const std::string none;
      auto it = f.find(k);
      return it == f.end() ? none : it->second;
    }
  };
  std::vector<Frame> frames(const std::string& name, const std::vector<std::string>& fields) {
    std::string cmd = "tshark -r " + (dir_ / (name + ".pcap")).string() +
                      " -T fields -E occurrence=f -E separator=/t";
    for (auto& f : fields) cmd += " -e " + f;
    std::string out;
    sh(cmd + " 2>/dev/null", &out);
    std::vector<Frame> result;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      Frame fr;
      size_t pos = 0;
      for (auto& f : fields) {
        size_t tab = line.find('\t', pos);
        fr.f[f] = line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos);
        pos = tab == std::string::npos ? line.size() : tab + 1;
      }
      result.push_back(fr);
    }
    return result;
  }
  bool ping(const std::string& from, const std::string& to, int count = 3) {
    std::string out;
    return sh(in(from, "/usr/bin/python3 " + src_ + "/icmp_ping.py " + to + " " +
                           std::to_string(count) + " 1"),
              &out) == 0;
  }
  // iperf3 TCP for 1 second from `client` to `server_ip` served in `server`.
  bool iperf(const std::string& server, const std::string& client, const std::string& server_ip,
             std::string* report) {
    start("iperf-" + server, in(server, "iperf3 -s -1"));
    bool ok = false;
    wait_for([&] {
      // A functional check (throughput is in bench/): short and capped so captures stay small.
      ok = sh(in(client, "timeout 30 iperf3 -c " + server_ip + " -t 1 -b 100M"), report) == 0;
      return ok || report->find("Connection refused") == std::string::npos;
    }, 20);
    stop("iperf-" + server);
    return ok;
  }

  // The capture NAME of the provider link holds GRE 0x2000/0x6558 with the keys of Blue (30, 31)
  // and Red (20) only, plus ARP between the two PAs (at least `min_frames` frames).
  void expect_only_tenant_gre(const std::string& name, size_t min_frames) {
    auto wire = frames(name, {"eth.type", "gre.flags_and_version", "gre.proto", "gre.key",
                              "arp.src.proto_ipv4", "arp.dst.proto_ipv4"});
    EXPECT_GT(wire.size(), min_frames);
    std::map<unsigned, size_t> per_vsid;
    size_t not_gre = 0, bad_header = 0, pa_arp = 0;
    auto is_pa = [](const std::string& a) { return a == "192.168.1.11" || a == "192.168.1.12"; };
    for (const Frame& fr : wire) {
      if (fr["eth.type"] == "0x0806" && is_pa(fr["arp.src.proto_ipv4"]) &&
          is_pa(fr["arp.dst.proto_ipv4"])) {
        ++pa_arp;  // the datapaths resolving each other's provider address; never customer ARP
        continue;
      }
      if (fr["eth.type"] != "0x0800" || fr["gre.key"].empty()) {
        ++not_gre;  // includes ARP (0x0806) and outer VLAN tags (0x8100)
        continue;
      }
      if (fr["gre.flags_and_version"] != "0x2000" || fr["gre.proto"] != "0x6558") ++bad_header;
      ++per_vsid[unsigned(std::stoul(fr["gre.key"], nullptr, 16) >> 8)];
    }
    EXPECT_EQ(not_gre, 0u);
    EXPECT_EQ(bad_header, 0u);
    EXPECT_GT(pa_arp, 0u);        // nothing was configured: host 1 learned host 2's MAC by ARP
    EXPECT_GT(per_vsid[30], 0u);  // Blue
    EXPECT_GT(per_vsid[20], 0u);  // Red
    EXPECT_GT(per_vsid[31], 0u);  // Blue's second subnet, reached through the router
    per_vsid.erase(30), per_vsid.erase(20), per_vsid.erase(31);
    EXPECT_TRUE(per_vsid.empty()) << "unexpected VSID on the wire: " << per_vsid.begin()->first;
  }

  // Per-VSID fast path counters from a stats file ("offload vsid V encapsulated N ...").
  static uint64_t offload_count(const std::string& stats, unsigned vsid, const std::string& field) {
    std::istringstream lines(stats);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream w(line);
      std::string a, b, key;
      unsigned v = 0;
      w >> a >> b >> v;
      if (a != "offload" || b != "vsid" || v != vsid) continue;
      uint64_t n;
      while (w >> key >> n)
        if (key == field) return n;
    }
    return 0;
  }

  std::string prefix_, bin_, src_;
  fs::path dir_;
  bool skipped_ = false;
  std::map<std::string, int> pids_;
};

TEST_F(TwoTenantNetns, TenantsTalkOnlyWithinTheirRoutingDomain) {
  ASSERT_NO_FATAL_FAILURE(build_topology("veth"));
  capture({{"provider", "h1", "pa0"}, {"red2", "r2", "eth0"}, {"blue2", "b2", "eth0"}});
  ASSERT_NO_FATAL_FAILURE(start_hosts("veth", 1));
  ASSERT_TRUE(ping_soon("b1", "10.1.1.2")) << read_file(dir_ / "host1.log");
  EXPECT_TRUE(ping("b1", "10.1.1.2")) << "Blue 10.1.1.1 -> 10.1.1.2";
  EXPECT_TRUE(ping("r1", "10.1.1.2")) << "Red 10.1.1.1 -> 10.1.1.2";
  EXPECT_TRUE(ping("b2", "10.1.1.1")) << "Blue 10.1.1.2 -> 10.1.1.1";
  EXPECT_TRUE(ping("b1", "10.1.2.3")) << "Blue -> VSID 31 through the distributed router";
  EXPECT_FALSE(ping("b1", "10.1.3.3", 2)) << "Blue reached Green's routing domain";
  EXPECT_FALSE(ping("r1", "10.1.2.3", 2)) << "Red reached Blue's VSID 31";
  std::string report;
  EXPECT_TRUE(iperf("b2", "b1", "10.1.1.2", &report)) << report;
  EXPECT_TRUE(iperf("r2", "r1", "10.1.1.2", &report)) << report;

  stop("host1");
  stop("host2");
  stop("provider");
  stop("red2");
  stop("blue2");

  // The provider link carried GRE only, with the keys of the VSIDs that talked, never Green's.
  ASSERT_NO_FATAL_FAILURE(expect_only_tenant_gre("provider", 100));

  // Inside the VMs: Red saw nothing of Blue and Blue nothing of Red.
  auto is_blue = [](const std::string& m) { return m.rfind("00:15:5d:00:3", 0) == 0; };
  auto is_red = [](const std::string& m) { return m.rfind("00:15:5d:00:2", 0) == 0; };
  auto red2 = frames("red2", {"eth.src", "eth.dst", "ip.proto"});
  auto blue2 = frames("blue2", {"eth.src", "eth.dst", "ip.proto"});
  EXPECT_GT(red2.size(), 0u);
  EXPECT_GT(blue2.size(), 0u);
  for (const Frame& fr : red2) EXPECT_FALSE(is_blue(fr["eth.src"]) || is_blue(fr["eth.dst"]));
  for (const Frame& fr : blue2) EXPECT_FALSE(is_red(fr["eth.src"]) || is_red(fr["eth.dst"]));

  // The datapath counted the refused routes and saw no spoofing.
  std::string s1 = read_file(dir_ / "host1.stats");
  EXPECT_NE(s1.find("drop no_route "), std::string::npos) << s1;
  EXPECT_EQ(s1.find("drop no_route 0\n"), std::string::npos) << s1;
  EXPECT_NE(s1.find("drop spoofed 0\n"), std::string::npos) << s1;
  EXPECT_NE(read_file(dir_ / "host2.stats").find("drop spoofed 0\n"), std::string::npos);
}

// The kernel fast path (--offload tc): veth VM ports with the VMs' offloads on. Unicast between
// records of a VSID runs in tc BPF (GSO frames encapsulated whole); ARP, the distributed router
// and everything else still go through the userspace datapath, which reads only what tc passed.
TEST_F(TwoTenantNetns, TcOffloadCarriesTenantsAndLeavesTheRestToUserspace) {
  if (sh(bin_ + " run --config /dev/null --offload tc 2>&1 | grep -q 'no tc offload'") == 0)
    GTEST_SKIP() << "SKIPPED: cimnet-dataplane was built without the tc offload";
  ASSERT_NO_FATAL_FAILURE(build_topology("veth-offload"));
  capture({{"provider", "h1", "pa0"}, {"red2", "r2", "eth0"}, {"blue2", "b2", "eth0"}});
  ASSERT_NO_FATAL_FAILURE(start_hosts("veth-offload", 1));
  std::string tc;
  sh(in("h1", "tc filter show dev pa0 ingress"), &tc);
  EXPECT_NE(tc.find("nvgre_provider"), std::string::npos) << tc;
  ASSERT_TRUE(ping_soon("b1", "10.1.1.2")) << read_file(dir_ / "host1.log");
  EXPECT_TRUE(ping_soon("r1", "10.1.1.2")) << "Red 10.1.1.1 -> 10.1.1.2";
  EXPECT_TRUE(ping("b2", "10.1.1.1")) << "Blue 10.1.1.2 -> 10.1.1.1";
  EXPECT_TRUE(ping("b1", "10.1.2.3")) << "Blue -> VSID 31 through the distributed router";
  EXPECT_FALSE(ping("b1", "10.1.3.3", 2)) << "Blue reached Green's routing domain";
  EXPECT_FALSE(ping("r1", "10.1.2.3", 2)) << "Red reached Blue's VSID 31";
  // ARP was answered from policy by the userspace datapath (the VMs have no static entries).
  std::string neigh;
  sh(in("b1", "ip neigh show 10.1.1.2"), &neigh);
  EXPECT_NE(neigh.find("00:15:5d:00:30:02"), std::string::npos) << neigh;
  // TCP with GSO frames within each tenant (fast path), and routed to VSID 31 (slow path: the
  // VM's GSO frames come with a vnet header and are segmented in userspace).
  std::string report;
  for (const auto& run : {std::array<std::string, 3>{"b2", "b1", "10.1.1.2"},
                          std::array<std::string, 3>{"r2", "r1", "10.1.1.2"},
                          std::array<std::string, 3>{"b3", "b1", "10.1.2.3"}}) {
    const std::string &server = run[0], &client = run[1], &address = run[2];
    start("iperf-" + server, in(server, "iperf3 -s -1"));
    bool ok = false;
    wait_for(
        [&] {
          ok = sh(in(client, "timeout 30 iperf3 -c " + address + " -t 1"), &report) == 0;
          return ok || report.find("Connection refused") == std::string::npos;
        },
        20);
    stop("iperf-" + server);
    EXPECT_TRUE(ok) << client << " -> " << address << ": " << report;
  }

  stop("host1");
  stop("host2");
  stop("provider");
  stop("red2");
  stop("blue2");
  // Nothing left behind on the interfaces.
  sh(in("h1", "tc qdisc show dev pa0") + "; " + in("h1", "tc qdisc show dev vb1"), &tc);
  EXPECT_EQ(tc.find("clsact"), std::string::npos) << tc;

  ASSERT_NO_FATAL_FAILURE(expect_only_tenant_gre("provider", 100));
  auto is_blue = [](const std::string& m) { return m.rfind("00:15:5d:00:3", 0) == 0; };
  auto is_red = [](const std::string& m) { return m.rfind("00:15:5d:00:2", 0) == 0; };
  auto red2 = frames("red2", {"eth.src", "eth.dst"});
  auto blue2 = frames("blue2", {"eth.src", "eth.dst"});
  EXPECT_GT(red2.size(), 0u);
  EXPECT_GT(blue2.size(), 0u);
  for (const Frame& fr : red2) EXPECT_FALSE(is_blue(fr["eth.src"]) || is_blue(fr["eth.dst"]));
  for (const Frame& fr : blue2) EXPECT_FALSE(is_red(fr["eth.src"]) || is_red(fr["eth.dst"]));

  std::string s1 = read_file(dir_ / "host1.stats"), s2 = read_file(dir_ / "host2.stats");
  // The fast path carried the tenants' traffic both ways and never failed.
  EXPECT_GT(offload_count(s1, 30, "encapsulated"), 0u) << s1;
  EXPECT_GT(offload_count(s1, 30, "decapsulated"), 0u) << s1;
  EXPECT_GT(offload_count(s1, 20, "encapsulated"), 0u) << s1;
  EXPECT_GT(offload_count(s2, 30, "decapsulated"), 0u) << s2;
  EXPECT_GT(offload_count(s2, 20, "decapsulated"), 0u) << s2;
  EXPECT_NE(s1.find("offload enabled 1 "), std::string::npos) << s1;
  EXPECT_NE(s1.find(" errors 0 map_full 0\n"), std::string::npos) << s1;
  // Routed TCP reached the slow path as GSO frames from the VM and was segmented there.
  EXPECT_EQ(s1.find("slowpath vb1 gso_frames 0 "), std::string::npos) << s1;
  EXPECT_NE(s1.find("slowpath vb1 gso_frames "), std::string::npos) << s1;
  // The routed traffic went through the userspace datapath: VSID 31 decapsulated on host 2,
  // none of it by the fast path (routed frames are the slow path's).
  EXPECT_EQ(offload_count(s2, 31, "decapsulated"), 0u) << s2;
  EXPECT_EQ(s2.find("\nvsid 31 encapsulated 0 decapsulated 0 "), std::string::npos) << s2;
  EXPECT_NE(s1.find("drop spoofed 0\n"), std::string::npos) << s1;
  EXPECT_NE(s2.find("drop spoofed 0\n"), std::string::npos) << s2;
}

// TAP VM ports with offloads on: the VMs send 64 KiB GSO frames that the datapath segments, and
// receive coalesced GSO frames; two datapath threads per host (PACKET_FANOUT, multi-queue TAP).
TEST_F(TwoTenantNetns, TapPortsCarryTcpWithOffloadsOn) {
  ASSERT_NO_FATAL_FAILURE(build_topology("tap"));
  ASSERT_NO_FATAL_FAILURE(start_hosts("tap", 2));
  ASSERT_TRUE(ping_soon("b1", "10.1.1.2")) << read_file(dir_ / "host1.log");
  EXPECT_TRUE(ping_soon("r1", "10.1.1.2")) << "Red 10.1.1.1 -> 10.1.1.2";
  EXPECT_TRUE(ping("b1", "10.1.2.3")) << "Blue -> VSID 31 through the distributed router";
  EXPECT_FALSE(ping("b1", "10.1.3.3", 2)) << "Blue reached Green's routing domain";
  EXPECT_FALSE(ping("r1", "10.1.2.3", 2)) << "Red reached Blue's VSID 31";
  std::string report;
  // Uncapped, both directions: data one way, ACKs the other, GSO on both sides.
  start("iperf-b2", in("b2", "iperf3 -s -1"));
  bool ok = false;
  wait_for([&] {
    ok = sh(in("b1", "timeout 30 iperf3 -c 10.1.1.2 -t 2"), &report) == 0;
    return ok || report.find("Connection refused") == std::string::npos;
  }, 20);
  stop("iperf-b2");
  EXPECT_TRUE(ok) << report;
  EXPECT_TRUE(iperf("r2", "r1", "10.1.1.2", &report)) << report;

  stop("host1");
  stop("host2");
  std::string s1 = read_file(dir_ / "host1.stats"), s2 = read_file(dir_ / "host2.stats");
  // tap <port> frames_in N gso_frames_in N segments_in N refused_in N frames_out N
  //   gso_frames_out N packets_out N failed_out N
  auto tap = [](const std::string& stats, int port, const std::string& field) -> uint64_t {
    std::istringstream lines(stats);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream w(line);
      std::string kind, key;
      int id = -1;
      w >> kind >> id;
      if (kind != "tap" || id != port) continue;
      uint64_t v;
      while (w >> key >> v)
        if (key == field) return v;
    }
    return ~uint64_t(0);
  };
  // Host 1's Blue VM sent GSO frames that were cut into more segments than frames.
  EXPECT_GT(tap(s1, 1, "gso_frames_in"), 0u) << s1;
  EXPECT_NE(tap(s1, 1, "gso_frames_in"), ~uint64_t(0)) << s1;
  EXPECT_GT(tap(s1, 1, "segments_in"), tap(s1, 1, "frames_in")) << s1;
  EXPECT_EQ(tap(s1, 1, "refused_in"), 0u) << s1;
  // Host 2 joined segments for its Blue VM into GSO frames, and the kernel took them all.
  EXPECT_GT(tap(s2, 1, "gso_frames_out"), 0u) << s2;
  EXPECT_GT(tap(s2, 1, "packets_out"), tap(s2, 1, "frames_out")) << s2;
  EXPECT_EQ(tap(s2, 1, "failed_out"), 0u) << s2;
  EXPECT_NE(s1.find("drop spoofed 0\n"), std::string::npos) << s1;
  EXPECT_NE(s2.find("drop spoofed 0\n"), std::string::npos) << s2;
}

}  // namespace

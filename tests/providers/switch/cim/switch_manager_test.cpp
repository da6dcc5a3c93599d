// The whole NetworkSwitchManager call sequence against the real cimnetd
// (switch_manager_client.py, python3-winrm raw envelopes): once on the
// simulated switch (label integration), once on a VLAN-filtering Linux bridge
// with veth ports inside a network namespace this test creates (label netns;
// skipped with the reason when namespaces cannot be created). In between the
// two phases cimnetd is stopped with SIGTERM and started again on the same
// state directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>

#include "../../../agent/cimnetd/process.h"

namespace cimnet {
namespace {

namespace fs = std::filesystem;
namespace tp = test_process;
using namespace std::chrono_literals;

class SwitchManager : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("switchcim-it-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
    bin_ = tp::env_or("CIMNET_BIN_DIR", "bin") + "/cimnetd";
  }

  void TearDown() override {
    stop();
    if (!netns_.empty()) tp::run({"/usr/sbin/ip", "netns", "del", netns_});
    fs::remove_all(dir_);
  }

  // argv prefixed to run inside the namespace (when there is one).
  std::vector<std::string> in_ns(std::vector<std::string> argv) const {
    if (netns_.empty()) return argv;
    std::vector<std::string> out = {"/usr/sbin/ip", "netns", "exec", netns_};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  void start(const std::string& switch_spec) {
    std::string state = (dir_ / "state").string();
    fs::remove(dir_ / "ports");
    if (!fs::exists(dir_ / "state" / "users")) {
      if (cheap_password_) {
        ASSERT_NO_FATAL_FAILURE(write_cheap_admin(state));
      } else {
        auto admin =
            tp::run({bin_, "user", "add", "admin", "--role", "admin", "--state-dir", state},
                    "secret-admin\n");
        ASSERT_EQ(admin.status, 0) << admin.output;
      }
    }
    ++starts_;
    pid_ = tp::spawn(
        in_ns({bin_, "--state-dir", state, "--http", "127.0.0.1:0", "--port-file",
               (dir_ / "ports").string(), "--switch", switch_spec, "--log-level", "info"}),
        dir_ / ("log" + std::to_string(starts_)));
    ASSERT_TRUE(tp::wait_for_file(dir_ / "ports", 60s))
        << tp::read_file(dir_ / ("log" + std::to_string(starts_)));
    std::string text = tp::read_file(dir_ / "ports");
    port_ = text.substr(text.rfind(':') + 1);
    while (!port_.empty() && (port_.back() == '\n' || port_.back() == ' ')) port_.pop_back();
  }

  // The user database with admin/secret-admin hashed with the least PBKDF2
  // work cimnetd accepts (1000 iterations; the count is stored per user). The
  // default 600000 costs about 20 s per hash when the test runs in an emulated
  // guest (tests/vm/run-in-vm), once at `user add` and once per cimnetd start.
  // `cimnetd user add` itself is covered by the SimulatedSwitch test.
  void write_cheap_admin(const std::string& state) {
    fs::create_directories(state);
    auto r = tp::run({"/usr/bin/python3", "-c",
                      "import hashlib, os, sys\n"
                      "salt = os.urandom(16)\n"
                      "h = hashlib.pbkdf2_hmac('sha256', b'secret-admin', salt, 1000)\n"
                      "path = sys.argv[1] + '/users'\n"
                      "fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)\n"
                      "os.write(fd, ('cimnet-users 1\\nadmin admin pbkdf2-sha256 1000 %s %s\\n'"
                      " % (salt.hex(), h.hex())).encode())\n",
                      state});
    ASSERT_EQ(r.status, 0) << r.output;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    EXPECT_EQ(tp::wait_exit(pid_, 30s), 0) << "cimnetd did not stop cleanly on SIGTERM";
    pid_ = -1;
  }

  void phase(const std::string& name, const std::string& driver, const std::string& bridge = "") {
    std::string script = tp::env_or("CIMNET_SOURCE_DIR", ".") +
                         "/tests/providers/switch/cim/switch_manager_client.py";
    std::vector<std::string> argv = {"/usr/bin/python3", script, name, port_, driver};
    if (!bridge.empty()) argv.push_back(bridge);
    auto r = tp::run(in_ns(argv));
    std::cout << r.output;
    EXPECT_EQ(r.status, 0) << r.output << "\n--- cimnetd log:\n"
                           << tp::read_file(dir_ / ("log" + std::to_string(starts_)));
    EXPECT_NE(r.output.find("\nok"), std::string::npos);
  }

  fs::path dir_;
  std::string bin_;
  std::string netns_;
  std::string port_;
  pid_t pid_ = -1;
  int starts_ = 0;
  bool cheap_password_ = false;
};

TEST_F(SwitchManager, SimulatedSwitch) {
  ASSERT_NO_FATAL_FAILURE(start("sim:8"));
  phase("configure", "sim");
  stop();
  ASSERT_NO_FATAL_FAILURE(start("sim:8"));
  phase("after_restart", "sim");
  stop();
  // `cimnetd config export` reads the same store: VLAN 20 "green" from AddVLAN.
  auto exported = tp::run({bin_, "config", "export", "--state-dir", (dir_ / "state").string()});
  EXPECT_EQ(exported.status, 0) << exported.output;
  EXPECT_NE(exported.output.find("\"green\""), std::string::npos) << exported.output;
  EXPECT_NE(exported.output.find("\"Ethernet8\""), std::string::npos) << exported.output;
  // The running configuration has no address left (the last step removed
  // them); the saved one keeps Ethernet3's as ietf-ip entries.
  EXPECT_EQ(exported.output.find("10.3.0.1"), std::string::npos) << exported.output;
  std::string startup = tp::read_file(dir_ / "state" / "startup.json");
  EXPECT_NE(startup.find("ietf-ip:ipv6"), std::string::npos) << startup;
  EXPECT_NE(startup.find("2001:db8:3::1"), std::string::npos) << startup;
  EXPECT_NE(startup.find("10.3.0.1"), std::string::npos) << startup;
}

TEST_F(SwitchManager, BadSwitchIsRefusedAtStart) {
  std::string state = (dir_ / "state").string();
  auto missing = tp::run(
      {bin_, "--state-dir", state, "--http", "127.0.0.1:0", "--switch", "linux-bridge:nosuchbr0"});
  EXPECT_EQ(missing.status, 1) << missing.output;
  EXPECT_NE(missing.output.find("nosuchbr0"), std::string::npos) << missing.output;
  auto bad = tp::run({bin_, "--state-dir", state, "--http", "127.0.0.1:0", "--switch", "sim:0"});
  EXPECT_EQ(bad.status, 2) << bad.output;
}

TEST_F(SwitchManager, LinuxBridgeInANamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
  std::string ns = "cimsw" + std::to_string(::getpid());
  auto add = tp::run({"/usr/sbin/ip", "netns", "add", ns});
  if (add.status != 0) GTEST_SKIP() << "cannot create a network namespace: " << add.output;
  netns_ = ns;
  cheap_password_ = true;
  auto ip = [&](const std::string& args) {
    std::vector<std::string> argv = {"/usr/sbin/ip", "-n", ns};
    std::string word;
    std::istringstream in(args);
    while (in >> word) argv.push_back(word);
    auto r = tp::run(argv);
    EXPECT_EQ(r.status, 0) << args << ": " << r.output;
    return r.status == 0;
  };
  auto br = tp::run(
      {"/usr/sbin/ip", "-n", ns, "link", "add", "br0", "type", "bridge", "vlan_filtering", "1"});
  if (br.status != 0)
    GTEST_SKIP() << "this kernel cannot make a VLAN-filtering bridge: " << br.output;
  ASSERT_TRUE(ip("link set lo up"));
  for (const char* p : {"p1", "p2", "p3"}) {
    ASSERT_TRUE(ip(std::string("link add ") + p + " type veth peer name " + p + "x"));
    ASSERT_TRUE(ip(std::string("link set ") + p + " master br0"));
    ASSERT_TRUE(ip(std::string("link set ") + p + " up"));
    ASSERT_TRUE(ip(std::string("link set ") + p + "x up"));
  }
  ASSERT_TRUE(ip("link set br0 up"));

  ASSERT_NO_FATAL_FAILURE(start("linux-bridge:br0"));
  phase("configure", "linux-bridge", "br0");
  stop();
  // While the agent is down, someone brings p3 up by hand: the replay at the
  // next start puts back the stored configuration (p3 disabled).
  ASSERT_TRUE(ip("link set p3 up"));
  ASSERT_NO_FATAL_FAILURE(start("linux-bridge:br0"));
  phase("after_restart", "linux-bridge", "br0");
}

}  // namespace
}  // namespace cimnet

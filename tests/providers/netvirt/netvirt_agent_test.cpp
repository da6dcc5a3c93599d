// The network-virtualization classes over WS-Man against the real cimnetd
// (netvirt_client.py, python3-winrm raw envelopes): create / get / enumerate /
// put / delete, each validation fault, then SIGTERM and a restart on the same
// state directory, after which the same policy must be served.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "../../agent/cimnetd/process.h"

namespace cimnet {
namespace {

namespace fs = std::filesystem;
namespace tp = test_process;
using namespace std::chrono_literals;

class NetvirtAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("netvirt-it-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
    bin_ = tp::env_or("CIMNET_BIN_DIR", "bin") + "/cimnetd";
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir_);
  }
  void start() {
    std::string state = (dir_ / "state").string();
    fs::remove(dir_ / "ports");
    if (!fs::exists(dir_ / "state" / "users")) {
      auto admin = tp::run({bin_, "user", "add", "admin", "--role", "admin", "--state-dir", state},
                           "secret-admin\n");
      ASSERT_EQ(admin.status, 0) << admin.output;
    }
    ++starts_;
    pid_ = tp::spawn({bin_, "--state-dir", state, "--http", "127.0.0.1:0", "--port-file",
                      (dir_ / "ports").string(), "--datapath", "memory", "--log-level", "info"},
                     dir_ / ("log" + std::to_string(starts_)));
    ASSERT_TRUE(tp::wait_for_file(dir_ / "ports", 60s))
        << tp::read_file(dir_ / ("log" + std::to_string(starts_)));
    std::string text = tp::read_file(dir_ / "ports");
    port_ = text.substr(text.rfind(':') + 1);
    while (!port_.empty() && (port_.back() == '\n' || port_.back() == ' ')) port_.pop_back();
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    EXPECT_EQ(tp::wait_exit(pid_, 30s), 0) << "cimnetd did not stop cleanly on SIGTERM";
    pid_ = -1;
  }
  void phase(const std::string& name) {
    std::string script =
        tp::env_or("CIMNET_SOURCE_DIR", ".") + "/tests/providers/netvirt/netvirt_client.py";
    auto r = tp::run({"/usr/bin/python3", script, name, port_});
    std::cout << r.output;
    EXPECT_EQ(r.status, 0) << r.output << "\n--- cimnetd log:\n"
                           << tp::read_file(dir_ / ("log" + std::to_string(starts_)));
    EXPECT_NE(r.output.find("\nok"), std::string::npos);
  }

  fs::path dir_;
  std::string bin_;
  std::string port_;
  pid_t pid_ = -1;
  int starts_ = 0;
};

TEST_F(NetvirtAgent, PolicyOverWsmanSurvivesRestart) {
  ASSERT_NO_FATAL_FAILURE(start());
  phase("configure");
  stop();
  ASSERT_NO_FATAL_FAILURE(start());
  phase("after_restart");
}

}  // namespace
}  // namespace cimnet

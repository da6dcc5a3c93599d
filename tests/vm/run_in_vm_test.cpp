// tests/vm/run-in-vm itself: the command runs under Debian's kernel, not the
// host's, with the host's files read-only, the caller's directory and
// environment, writable --rw directories, and its exit status comes back;
// --timeout and --host-if behave as documented. Skips (with run-in-vm's
// reason) where no guest can be booted.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../agent/cimnetd/process.h"

namespace {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr
  double seconds = 0;
};

Result run(const std::string& command) {
  auto start = std::chrono::steady_clock::now();
  cimnet::test_process::Result done = cimnet::test_process::shell(command);
  Result r{done.status, std::move(done.output)};
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string runner() {
  return CIMNET_RUN_IN_VM;
}

class RunInVm : public ::testing::Test {
 protected:
  void SetUp() override {
    Result check = run(runner() + " --check");
    if (check.status == 1) GTEST_SKIP() << "no guest can be booted here: " << check.output;
    ASSERT_EQ(check.status, 0) << check.output;
    dir_ = fs::temp_directory_path() / ("cimnet-vm-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(RunInVm, RunsTheCommandUnderDebiansKernelOnTheHostsFiles) {
  utsname host{};
  ASSERT_EQ(uname(&host), 0);
  // One boot checks everything; each line is "name=value" for the test below.
  const std::string script =
      "echo kernel=$(uname -r); echo cwd=$(pwd); echo mark=$CIMNET_VM_TEST_MARK; "
      "touch /usr/cimnet-vm-test 2>/dev/null && echo host_root=writable || echo host_root=ro; "
      "echo x >/tmp/x && echo tmp=writable; "
      "echo from-guest >" +
      dir_.string() +
      "/out; "
      "unshare -n ip link add br0 type bridge vlan_filtering 1 && echo vlan_filtering=yes; "
      "exit 7";
  Result r = run("cd " + dir_.parent_path().string() + " && CIMNET_VM_TEST_MARK=m42 " + runner() +
                 " --timeout 120 --rw " + dir_.string() + " -- bash -c '" + script + "'");
  EXPECT_EQ(r.status, 7) << r.output;
  EXPECT_NE(r.output.find("kernel=6.1."), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(std::string("kernel=") + host.release + "\n"), std::string::npos)
      << "the command ran under the host's kernel: " << r.output;
  EXPECT_NE(r.output.find("cwd=" + dir_.parent_path().string() + "\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("mark=m42\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("host_root=ro\n"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists("/usr/cimnet-vm-test"));
  EXPECT_NE(r.output.find("tmp=writable\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("vlan_filtering=yes\n"), std::string::npos) << r.output;
  std::ifstream out(dir_ / "out");
  std::stringstream text;
  text << out.rdbuf();
  EXPECT_EQ(text.str(), "from-guest\n") << "--rw directory not written through";
  std::cout << r.output;
}

TEST_F(RunInVm, TimeoutStopsTheGuest) {
  Result r = run(runner() + " --timeout 2 -- sleep 600");
  EXPECT_EQ(r.status, 124) << r.output;
  EXPECT_LT(r.seconds, 30) << r.output;
  EXPECT_NE(r.output.find("timed out after 2s"), std::string::npos) << r.output;
}

TEST_F(RunInVm, HostIfRunsOnTheHostWhenTheProbePasses) {
  Result r = run(runner() + " --host-if true -- bash -c 'echo kernel=$(uname -r); exit 3'");
  utsname host{};
  ASSERT_EQ(uname(&host), 0);
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find(std::string("kernel=") + host.release), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("running on the host"), std::string::npos) << r.output;
}

}  // namespace

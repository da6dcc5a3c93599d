// VM adapters come and go while the datapath runs (what cimnetd does when a VM network adapter
// is created or deleted over WS-Man): TAP ports are created in the host's namespace, moved into
// the VM's, attached to running RunnerThreads (two threads, AF_PACKET fanout provider port) and
// detached again. Uses the library directly, in namespaces the test creates; needs root.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "../agent/cimnetd/process.h"
#include "cimnet/dataplane/io/af_packet_io.h"
#include "cimnet/dataplane/io/tap_io.h"
#include "cimnet/dataplane/runner.h"
#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

int sh(const std::string& cmd, std::string* out = nullptr) {
  test_process::Result r = test_process::shell(cmd);
  if (out) *out = std::move(r.output);
  return r.status;
}

// Runs the calling thread in another network namespace for the guard's lifetime.
class InNetns {
 public:
  explicit InNetns(const std::string& path) {
    self_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = self_ >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) ::close(target);
  }
  ~InNetns() {
    if (ok_ && setns(self_, CLONE_NEWNET) != 0) std::abort();  // cannot continue elsewhere
    if (self_ >= 0) ::close(self_);
  }
  bool ok() const { return ok_; }

 private:
  int self_ = -1;
  bool ok_ = false;
};

class AttachNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    p_ = "cda" + std::to_string(getpid());
    std::string why;
    if (geteuid() != 0 || sh("ip netns add " + p_ + "-h", &why) != 0) {
      skipped_ = true;
      GTEST_SKIP() << "SKIPPED: network namespaces cannot be created here (need root): " << why;
    }
    for (const char* n : {"peer", "vm1", "vm3"}) ASSERT_EQ(sh("ip netns add " + p_ + "-" + n), 0);
    std::string out;
    ASSERT_EQ(sh("ip link add pa0 netns " + p_ + "-h type veth peer name pa0 netns " + p_ +
                 "-peer && ip -n " + p_ + "-h link set pa0 up",
                 &out),
              0)
        << out;
  }
  void TearDown() override {
    threads_.reset();
    if (skipped_) return;
    for (const char* n : {"h", "peer", "vm1", "vm3"}) sh("ip netns del " + p_ + "-" + std::string(n));
  }

  std::string netns(const std::string& n) const { return "/run/netns/" + p_ + "-" + n; }

  // Creates the TAP of VM port `id` in the host namespace, moves it into `vm` as eth0 and
  // returns one queue per thread.
  std::vector<std::unique_ptr<PacketIo>> tap(const std::string& name, const MacAddress& mac,
                                             const std::string& vm) {
    InNetns host(netns("h"));
    EXPECT_TRUE(host.ok());
    TapOptions o;
    o.name = name;
    o.mac = mac.bytes;
    o.mtu = 1458;
    o.queues = 2;
    o.netns = netns(vm);
    o.name_in_netns = "eth0";
    std::vector<std::unique_ptr<PacketIo>> out;
    for (auto& q : TapIo::create(o)) out.push_back(std::move(q));
    return out;
  }
  bool vm_up(const std::string& vm, const std::string& address) {
    std::string ns = p_ + "-" + vm;
    return sh("ip -n " + ns + " addr add " + address + "/24 dev eth0 && ip -n " + ns +
              " link set eth0 up") == 0;
  }
  bool ping(const std::string& vm, const std::string& to, int count) {
    std::string src = std::string(std::getenv("CIMNET_SOURCE_DIR") ? std::getenv("CIMNET_SOURCE_DIR") : ".") +
                      "/tests/dataplane/icmp_ping.py";
    return sh("ip netns exec " + p_ + "-" + vm + " /usr/bin/python3 " + src + " " + to + " " +
              std::to_string(count) + " 1") == 0;
  }

  std::string p_;
  bool skipped_ = false;
  Datapath dp_;
  std::unique_ptr<RunnerThreads> threads_;
};

TEST_F(AttachNetns, TapPortsAttachAndDetachWhileRunning) {
  dp_.apply(two_tenant_host1());  // Blue 10.1.1.1 on port 1 and 10.1.1.4 on port 3: local
  {
    InNetns host(netns("h"));
    ASSERT_TRUE(host.ok());
    std::vector<std::unique_ptr<PacketIo>> providers;
    for (int t = 0; t < 2; ++t) providers.push_back(AfPacketIo::open("pa0", 4242));
    threads_ = std::make_unique<RunnerThreads>(dp_, std::move(providers));
  }
  threads_->start();
  threads_->attach_port(1, tap("tvm1", kBlue1, "vm1"));
  ASSERT_TRUE(vm_up("vm1", "10.1.1.1"));
  EXPECT_FALSE(ping("vm1", "10.1.1.4", 1));  // port 3 not there yet

  threads_->attach_port(3, tap("tvm3", kBlue4, "vm3"));
  ASSERT_TRUE(vm_up("vm3", "10.1.1.4"));
  EXPECT_TRUE(ping("vm1", "10.1.1.4", 3)) << "local delivery between two attached TAPs";
  uint64_t to_vm3 = dp_.port_counters(3).to_vm.packets;
  EXPECT_GT(to_vm3, 0u);

  // Detach: the TAP disappears from the VM and nothing reaches port 3 any more.
  EXPECT_TRUE(threads_->detach_port(3));
  EXPECT_NE(sh("ip -n " + p_ + "-vm3 link show eth0"), 0);
  EXPECT_FALSE(ping("vm1", "10.1.1.4", 1));

  // A new adapter for the same port works again.
  threads_->attach_port(3, tap("tvm3", kBlue4, "vm3"));
  ASSERT_TRUE(vm_up("vm3", "10.1.1.4"));
  EXPECT_TRUE(ping("vm1", "10.1.1.4", 3));
  threads_->stop();
  EXPECT_EQ(dp_.drops(DropReason::UnknownPort), 0u);
}

TEST_F(AttachNetns, BadTapRequestsLeaveNothingBehind) {
  InNetns host(netns("h"));
  ASSERT_TRUE(host.ok());
  TapOptions o;
  o.name = "tbad";
  o.netns = "/run/netns/" + p_ + "-does-not-exist";
  EXPECT_THROW(TapIo::create(o), IoError);
  EXPECT_NE(sh("ip link show tbad"), 0);  // the device went away with its queues
  o.name = "";
  EXPECT_THROW(TapIo::create(o), IoError);
  o.name = "pa0";  // not a TAP
  o.netns.clear();
  EXPECT_THROW(TapIo::create(o), IoError);
}

}  // namespace
}  // namespace cimnet::dataplane::test

// Crash injection: a child process commits the crash workload and is killed
// with SIGKILL at random points; after each kill the store must reopen with
// exactly the configuration of some commit >= the last acknowledged one (and
// at most one beyond it, a commit durable but not yet acknowledged).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "crash_model.h"

namespace cimnet::config {
namespace {

using testing::CrashModel;
using testing::TempDir;

constexpr uint64_t kCommits = 1000;

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child spawn(const std::filesystem::path& state, const char* snapshot_bytes) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    std::string last = std::to_string(kCommits);
    ::execl(CRASH_CHILD_PATH, CRASH_CHILD_PATH, state.c_str(), last.c_str(), snapshot_bytes,
            nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads acknowledgements until `want` more arrived, the child ended, or the
// deadline passed; returns the last acknowledged commit.
uint64_t read_acks(const Child& c, uint64_t last, int want, std::string& pending,
                   std::chrono::steady_clock::time_point deadline) {
  int seen = 0;
  while (seen < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{c.out, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(c.out, buf, sizeof buf);
    if (n <= 0) break;  // the child is gone
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      last = std::stoull(pending.substr(0, nl));
      pending.erase(0, nl + 1);
      ++seen;
    }
  }
  return last;
}

void run_crash_test(const char* snapshot_bytes) {
  TempDir dir("crash");
  std::filesystem::path state = dir.path() / "state";
  unsigned seed = std::random_device{}();
  SCOPED_TRACE(std::string("seed ").append(std::to_string(seed)));
  std::mt19937 rng(seed);
  uint64_t acked = 0;
  int kills = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  while (acked < kCommits) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the crash test did not finish";
    Child c = spawn(state, snapshot_bytes);
    std::string pending;
    int wait_acks = std::uniform_int_distribution<int>(0, 40)(rng);
    uint64_t last = read_acks(c, acked, wait_acks, pending, deadline);
    // Kill somewhere inside the next commit (or between two).
    ::usleep(std::uniform_int_distribution<unsigned>(0, 3000)(rng));
    ::kill(c.pid, SIGKILL);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    last =
        read_acks(c, last, 1 << 30, pending, deadline);  // drain what was written before the kill
    ::close(c.out);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "the child failed";
    }
    ++kills;

    StoreOptions options;
    options.state_dir = state;
    auto store = Store::open(options);
    uint64_t g = store->generation();
    ASSERT_GE(g, last) << "an acknowledged commit was lost after kill " << kills;
    ASSERT_LE(g, last + 1) << "the store reports commits that never ran";
    std::string diff = CrashModel(g).compare(*store);
    ASSERT_EQ(diff, "") << "state after kill " << kills << " is not that of commit " << g;
    acked = g;
  }
  std::printf("crash test: %d kills over %llu commits\n", kills,
              static_cast<unsigned long long>(kCommits));
}

TEST(ConfigCrash, KilledWriterAlwaysRestoresACommittedState) {
  run_crash_test("8192");
}

}  // namespace
}  // namespace cimnet::config

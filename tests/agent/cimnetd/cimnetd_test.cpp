// Starts the real cimnetd on port 0 and drives it with python3-winrm,
// requests and curl (tests/agent/cimnetd/wsman_client.py).
#include <gtest/gtest.h>

#include "process.h"

namespace cimnet {
namespace {

namespace fs = std::filesystem;
namespace tp = test_process;
using namespace std::chrono_literals;

class Cimnetd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("cimnetd-it-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    bin_ = new std::string(tp::env_or("CIMNET_BIN_DIR", "bin") + "/cimnetd");
    std::string state = (*dir_ / "state").string();
    auto admin = tp::run({*bin_, "user", "add", "admin", "--role", "admin", "--state-dir", state},
                         "secret-admin\n");
    ASSERT_EQ(admin.status, 0) << admin.output;
    auto viewer = tp::run({*bin_, "user", "add", "viewer", "--role", "reader", "--state-dir", state},
                          "secret-viewer\n");
    ASSERT_EQ(viewer.status, 0) << viewer.output;
    pid_ = tp::spawn({*bin_, "--state-dir", state, "--http", "127.0.0.1:0", "--https",
                      "127.0.0.1:0", "--port-file", (*dir_ / "ports").string(), "--idle-timeout",
                      "1", "--max-body", "65536", "--log-level", "info"},
                     *dir_ / "log");
    ASSERT_TRUE(tp::wait_for_file(*dir_ / "ports", 30s)) << tp::read_file(*dir_ / "log");
    std::istringstream ports(tp::read_file(*dir_ / "ports"));
    std::string scheme, where;
    while (ports >> scheme >> where) {
      auto port = where.substr(where.rfind(':') + 1);
      (scheme == "http" ? http_port_ : https_port_) = new std::string(port);
    }
    ASSERT_TRUE(http_port_ && https_port_) << tp::read_file(*dir_ / "ports");
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = tp::wait_exit(pid_, 20s);
      EXPECT_EQ(status, 0) << "cimnetd did not stop cleanly on SIGTERM";
      EXPECT_NE(tp::read_file(*dir_ / "log").find("stopped"), std::string::npos);
    }
    fs::remove_all(*dir_);
  }

  static tp::Result client(const std::string& scenario) {
    std::string script = tp::env_or("CIMNET_SOURCE_DIR", ".") + "/tests/agent/cimnetd/wsman_client.py";
    return tp::run({"/usr/bin/python3", script, scenario, *http_port_, *https_port_});
  }

  static inline fs::path* dir_ = nullptr;
  static inline std::string* bin_ = nullptr;
  static inline std::string* http_port_ = nullptr;
  static inline std::string* https_port_ = nullptr;
  static inline pid_t pid_ = -1;
};

#define SCENARIO(name)                                   \
  TEST_F(Cimnetd, name) {                                \
    auto r = client(#name);                              \
    EXPECT_EQ(r.status, 0) << r.output;                  \
    EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output; \
  }

SCENARIO(identify)
SCENARIO(get)
SCENARIO(enumerate)
SCENARIO(filters)
SCENARIO(faults)
SCENARIO(http_edges)
SCENARIO(slow_client)
SCENARIO(get_class)
SCENARIO(switch)

TEST_F(Cimnetd, RequestLogLineNamesUserClientActionResultAndTime) {
  ASSERT_EQ(client("get").status, 0);
  std::string log = tp::read_file(*dir_ / "log");
  EXPECT_NE(log.find("user=admin client=127.0.0.1 action=Get resource=http://schemas.dmtf.org/"
                     "wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity result=ok ms="),
            std::string::npos)
      << log;
}

TEST_F(Cimnetd, UserCommands) {
  std::string state = (*dir_ / "state").string();
  auto list = tp::run({*bin_, "user", "list", "--state-dir", state});
  EXPECT_EQ(list.status, 0);
  EXPECT_EQ(list.output, "admin admin\nviewer reader\n");
  EXPECT_EQ(tp::run({*bin_, "user", "add", "admin", "--role", "admin", "--state-dir", state}, "x\n")
                .status,
            1);
  auto bad_role = tp::run({*bin_, "user", "add", "x", "--role", "root", "--state-dir", state}, "x\n");
  EXPECT_EQ(bad_role.status, 2);
  EXPECT_NE(bad_role.output.find("--role"), std::string::npos) << bad_role.output;
  EXPECT_EQ(tp::run({*bin_, "user", "del", "ghost", "--state-dir", state}).status, 1);
  EXPECT_EQ(tp::run({*bin_, "--http", "nonsense"}).status, 2);
  auto perms = fs::status(*dir_ / "state" / "users").permissions();
  EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

TEST(CimnetdStart, EmbeddedDefaultCreatesAnAdminWithARandomPassword) {
  fs::path dir = fs::temp_directory_path() / ("cimnetd-first-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::string bin = tp::env_or("CIMNET_BIN_DIR", "bin") + "/cimnetd";
  pid_t pid = tp::spawn({bin, "--state-dir", (dir / "s").string(), "--http", "127.0.0.1:0",
                         "--port-file", (dir / "s" / "ports").string()},
                        fs::temp_directory_path() / ("cimnetd-first-" + std::to_string(::getpid()) + ".log"));
  ASSERT_TRUE(tp::wait_for_file(dir / "s" / "ports", 30s));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(tp::wait_exit(pid, 20s), 0);
  std::string secret = tp::read_file(dir / "s" / "admin.password");
  EXPECT_EQ(secret.rfind("admin ", 0), 0u);
  EXPECT_GE(secret.size(), 6u + 18u);
  EXPECT_EQ(fs::status(dir / "s" / "admin.password").permissions() &
                (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  fs::remove_all(dir);
  fs::remove(fs::temp_directory_path() / ("cimnetd-first-" + std::to_string(::getpid()) + ".log"));
}

}  // namespace
}  // namespace cimnet

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "agent/auth/authenticator.h"
#include "agent/auth/login_limiter.h"
#include "agent/auth/users.h"

namespace cimnet::auth {
namespace {

using namespace std::chrono_literals;
constexpr uint32_t kFast = 1000;  // iterations for tests: the algorithm, not the cost, is under test

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cimnet-auth-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path file() const { return dir_ / "users"; }
  std::filesystem::path dir_;
};

std::string basic(const std::string& user_colon_pass) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < user_colon_pass.size(); i += 3) {
    uint32_t v = (uint8_t(user_colon_pass[i]) << 16) | (uint8_t(user_colon_pass[i + 1]) << 8) |
                 uint8_t(user_colon_pass[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (user_colon_pass.size() - i == 1) {
    uint32_t v = uint8_t(user_colon_pass[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (user_colon_pass.size() - i == 2) {
    uint32_t v = (uint8_t(user_colon_pass[i]) << 16) | (uint8_t(user_colon_pass[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return "Basic " + out;
}

TEST(Pbkdf2, MatchesRfc7914TestVector) {
  // RFC 7914 section 11: PBKDF2-HMAC-SHA256 P="passwd", S="salt", c=1, dkLen=64 (first 32 bytes).
  std::string dk = pbkdf2_sha256("passwd", "salt", 1);
  const unsigned char expected[] = {0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f,
                                    0xec, 0x16, 0x91, 0xc2, 0x25, 0x44, 0xb6, 0x05,
                                    0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde, 0x04, 0x65,
                                    0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc};
  ASSERT_EQ(dk.size(), 32u);
  EXPECT_EQ(std::memcmp(dk.data(), expected, 32), 0);
}

TEST_F(TempDir, AddSaveLoadVerify) {
  UserDatabase db;
  db.add("admin", "s3cret", Role::kAdmin, kFast);
  db.add("viewer", "look", Role::kReader, kFast);
  db.save(file());
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::ifstream in(file());
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << "password stored in clear";

  auto loaded = UserDatabase::load(file());
  ASSERT_EQ(loaded.users().size(), 2u);
  EXPECT_EQ(loaded.verify("admin", "s3cret"), Role::kAdmin);
  EXPECT_EQ(loaded.verify("viewer", "look"), Role::kReader);
  EXPECT_EQ(loaded.verify("admin", "S3cret"), std::nullopt);
  EXPECT_EQ(loaded.verify("nobody", "s3cret"), std::nullopt);
  // Salts differ even for equal passwords.
  UserDatabase two;
  two.add("a", "same", Role::kAdmin, kFast);
  two.add("b", "same", Role::kAdmin, kFast);
  EXPECT_NE(two.find("a")->hash, two.find("b")->hash);
}

TEST_F(TempDir, BadInputIsRefusedAndChangesNothing) {
  UserDatabase db;
  db.add("admin", "pw", Role::kAdmin, kFast);
  EXPECT_THROW(db.add("admin", "other", Role::kReader, kFast), UserError);
  EXPECT_THROW(db.add("bad:name", "pw", Role::kReader, kFast), UserError);
  EXPECT_THROW(db.add("", "pw", Role::kReader, kFast), UserError);
  EXPECT_THROW(db.add("-x", "pw", Role::kReader, kFast), UserError);
  EXPECT_THROW(db.add("ok", "", Role::kReader, kFast), UserError);
  EXPECT_THROW(db.remove("ghost"), UserError);
  EXPECT_THROW(db.set_password("ghost", "x", kFast), UserError);
  EXPECT_EQ(db.users().size(), 1u);
  EXPECT_EQ(db.verify("admin", "pw"), Role::kAdmin);
  db.set_password("admin", "new", kFast);
  EXPECT_EQ(db.verify("admin", "pw"), std::nullopt);
  EXPECT_EQ(db.verify("admin", "new"), Role::kAdmin);
  db.remove("admin");
  EXPECT_TRUE(db.users().empty());
}

TEST_F(TempDir, CorruptFileNamesTheLine) {
  std::ofstream(file()) << "cimnet-users 1\nadmin admin pbkdf2-sha256 1000 zz 00\n";
  try {
    UserDatabase::load(file());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();
  }
  std::ofstream(file()) << "something else\n";
  EXPECT_THROW(UserDatabase::load(file()), UserError);
  EXPECT_TRUE(UserDatabase::load(dir_ / "absent").users().empty());
}

TEST(BasicHeader, Parses) {
  auto p = parse_basic(basic("user:pa:ss"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, "user");
  EXPECT_EQ(p->second, "pa:ss");
  auto q = parse_basic("basic " + basic("a:b").substr(6));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->second, "b");
  EXPECT_FALSE(parse_basic("Bearer abc"));
  EXPECT_FALSE(parse_basic("Basic !!!!"));
  EXPECT_FALSE(parse_basic("Basic " + basic("nocolon").substr(6)));
  EXPECT_FALSE(parse_basic("Basic"));
}

TEST(Limiter, LocksOutAfterRepeatedFailuresThenRecovers) {
  LoginLimiter::Options o;
  o.max_failures = 3;
  o.window = 10s;
  o.lockout = 5s;
  LoginLimiter limiter(o);
  auto t0 = LoginLimiter::Clock::now();
  limiter.record_failure("10.0.0.1", t0);
  limiter.record_failure("10.0.0.1", t0 + 1s);
  EXPECT_EQ(limiter.blocked_for("10.0.0.1", t0 + 1s).count(), 0);
  limiter.record_failure("10.0.0.1", t0 + 2s);
  EXPECT_GT(limiter.blocked_for("10.0.0.1", t0 + 3s).count(), 0);
  EXPECT_EQ(limiter.blocked_for("10.0.0.2", t0 + 3s).count(), 0) << "other clients unaffected";
  EXPECT_EQ(limiter.blocked_for("10.0.0.1", t0 + 8s).count(), 0);
  // Failures spread wider than the window do not add up.
  limiter.record_failure("10.0.0.3", t0);
  limiter.record_failure("10.0.0.3", t0 + 11s);
  limiter.record_failure("10.0.0.3", t0 + 12s);
  EXPECT_EQ(limiter.blocked_for("10.0.0.3", t0 + 12s).count(), 0);
}

TEST_F(TempDir, AuthenticatorChecksRolesRateLimitsAndSeesFileChanges) {
  UserDatabase db;
  db.add("admin", "pw", Role::kAdmin, kFast);
  db.save(file());
  LoginLimiter::Options o;
  o.max_failures = 2;
  o.lockout = 60s;
  Authenticator auth(file(), o);
  auto ok = auth.authenticate(basic("admin:pw"), "127.0.0.1");
  EXPECT_EQ(ok.status, Authenticator::Status::kOk);
  EXPECT_EQ(ok.identity.user, "admin");
  EXPECT_EQ(ok.identity.role, Role::kAdmin);
  // Cached path gives the same answer, and a wrong password still fails.
  EXPECT_EQ(auth.authenticate(basic("admin:pw"), "127.0.0.1").status,
            Authenticator::Status::kOk);
  EXPECT_EQ(auth.authenticate("", "127.0.0.1").status, Authenticator::Status::kMissing);
  EXPECT_EQ(auth.authenticate(basic("admin:bad"), "10.1.1.1").status,
            Authenticator::Status::kBadCredentials);
  EXPECT_EQ(auth.authenticate("Basic ###", "10.1.1.1").status,
            Authenticator::Status::kBadCredentials);
  auto limited = auth.authenticate(basic("admin:pw"), "10.1.1.1");
  EXPECT_EQ(limited.status, Authenticator::Status::kRateLimited);
  EXPECT_GT(limited.retry_after.count(), 0);
  EXPECT_EQ(auth.authenticate(basic("admin:pw"), "127.0.0.1").status,
            Authenticator::Status::kOk);

  // A user added on disk is seen without restarting; a removed one loses access.
  db.add("reader", "r", Role::kReader, kFast);
  db.remove("admin");
  std::this_thread::sleep_for(10ms);  // distinct mtime on coarse file systems
  db.save(file());
  auto r = auth.authenticate(basic("reader:r"), "127.0.0.1");
  EXPECT_EQ(r.status, Authenticator::Status::kOk);
  EXPECT_EQ(r.identity.role, Role::kReader);
  EXPECT_EQ(auth.authenticate(basic("admin:pw"), "127.0.0.2").status,
            Authenticator::Status::kBadCredentials);
}

// `cimnetd user passwd` rewrites the file by rename: the agent must drop the
// cached credential even when the new file has the same size and its mtime
// was set back (the stamp includes the inode).
TEST_F(TempDir, AuthenticatorSeesPasswordChangeWithSameSizeAndMtime) {
  UserDatabase db;
  db.add("admin", "pw1", Role::kAdmin, kFast);
  db.save(file());
  Authenticator auth(file());
  ASSERT_EQ(auth.authenticate(basic("admin:pw1"), "127.0.0.1").status, Authenticator::Status::kOk);
  ASSERT_EQ(auth.authenticate(basic("admin:pw1"), "127.0.0.1").status,
            Authenticator::Status::kOk);  // now from the cache
  auto mtime = std::filesystem::last_write_time(file());
  auto size = std::filesystem::file_size(file());
  db.set_password("admin", "pw2", kFast);
  db.save(file());
  std::filesystem::last_write_time(file(), mtime);
  ASSERT_EQ(std::filesystem::file_size(file()), size);
  EXPECT_EQ(auth.authenticate(basic("admin:pw1"), "127.0.0.1").status,
            Authenticator::Status::kBadCredentials);
  EXPECT_EQ(auth.authenticate(basic("admin:pw2"), "127.0.0.1").status, Authenticator::Status::kOk);
}

}  // namespace
}  // namespace cimnet::auth

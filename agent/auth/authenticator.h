#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "agent/auth/login_limiter.h"
#include "agent/auth/users.h"

namespace cimnet::auth {

// Who a request runs as.
struct Identity {
  std::string user;
  Role role = Role::kReader;
};

// HTTP Basic authentication against the user database file, for the server's
// worker threads. The file is re-read when it changes on disk, so
// `cimnetd user add` takes effect on a running agent. A verified password is
// remembered as a keyed SHA-256 digest so that the slow PBKDF2 runs once per
// user and password, not once per request.
class Authenticator {
 public:
  enum class Status {
    kOk,
    kMissing,         // no (Basic) Authorization header
    kBadCredentials,  // malformed header, unknown user or wrong password
    kRateLimited,     // too many failures from this client address
  };
  struct Result {
    Status status = Status::kMissing;
    Identity identity;                       // set when kOk
    std::chrono::milliseconds retry_after{};  // set when kRateLimited
  };

  explicit Authenticator(std::filesystem::path users_file,
                         LoginLimiter::Options limits = LoginLimiter::Options{});

  // Checks an Authorization header value ("Basic base64(user:password)").
  Result authenticate(std::string_view authorization, std::string_view client);

  // Forces a re-read of the user file; throws UserError when it is corrupt.
  void reload();

 private:
  struct Cached {
    std::string digest;  // SHA-256(key || password)
    Role role;
  };
  // What identifies one version of the users file on disk (one stat(2)).
  struct FileStamp {
    int64_t mtime_sec = 0, mtime_nsec = 0, size = 0;
    uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static std::optional<FileStamp> stamp_of(const std::filesystem::path& file);
  void refresh_if_changed();
  std::string digest(std::string_view password) const;

  std::filesystem::path file_;
  LoginLimiter limiter_;
  std::string cache_key_;  // random per process
  // SHA-256 fetched once: an implicit fetch per digest was most of its cost.
  std::unique_ptr<EVP_MD, void (*)(EVP_MD*)> sha256_;
  std::mutex mutex_;
  UserDatabase db_;
  std::optional<FileStamp> loaded_;  // nullopt: the file did not exist
  std::map<std::string, Cached, std::less<>> verified_;
};

// Decodes "Basic <base64>" into user and password; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> parse_basic(std::string_view authorization);

}  // namespace cimnet::auth

#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// The agent's own user database: who may talk to cimnetd and with which role.
namespace cimnet::auth {

// admin may do everything; reader may only read (Identify, Get, Enumerate,
// associations, GetClass).
enum class Role { kAdmin, kReader };

std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view text);

// Thrown for bad input (unknown user, invalid name or password, corrupt file);
// what() is a message meant for the operator.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One stored user: the password only as a salted PBKDF2-HMAC-SHA256 hash.
struct UserRecord {
  std::string name;
  Role role = Role::kReader;
  uint32_t iterations = 0;
  std::string salt;  // raw bytes
  std::string hash;  // raw bytes (32)
};

// PBKDF2 iterations for new passwords (OWASP 2023 figure for PBKDF2-SHA256).
inline constexpr uint32_t kDefaultIterations = 600'000;

// Derives the PBKDF2-HMAC-SHA256 hash of `password`.
std::string pbkdf2_sha256(std::string_view password, std::string_view salt, uint32_t iterations);

// Users in memory plus their file form ("cimnet-users 1" then one line per
// user: name role pbkdf2-sha256 iterations salt-hex hash-hex). Not
// thread-safe; Authenticator wraps it for the server.
class UserDatabase {
 public:
  // Reads `file`; a missing file is an empty database. Throws UserError on a
  // malformed file, naming the line.
  static UserDatabase load(const std::filesystem::path& file);

  // Writes atomically (temporary file + rename) with mode 0600.
  void save(const std::filesystem::path& file) const;

  // Adds a user. Throws UserError when the name is taken or invalid (1-64 of
  // A-Z a-z 0-9 . _ - @, not starting with - ) or the password is empty or
  // longer than 1024 bytes.
  void add(std::string_view name, std::string_view password, Role role,
           uint32_t iterations = kDefaultIterations);
  // Throws UserError when the user does not exist.
  void remove(std::string_view name);
  void set_password(std::string_view name, std::string_view password,
                    uint32_t iterations = kDefaultIterations);
  void set_role(std::string_view name, Role role);

  const UserRecord* find(std::string_view name) const;
  const std::vector<UserRecord>& users() const { return users_; }

  // The user's role when `password` is right. The hash comparison is constant
  // time, and an unknown user costs the same PBKDF2 as a known one.
  std::optional<Role> verify(std::string_view name, std::string_view password) const;

 private:
  std::vector<UserRecord> users_;
};

// Checks a user name and password for add/passwd; throws UserError.
void check_user_name(std::string_view name);
void check_password(std::string_view password);

}  // namespace cimnet::auth

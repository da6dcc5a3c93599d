#include "agent/auth/users.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace cimnet::auth {

namespace {

constexpr std::string_view kHeader = "cimnet-users 1";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

UserRecord make_record(std::string_view name, std::string_view password, Role role,
                       uint32_t iterations) {
  if (iterations < 1000) throw UserError("PBKDF2 iteration count below 1000");
  UserRecord record;
  record.name = std::string(name);
  record.role = role;
  record.iterations = iterations;
  record.salt = random_bytes(kSaltBytes);
  record.hash = pbkdf2_sha256(password, record.salt, iterations);
  return record;
}

}  // namespace

std::string_view role_name(Role role) { return role == Role::kAdmin ? "admin" : "reader"; }

std::optional<Role> parse_role(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "reader") return Role::kReader;
  return std::nullopt;
}

std::string pbkdf2_sha256(std::string_view password, std::string_view salt, uint32_t iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(kHashBytes),
                        reinterpret_cast<unsigned char*>(out.data())) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return out;
}

void check_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    throw UserError("user name must be 1 to 64 characters long");
  if (name.front() == '-') throw UserError("user name must not start with '-'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok)
      throw UserError("user name '" + std::string(name) +
                      "' may only contain letters, digits and . _ - @");
  }
}

void check_password(std::string_view password) {
  if (password.empty()) throw UserError("password must not be empty");
  if (password.size() > 1024) throw UserError("password longer than 1024 bytes");
}

UserDatabase UserDatabase::load(const std::filesystem::path& file) {
  UserDatabase db;
  std::ifstream in(file);
  if (!in) {
    if (!std::filesystem::exists(file)) return db;
    throw UserError("cannot read user database " + file.string());
  }
  std::string line;
  int number = 0;
  auto bad = [&](const std::string& why) {
    return UserError(file.string() + ":" + std::to_string(number) + ": " + why);
  };
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) {
      if (line != kHeader) throw bad("not a cimnet user database (expected '" +
                                     std::string(kHeader) + "')");
      continue;
    }
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string name, role, scheme, iterations, salt, hash, extra;
    if (!(fields >> name >> role >> scheme >> iterations >> salt >> hash) || (fields >> extra))
      throw bad("expected: name role pbkdf2-sha256 iterations salt hash");
    UserRecord record;
    try {
      check_user_name(name);
    } catch (const UserError& e) {
      throw bad(e.what());
    }
    auto parsed_role = parse_role(role);
    if (!parsed_role) throw bad("unknown role '" + role + "'");
    if (scheme != "pbkdf2-sha256") throw bad("unknown hash scheme '" + scheme + "'");
    unsigned long count = 0;
    try {
      size_t used = 0;
      count = std::stoul(iterations, &used);
      if (used != iterations.size()) throw std::invalid_argument(iterations);
    } catch (const std::exception&) {
      throw bad("bad iteration count '" + iterations + "'");
    }
    if (count < 1000 || count > 100'000'000) throw bad("iteration count out of range");
    auto salt_bytes = from_hex(salt);
    auto hash_bytes = from_hex(hash);
    if (!salt_bytes || salt_bytes->empty()) throw bad("bad salt");
    if (!hash_bytes || hash_bytes->size() != kHashBytes) throw bad("bad hash");
    if (db.find(name)) throw bad("duplicate user '" + name + "'");
    record.name = name;
    record.role = *parsed_role;
    record.iterations = static_cast<uint32_t>(count);
    record.salt = std::move(*salt_bytes);
    record.hash = std::move(*hash_bytes);
    db.users_.push_back(std::move(record));
  }
  if (number == 0) throw UserError(file.string() + ": empty file, not a cimnet user database");
  return db;
}

void UserDatabase::save(const std::filesystem::path& file) const {
  std::string text(kHeader);
  text += '\n';
  for (const auto& u : users_) {
    text += u.name + ' ' + std::string(role_name(u.role)) + " pbkdf2-sha256 " +
            std::to_string(u.iterations) + ' ' + to_hex(u.salt) + ' ' + to_hex(u.hash) + '\n';
  }
  auto tmp = file;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw UserError("cannot write " + tmp.string() + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n <= 0) {
      ::close(fd);
      throw UserError("cannot write " + tmp.string());
    }
    off += static_cast<size_t>(n);
  }
  ::fchmod(fd, 0600);
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw UserError("cannot write " + tmp.string());
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) throw UserError("cannot replace " + file.string() + ": " + ec.message());
}

void UserDatabase::add(std::string_view name, std::string_view password, Role role,
                       uint32_t iterations) {
  check_user_name(name);
  check_password(password);
  if (find(name)) throw UserError("user '" + std::string(name) + "' already exists");
  users_.push_back(make_record(name, password, role, iterations));
}

void UserDatabase::remove(std::string_view name) {
  auto it = std::find_if(users_.begin(), users_.end(),
                         [&](const UserRecord& u) { return u.name == name; });
  if (it == users_.end()) throw UserError("no user '" + std::string(name) + "'");
  users_.erase(it);
}

void UserDatabase::set_password(std::string_view name, std::string_view password,
                                uint32_t iterations) {
  check_password(password);
  auto* record = const_cast<UserRecord*>(find(name));
  if (!record) throw UserError("no user '" + std::string(name) + "'");
  *record = make_record(name, password, record->role, iterations);
}

void UserDatabase::set_role(std::string_view name, Role role) {
  auto* record = const_cast<UserRecord*>(find(name));
  if (!record) throw UserError("no user '" + std::string(name) + "'");
  record->role = role;
}

const UserRecord* UserDatabase::find(std::string_view name) const {
  for (const auto& u : users_)
    if (u.name == name) return &u;
  return nullptr;
}

std::optional<Role> UserDatabase::verify(std::string_view name, std::string_view password) const {
  const UserRecord* record = find(name);
  // Unknown users still pay for a hash so timing does not reveal user names.
  static const std::string kDummySalt(kSaltBytes, 'x');
  std::string computed = pbkdf2_sha256(password, record ? record->salt : kDummySalt,
                                       record ? record->iterations : kDefaultIterations);
  if (!record || record->hash.size() != computed.size()) return std::nullopt;
  if (CRYPTO_memcmp(record->hash.data(), computed.data(), computed.size()) != 0)
    return std::nullopt;
  return record->role;
}

}  // namespace cimnet::auth

#include "agent/auth/authenticator.h"

#include <sys/stat.h>

#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "agent/log/log.h"

namespace cimnet::auth {

std::optional<std::pair<std::string, std::string>> parse_basic(std::string_view authorization) {
  size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view scheme = authorization.substr(0, space);
  if (scheme.size() != 5) return std::nullopt;
  for (size_t i = 0; i < 5; ++i)
    if ((scheme[i] | 0x20) != "basic"[i]) return std::nullopt;
  std::string_view b64 = authorization.substr(space + 1);
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  while (!b64.empty() && b64.back() == ' ') b64.remove_suffix(1);
  if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 4096) return std::nullopt;
  for (char c : b64) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
  }
  std::string decoded(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes: drop them.
  size_t len = static_cast<size_t>(n);
  if (b64.size() >= 1 && b64[b64.size() - 1] == '=') --len;
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=') --len;
  decoded.resize(len);
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

Authenticator::Authenticator(std::filesystem::path users_file, LoginLimiter::Options limits)
    : file_(std::move(users_file)),
      limiter_(limits),
      cache_key_(32, '\0'),
      sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr), EVP_MD_free) {
  if (!sha256_) throw std::runtime_error("SHA-256 is not available");
  if (RAND_bytes(reinterpret_cast<unsigned char*>(cache_key_.data()),
                 static_cast<int>(cache_key_.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  reload();
}

std::optional<Authenticator::FileStamp> Authenticator::stamp_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{static_cast<int64_t>(st.st_mtim.tv_sec),
                   static_cast<int64_t>(st.st_mtim.tv_nsec), static_cast<int64_t>(st.st_size),
                   static_cast<uint64_t>(st.st_ino)};
}

void Authenticator::reload() {
  auto stamp = stamp_of(file_);
  UserDatabase db = UserDatabase::load(file_);
  std::lock_guard lock(mutex_);
  db_ = std::move(db);
  verified_.clear();
  loaded_ = stamp;
}

void Authenticator::refresh_if_changed() {
  auto stamp = stamp_of(file_);
  {
    std::lock_guard lock(mutex_);
    if (stamp == loaded_) return;
  }
  try {
    reload();
  } catch (const UserError& e) {
    // Keep serving with the users we had rather than locking everyone out.
    log::error(std::string("user database not reloaded: ") + e.what());
    std::lock_guard lock(mutex_);
    loaded_ = stamp;
  }
}

std::string Authenticator::digest(std::string_view password) const {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256_.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), cache_key_.data(), cache_key_.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), password.data(), password.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1)
    throw std::runtime_error("SHA-256 failed");
  out.resize(len);
  return out;
}

Authenticator::Result Authenticator::authenticate(std::string_view authorization,
                                                  std::string_view client) {
  Result result;
  if (authorization.empty()) {
    result.status = Status::kMissing;
    return result;
  }
  auto now = LoginLimiter::Clock::now();
  if (auto wait = limiter_.blocked_for(client, now); wait.count() > 0) {
    result.status = Status::kRateLimited;
    result.retry_after = wait;
    return result;
  }
  auto credentials = parse_basic(authorization);
  if (!credentials) {
    limiter_.record_failure(client, now);
    result.status = Status::kBadCredentials;
    return result;
  }
  refresh_if_changed();
  const auto& [user, password] = *credentials;
  std::string key = digest(password);
  std::optional<Role> role;
  {
    std::lock_guard lock(mutex_);
    auto it = verified_.find(user);
    if (it != verified_.end() && it->second.digest.size() == key.size() &&
        CRYPTO_memcmp(it->second.digest.data(), key.data(), key.size()) == 0)
      role = it->second.role;
  }
  if (!role) {
    UserDatabase snapshot;
    {
      std::lock_guard lock(mutex_);
      snapshot = db_;
    }
    role = snapshot.verify(user, password);  // slow: outside the lock
    if (role) {
      std::lock_guard lock(mutex_);
      verified_[user] = Cached{key, *role};
    }
  }
  if (!role) {
    limiter_.record_failure(client, now);
    result.status = Status::kBadCredentials;
    return result;
  }
  limiter_.record_success(client);
  result.status = Status::kOk;
  result.identity = Identity{user, *role};
  return result;
}

}  // namespace cimnet::auth

#include "agent/http/self_signed.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace cimnet::http {

namespace {

[[noreturn]] void fail(const std::string& what) {
  char buf[256] = "";
  unsigned long code = ERR_get_error();
  if (code != 0) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error("self-signed certificate: " + what + (code ? std::string(": ") + buf : ""));
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// Opens `path` for writing with `mode`, replacing it atomically on commit.
void write_pem(const std::filesystem::path& path, mode_t mode,
               const std::function<bool(FILE*)>& writer) {
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) fail("cannot create " + tmp.string());
  std::unique_ptr<FILE, FileCloser> file(::fdopen(fd, "w"));
  if (!file) {
    ::close(fd);
    fail("cannot open " + tmp.string());
  }
  if (!writer(file.get())) fail("cannot write " + tmp.string());
  if (std::fflush(file.get()) != 0 || ::fsync(fd) != 0) fail("cannot write " + tmp.string());
  file.reset();
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail("cannot rename " + tmp.string() + ": " + ec.message());
}

}  // namespace

bool ensure_self_signed_certificate(const std::filesystem::path& cert_file,
                                    const std::filesystem::path& key_file,
                                    const std::string& common_name) {
  bool have_cert = std::filesystem::exists(cert_file);
  bool have_key = std::filesystem::exists(key_file);
  if (have_cert && have_key) return false;
  if (have_cert != have_key)
    throw std::runtime_error("TLS: " + (have_cert ? cert_file : key_file).string() +
                             " exists without its " + (have_cert ? "key " : "certificate ") +
                             (have_cert ? key_file : cert_file).string());

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) fail("key generation");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) fail("X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("RAND_bytes");
  serial[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 BN_free);
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                  -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>("cimnetd"), -1, -1, 0))
    fail("subject name");
  X509_set_issuer_name(cert.get(), name);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  bool plain_host = !common_name.empty() && common_name != "localhost" &&
                    common_name.find_first_not_of(
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
                        std::string::npos;
  if (plain_host) san += ",DNS:" + common_name;
  const std::pair<int, std::string> extensions[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyAgreement"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_alt_name, san},
  };
  for (const auto& [nid, value] : extensions) {
    std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()), X509_EXTENSION_free);
    if (!ext || !X509_add_ext(cert.get(), ext.get(), -1)) fail("extension " + value);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("signing");

  write_pem(key_file, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  write_pem(cert_file, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()) == 1; });
  return true;
}

}  // namespace cimnet::http

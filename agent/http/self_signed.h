#pragma once

#include <filesystem>
#include <string>

namespace cimnet::http {

// Makes sure `cert_file` and `key_file` hold a usable certificate and key:
// when both exist nothing is touched; when neither exists a self-signed
// certificate (ECDSA P-256, SHA-256, CN=`common_name`, SAN DNS:localhost,
// IP:127.0.0.1, valid ten years) is generated, the key written with mode
// 0600. Returns true when it generated them. Throws std::runtime_error when
// only one of the two exists or writing fails.
bool ensure_self_signed_certificate(const std::filesystem::path& cert_file,
                                    const std::filesystem::path& key_file,
                                    const std::string& common_name);

}  // namespace cimnet::http

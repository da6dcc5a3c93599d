#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "cimnet/config/lookup.h"

namespace cimnet::config::testing {

// A fresh directory under the test's working directory, removed at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    std::random_device rd;
    path_ = std::filesystem::absolute("tmp-" + name +
                                      std::string("-").append(std::to_string(::getpid())) +
                                      std::string("-").append(std::to_string(rd())));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A valid IPv4 encap record whose fields all derive from `i`.
inline LookupRecord make_record(uint32_t i, uint32_t vsid = 5001) {
  LookupRecord r;
  r.key.vsid = vsid;
  r.key.customer_address = *IpAddress::parse(
      std::string("10.").append(std::to_string((i >> 16) & 255)) + "." +
      std::to_string((i >> 8) & 255) + std::string(".").append(std::to_string(i & 255)));
  r.key.mac.bytes = {0x00, 0x15, 0x5d, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
  r.provider_address =
      *IpAddress::parse(std::string("192.168.").append(std::to_string((i >> 8) & 255)) +
                        std::string(".").append(std::to_string(i & 255)));
  r.rule = TranslationRule::kEncap;
  r.vm_name = std::string("vm").append(std::to_string(i % 100));
  r.customer_id = "{00000000-0000-0000-0000-000000001234}";
  return r;
}

}  // namespace cimnet::config::testing

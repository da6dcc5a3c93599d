#include <cctype>

#include "cimnet/cim/error.h"
#include "cimnet/switching/driver.h"
#include "cimnet/switching/linux_bridge.h"
#include "cimnet/switching/sim_switch.h"

namespace cimnet::switching {

using cim::Error;
using cim::Status;

namespace {

constexpr const char* kForms = "expected sim, sim:N (N = 1..1024 ports) or linux-bridge:BRIDGE";

// Linux's own rule for interface names (dev_valid_name): 1..15 bytes, not "."
// or "..", no '/', ':' or white space.
bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (unsigned char c : name) {
    if (c == '/' || c == ':' || std::isspace(c) || c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<SwitchDriver> make_switch_driver(std::string_view spec) {
  const std::string quoted = "--switch '" + std::string(spec) + "': ";
  if (spec == "sim") return std::make_unique<SimSwitch>();
  if (spec.starts_with("sim:")) {
    std::string_view digits = spec.substr(4);
    int n = 0;
    bool ok = !digits.empty() && digits.size() <= 5;
    for (char c : digits) {
      if (c < '0' || c > '9') ok = false;
      if (ok) n = n * 10 + (c - '0');
    }
    if (!ok || n < 1 || n > SimSwitch::kMaxPorts) {
      throw Error(Status::kInvalidParameter, quoted + "the port count must be a number from 1 to " +
                                                 std::to_string(SimSwitch::kMaxPorts));
    }
    return std::make_unique<SimSwitch>(n);
  }
  if (spec.starts_with("linux-bridge:")) {
    std::string_view bridge = spec.substr(13);
    if (!valid_interface_name(bridge)) {
      throw Error(Status::kInvalidParameter,
                  quoted + "'" + std::string(bridge) +
                      "' is not a valid Linux interface name (1..15 bytes, no '/', ':' or spaces)");
    }
    return open_linux_bridge(bridge);
  }
  throw Error(Status::kInvalidParameter, quoted + "unknown switch driver; " + kForms);
}

}  // namespace cimnet::switching

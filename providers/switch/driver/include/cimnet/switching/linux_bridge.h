#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cimnet/switching/driver.h"

namespace cimnet::switching {

// How to open a Linux bridge.
struct LinuxBridgeOptions {
  // The --switch form requires a VLAN-filtering bridge. Turning this off
  // allows a plain bridge: ports, admin state and live status work, the port
  // VLAN configuration reads back as kOther with no VLANs, and every VLAN
  // change is refused with kNotSupported.
  bool require_vlan_filtering = true;
};

// Opens the `--switch linux-bridge:BRIDGE` driver on a bridge in the calling
// thread's network namespace. Ports are the bridge's member interfaces; the
// VLANs are those of the bridge device itself (`bridge vlan ... self`).
// Throws cim::Error: kNotFound when no interface has that name,
// kInvalidParameter when it is not a bridge, kNotSupported when it does not
// filter VLANs (and options require it), kFailed when rtnetlink cannot be
// opened.
std::unique_ptr<SwitchDriver> open_linux_bridge(std::string_view bridge,
                                                LinuxBridgeOptions options = {});

}  // namespace cimnet::switching

#pragma once
// A small line-oriented text form of the datapath policy, for the stand-alone runner and tests:
//
//   settings [router-mac MAC] [provider-mac MAC] [mtu N] [flow-id hash|zero]
//   provider-address ADDR/LEN [interface IFNAME]
//   provider-route PREFIX via ADDR [metric N]
//   neighbor ADDR MAC
//   subnet VSID domain NAME [gateway ADDR]...
//   route DOMAIN VSID PREFIX [via ADDR] [metric N]
//   record VSID CA PA MAC [encap|nat] [static|dynamic|l2only|gateway-wildcard]
//   port ID MAC VSID [interface IFNAME]
//
// '#' starts a comment. Every error names its line.

#include <map>
#include <string>

#include "cimnet/dataplane/packet.h"
#include "cimnet/dataplane/policy.h"

namespace cimnet::dataplane {

// A parsed policy file: the policy itself plus which interfaces carry which ports.
struct PolicyFile {
  PolicyChange change;
  std::string provider_interface;              // empty: none named
  std::map<PortId, std::string> port_interfaces;
};

// Parses the text; throws PolicyError("line N: ...") on the first error.
PolicyFile parse_policy_text(const std::string& text);
// Reads and parses a file; throws PolicyError (also when it cannot be read).
PolicyFile read_policy_file(const std::string& path);

}  // namespace cimnet::dataplane

#pragma once
// The CIM side of cimsh: CIM sessions over WS-Management, the CimCmdlets (Get-CimInstance,
// Invoke-CimMethod ...), the NetworkSwitchManager cmdlets and their default views.

#include <memory>
#include <string>
#include <vector>

#include "cimnet/shell/interpreter.h"

namespace cimnet::shell::cim {

// The CIM state of one shell: its sessions, the default session and the class cache.
class CimContext;

// Registers the CIM and NetworkSwitchManager cmdlets (with their aliases) and the per-class
// default views on `in`. Without -CimSession the cmdlets use the local agent: CIMNET_URL
// (default http://127.0.0.1:5985/wsman) with the admin credentials read from
// $CIMNET_STATE_DIR/admin.password (default ./var/cimnetd) when that file is readable.
// The returned context lives as long as the cmdlets that captured it.
std::shared_ptr<CimContext> register_cim_cmdlets(Interpreter& in);

// Class names of the namespace given by -Namespace on `line` (default root/cimv2) that start
// with `prefix` (case-insensitive), from the default or first open session; empty when the
// word being completed is not a -ClassName/-ResultClassName argument or the agent cannot be
// reached.
std::vector<std::string> complete_class_name(CimContext& cim, const std::string& line, size_t word_start,
                                             const std::string& prefix);

}  // namespace cimnet::shell::cim

#pragma once

#include "cimnet/cim/mof.h"
#include "cimnet/cim/repository.h"

namespace cimnet::cim {

// The CIM namespaces the agent serves.
inline constexpr const char* kInteropNamespace = "root/interop";
inline constexpr const char* kCimv2Namespace = "root/cimv2";
inline constexpr const char* kStandardCimv2Namespace = "root/StandardCimv2";

// Compiles the served schema (cim-schema/mof/served.mof and the files it
// includes, built into the binary) into `repository`: root/interop,
// root/cimv2 and root/StandardCimv2. Throws MofError only if the embedded MOF
// is broken, which the tests rule out.
MofStats load_served_schema(Repository& repository);

}  // namespace cimnet::cim

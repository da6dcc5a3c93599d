// libFuzzer target: the MOF compiler must reject any input with a MofError
// (or accept it), never crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cimnet/cim/mof.h"

namespace {

// A few qualifier types so class bodies get past qualifier lookup.
constexpr const char* kQualifiers = R"MOF(
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Abstract : boolean = false, Scope(class, association, indication), Flavor(EnableOverride, Restricted);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Override : string = null, Scope(property, reference, method), Flavor(EnableOverride, Restricted);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier Values : string[], Scope(property, method, parameter), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter);
Qualifier Version : string = null, Scope(class, association, indication), Flavor(EnableOverride, Restricted, Translatable);
Qualifier UMLPackagePath : string = null, Scope(class, association, indication);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
class CIM_ManagedElement { [Key] string InstanceID; string Caption; };
)MOF";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cimnet::cim::Repository repo;
  cimnet::cim::MofCompiler compiler(repo, "root/fuzz");
  // Includes are not followed: the fuzzer must not read the file system.
  compiler.set_loader([](const std::string&) { return std::optional<std::string>(); });
  compiler.compile_string(kQualifiers, "preamble.mof");
  try {
    compiler.compile_string(std::string(reinterpret_cast<const char*>(data), size), "fuzz.mof");
    for (const auto* cls : repo.classes("root/fuzz")) (void)cimnet::cim::class_to_mof(*cls);
  } catch (const cimnet::cim::Error&) {
  }
  return 0;
}

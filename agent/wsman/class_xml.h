#pragma once

#include <string>
#include <string_view>

#include "cimnet/cim/class.h"

// CIM-XML (DSP0201) class declarations, the form WinRM/OMI return for
// GetClass (PowerShell's Get-CimClass) on the cim-xml resource URI.
namespace cimnet::wsman {

// "http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*": Get with the
// __cimnamespace and ClassName selectors returns one class, Enumerate lists
// the classes of a namespace.
inline constexpr std::string_view kCimXmlClassUri =
    "http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*";

struct ClassWriteOptions {
  bool qualifiers = true;
  bool class_origin = false;
  std::string derivation;  // "Super,SuperSuper" (OMI's DERIVATION attribute); "" to omit
};

// Appends <CLASS NAME SUPERCLASS DERIVATION> with its qualifiers, properties
// (PROPERTY / PROPERTY.ARRAY / PROPERTY.REFERENCE, PROPAGATED for inherited
// ones, default values) and methods with their parameters.
void append_class_cimxml(std::string& out, const cim::Class& cls, const ClassWriteOptions& options);

}  // namespace cimnet::wsman

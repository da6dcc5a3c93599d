#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "agent/wsman/envelope.h"
#include "cimnet/cim/class.h"
#include "cimnet/cim/instance.h"
#include "cimnet/cim/repository.h"
#include "cimnet/cim/value.h"

// The WS-CIM mapping (DSP0230) and CIM binding (DSP0227): CIM instances,
// values and object paths to and from their WS-Management XML forms.
namespace cimnet::wsman {

// "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/<Class>".
std::string class_resource_uri(std::string_view class_name);
// The class named by a resource URI (DMTF prefix or the Microsoft wscim
// prefix), or "" when the URI names no single class.
std::string class_from_resource_uri(std::string_view resource_uri);

// The namespace from the __cimnamespace selector, canonical; `fallback` when
// absent.
std::string namespace_from_selectors(const std::vector<Selector>& selectors,
                                     std::string_view fallback);

// Builds the object path of an instance of `cls` in `ns` from selectors:
// every key must be given (else wsman:InvalidSelectors InsufficientSelectors),
// no other name but __cimnamespace (UnexpectedSelectors), values of the key's
// type (InvalidValue / TypeMismatch).
cim::ObjectPath path_from_selectors(const cim::Repository& repo, std::string_view ns,
                                    const cim::Class& cls, const std::vector<Selector>& selectors);

// The object path an EPR refers to (namespace from its __cimnamespace
// selector, else `default_ns`). Throws Fault.
cim::ObjectPath path_from_epr(const cim::Repository& repo, std::string_view default_ns,
                              const EndpointReference& epr);

// The EPR of an object path (anonymous address, class resource URI, keys as
// selectors, __cimnamespace when the path has a namespace).
EndpointReference epr_from_path(const cim::ObjectPath& path);

// What to write of an instance.
struct InstanceWriteOptions {
  // Only these properties (names without case); all when empty.
  std::vector<std::string> properties;
};

// Appends the DSP0230 element of `instance` (class declaration order, NULLs
// as xsi:nil, arrays as repeated elements, cim:Datetime / cim:Interval /
// cim:Time, references as EPRs, embedded instances with xsi:type). The
// instance's class is looked up in `ns`.
void append_instance(std::string& out, const cim::Repository& repo, std::string_view ns,
                     const cim::Instance& instance, const InstanceWriteOptions& options = {});

// Reads an instance element of class `cls` (the element must be
// {class resource URI}ClassName); unknown properties, bad values and a
// wrong element are wxf:InvalidRepresentation faults. Properties are kept in
// document order; the caller validates the result against the repository.
cim::Instance parse_instance(const cim::Repository& repo, std::string_view ns,
                             const cim::Class& cls, pugi::xml_node element);

// Reads the value of one property or parameter from its elements (one
// element for a scalar, one per item for an array).
cim::Value parse_value(const cim::Repository& repo, std::string_view ns, cim::Type type,
                       bool is_array, const std::string& embedded_class,
                       const std::vector<pugi::xml_node>& elements, const std::string& what);

// Appends `<prefix:name>` elements for a value (nothing for an empty array).
void append_value(std::string& out, const cim::Repository& repo, std::string_view ns,
                  std::string_view qualified_name, const cim::Value& value, int depth = 0);

}  // namespace cimnet::wsman

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cimnet::cim {

// CIM names (classes, properties, qualifiers, namespaces) compare without
// regard to ASCII case (DSP0004).
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);

// Ordering and hashing for maps keyed by CIM names.
struct ILess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
struct IHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const;
};
struct IEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return iequals(a, b); }
};

// Namespace names: "root/cimv2", "root\\cimv2" and "/root/cimv2" are the same
// namespace; returns the canonical "root/cimv2" form.
std::string canonical_namespace(std::string_view ns);

}  // namespace cimnet::cim

#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/cim/class.h"
#include "cimnet/cim/instance.h"
#include "cimnet/cim/names.h"

namespace cimnet::cim {

// How strictly an instance is checked.
enum class Validation {
  kCreate,  // whole new instance: keys and Required properties must be set
  kModify,  // partial update: only the properties present are checked
};

// The class repository: CIM namespaces holding qualifier types and resolved
// classes. Reads are const and thread-safe once loading is over.
class Repository {
 public:
  Repository();
  ~Repository();
  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;

  // Creates the namespace when absent.
  void add_namespace(std::string_view ns);
  bool has_namespace(std::string_view ns) const;
  std::vector<std::string> namespaces() const;

  // Declares a qualifier type; declaring the same one twice is allowed,
  // a different one with the same name is Error(kAlreadyExists).
  void add_qualifier_type(std::string_view ns, QualifierType type);
  const QualifierType* find_qualifier_type(std::string_view ns, std::string_view name) const;
  std::vector<const QualifierType*> qualifier_types(std::string_view ns) const;

  // Adds a class as declared (own members only) and resolves it against its
  // superclass, which must already be in `ns` (Error(kInvalidSuperclass)).
  // Overrides (Override qualifier or same name) replace the inherited member
  // in place; qualifiers with ToSubclass flavor propagate unless overridden,
  // and a DisableOverride qualifier may not change value. Returns the
  // resolved class. Error(kAlreadyExists) when the class exists.
  const Class& add_class(std::string_view ns, Class declared);

  const Class* find_class(std::string_view ns, std::string_view name) const;
  // Like find_class but throws Error(kInvalidNamespace) / Error(kInvalidClass).
  const Class& get_class(std::string_view ns, std::string_view name) const;
  // Classes in declaration order.
  std::vector<const Class*> classes(std::string_view ns) const;
  // True when `name` is `ancestor` or derives from it.
  bool is_a(std::string_view ns, std::string_view name, std::string_view ancestor) const;
  // Direct subclasses, or all descendants when `deep`, in declaration order.
  std::vector<const Class*> subclasses(std::string_view ns, std::string_view name, bool deep) const;
  // `name`, its superclass, ... up to the root class.
  std::vector<std::string> superclass_chain(std::string_view ns, std::string_view name) const;

  // Checks an instance against its class: the class exists and is concrete,
  // every property is declared, types and array-ness match, values respect
  // ValueMap, MaxLen, MinLen, MinValue, MaxValue and fixed array sizes,
  // embedded instances are of the EmbeddedInstance class, references point at
  // the right class, and (for kCreate) keys and Required properties are set.
  // Throws Error with kInvalidClass, kNoSuchProperty, kTypeMismatch or
  // kInvalidParameter and a message naming the class and property.
  void validate_instance(std::string_view ns, const Instance& instance, Validation mode) const;
  // Checks one value for a property (the same rules as above).
  void validate_value(std::string_view ns, const Class& cls, const Property& property,
                      const Value& value) const;

 private:
  struct Namespace;
  Namespace& ns_or_throw(std::string_view ns);
  const Namespace& ns_or_throw(std::string_view ns) const;
  const Namespace* find_ns(std::string_view ns) const;

  std::map<std::string, std::unique_ptr<Namespace>, ILess> namespaces_;
};

}  // namespace cimnet::cim

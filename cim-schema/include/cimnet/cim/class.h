#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/cim/value.h"

namespace cimnet::cim {

// Qualifier flavors (DSP0004): whether a subclass may override the value,
// whether it propagates to subclasses, whether it is translatable.
struct Flavor {
  bool overridable = true;
  bool to_subclass = true;
  bool translatable = false;
  bool operator==(const Flavor&) const = default;
};

// Where a qualifier may appear (bit set).
enum Scope : uint16_t {
  kScopeClass = 1 << 0,
  kScopeAssociation = 1 << 1,
  kScopeIndication = 1 << 2,
  kScopeProperty = 1 << 3,
  kScopeReference = 1 << 4,
  kScopeMethod = 1 << 5,
  kScopeParameter = 1 << 6,
  kScopeQualifier = 1 << 7,
  kScopeAny = 0xff,
};

// A qualifier type declaration ("Qualifier Key : boolean = false, Scope(...)").
struct QualifierType {
  std::string name;
  Type type = Type::kBoolean;
  bool is_array = false;
  std::optional<uint32_t> array_size;
  Value default_value;
  uint16_t scopes = 0;
  Flavor flavor;
};

// A qualifier applied to an element. `propagated` is true when it was
// inherited rather than written on this element.
struct Qualifier {
  std::string name;
  Value value;
  Flavor flavor;
  bool propagated = false;
};

// Qualifiers of one element, in declaration order; names match without case.
class QualifierList {
 public:
  const Qualifier* find(std::string_view name) const;
  // The qualifier's value, or nullptr when absent.
  const Value* value(std::string_view name) const;
  // True when a boolean qualifier is present and true (e.g. Key, Abstract).
  bool flag(std::string_view name) const;
  // String qualifier value or "" (e.g. Description, EmbeddedInstance).
  std::string text(std::string_view name) const;
  // Adds or replaces by name.
  void set(Qualifier q);
  bool remove(std::string_view name);
  const std::vector<Qualifier>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<Qualifier> items_;
};

// A property or reference of a class.
struct Property {
  std::string name;
  Type type = Type::kString;
  bool is_array = false;
  std::optional<uint32_t> array_size;  // fixed-size array "[4]"
  std::string reference_class;         // for Type::kReference
  Value default_value;                 // NULL when none was given
  QualifierList qualifiers;
  std::string class_origin;  // the class that first declared it
  bool propagated = false;   // inherited unchanged from a superclass

  bool is_key() const { return qualifiers.flag("Key"); }
  bool is_required() const { return qualifiers.flag("Required"); }
  bool is_writable() const { return qualifiers.flag("Write"); }
  // Class named by EmbeddedInstance, or "" (EmbeddedObject gives "" too).
  std::string embedded_class() const { return qualifiers.text("EmbeddedInstance"); }
};

// A method parameter.
struct Parameter {
  std::string name;
  Type type = Type::kString;
  bool is_array = false;
  std::optional<uint32_t> array_size;
  std::string reference_class;
  QualifierList qualifiers;

  // IN defaults to true and OUT to false (DSP0004).
  bool is_in() const;
  bool is_out() const { return qualifiers.flag("Out"); }
  std::string embedded_class() const { return qualifiers.text("EmbeddedInstance"); }
};

// An extrinsic method.
struct Method {
  std::string name;
  Type return_type = Type::kUint32;
  std::vector<Parameter> parameters;
  QualifierList qualifiers;
  std::string class_origin;
  bool propagated = false;

  const Parameter* find_parameter(std::string_view name) const;
  bool is_static() const { return qualifiers.flag("Static"); }
};

// A CIM class. As declared (by the MOF compiler) it holds only its own
// members; as stored in the repository it is resolved: every inherited
// property, method and propagating qualifier is included, superclass members
// first, in declaration order.
class Class {
 public:
  Class() = default;
  Class(std::string name, std::string superclass)
      : name_(std::move(name)), superclass_(std::move(superclass)) {}

  const std::string& name() const { return name_; }
  const std::string& superclass() const { return superclass_; }  // "" for a root class
  QualifierList& qualifiers() { return qualifiers_; }
  const QualifierList& qualifiers() const { return qualifiers_; }
  std::vector<Property>& properties() { return properties_; }
  const std::vector<Property>& properties() const { return properties_; }
  std::vector<Method>& methods() { return methods_; }
  const std::vector<Method>& methods() const { return methods_; }

  const Property* find_property(std::string_view name) const;
  Property* find_property(std::string_view name);
  const Method* find_method(std::string_view name) const;
  Method* find_method(std::string_view name);
  std::vector<const Property*> key_properties() const;

  bool is_abstract() const { return qualifiers_.flag("Abstract"); }
  bool is_association() const { return qualifiers_.flag("Association"); }
  bool is_indication() const { return qualifiers_.flag("Indication"); }

 private:
  std::string name_;
  std::string superclass_;
  QualifierList qualifiers_;
  std::vector<Property> properties_;
  std::vector<Method> methods_;
};

}  // namespace cimnet::cim

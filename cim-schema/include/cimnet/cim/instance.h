#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cimnet/cim/value.h"

namespace cimnet::cim {

class Class;

struct PropertyValue {
  std::string name;
  Value value;
};

// A CIM instance: its class name and property values in the order they were
// set. Property names are matched without case.
class Instance {
 public:
  Instance() = default;
  explicit Instance(std::string class_name) : class_name_(std::move(class_name)) {}

  const std::string& class_name() const { return class_name_; }
  void set_class_name(std::string name) { class_name_ = std::move(name); }

  // Sets a property, replacing a value of the same name.
  void set(std::string_view name, Value value);
  const Value* get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  bool remove(std::string_view name);
  const std::vector<PropertyValue>& properties() const { return properties_; }

  // The instance's path: its key properties per `cls` (which must be the
  // resolved class of this instance or a superclass declaring the keys).
  // Throws Error(kInvalidParameter) when a key is missing or NULL.
  ObjectPath path(const Class& cls, std::string_view ns) const;

  bool operator==(const Instance& other) const;

 private:
  std::string class_name_;
  std::vector<PropertyValue> properties_;
};

}  // namespace cimnet::cim

#include "cimnet/cim/instance.h"

#include "cimnet/cim/class.h"
#include "cimnet/cim/error.h"
#include "cimnet/cim/names.h"

namespace cimnet::cim {

void Instance::set(std::string_view name, Value value) {
  for (auto& p : properties_) {
    if (iequals(p.name, name)) {
      p.value = std::move(value);
      return;
    }
  }
  properties_.push_back({std::string(name), std::move(value)});
}

const Value* Instance::get(std::string_view name) const {
  for (const auto& p : properties_) {
    if (iequals(p.name, name)) return &p.value;
  }
  return nullptr;
}

bool Instance::remove(std::string_view name) {
  for (auto it = properties_.begin(); it != properties_.end(); ++it) {
    if (iequals(it->name, name)) {
      properties_.erase(it);
      return true;
    }
  }
  return false;
}

ObjectPath Instance::path(const Class& cls, std::string_view ns) const {
  ObjectPath out{std::string(ns), class_name_};
  for (const Property* key : cls.key_properties()) {
    const Value* v = get(key->name);
    if (!v || v->is_null()) {
      throw Error(Status::kInvalidParameter,
                  "key property " + key->name + " of " + class_name_ + " is not set");
    }
    out.add_key(key->name, *v);
  }
  return out;
}

bool Instance::operator==(const Instance& other) const {
  if (!iequals(class_name_, other.class_name_) || properties_.size() != other.properties_.size()) {
    return false;
  }
  for (const auto& p : properties_) {
    const Value* v = other.get(p.name);
    if (!v || *v != p.value) return false;
  }
  return true;
}

}  // namespace cimnet::cim

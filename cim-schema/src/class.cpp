#include "cimnet/cim/class.h"

#include "cimnet/cim/names.h"

namespace cimnet::cim {

const Qualifier* QualifierList::find(std::string_view name) const {
  for (const auto& q : items_) {
    if (iequals(q.name, name)) return &q;
  }
  return nullptr;
}

const Value* QualifierList::value(std::string_view name) const {
  const Qualifier* q = find(name);
  return q ? &q->value : nullptr;
}

bool QualifierList::flag(std::string_view name) const {
  const Value* v = value(name);
  return v && !v->is_null() && !v->is_array() && v->type() == Type::kBoolean && v->as_bool();
}

std::string QualifierList::text(std::string_view name) const {
  const Value* v = value(name);
  if (!v || v->is_null() || v->is_array() || v->type() != Type::kString) return {};
  return v->as_string();
}

void QualifierList::set(Qualifier q) {
  for (auto& existing : items_) {
    if (iequals(existing.name, q.name)) {
      existing = std::move(q);
      return;
    }
  }
  items_.push_back(std::move(q));
}

bool QualifierList::remove(std::string_view name) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (iequals(it->name, name)) {
      items_.erase(it);
      return true;
    }
  }
  return false;
}

bool Parameter::is_in() const {
  const Value* v = qualifiers.value("In");
  if (!v || v->is_null() || v->is_array() || v->type() != Type::kBoolean) return true;
  return v->as_bool();
}

const Parameter* Method::find_parameter(std::string_view name) const {
  for (const auto& p : parameters) {
    if (iequals(p.name, name)) return &p;
  }
  return nullptr;
}

const Property* Class::find_property(std::string_view name) const {
  for (const auto& p : properties_) {
    if (iequals(p.name, name)) return &p;
  }
  return nullptr;
}

Property* Class::find_property(std::string_view name) {
  return const_cast<Property*>(static_cast<const Class*>(this)->find_property(name));
}

const Method* Class::find_method(std::string_view name) const {
  for (const auto& m : methods_) {
    if (iequals(m.name, name)) return &m;
  }
  return nullptr;
}

Method* Class::find_method(std::string_view name) {
  return const_cast<Method*>(static_cast<const Class*>(this)->find_method(name));
}

std::vector<const Property*> Class::key_properties() const {
  std::vector<const Property*> out;
  for (const auto& p : properties_) {
    if (p.is_key()) out.push_back(&p);
  }
  return out;
}

}  // namespace cimnet::cim

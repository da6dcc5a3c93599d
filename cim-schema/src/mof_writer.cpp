// Writes resolved classes back out as MOF (cimmof --show).

#include "cimnet/cim/mof.h"

namespace cimnet::cim {

namespace {

std::string flavor_text(const Qualifier& q) {
  std::string out;
  if (!q.flavor.overridable) out += " DisableOverride";
  if (!q.flavor.to_subclass) out += " Restricted";
  return out.empty() ? out : " :" + out;
}

std::string qualifier_text(const Qualifier& q) {
  std::string out = q.name;
  const Value& v = q.value;
  if (v.type() == Type::kBoolean && !v.is_array() && !v.is_null()) {
    if (!v.as_bool()) out += " (false)";
  } else if (v.is_array() && !v.is_null()) {
    out += " " + v.to_mof();
  } else {
    out += " (" + v.to_mof() + ")";
  }
  return out + flavor_text(q);
}

// "[Key, Description (...)]" over several lines when long.
std::string qualifier_block(const QualifierList& list, const std::string& indent) {
  if (list.empty()) return {};
  std::string out = indent + "[";
  bool first = true;
  for (const auto& q : list.items()) {
    if (!first) out += ",\n" + indent + " ";
    out += qualifier_text(q);
    first = false;
  }
  return out + "]\n";
}

std::string type_text(Type type, const std::string& ref_class) {
  if (type == Type::kReference) return ref_class + " REF";
  if (type == Type::kInstance) return "string";  // EmbeddedInstance/EmbeddedObject strings
  return std::string(type_name(type));
}

std::string array_text(bool is_array, const std::optional<uint32_t>& size) {
  if (!is_array) return {};
  return size ? "[" + std::to_string(*size) + "]" : "[]";
}

}  // namespace

std::string class_to_mof(const Class& cls) {
  std::string out = qualifier_block(cls.qualifiers(), "");
  out += "class " + cls.name();
  if (!cls.superclass().empty()) out += " : " + cls.superclass();
  out += "\n{\n";
  for (const auto& p : cls.properties()) {
    if (p.class_origin != cls.name()) out += "      // from " + p.class_origin + "\n";
    out += qualifier_block(p.qualifiers, "   ");
    out += "   " + type_text(p.type, p.reference_class) + " " + p.name +
           array_text(p.is_array, p.array_size);
    if (!p.default_value.is_null()) out += " = " + p.default_value.to_mof();
    out += ";\n\n";
  }
  for (const auto& m : cls.methods()) {
    if (m.class_origin != cls.name()) out += "      // from " + m.class_origin + "\n";
    out += qualifier_block(m.qualifiers, "   ");
    out += "   " + std::string(type_name(m.return_type)) + " " + m.name + "(";
    for (size_t i = 0; i < m.parameters.size(); ++i) {
      const Parameter& p = m.parameters[i];
      out += i == 0 ? "\n" : ",\n";
      out += qualifier_block(p.qualifiers, "      ");
      out += "      " + type_text(p.type, p.reference_class) + " " + p.name +
             array_text(p.is_array, p.array_size);
    }
    out += ");\n\n";
  }
  return out + "};\n";
}

}  // namespace cimnet::cim

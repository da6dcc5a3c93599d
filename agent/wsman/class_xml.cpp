#include "agent/wsman/class_xml.h"

#include "agent/wsman/xml.h"
#include "cimnet/cim/value.h"

namespace cimnet::wsman {

namespace {

std::string cimxml_type(cim::Type type) {
  if (type == cim::Type::kInstance) return "string";  // EmbeddedInstance/EmbeddedObject strings
  return std::string(cim::type_name(type));
}

std::string scalar_text(const cim::Value& v) {
  switch (v.type()) {
    case cim::Type::kDatetime: return v.as_datetime().to_cim();
    case cim::Type::kReference: return v.as_reference().to_string();
    case cim::Type::kInstance: return v.to_mof();
    default: return v.to_text();
  }
}

void append_value(std::string& out, const cim::Value& v) {
  if (v.is_null()) return;
  if (v.is_array()) {
    out += "<VALUE.ARRAY>";
    for (size_t i = 0; i < v.size(); ++i) {
      out += "<VALUE>";
      xml::append_escaped(out, scalar_text(v.at(i)));
      out += "</VALUE>";
    }
    out += "</VALUE.ARRAY>";
    return;
  }
  out += "<VALUE>";
  xml::append_escaped(out, scalar_text(v));
  out += "</VALUE>";
}

void attr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  xml::append_attribute_escaped(out, value);
  out += '"';
}

void append_qualifiers(std::string& out, const cim::QualifierList& list,
                       const ClassWriteOptions& options) {
  if (!options.qualifiers) return;
  for (const auto& q : list.items()) {
    out += "<QUALIFIER";
    attr(out, "NAME", q.name);
    attr(out, "TYPE", cimxml_type(q.value.type()));
    if (q.propagated) attr(out, "PROPAGATED", "true");
    if (!q.flavor.overridable) attr(out, "OVERRIDABLE", "false");
    if (!q.flavor.to_subclass) attr(out, "TOSUBCLASS", "false");
    if (q.flavor.translatable) attr(out, "TRANSLATABLE", "true");
    out += '>';
    append_value(out, q.value);
    out += "</QUALIFIER>";
  }
}

template <class Element>
void append_typed_attributes(std::string& out, const Element& e, const char* ref_attr) {
  if (e.type == cim::Type::kReference) {
    if (!e.reference_class.empty()) attr(out, ref_attr, e.reference_class);
  } else {
    attr(out, "TYPE", cimxml_type(e.type));
  }
  if (e.is_array && e.array_size) attr(out, "ARRAYSIZE", std::to_string(*e.array_size));
}

const char* element_name(cim::Type type, bool is_array, bool parameter) {
  if (type == cim::Type::kReference)
    return parameter ? (is_array ? "PARAMETER.REFARRAY" : "PARAMETER.REFERENCE")
                     : "PROPERTY.REFERENCE";
  if (parameter) return is_array ? "PARAMETER.ARRAY" : "PARAMETER";
  return is_array ? "PROPERTY.ARRAY" : "PROPERTY";
}

}  // namespace

void append_class_cimxml(std::string& out, const cim::Class& cls,
                         const ClassWriteOptions& options) {
  out += "<CLASS";
  attr(out, "NAME", cls.name());
  if (!cls.superclass().empty()) attr(out, "SUPERCLASS", cls.superclass());
  if (!options.derivation.empty() || !cls.superclass().empty())
    attr(out, "DERIVATION", options.derivation);
  out += '>';
  append_qualifiers(out, cls.qualifiers(), options);
  for (const auto& p : cls.properties()) {
    const char* tag = element_name(p.type, p.is_array, false);
    out += '<';
    out += tag;
    attr(out, "NAME", p.name);
    append_typed_attributes(out, p, "REFERENCECLASS");
    if (options.class_origin && !p.class_origin.empty()) attr(out, "CLASSORIGIN", p.class_origin);
    if (p.propagated) attr(out, "PROPAGATED", "true");
    out += '>';
    append_qualifiers(out, p.qualifiers, options);
    if (p.type != cim::Type::kReference) append_value(out, p.default_value);
    out += "</";
    out += tag;
    out += '>';
  }
  for (const auto& m : cls.methods()) {
    out += "<METHOD";
    attr(out, "NAME", m.name);
    attr(out, "TYPE", cimxml_type(m.return_type));
    if (options.class_origin && !m.class_origin.empty()) attr(out, "CLASSORIGIN", m.class_origin);
    if (m.propagated) attr(out, "PROPAGATED", "true");
    out += '>';
    append_qualifiers(out, m.qualifiers, options);
    for (const auto& p : m.parameters) {
      const char* tag = element_name(p.type, p.is_array, true);
      out += '<';
      out += tag;
      attr(out, "NAME", p.name);
      append_typed_attributes(out, p, "REFERENCECLASS");
      out += '>';
      append_qualifiers(out, p.qualifiers, options);
      out += "</";
      out += tag;
      out += '>';
    }
    out += "</METHOD>";
  }
  out += "</CLASS>";
}

}  // namespace cimnet::wsman

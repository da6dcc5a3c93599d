#include "agent/wsman/cim_binding.h"

#include <map>

#include "agent/wsman/fault.h"
#include "agent/wsman/names.h"
#include "agent/wsman/xml.h"
#include "cimnet/cim/error.h"
#include "cimnet/cim/names.h"

namespace cimnet::wsman {

namespace {

constexpr std::string_view kMsClassPrefix = "http://schemas.microsoft.com/wbem/wscim/1/cim-schema/2/";
constexpr const char* kNamespaceSelector = "__cimnamespace";

Fault invalid_representation(const std::string& why, const char* detail = "InvalidValues") {
  return Fault(FaultKind::kInvalidRepresentation, why, detail);
}

cim::Value key_value(const cim::Repository& repo, std::string_view ns, const cim::Property& key,
                     const Selector& selector) {
  if (key.type == cim::Type::kReference) {
    if (!selector.reference)
      throw Fault(FaultKind::kInvalidSelectors,
                  "Selector '" + selector.name + "' must hold an endpoint reference.",
                  "TypeMismatch");
    return cim::Value::reference(path_from_epr(repo, ns, *selector.reference));
  }
  if (selector.reference)
    throw Fault(FaultKind::kInvalidSelectors,
                "Selector '" + selector.name + "' must hold a value, not a reference.",
                "TypeMismatch");
  try {
    return cim::Value::from_text(key.type, selector.value);
  } catch (const cim::Error& e) {
    throw Fault(FaultKind::kInvalidSelectors,
                "Selector '" + selector.name + "': " + e.what(), "InvalidValue",
                wsman_code::kInvalidSelectorValue);
  }
}

void append_scalar(std::string& out, const cim::Repository& repo, std::string_view ns,
                   std::string_view qname, const cim::Value& v, int depth) {
  out += '<';
  out += qname;
  switch (v.type()) {
    case cim::Type::kDatetime: {
      const auto& dt = v.as_datetime();
      const char* tag = dt.is_interval() ? "cim:Interval" : dt.is_time_of_day() ? "cim:Time"
                                                                                : "cim:Datetime";
      out += "><";
      out += tag;
      out += '>';
      xml::append_escaped(out, dt.to_xml());
      out += "</";
      out += tag;
      out += '>';
      break;
    }
    case cim::Type::kReference: {
      out += '>';
      append_epr_content(out, epr_from_path(v.as_reference()));
      break;
    }
    case cim::Type::kInstance: {
      const cim::Instance& inner = v.as_instance();
      std::string prefix = "q" + std::to_string(depth + 1);
      out += " xmlns:" + prefix + "=\"";
      xml::append_attribute_escaped(out, class_resource_uri(inner.class_name()));
      out += "\" xsi:type=\"" + prefix + ":";
      xml::append_attribute_escaped(out, inner.class_name());
      out += "_Type\">";
      const cim::Class* cls = repo.find_class(ns, inner.class_name());
      if (cls) {
        for (const auto& p : cls->properties()) {
          const cim::Value* pv = inner.get(p.name);
          if (pv) append_value(out, repo, ns, prefix + ":" + p.name, *pv, depth + 1);
        }
      } else {
        for (const auto& p : inner.properties())
          append_value(out, repo, ns, prefix + ":" + p.name, p.value, depth + 1);
      }
      break;
    }
    default:
      out += '>';
      xml::append_escaped(out, v.to_text());
      break;
  }
  out += "</";
  out += qname;
  out += '>';
}

void append_nil(std::string& out, std::string_view qname) {
  out += '<';
  out += qname;
  out += " xsi:nil=\"true\"/>";
}

bool is_nil(pugi::xml_node e) {
  std::string_view v = xml::trim(xml::attribute(e, uri::kXsi, "nil").value());
  return v == "true" || v == "1";
}

cim::Value parse_scalar(const cim::Repository& repo, std::string_view ns, cim::Type type,
                        const std::string& embedded_class, pugi::xml_node e,
                        const std::string& what) {
  switch (type) {
    case cim::Type::kReference: {
      auto holder = xml::child(e, uri::kAddressing, "EndpointReference");
      EndpointReference epr = parse_endpoint_reference(holder ? holder : e);
      return cim::Value::reference(path_from_epr(repo, ns, epr));
    }
    case cim::Type::kInstance: {
      // The class comes from xsi:type ("q:Class_Type") or the qualifier.
      std::string class_name = embedded_class;
      std::string_view xsi_type = xml::attribute(e, uri::kXsi, "type").value();
      if (!xsi_type.empty()) {
        auto colon = xsi_type.find(':');
        std::string_view local = colon == std::string_view::npos ? xsi_type : xsi_type.substr(colon + 1);
        if (local.size() > 5 && local.substr(local.size() - 5) == "_Type")
          local.remove_suffix(5);
        class_name = std::string(local);
      }
      const cim::Class* cls = class_name.empty() ? nullptr : repo.find_class(ns, class_name);
      if (!cls)
        throw invalid_representation(what + ": embedded instance of unknown class '" +
                                     class_name + "'");
      cim::Instance inner(cls->name());
      std::map<std::string, std::vector<pugi::xml_node>, cim::ILess> groups;
      std::vector<std::string> order;
      for (auto c = e.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        std::string name(xml::local_name(c));
        if (!groups.count(name)) order.push_back(name);
        groups[name].push_back(c);
      }
      for (const auto& name : order) {
        const cim::Property* p = cls->find_property(name);
        if (!p)
          throw invalid_representation(what + ": class " + cls->name() + " has no property '" +
                                       name + "'");
        inner.set(p->name, parse_value(repo, ns, p->type, p->is_array, p->embedded_class(),
                                       groups[name], what + "." + p->name));
      }
      return cim::Value::instance(std::move(inner));
    }
    case cim::Type::kDatetime: {
      std::string text;
      if (auto inner = xml::first_element(e)) text = xml::text(inner);
      else text = xml::text(e);
      try {
        return cim::Value::datetime(cim::Datetime::parse_xml(text));
      } catch (const cim::Error& err) {
        throw invalid_representation(what + ": " + err.what());
      }
    }
    default: {
      if (xml::has_element_children(e))
        throw invalid_representation(what + ": expected text, found an element");
      // Strings keep their spaces; other types are trimmed by from_text's rules.
      std::string text;
      for (auto c = e.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) text += c.value();
      if (type != cim::Type::kString && type != cim::Type::kChar16)
        text = std::string(xml::trim(text));
      try {
        return cim::Value::from_text(type, text);
      } catch (const cim::Error& err) {
        throw invalid_representation(what + ": " + err.what());
      }
    }
  }
}

}  // namespace

std::string class_resource_uri(std::string_view class_name) {
  return std::string(uri::kCimClassPrefix) + std::string(class_name);
}

std::string class_from_resource_uri(std::string_view resource_uri) {
  for (std::string_view prefix : {uri::kCimClassPrefix, kMsClassPrefix}) {
    if (resource_uri.size() > prefix.size() && resource_uri.substr(0, prefix.size()) == prefix) {
      std::string_view name = resource_uri.substr(prefix.size());
      if (name.find_first_of("/*?#") != std::string_view::npos) return {};
      return std::string(name);
    }
  }
  return {};
}

std::string namespace_from_selectors(const std::vector<Selector>& selectors,
                                     std::string_view fallback) {
  for (const auto& s : selectors)
    if (cim::iequals(s.name, kNamespaceSelector)) return cim::canonical_namespace(s.value);
  return cim::canonical_namespace(fallback);
}

cim::ObjectPath path_from_selectors(const cim::Repository& repo, std::string_view ns,
                                    const cim::Class& cls,
                                    const std::vector<Selector>& selectors) {
  auto keys = cls.key_properties();
  for (const auto& s : selectors) {
    if (cim::iequals(s.name, kNamespaceSelector)) continue;
    if (!cls.find_property(s.name) || !cls.find_property(s.name)->is_key())
      throw Fault(FaultKind::kInvalidSelectors,
                  "'" + s.name + "' is not a key of class " + cls.name() + ".",
                  "UnexpectedSelectors", wsman_code::kUnexpectedSelectors);
  }
  cim::ObjectPath path(std::string(ns), cls.name());
  for (const cim::Property* key : keys) {
    const Selector* found = nullptr;
    for (const auto& s : selectors)
      if (cim::iequals(s.name, key->name)) found = &s;
    if (!found)
      throw Fault(FaultKind::kInvalidSelectors,
                  "Key '" + key->name + "' of class " + cls.name() + " is missing.",
                  "InsufficientSelectors", wsman_code::kInsufficientSelectors);
    path.add_key(key->name, key_value(repo, ns, *key, *found));
  }
  return path;
}

cim::ObjectPath path_from_epr(const cim::Repository& repo, std::string_view default_ns,
                              const EndpointReference& epr) {
  std::string class_name = class_from_resource_uri(epr.resource_uri);
  std::string ns = namespace_from_selectors(epr.selectors, default_ns);
  if (!repo.has_namespace(ns))
    throw Fault(FaultKind::kDestinationUnreachable, "No CIM namespace '" + ns + "'.");
  const cim::Class* cls = class_name.empty() ? nullptr : repo.find_class(ns, class_name);
  if (!cls)
    throw Fault(FaultKind::kDestinationUnreachable,
                "The resource URI '" + epr.resource_uri + "' names no class in " + ns + ".",
                "InvalidResourceURI");
  return path_from_selectors(repo, ns, *cls, epr.selectors);
}

EndpointReference epr_from_path(const cim::ObjectPath& path) {
  EndpointReference epr;
  epr.address = std::string(uri::kAnonymous);
  epr.resource_uri = class_resource_uri(path.class_name());
  for (const auto& key : path.keys()) {
    Selector s;
    s.name = key.name;
    if (key.value.type() == cim::Type::kReference && !key.value.is_null())
      s.reference = std::make_shared<EndpointReference>(epr_from_path(key.value.as_reference()));
    else if (!key.value.is_null())
      s.value = key.value.to_text();
    epr.selectors.push_back(std::move(s));
  }
  if (!path.ns().empty()) epr.selectors.push_back({kNamespaceSelector, path.ns(), nullptr});
  return epr;
}

void append_value(std::string& out, const cim::Repository& repo, std::string_view ns,
                  std::string_view qname, const cim::Value& value, int depth) {
  if (value.is_null()) return append_nil(out, qname);
  if (!value.is_array()) return append_scalar(out, repo, ns, qname, value, depth);
  for (size_t i = 0; i < value.size(); ++i)
    append_scalar(out, repo, ns, qname, value.at(i), depth);
}

void append_instance(std::string& out, const cim::Repository& repo, std::string_view ns,
                     const cim::Instance& instance, const InstanceWriteOptions& options) {
  const std::string& name = instance.class_name();
  out += "<p:";
  out += name;
  out += " xmlns:p=\"";
  xml::append_attribute_escaped(out, class_resource_uri(name));
  out += "\" xmlns:cim=\"";
  out += uri::kCimCommon;
  out += "\" xmlns:xsi=\"";
  out += uri::kXsi;
  out += "\">";
  auto wanted = [&](const std::string& property) {
    if (options.properties.empty()) return true;
    for (const auto& p : options.properties)
      if (cim::iequals(p, property)) return true;
    return false;
  };
  std::string qname;
  const cim::Class* cls = repo.find_class(ns, name);
  if (cls) {
    for (const auto& p : cls->properties()) {
      if (!wanted(p.name)) continue;
      qname = "p:" + p.name;
      const cim::Value* v = instance.get(p.name);
      if (v) append_value(out, repo, ns, qname, *v);
      else append_nil(out, qname);
    }
  } else {
    for (const auto& p : instance.properties()) {
      if (!wanted(p.name)) continue;
      append_value(out, repo, ns, "p:" + p.name, p.value);
    }
  }
  out += "</p:";
  out += name;
  out += '>';
}

cim::Value parse_value(const cim::Repository& repo, std::string_view ns, cim::Type type,
                       bool is_array, const std::string& embedded_class,
                       const std::vector<pugi::xml_node>& elements, const std::string& what) {
  if (elements.empty()) return cim::Value::null(type, is_array);
  if (!is_array) {
    if (elements.size() > 1)
      throw invalid_representation(what + " is not an array but appears " +
                                   std::to_string(elements.size()) + " times");
    if (is_nil(elements[0])) return cim::Value::null(type, false);
    return parse_scalar(repo, ns, type, embedded_class, elements[0], what);
  }
  if (elements.size() == 1 && is_nil(elements[0])) return cim::Value::null(type, true);
  std::vector<cim::Value> items;
  items.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    if (is_nil(elements[i]))
      throw invalid_representation(what + "[" + std::to_string(i) + "] is nil inside an array");
    items.push_back(parse_scalar(repo, ns, type, embedded_class, elements[i], what));
  }
  try {
    return cim::Value::array(type, items);
  } catch (const cim::Error& e) {
    throw invalid_representation(what + ": " + e.what());
  }
}

cim::Instance parse_instance(const cim::Repository& repo, std::string_view ns,
                             const cim::Class& cls, pugi::xml_node element) {
  if (!element)
    throw invalid_representation("The body holds no " + cls.name() + " instance.",
                                 "MissingValues");
  std::string expected_ns = class_resource_uri(cls.name());
  if (!cim::iequals(xml::local_name(element), cls.name()) ||
      xml::namespace_of(element) != expected_ns)
    throw invalid_representation("Expected element {" + expected_ns + "}" + cls.name() +
                                     ", found {" + std::string(xml::namespace_of(element)) + "}" +
                                     std::string(xml::local_name(element)) + ".",
                                 "InvalidNamespace");
  cim::Instance instance(cls.name());
  using Groups = std::map<std::string, std::vector<pugi::xml_node>, cim::ILess>;
  Groups groups;
  std::vector<Groups::iterator> order;  // map iterators stay valid: one lookup per element
  for (auto c = element.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (xml::namespace_of(c) != expected_ns)
      throw invalid_representation("Property element '" + std::string(c.name()) +
                                       "' is not in the class namespace " + expected_ns + ".",
                                   "InvalidNamespace");
    auto [it, added] = groups.try_emplace(std::string(xml::local_name(c)));
    if (added) order.push_back(it);
    it->second.push_back(c);
  }
  for (auto it : order) {
    const std::string& name = it->first;
    const cim::Property* p = cls.find_property(name);
    if (!p)
      throw invalid_representation("Class " + cls.name() + " has no property '" + name + "'.");
    instance.set(p->name, parse_value(repo, ns, p->type, p->is_array, p->embedded_class(),
                                      it->second, cls.name() + "." + p->name));
  }
  return instance;
}

}  // namespace cimnet::wsman

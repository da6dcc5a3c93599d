#pragma once

#include <string>
#include <string_view>

#include <pugixml.hpp>

// Namespace-aware access to pugixml trees (pugixml itself only sees
// prefixes) and escaping for the string-built responses.
namespace cimnet::wsman::xml {

// The namespace URI an element is in, from the xmlns declarations in scope;
// "" when its prefix is undeclared (or it has no prefix and no default).
std::string_view namespace_of(pugi::xml_node element);
// The name without its prefix.
std::string_view local_name(pugi::xml_node node);
std::string_view local_name(pugi::xml_attribute attribute);
// The namespace of an attribute: unprefixed attributes have none.
std::string_view namespace_of(pugi::xml_attribute attribute, pugi::xml_node owner);

// True when `element` is {ns}local.
bool is(pugi::xml_node element, std::string_view ns, std::string_view local);

// First child element {ns}local, or an empty node.
pugi::xml_node child(pugi::xml_node parent, std::string_view ns, std::string_view local);
// First child element of any name.
pugi::xml_node first_element(pugi::xml_node parent);
// Attribute {ns}local ("" ns: unqualified), or an empty attribute.
pugi::xml_attribute attribute(pugi::xml_node element, std::string_view ns,
                              std::string_view local);

// The element's text content (all direct text/CDATA children joined),
// with leading and trailing XML white space removed.
std::string text(pugi::xml_node element);
// True when the element has element children.
bool has_element_children(pugi::xml_node element);

std::string_view trim(std::string_view s);

// Appends `s` escaped for element content (& < >) or attribute values (also ").
void append_escaped(std::string& out, std::string_view s);
void append_attribute_escaped(std::string& out, std::string_view s);
std::string escape(std::string_view s);

}  // namespace cimnet::wsman::xml

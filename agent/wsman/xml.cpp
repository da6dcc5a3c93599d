#include "agent/wsman/xml.h"

#include <array>
#include <cstring>

namespace cimnet::wsman::xml {

namespace {

constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";

std::string_view prefix_of(std::string_view qname) {
  size_t colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

// Looks up the URI bound to `prefix` ("" = default namespace) from `node` up.
std::string_view resolve(pugi::xml_node node, std::string_view prefix) {
  if (prefix == "xml") return kXmlNs;
  for (; node && node.type() == pugi::node_element; node = node.parent()) {
    for (auto attr = node.first_attribute(); attr; attr = attr.next_attribute()) {
      // Compared in place (no strlen of every attribute name): "xmlns" for
      // the default namespace, "xmlns:" + prefix otherwise.
      const char* name = attr.name();
      if (std::strncmp(name, "xmlns", 5) != 0) continue;
      if (prefix.empty()
              ? name[5] == '\0'
              : (name[5] == ':' && std::strncmp(name + 6, prefix.data(), prefix.size()) == 0 &&
                 name[6 + prefix.size()] == '\0'))
        return attr.value();
    }
  }
  return {};
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string_view namespace_of(pugi::xml_node element) {
  return resolve(element, prefix_of(element.name()));
}

std::string_view local_name(pugi::xml_node node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view local_name(pugi::xml_attribute attribute) {
  std::string_view name = attribute.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view namespace_of(pugi::xml_attribute attribute, pugi::xml_node owner) {
  std::string_view prefix = prefix_of(attribute.name());
  if (prefix.empty()) return {};
  return resolve(owner, prefix);
}

bool is(pugi::xml_node element, std::string_view ns, std::string_view local) {
  return element.type() == pugi::node_element && local_name(element) == local &&
         namespace_of(element) == ns;
}

pugi::xml_node child(pugi::xml_node parent, std::string_view ns, std::string_view local) {
  for (auto c = parent.first_child(); c; c = c.next_sibling())
    if (is(c, ns, local)) return c;
  return {};
}

pugi::xml_node first_element(pugi::xml_node parent) {
  for (auto c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) return c;
  return {};
}

pugi::xml_attribute attribute(pugi::xml_node element, std::string_view ns,
                              std::string_view local) {
  for (auto a = element.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    if (name == "xmlns" || name.substr(0, 6) == "xmlns:") continue;
    if (local_name(a) == local && namespace_of(a, element) == ns) return a;
  }
  return {};
}

std::string text(pugi::xml_node element) {
  // Common case first: one text child, trimmed straight into the result.
  auto first = element.first_child();
  if (first && !first.next_sibling() &&
      (first.type() == pugi::node_pcdata || first.type() == pugi::node_cdata))
    return std::string(trim(first.value()));
  std::string out;
  for (auto c = element.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  return std::string(trim(out));
}

bool has_element_children(pugi::xml_node element) { return bool(first_element(element)); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// XML 1.0 cannot carry C0 controls other than tab, newline and carriage
// return, not even as character references: they become U+FFFD.
constexpr const char* kReplacement = "\xEF\xBF\xBD";

// Bytes append_escaped must replace: & < > \r and the C0 controls other
// than tab and newline. A table lookup per byte; runs of plain bytes are
// appended at once.
constexpr auto kTextSpecial = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = c != '\t' && c != '\n';
  t['&'] = t['<'] = t['>'] = true;
  return t;
}();

void append_escaped(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!kTextSpecial[static_cast<unsigned char>(s[i])]) continue;
    const char* rep;
    switch (s[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '\r': rep = "&#13;"; break;
      default:
        rep = kReplacement;
        break;
    }
    out.append(s.data() + start, i - start);
    out += rep;
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

void append_attribute_escaped(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* rep = nullptr;
    switch (s[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\t': rep = "&#9;"; break;
      case '\n': rep = "&#10;"; break;
      case '\r': rep = "&#13;"; break;
      default:
        if (static_cast<unsigned char>(s[i]) < 0x20) rep = kReplacement;
        else continue;
    }
    out.append(s.data() + start, i - start);
    out += rep;
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_escaped(out, s);
  return out;
}

}  // namespace cimnet::wsman::xml

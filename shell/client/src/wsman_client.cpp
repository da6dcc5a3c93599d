#include "cimnet/shell/client/wsman_client.h"

#include <pugixml.hpp>

#include <algorithm>
#include <cstring>

#include "agent/wsman/envelope.h"
#include "agent/wsman/names.h"
#include "agent/wsman/xml.h"

namespace cimnet::shell::client {

namespace uri = cimnet::wsman::uri;
namespace xml = cimnet::wsman::xml;

namespace {

constexpr std::string_view kCimXmlClassUri = "http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*";

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::string escape(std::string_view s) { return xml::escape(s); }
std::string attr_escape(std::string_view s) {
  std::string out;
  xml::append_attribute_escaped(out, s);
  return out;
}

void append_selector_set(std::string& out, const std::vector<Selector>& selectors);

void append_epr_content(std::string& out, const Epr& epr) {
  out += "<wsa:Address>";
  out += escape(epr.address.empty() ? std::string(uri::kAnonymous) : epr.address);
  out += "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>";
  out += escape(epr.resource_uri);
  out += "</wsman:ResourceURI>";
  append_selector_set(out, epr.selectors);
  out += "</wsa:ReferenceParameters>";
}

void append_selector_set(std::string& out, const std::vector<Selector>& selectors) {
  if (selectors.empty()) return;
  out += "<wsman:SelectorSet>";
  for (const auto& s : selectors) {
    out += "<wsman:Selector Name=\"" + attr_escape(s.name) + "\">";
    if (s.reference) {
      out += "<wsa:EndpointReference>";
      append_epr_content(out, *s.reference);
      out += "</wsa:EndpointReference>";
    } else {
      out += escape(s.value);
    }
    out += "</wsman:Selector>";
  }
  out += "</wsman:SelectorSet>";
}

std::vector<Selector> parse_selectors(pugi::xml_node set);

Epr parse_epr(pugi::xml_node holder) {
  Epr epr;
  if (auto a = xml::child(holder, uri::kAddressing, "Address")) epr.address = xml::text(a);
  pugi::xml_node params = xml::child(holder, uri::kAddressing, "ReferenceParameters");
  if (!params) params = xml::child(holder, uri::kAddressing, "ReferenceProperties");
  if (!params) params = holder;
  if (auto r = xml::child(params, uri::kWsman, "ResourceURI")) epr.resource_uri = xml::text(r);
  if (auto s = xml::child(params, uri::kWsman, "SelectorSet")) epr.selectors = parse_selectors(s);
  return epr;
}

std::vector<Selector> parse_selectors(pugi::xml_node set) {
  std::vector<Selector> out;
  for (auto s = set.first_child(); s; s = s.next_sibling()) {
    if (s.type() != pugi::node_element || !xml::is(s, uri::kWsman, "Selector")) continue;
    Selector sel;
    sel.name = xml::trim(s.attribute("Name").value());
    if (auto e = xml::child(s, uri::kAddressing, "EndpointReference"))
      sel.reference = std::make_shared<Epr>(parse_epr(e));
    else
      sel.value = xml::text(s);
    out.push_back(std::move(sel));
  }
  return out;
}

bool is_nil(pugi::xml_node e) {
  std::string_view v = xml::trim(xml::attribute(e, uri::kXsi, "nil").value());
  return v == "true" || v == "1";
}

Instance parse_instance(pugi::xml_node element);

WireValue parse_wire_value(pugi::xml_node e) {
  WireValue v;
  if (is_nil(e)) return v;
  std::string_view xsi_type = xml::attribute(e, uri::kXsi, "type").value();
  if (!xsi_type.empty() && xsi_type.size() > 5 && xsi_type.substr(xsi_type.size() - 5) == "_Type") {
    v.kind = WireValue::Kind::Embedded;
    v.embedded = std::make_shared<Instance>(parse_instance(e));
    auto colon = xsi_type.find(':');
    std::string_view local = colon == std::string_view::npos ? xsi_type : xsi_type.substr(colon + 1);
    local.remove_suffix(5);
    v.embedded->class_name = std::string(local);
    return v;
  }
  if (xml::child(e, uri::kAddressing, "ReferenceParameters") || xml::child(e, uri::kAddressing, "EndpointReference")) {
    v.kind = WireValue::Kind::Reference;
    auto holder = xml::child(e, uri::kAddressing, "EndpointReference");
    v.reference = std::make_shared<Epr>(parse_epr(holder ? holder : e));
    return v;
  }
  if (auto inner = xml::first_element(e)) {
    std::string_view local = xml::local_name(inner);
    if (xml::namespace_of(inner) == uri::kCimCommon) {
      v.kind = local == "Interval" ? WireValue::Kind::Interval : WireValue::Kind::Datetime;
      v.text = xml::text(inner);
      return v;
    }
    // An embedded instance without xsi:type: keep its properties.
    v.kind = WireValue::Kind::Embedded;
    v.embedded = std::make_shared<Instance>(parse_instance(e));
    return v;
  }
  v.kind = WireValue::Kind::Text;
  // Keep the text as sent (strings may have meaningful spaces); no trimming of values.
  for (auto c = e.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) v.text += c.value();
  return v;
}

Instance parse_instance(pugi::xml_node element) {
  Instance inst;
  inst.class_name = std::string(xml::local_name(element));
  for (auto c = element.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string name(xml::local_name(c));
    WireProperty* p = nullptr;
    for (auto& q : inst.properties)
      if (q.name == name) p = &q;
    if (!p) {
      inst.properties.push_back({name, {}});
      p = &inst.properties.back();
    }
    p->values.push_back(parse_wire_value(c));
  }
  return inst;
}

// One item of an Items element: an instance, an EPR, or wsman:Item with both.
Instance parse_item(pugi::xml_node item) {
  if (xml::is(item, uri::kWsman, "Item")) {
    Instance inst;
    bool have = false;
    std::optional<Epr> epr;
    for (auto c = item.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      if (xml::is(c, uri::kAddressing, "EndpointReference")) epr = parse_epr(c);
      else if (!have) {
        inst = parse_instance(c);
        have = true;
      }
    }
    if (!have && epr) inst.class_name = epr->class_name();
    inst.epr = epr;
    return inst;
  }
  if (xml::is(item, uri::kAddressing, "EndpointReference")) {
    Instance inst;
    inst.epr = parse_epr(item);
    inst.class_name = inst.epr->class_name();
    // Keys only: the selectors are the properties.
    for (const auto& s : inst.epr->selectors) {
      if (s.name == "__cimnamespace") continue;
      WireValue v;
      if (s.reference) {
        v.kind = WireValue::Kind::Reference;
        v.reference = s.reference;
      } else {
        v.kind = WireValue::Kind::Text;
        v.text = s.value;
      }
      inst.properties.push_back({s.name, {v}});
    }
    return inst;
  }
  return parse_instance(item);
}

std::string qualifier_text(pugi::xml_node q) {
  if (auto v = q.child("VALUE")) return v.text().get();
  if (auto a = q.child("VALUE.ARRAY")) {
    std::string out;
    for (auto v : a.children("VALUE")) out += (out.empty() ? "" : ",") + std::string(v.text().get());
    return out;
  }
  return "";
}

std::vector<std::string> qualifier_list(pugi::xml_node owner, const char* name) {
  std::vector<std::string> out;
  for (auto q : owner.children("QUALIFIER")) {
    if (!ieq(q.attribute("NAME").value(), name)) continue;
    if (auto a = q.child("VALUE.ARRAY"))
      for (auto v : a.children("VALUE")) out.push_back(v.text().get());
    else if (auto v = q.child("VALUE"))
      out.push_back(v.text().get());
  }
  return out;
}

bool qualifier_true(pugi::xml_node owner, const char* name) {
  for (auto q : owner.children("QUALIFIER"))
    if (ieq(q.attribute("NAME").value(), name)) {
      auto v = q.child("VALUE");
      return !v || ieq(v.text().get(), "true");
    }
  return false;
}

std::string qualifier_value(pugi::xml_node owner, const char* name) {
  for (auto q : owner.children("QUALIFIER"))
    if (ieq(q.attribute("NAME").value(), name)) return qualifier_text(q);
  return "";
}

ClassDecl parse_class(pugi::xml_node cls, const std::string& ns) {
  ClassDecl d;
  d.name = cls.attribute("NAME").value();
  d.superclass = cls.attribute("SUPERCLASS").value();
  d.ns = ns;
  std::string derivation = cls.attribute("DERIVATION").value();
  for (size_t start = 0; !derivation.empty() && start <= derivation.size();) {
    size_t comma = derivation.find(',', start);
    std::string part = derivation.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) d.derivation.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (auto q : cls.children("QUALIFIER")) d.qualifiers.emplace_back(q.attribute("NAME").value(), qualifier_text(q));
  for (auto p = cls.first_child(); p; p = p.next_sibling()) {
    std::string tag = p.name();
    if (tag == "PROPERTY" || tag == "PROPERTY.ARRAY" || tag == "PROPERTY.REFERENCE") {
      PropertyDecl pd;
      pd.name = p.attribute("NAME").value();
      pd.type = tag == "PROPERTY.REFERENCE" ? "reference" : p.attribute("TYPE").value();
      pd.is_array = tag == "PROPERTY.ARRAY";
      pd.reference_class = p.attribute("REFERENCECLASS").value();
      pd.is_key = qualifier_true(p, "Key");
      pd.is_write = qualifier_true(p, "Write");
      pd.embedded_class = qualifier_value(p, "EmbeddedInstance");
      if (!pd.embedded_class.empty()) pd.type = "instance";
      pd.value_map = qualifier_list(p, "ValueMap");
      pd.values = qualifier_list(p, "Values");
      d.properties.push_back(std::move(pd));
    } else if (tag == "METHOD") {
      MethodDecl md;
      md.name = p.attribute("NAME").value();
      md.return_type = p.attribute("TYPE").value();
      md.is_static = qualifier_true(p, "Static");
      for (auto a = p.first_child(); a; a = a.next_sibling()) {
        std::string at = a.name();
        if (at.rfind("PARAMETER", 0) != 0) continue;
        ParameterDecl pd;
        pd.name = a.attribute("NAME").value();
        pd.type = at == "PARAMETER.REFERENCE" || at == "PARAMETER.REFARRAY" ? "reference" : a.attribute("TYPE").value();
        pd.is_array = at == "PARAMETER.ARRAY" || at == "PARAMETER.REFARRAY";
        pd.reference_class = a.attribute("REFERENCECLASS").value();
        bool has_in = false;
        for (auto q : a.children("QUALIFIER")) has_in = has_in || ieq(q.attribute("NAME").value(), "In");
        pd.in = has_in ? qualifier_true(a, "In") : true;
        pd.out = qualifier_true(a, "Out");
        pd.embedded_class = qualifier_value(a, "EmbeddedInstance");
        if (!pd.embedded_class.empty()) pd.type = "instance";
        md.parameters.push_back(std::move(pd));
      }
      d.methods.push_back(std::move(md));
    }
  }
  return d;
}

pugi::xml_node find_descendant(pugi::xml_node n, const char* name) {
  for (auto c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::strcmp(c.name(), name) == 0) return c;
    if (auto d = find_descendant(c, name)) return d;
  }
  return {};
}

}  // namespace

const Selector* Epr::find(std::string_view name) const {
  for (const auto& s : selectors)
    if (ieq(s.name, name)) return &s;
  return nullptr;
}

std::string Epr::class_name() const {
  auto slash = resource_uri.rfind('/');
  return slash == std::string::npos ? resource_uri : resource_uri.substr(slash + 1);
}

std::string Epr::cim_namespace() const {
  const Selector* s = find("__cimnamespace");
  return s ? s->value : "";
}

const WireProperty* Instance::find(std::string_view name) const {
  for (const auto& p : properties)
    if (ieq(p.name, name)) return &p;
  return nullptr;
}

const PropertyDecl* ClassDecl::find_property(std::string_view n) const {
  for (const auto& p : properties)
    if (ieq(p.name, n)) return &p;
  return nullptr;
}

const MethodDecl* ClassDecl::find_method(std::string_view n) const {
  for (const auto& m : methods)
    if (ieq(m.name, n)) return &m;
  return nullptr;
}

void append_wire_property(std::string& out, const std::string& prefix, const WireProperty& p, int depth) {
  std::string qname = prefix + ":" + p.name;
  for (const auto& v : p.values) {
    switch (v.kind) {
      case WireValue::Kind::Nil:
        out += "<" + qname + " xsi:nil=\"true\"/>";
        break;
      case WireValue::Kind::Text:
        out += "<" + qname + ">" + escape(v.text) + "</" + qname + ">";
        break;
      case WireValue::Kind::Datetime:
        out += "<" + qname + "><cim:Datetime>" + escape(v.text) + "</cim:Datetime></" + qname + ">";
        break;
      case WireValue::Kind::Interval:
        out += "<" + qname + "><cim:Interval>" + escape(v.text) + "</cim:Interval></" + qname + ">";
        break;
      case WireValue::Kind::Reference:
        out += "<" + qname + ">";
        append_epr_content(out, *v.reference);
        out += "</" + qname + ">";
        break;
      case WireValue::Kind::Embedded: {
        std::string inner = "q" + std::to_string(depth + 1);
        out += "<" + qname + " xmlns:" + inner + "=\"" + attr_escape(WsmanClient::resource_uri(v.embedded->class_name)) +
               "\" xsi:type=\"" + inner + ":" + attr_escape(v.embedded->class_name) + "_Type\">";
        for (const auto& ip : v.embedded->properties) append_wire_property(out, inner, ip, depth + 1);
        out += "</" + qname + ">";
        break;
      }
    }
  }
}

struct WsmanClient::Reply {
  pugi::xml_document doc;
  pugi::xml_node header;
  pugi::xml_node payload;  // first element of the body (may be empty)
};

WsmanClient::WsmanClient(ClientOptions options)
    : options_(std::move(options)), http_(make_http_connection(options_.target)) {}

WsmanClient::~WsmanClient() = default;

std::string WsmanClient::resource_uri(const std::string& class_name) {
  return std::string(uri::kCimClassPrefix) + class_name;
}

Epr WsmanClient::class_epr(const std::string& ns, const std::string& class_name) {
  Epr e;
  e.resource_uri = resource_uri(class_name);
  if (!ns.empty()) e.selectors.push_back({"__cimnamespace", ns, nullptr});
  return e;
}

std::shared_ptr<WsmanClient::Reply> WsmanClient::call(const std::string& action, const std::string& resource_uri,
                                                      const std::vector<Selector>& selectors, const std::string& body,
                                                      const std::string& extra_headers) {
  std::string env =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
      " xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
      " xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""
      " xmlns:wsen=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\""
      " xmlns:wxf=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\""
      " xmlns:wsmb=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\""
      " xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\""
      " xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\""
      " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><s:Header>";
  std::string message_id;
  if (!action.empty()) {
    const auto& t = options_.target;
    message_id = cimnet::wsman::new_uuid();
    env += "<wsa:Action s:mustUnderstand=\"true\">" + escape(action) + "</wsa:Action>";
    env += "<wsa:To s:mustUnderstand=\"true\">" + escape(std::string(t.tls ? "https://" : "http://") + t.host + ":" +
                                                       std::to_string(t.port) + t.path) +
           "</wsa:To>";
    env += "<wsman:ResourceURI s:mustUnderstand=\"true\">" + escape(resource_uri) + "</wsman:ResourceURI>";
    env += "<wsa:MessageID s:mustUnderstand=\"true\">" + message_id + "</wsa:MessageID>";
    env += "<wsa:ReplyTo><wsa:Address>" + std::string(uri::kAnonymous) + "</wsa:Address></wsa:ReplyTo>";
    env += "<wsman:MaxEnvelopeSize s:mustUnderstand=\"true\">" + std::to_string(options_.max_envelope_size) +
           "</wsman:MaxEnvelopeSize>";
    env += "<wsman:Locale xml:lang=\"" + attr_escape(options_.locale) + "\" s:mustUnderstand=\"false\"/>";
    env += "<wsman:OperationTimeout>" + cimnet::wsman::format_duration(options_.operation_timeout) +
           "</wsman:OperationTimeout>";
    append_selector_set(env, selectors);
    env += extra_headers;
  }
  env += "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";

  std::string auth = options_.user.empty() ? std::string() : basic_authorization(options_.user, options_.password);
  HttpResponse res = http_->post(env, auth);
  if (res.status == 401)
    throw WsmanError("Access is denied: the WS-Management service at " + options_.target.host + ":" +
                         std::to_string(options_.target.port) + " refused the credentials" +
                         (options_.user.empty() ? " (none were given)." : " of user '" + options_.user + "'."),
                     "", "AccessDenied", 401);
  auto reply = std::make_shared<Reply>();
  auto parsed = reply->doc.load_buffer(res.body.data(), res.body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  pugi::xml_node envelope = reply->doc.document_element();
  if (!parsed || !xml::is(envelope, uri::kSoap, "Envelope")) {
    throw WsmanError("The WS-Management service answered HTTP " + std::to_string(res.status) +
                         " without a SOAP envelope" + (res.body.empty() ? "." : ": " + res.body.substr(0, 200)),
                     "", "", res.status);
  }
  reply->header = xml::child(envelope, uri::kSoap, "Header");
  pugi::xml_node body_node = xml::child(envelope, uri::kSoap, "Body");
  reply->payload = xml::first_element(body_node);
  if (reply->payload && xml::is(reply->payload, uri::kSoap, "Fault")) {
    pugi::xml_node f = reply->payload;
    auto code = xml::child(f, uri::kSoap, "Code");
    std::string code_value = xml::text(xml::child(code, uri::kSoap, "Value"));
    std::string subcode = xml::text(xml::child(xml::child(code, uri::kSoap, "Subcode"), uri::kSoap, "Value"));
    auto colon = subcode.find(':');
    if (colon != std::string::npos) subcode = subcode.substr(colon + 1);
    std::string reason = xml::text(xml::child(xml::child(f, uri::kSoap, "Reason"), uri::kSoap, "Text"));
    if (reason.empty()) reason = "The WS-Management service returned the fault " + subcode + ".";
    WsmanError err(reason, code_value, subcode, res.status);
    if (auto detail = xml::child(f, uri::kSoap, "Detail")) {
      if (auto fd = xml::child(detail, uri::kWsman, "FaultDetail")) err.detail = xml::text(fd);
      if (auto cs = find_descendant(detail, "e:CIMStatusCode")) err.cim_status = std::atoi(xml::text(cs).c_str());
      for (auto c = detail.first_child(); c && !err.cim_status; c = c.next_sibling())
        for (auto g = c.first_child(); g; g = g.next_sibling())
          if (g.type() == pugi::node_element && xml::local_name(g) == "CIMStatusCode")
            err.cim_status = std::atoi(xml::text(g).c_str());
    }
    throw err;
  }
  if (res.status != 200)
    throw WsmanError("The WS-Management service answered HTTP " + std::to_string(res.status) + ".", "", "", res.status);
  return reply;
}

IdentifyResult WsmanClient::identify() {
  auto r = call("", "", {}, "<wsmid:Identify/>");
  if (!r->payload || !xml::is(r->payload, uri::kIdentity, "IdentifyResponse"))
    throw WsmanError("The service did not answer Identify with an IdentifyResponse.", "", "", 200);
  IdentifyResult out;
  out.protocol_version = xml::text(xml::child(r->payload, uri::kIdentity, "ProtocolVersion"));
  out.product_vendor = xml::text(xml::child(r->payload, uri::kIdentity, "ProductVendor"));
  out.product_version = xml::text(xml::child(r->payload, uri::kIdentity, "ProductVersion"));
  if (auto sp = xml::child(r->payload, uri::kIdentity, "SecurityProfiles"))
    for (auto c = sp.first_child(); c; c = c.next_sibling())
      if (c.type() == pugi::node_element) out.security_profiles.push_back(xml::text(c));
  return out;
}

Instance WsmanClient::get(const Epr& epr) {
  auto r = call(std::string(uri::kGet), epr.resource_uri, epr.selectors, "");
  if (!r->payload) throw WsmanError("The Get response carried no instance.", "", "", 200);
  Instance inst = parse_instance(r->payload);
  inst.epr = epr;
  return inst;
}

Instance WsmanClient::put(const Epr& epr, const Instance& instance) {
  std::string body = "<p:" + instance.class_name + " xmlns:p=\"" + attr_escape(epr.resource_uri) + "\">";
  for (const auto& p : instance.properties) append_wire_property(body, "p", p);
  body += "</p:" + instance.class_name + ">";
  auto r = call(std::string(uri::kPut), epr.resource_uri, epr.selectors, body);
  Instance out = r->payload ? parse_instance(r->payload) : instance;
  out.epr = epr;
  return out;
}

Epr WsmanClient::create(const std::string& ns, const Instance& instance) {
  std::string ru = resource_uri(instance.class_name);
  std::string body = "<p:" + instance.class_name + " xmlns:p=\"" + attr_escape(ru) + "\">";
  for (const auto& p : instance.properties) append_wire_property(body, "p", p);
  body += "</p:" + instance.class_name + ">";
  std::vector<Selector> sel;
  if (!ns.empty()) sel.push_back({"__cimnamespace", ns, nullptr});
  auto r = call(std::string(uri::kCreate), ru, sel, body);
  if (!r->payload || !xml::is(r->payload, uri::kTransfer, "ResourceCreated"))
    throw WsmanError("The Create response carried no ResourceCreated.", "", "", 200);
  return parse_epr(r->payload);
}

void WsmanClient::remove(const Epr& epr) { call(std::string(uri::kDelete), epr.resource_uri, epr.selectors, ""); }

std::unique_ptr<Enumeration> WsmanClient::enumerate(EnumerateRequest request) {
  std::unique_ptr<Enumeration> e(new Enumeration(*this, request));
  std::string body = "<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>" +
                     std::to_string(request.max_elements) + "</wsman:MaxElements>";
  body += request.keys_only ? "<wsman:EnumerationMode>EnumerateEPR</wsman:EnumerationMode>"
                            : "<wsman:EnumerationMode>EnumerateObjectAndEPR</wsman:EnumerationMode>";
  std::string ru = resource_uri(request.class_name);
  std::vector<Selector> selectors;
  if (!request.ns.empty()) selectors.push_back({"__cimnamespace", request.ns, nullptr});
  if (request.association) {
    const auto& a = *request.association;
    ru = std::string(uri::kAllClasses);
    const char* tag = a.references ? "wsmb:AssociationInstances" : "wsmb:AssociatedInstances";
    body += "<wsman:Filter Dialect=\"" + std::string(uri::kDialectAssociation) + "\"><" + tag + "><wsmb:Object>";
    append_epr_content(body, a.object);
    body += "</wsmb:Object>";
    if (!a.association_class.empty() && !a.references)
      body += "<wsmb:AssociationClassName>" + escape(a.association_class) + "</wsmb:AssociationClassName>";
    if (!a.role.empty()) body += "<wsmb:Role>" + escape(a.role) + "</wsmb:Role>";
    std::string result_class = a.references ? a.association_class : a.result_class;
    if (!result_class.empty()) body += "<wsmb:ResultClassName>" + escape(result_class) + "</wsmb:ResultClassName>";
    if (!a.result_role.empty() && !a.references) body += "<wsmb:ResultRole>" + escape(a.result_role) + "</wsmb:ResultRole>";
    body += std::string("</") + tag + "></wsman:Filter>";
  } else if (request.wql) {
    if (request.class_name.empty()) ru = std::string(uri::kAllClasses);
    body += "<wsman:Filter Dialect=\"" + attr_escape(request.query_dialect) + "\">" + escape(*request.wql) +
            "</wsman:Filter>";
  }
  if (request.shallow && !request.association)
    body += "<wsmb:PolymorphismMode>None</wsmb:PolymorphismMode>";
  body += "</wsen:Enumerate>";
  auto r = call(std::string(uri::kEnumerate), ru, selectors, body,
                "<wsman:RequestTotalItemsCountEstimate/>");
  if (!r->payload || !xml::is(r->payload, uri::kEnumeration, "EnumerateResponse"))
    throw WsmanError("The Enumerate response carried no EnumerateResponse.", "", "", 200);
  if (auto est = xml::child(r->header, uri::kWsman, "TotalItemsCountEstimate")) {
    std::string t = xml::text(est);
    if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) e->estimate_ = std::stoll(t);
  }
  e->context_ = xml::text(xml::child(r->payload, uri::kEnumeration, "EnumerationContext"));
  auto items = xml::child(r->payload, uri::kWsman, "Items");
  if (!items) items = xml::child(r->payload, uri::kEnumeration, "Items");
  for (auto c = items.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) e->batch_.push_back(parse_item(c));
  if (xml::child(r->payload, uri::kWsman, "EndOfSequence") || xml::child(r->payload, uri::kEnumeration, "EndOfSequence") ||
      e->context_.empty())
    e->end_ = true;
  // A non-optimizing service returns only the context; the first Pull fetches items.
  return e;
}

Enumeration::~Enumeration() { release(); }

void Enumeration::release() {
  batch_.clear();
  pos_ = 0;
  if (end_ || context_.empty()) {
    end_ = true;
    return;
  }
  end_ = true;
  std::vector<Selector> selectors;
  if (!request_.ns.empty()) selectors.push_back({"__cimnamespace", request_.ns, nullptr});
  try {
    client_.call(std::string(uri::kRelease), WsmanClient::resource_uri(request_.class_name), selectors,
                 "<wsen:Release><wsen:EnumerationContext>" + escape(context_) +
                     "</wsen:EnumerationContext></wsen:Release>");
  } catch (const std::exception&) {
    // The context expires on the server anyway.
  }
  context_.clear();
}

void Enumeration::pull() {
  std::vector<Selector> selectors;
  if (!request_.ns.empty()) selectors.push_back({"__cimnamespace", request_.ns, nullptr});
  std::string ru = request_.association || (request_.wql && request_.class_name.empty())
                       ? std::string(uri::kAllClasses)
                       : WsmanClient::resource_uri(request_.class_name);
  auto r = client_.call(std::string(uri::kPull), ru, selectors,
                        "<wsen:Pull><wsen:EnumerationContext>" + escape(context_) +
                            "</wsen:EnumerationContext><wsen:MaxElements>" + std::to_string(request_.max_elements) +
                            "</wsen:MaxElements></wsen:Pull>");
  if (!r->payload || !xml::is(r->payload, uri::kEnumeration, "PullResponse"))
    throw WsmanError("The Pull response carried no PullResponse.", "", "", 200);
  batch_.clear();
  pos_ = 0;
  auto ctx = xml::child(r->payload, uri::kEnumeration, "EnumerationContext");
  if (ctx) context_ = xml::text(ctx);
  auto items = xml::child(r->payload, uri::kEnumeration, "Items");
  for (auto c = items.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) batch_.push_back(parse_item(c));
  if (xml::child(r->payload, uri::kEnumeration, "EndOfSequence") || !ctx || context_.empty()) {
    end_ = true;
    context_.clear();
  }
}

bool Enumeration::next(Instance& out) {
  while (pos_ >= batch_.size()) {
    if (end_) return false;
    try {
      pull();
    } catch (...) {
      end_ = true;
      context_.clear();
      throw;
    }
  }
  out = std::move(batch_[pos_++]);
  return true;
}

Instance WsmanClient::invoke(const Epr& target, const std::string& method, const Instance& input) {
  std::string body = "<p:" + method + "_INPUT xmlns:p=\"" + attr_escape(target.resource_uri) + "\">";
  for (const auto& p : input.properties) append_wire_property(body, "p", p);
  body += "</p:" + method + "_INPUT>";
  auto r = call(target.resource_uri + "/" + method, target.resource_uri, target.selectors, body);
  if (!r->payload) throw WsmanError("The " + method + " response carried no output.", "", "", 200);
  return parse_instance(r->payload);
}

ClassDecl WsmanClient::get_class(const std::string& ns, const std::string& class_name) {
  std::vector<Selector> sel{{"__cimnamespace", ns, nullptr}, {"ClassName", class_name, nullptr}};
  auto r = call(std::string(uri::kGet), std::string(kCimXmlClassUri), sel, "");
  pugi::xml_node cls = r->payload && std::strcmp(r->payload.name(), "CLASS") == 0 ? r->payload
                                                                                   : find_descendant(r->payload, "CLASS");
  if (!cls) throw WsmanError("The service returned no CIM-XML CLASS for " + class_name + ".", "", "", 200);
  return parse_class(cls, ns);
}

std::vector<std::string> WsmanClient::class_names(const std::string& ns) {
  std::vector<Selector> sel{{"__cimnamespace", ns, nullptr}};
  std::string body =
      "<wsen:Enumerate><wsman:OptimizeEnumeration/><wsman:MaxElements>500</wsman:MaxElements></wsen:Enumerate>";
  auto r = call(std::string(uri::kEnumerate), std::string(kCimXmlClassUri), sel, body);
  std::vector<std::string> out;
  std::string context = xml::text(xml::child(r->payload, uri::kEnumeration, "EnumerationContext"));
  auto collect = [&](pugi::xml_node items) {
    for (auto c = items.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      pugi::xml_node cls = std::strcmp(c.name(), "CLASS") == 0 ? c : find_descendant(c, "CLASS");
      if (cls) out.push_back(cls.attribute("NAME").value());
    }
  };
  collect(xml::child(r->payload, uri::kWsman, "Items"));
  bool end = xml::child(r->payload, uri::kWsman, "EndOfSequence") || context.empty();
  for (int guard = 0; !end && guard < 1000; ++guard) {
    auto p = call(std::string(uri::kPull), std::string(kCimXmlClassUri), sel,
                  "<wsen:Pull><wsen:EnumerationContext>" + escape(context) +
                      "</wsen:EnumerationContext><wsen:MaxElements>500</wsen:MaxElements></wsen:Pull>");
    collect(xml::child(p->payload, uri::kEnumeration, "Items"));
    auto ctx = xml::child(p->payload, uri::kEnumeration, "EnumerationContext");
    context = ctx ? xml::text(ctx) : "";
    end = xml::child(p->payload, uri::kEnumeration, "EndOfSequence") || context.empty();
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cimnet::shell::client

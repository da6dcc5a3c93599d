#include "agent/wsman/envelope.h"

#include <cstdio>
#include <cstring>
#include <set>

#include <openssl/rand.h>

#include "agent/wsman/fault.h"
#include "agent/wsman/names.h"
#include "agent/wsman/xml.h"

namespace cimnet::wsman {

namespace {

bool truthy(std::string_view v) {
  v = xml::trim(v);
  return v == "true" || v == "1";
}

// Headers this agent implements: a mustUnderstand on any other is a fault.
bool understood(std::string_view ns, std::string_view name) {
  if (ns == uri::kAddressing)
    return name == "To" || name == "Action" || name == "MessageID" || name == "ReplyTo" ||
           name == "FaultTo" || name == "From";
  if (ns == uri::kWsman)
    return name == "ResourceURI" || name == "SelectorSet" || name == "OptionSet" ||
           name == "OperationTimeout" || name == "MaxEnvelopeSize" || name == "Locale" ||
           name == "RequestTotalItemsCountEstimate";
  if (ns == uri::kMsWsman)
    return name == "DataLocale" || name == "SessionId" || name == "OperationID" ||
           name == "SequenceId";
  return false;
}

void check_anonymous(pugi::xml_node endpoint, std::string_view what) {
  auto address = xml::child(endpoint, uri::kAddressing, "Address");
  if (!address) return;  // treated as anonymous
  if (xml::text(address) != uri::kAnonymous)
    throw Fault(FaultKind::kUnsupportedFeature,
                std::string(what) + " must be the anonymous role; only synchronous replies are "
                                    "supported.",
                "AddressingMode");
}

EndpointReference parse_epr(pugi::xml_node element, int depth);

std::vector<Selector> parse_selector_set(pugi::xml_node set, int depth) {
  std::vector<Selector> selectors;
  std::set<std::string> seen;
  for (auto s = set.first_child(); s; s = s.next_sibling()) {
    if (s.type() != pugi::node_element) continue;
    if (!xml::is(s, uri::kWsman, "Selector"))
      throw Fault(FaultKind::kInvalidSelectors,
                  "Unexpected element '" + std::string(s.name()) + "' in wsman:SelectorSet.",
                  "UnexpectedSelectors", wsman_code::kUnexpectedSelectors);
    auto name = s.attribute("Name");
    if (!name || std::string_view(name.value()).empty())
      throw Fault(FaultKind::kInvalidSelectors, "A wsman:Selector has no Name attribute.",
                  "InvalidValue", wsman_code::kInvalidSelectorValue);
    if (selectors.size() >= kMaxSelectors)
      throw Fault(FaultKind::kEncodingLimit,
                  "More than " + std::to_string(kMaxSelectors) + " selectors.", "SelectorLimit");
    std::string lowered;
    for (char c : std::string_view(name.value()))
      lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (!seen.insert(lowered).second)
      throw Fault(FaultKind::kInvalidSelectors,
                  "Selector '" + std::string(name.value()) + "' appears more than once.",
                  "DuplicateSelectors", wsman_code::kDuplicateSelectors);
    Selector selector;
    selector.name = name.value();
    if (auto epr = xml::child(s, uri::kAddressing, "EndpointReference")) {
      if (depth >= 8)
        throw Fault(FaultKind::kInvalidSelectors, "Endpoint references nested too deeply.",
                    "InvalidValue", wsman_code::kInvalidSelectorValue);
      selector.reference = std::make_shared<EndpointReference>(parse_epr(epr, depth + 1));
    } else {
      selector.value = xml::text(s);
    }
    selectors.push_back(std::move(selector));
  }
  return selectors;
}

std::string single_text(pugi::xml_node h, const char* what) {
  if (xml::has_element_children(h))
    throw Fault(FaultKind::kInvalidMessageInformationHeader,
                std::string(what) + " must hold text only.");
  return xml::text(h);
}

}  // namespace

bool Request::is_identify() const {
  return action.empty() && payload && xml::is(payload, uri::kIdentity, "Identify");
}

const Selector* Request::selector(std::string_view name) const {
  for (const auto& s : selectors) {
    if (s.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i)
      same = (s.name[i] | 0x20) == (name[i] | 0x20);
    if (same) return &s;
  }
  return nullptr;
}

EndpointReference parse_endpoint_reference(pugi::xml_node element) {
  return parse_epr(element, 0);
}

std::vector<Selector> parse_selector_set(pugi::xml_node set) { return parse_selector_set(set, 0); }

namespace {

EndpointReference parse_epr(pugi::xml_node element, int depth) {
  EndpointReference epr;
  if (auto address = xml::child(element, uri::kAddressing, "Address"))
    epr.address = xml::text(address);
  auto params = xml::child(element, uri::kAddressing, "ReferenceParameters");
  if (!params) params = xml::child(element, uri::kAddressing, "ReferenceProperties");
  if (!params)
    throw Fault(FaultKind::kInvalidSelectors,
                "An endpoint reference has no wsa:ReferenceParameters.", "InvalidValue",
                wsman_code::kInvalidSelectorValue);
  if (auto ru = xml::child(params, uri::kWsman, "ResourceURI")) epr.resource_uri = xml::text(ru);
  if (auto set = xml::child(params, uri::kWsman, "SelectorSet"))
    epr.selectors = parse_selector_set(set, depth);
  return epr;
}

}  // namespace

Request parse_request(std::string_view bytes, pugi::xml_encoding encoding) {
  Request req;
  req.document = std::make_unique<pugi::xml_document>();
  auto result = req.document->load_buffer(bytes.data(), bytes.size(),
                                          pugi::parse_default, encoding);
  if (!result)
    throw Fault(FaultKind::kSchemaValidationError,
                std::string("The request is not well-formed XML: ") + result.description() +
                    " at byte " + std::to_string(result.offset) + ".");
  auto envelope = xml::first_element(*req.document);
  if (!envelope || xml::local_name(envelope) != "Envelope")
    throw Fault(FaultKind::kSchemaValidationError, "The request is not a SOAP envelope.");
  if (xml::namespace_of(envelope) != uri::kSoap)
    throw Fault(FaultKind::kVersionMismatch,
                "Only SOAP 1.2 (" + std::string(uri::kSoap) + ") envelopes are accepted.");
  for (auto c = envelope.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (xml::is(c, uri::kSoap, "Header") && !req.header && !req.body) req.header = c;
    else if (xml::is(c, uri::kSoap, "Body") && !req.body) req.body = c;
    else
      throw Fault(FaultKind::kSchemaValidationError,
                  "Unexpected element '" + std::string(c.name()) + "' in the SOAP envelope.");
  }
  if (!req.body) throw Fault(FaultKind::kSchemaValidationError, "The envelope has no s:Body.");
  req.payload = xml::first_element(req.body);

  // Known headers seen so far (views into the document): a handful at most,
  // and only understood headers are recorded, so a linear scan is enough.
  std::vector<std::pair<std::string_view, std::string_view>> seen;
  for (auto h = req.header.first_child(); h; h = h.next_sibling()) {
    if (h.type() != pugi::node_element) continue;
    std::string_view ns = xml::namespace_of(h);
    std::string_view name = xml::local_name(h);
    bool known = understood(ns, name);
    // Only the SOAP-qualified attribute counts: pywinrm's unqualified one is ignored.
    if (!known && truthy(xml::attribute(h, uri::kSoap, "mustUnderstand").value()))
      throw Fault(FaultKind::kMustUnderstand, "The header '" + std::string(h.name()) + "' (" +
                                                  std::string(ns) + ") was not understood.");
    bool repeated = false;
    if (known) {
      for (const auto& [sns, sname] : seen) repeated = repeated || (sns == ns && sname == name);
      seen.emplace_back(ns, name);
    }
    if (repeated)
      throw Fault(FaultKind::kInvalidMessageInformationHeader,
                  "The header '" + std::string(h.name()) + "' appears more than once.");
    if (ns == uri::kAddressing) {
      if (name == "Action") req.action = single_text(h, "wsa:Action");
      else if (name == "To") req.to = single_text(h, "wsa:To");
      else if (name == "MessageID") {
        req.message_id = single_text(h, "wsa:MessageID");
        req.has_message_id = true;
      } else if (name == "ReplyTo") check_anonymous(h, "wsa:ReplyTo");
      else if (name == "FaultTo") check_anonymous(h, "wsa:FaultTo");
    } else if (ns == uri::kWsman) {
      if (name == "ResourceURI") {
        req.resource_uri = single_text(h, "wsman:ResourceURI");
      } else if (name == "SelectorSet") {
        req.has_selector_set = true;
        req.selectors = parse_selector_set(h, 0);
      } else if (name == "OptionSet") {
        for (auto o = h.first_child(); o; o = o.next_sibling()) {
          if (o.type() != pugi::node_element) continue;
          if (!xml::is(o, uri::kWsman, "Option"))
            throw Fault(FaultKind::kInvalidOptions,
                        "Unexpected element '" + std::string(o.name()) + "' in wsman:OptionSet.",
                        "InvalidName");
          if (req.options.size() >= kMaxOptions)
            throw Fault(FaultKind::kEncodingLimit,
                        "More than " + std::to_string(kMaxOptions) + " options.", "OptionLimit");
          Option option{o.attribute("Name").value(), xml::text(o), o.attribute("Type").value()};
          if (option.name.empty())
            throw Fault(FaultKind::kInvalidOptions, "A wsman:Option has no Name attribute.",
                        "InvalidName");
          // We implement no option whose meaning could change the operation.
          if (truthy(xml::attribute(o, uri::kSoap, "mustUnderstand").value()) ||
              truthy(o.attribute("MustComply").value()))
            throw Fault(FaultKind::kInvalidOptions,
                        "The option '" + option.name + "' is not supported.", "NotSupported");
          req.options.push_back(std::move(option));
        }
      } else if (name == "OperationTimeout") {
        auto text = single_text(h, "wsman:OperationTimeout");
        auto d = parse_duration(text);
        if (!d)
          throw Fault(FaultKind::kInvalidMessageInformationHeader,
                      "wsman:OperationTimeout '" + text + "' is not a valid xs:duration.");
        req.operation_timeout = *d;
      } else if (name == "MaxEnvelopeSize") {
        auto text = single_text(h, "wsman:MaxEnvelopeSize");
        uint64_t value = 0;
        bool ok = !text.empty() && text.size() <= 12;
        for (char c : text) ok = ok && c >= '0' && c <= '9';
        if (ok) value = std::stoull(text);
        if (!ok)
          throw Fault(FaultKind::kInvalidMessageInformationHeader,
                      "wsman:MaxEnvelopeSize '" + text + "' is not a positive integer.");
        if (value < kMinEnvelopeSize)
          throw Fault(FaultKind::kEncodingLimit,
                      "wsman:MaxEnvelopeSize " + text + " is below the minimum of " +
                          std::to_string(kMinEnvelopeSize) + " bytes.",
                      "MinimumEnvelopeLimit");
        req.max_envelope_size = value;
      } else if (name == "Locale") {
        req.locale = xml::attribute(h, uri::kXml, "lang").value();
      } else if (name == "RequestTotalItemsCountEstimate") {
        req.request_total_items_count_estimate = true;
      }
    }
  }
  if (req.action.empty() && !req.is_identify())
    throw Fault(FaultKind::kMessageInformationHeaderRequired,
                "The request has no wsa:Action header.");
  return req;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = xml::trim(text);
  if (text.empty() || text.front() == '-' || text.front() != 'P') return std::nullopt;
  size_t i = 1;
  bool in_time = false, any = false;
  long double total_ms = 0;
  std::string order_date = "YMD", order_time = "HMS";
  size_t date_pos = 0, time_pos = 0;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++i;
      if (i == text.size()) return std::nullopt;  // "PT" alone
      continue;
    }
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    size_t int_end = i;
    bool fraction = false;
    if (i < text.size() && text[i] == '.') {
      fraction = true;
      ++i;
      size_t frac_start = i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
      if (i == frac_start) return std::nullopt;
    }
    if (int_end == start || i >= text.size() || i - start > 20) return std::nullopt;
    char unit = text[i++];
    long double value = std::strtold(std::string(text.substr(start, i - 1 - start)).c_str(),
                                     nullptr);
    long double ms_per = 0;
    if (!in_time) {
      size_t p = order_date.find(unit, date_pos);
      if (p == std::string::npos) return std::nullopt;
      date_pos = p + 1;
      ms_per = unit == 'Y' ? 365.0L * 86400000 : unit == 'M' ? 30.0L * 86400000 : 86400000.0L;
    } else {
      size_t p = order_time.find(unit, time_pos);
      if (p == std::string::npos) return std::nullopt;
      time_pos = p + 1;
      ms_per = unit == 'H' ? 3600000.0L : unit == 'M' ? 60000.0L : 1000.0L;
    }
    if (fraction && !(in_time && unit == 'S')) return std::nullopt;
    total_ms += value * ms_per;
    any = true;
  }
  if (!any || total_ms > 1e15L) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms + 0.5L));
}

std::string format_duration(std::chrono::milliseconds ms) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "PT%lld.%03lldS", static_cast<long long>(ms.count() / 1000),
                static_cast<long long>(ms.count() % 1000));
  return buf;
}

std::string new_uuid() {
  // Random bytes drawn from the CSPRNG 32 identifiers at a time per thread
  // (one RAND_bytes call per identifier cost as much as the rest of the
  // envelope). MessageIDs need uniqueness, not secrecy; cimnetd never forks
  // after start, so no two processes share a buffer.
  thread_local unsigned char pool[16 * 32];
  thread_local size_t used = sizeof pool;
  if (used == sizeof pool) {
    if (RAND_bytes(pool, sizeof pool) != 1) throw std::runtime_error("RAND_bytes failed");
    used = 0;
  }
  unsigned char b[16];
  std::memcpy(b, pool + used, sizeof b);
  used += sizeof b;
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  // uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, formatted by hand (snprintf
  // with 16 conversions was a visible share of every response).
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "uuid:";
  out.reserve(41);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0f];
  }
  return out;
}

std::string response_envelope(std::string_view action, std::string_view relates_to,
                              bool has_relates_to, std::string_view extra_headers,
                              std::string_view body) {
  std::string out;
  out.reserve(body.size() + extra_headers.size() + 1100);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s:Envelope xmlns:s=\"";
  out += uri::kSoap;
  out += "\" xmlns:wsa=\"";
  out += uri::kAddressing;
  out += "\" xmlns:wsman=\"";
  out += uri::kWsman;
  out += "\" xmlns:wsen=\"";
  out += uri::kEnumeration;
  out += "\" xmlns:wxf=\"";
  out += uri::kTransfer;
  out += "\" xmlns:wse=\"";
  out += uri::kEventing;
  out += "\" xmlns:wsmb=\"";
  out += uri::kCimBinding;
  out += "\" xmlns:xsi=\"";
  out += uri::kXsi;
  out += "\"><s:Header><wsa:To>";
  out += uri::kAnonymous;
  out += "</wsa:To><wsa:Action>";
  xml::append_escaped(out, action);
  out += "</wsa:Action><wsa:MessageID>";
  out += new_uuid();
  out += "</wsa:MessageID>";
  if (has_relates_to) {
    out += "<wsa:RelatesTo>";
    xml::append_escaped(out, relates_to);
    out += "</wsa:RelatesTo>";
  }
  out += extra_headers;
  out += "</s:Header><s:Body>";
  out += body;
  out += "</s:Body></s:Envelope>";
  return out;
}

void append_epr_content(std::string& out, const EndpointReference& epr) {
  out += "<wsa:Address>";
  xml::append_escaped(out, epr.address.empty() ? uri::kAnonymous : epr.address);
  out += "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>";
  xml::append_escaped(out, epr.resource_uri);
  out += "</wsman:ResourceURI>";
  if (!epr.selectors.empty()) {
    out += "<wsman:SelectorSet>";
    for (const auto& s : epr.selectors) {
      out += "<wsman:Selector Name=\"";
      xml::append_attribute_escaped(out, s.name);
      out += "\">";
      if (s.reference) {
        out += "<wsa:EndpointReference>";
        append_epr_content(out, *s.reference);
        out += "</wsa:EndpointReference>";
      } else {
        xml::append_escaped(out, s.value);
      }
      out += "</wsman:Selector>";
    }
    out += "</wsman:SelectorSet>";
  }
  out += "</wsa:ReferenceParameters>";
}

}  // namespace cimnet::wsman

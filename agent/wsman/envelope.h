#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

namespace cimnet::wsman {

struct EndpointReference;

// One wsman:Selector: a text value, or a nested EPR for a reference key.
struct Selector {
  std::string name;
  std::string value;
  std::shared_ptr<const EndpointReference> reference;
};

// A WS-Addressing endpoint reference to a WS-Man resource.
struct EndpointReference {
  std::string address;
  std::string resource_uri;
  std::vector<Selector> selectors;
};

// One wsman:Option.
struct Option {
  std::string name;
  std::string value;
  std::string type;
};

// Limits on what a request may carry (wsman:EncodingLimit beyond them).
inline constexpr size_t kMaxSelectors = 64;
inline constexpr size_t kMaxOptions = 128;
inline constexpr uint64_t kMinEnvelopeSize = 8192;

// A parsed WS-Management request. The XML document stays alive with it so
// that the body can be read by the operation that handles it.
struct Request {
  std::unique_ptr<pugi::xml_document> document;
  std::string action;
  std::string to;
  std::string message_id;
  bool has_message_id = false;
  std::string resource_uri;
  bool has_selector_set = false;
  std::vector<Selector> selectors;
  std::vector<Option> options;
  std::optional<std::chrono::milliseconds> operation_timeout;
  std::optional<uint64_t> max_envelope_size;
  std::string locale;
  bool request_total_items_count_estimate = false;
  pugi::xml_node header;  // s:Header (may be empty)
  pugi::xml_node body;    // s:Body
  pugi::xml_node payload;  // first element child of s:Body, or empty
  // Set by the endpoint: the response will be UTF-16 (twice the bytes).
  bool response_utf16 = false;

  // Identify: no Action and a wsmid:Identify body.
  bool is_identify() const;
  // The value of a selector (names match without case); nullptr when absent.
  const Selector* selector(std::string_view name) const;
};

// Parses a SOAP 1.2 WS-Management request by namespace (any prefixes, any
// header order), checking what DSP0226 asks of the addressing headers:
// mustUnderstand on headers we do not implement, anonymous ReplyTo/FaultTo,
// OperationTimeout and MaxEnvelopeSize syntax, duplicate selectors, limits.
// `encoding` is pugi::encoding_auto unless the HTTP charset said otherwise.
// Throws Fault (wsman:SchemaValidationError for XML that is not well-formed).
Request parse_request(std::string_view bytes, pugi::xml_encoding encoding = pugi::encoding_auto);

// Parses an EPR from an element holding wsa:Address and
// wsa:ReferenceParameters (an EndpointReference, a reference property, a
// ResourceCreated); throws Fault(kInvalidSelectors / kSchemaValidationError).
EndpointReference parse_endpoint_reference(pugi::xml_node element);

// Parses a wsman:SelectorSet element (the header's, or one inside a filter
// or EPR) with the same checks as the header. Throws Fault.
std::vector<Selector> parse_selector_set(pugi::xml_node set);

// Parses an xs:duration ("PT60.000S", "P1DT2H", "PT1M") into milliseconds;
// nullopt when malformed, negative or absurdly large.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// Formats milliseconds as an xs:duration ("PT1.500S").
std::string format_duration(std::chrono::milliseconds ms);

// A fresh "uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" from the OpenSSL RNG.
std::string new_uuid();

// A complete response envelope with the standard namespace declarations:
// wsa:To anonymous, wsa:Action, a fresh wsa:MessageID, wsa:RelatesTo (when
// `has_relates_to`), then `extra_headers` (already serialised) and `body`.
std::string response_envelope(std::string_view action, std::string_view relates_to,
                              bool has_relates_to, std::string_view extra_headers,
                              std::string_view body);

// Serialises an EPR (wsa:Address + wsa:ReferenceParameters) as the content of
// an element; the caller writes the enclosing element.
void append_epr_content(std::string& out, const EndpointReference& epr);

}  // namespace cimnet::wsman

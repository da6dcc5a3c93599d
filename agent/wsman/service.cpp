#include "agent/wsman/service.h"

#include <chrono>
#include <cstdio>

#include "agent/log/log.h"
#include "agent/wsman/names.h"
#include "agent/wsman/xml.h"

namespace cimnet::wsman {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Parsed Content-Type: media type and charset, both lower case.
struct ContentType {
  std::string media;
  std::string charset;
};

ContentType parse_content_type(std::string_view value) {
  ContentType ct;
  size_t semi = value.find(';');
  ct.media = lower(xml::trim(value.substr(0, semi)));
  while (semi != std::string_view::npos) {
    value = value.substr(semi + 1);
    semi = value.find(';');
    std::string_view param = xml::trim(value.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(xml::trim(param.substr(0, eq))) != "charset") continue;
    std::string_view v = xml::trim(param.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    ct.charset = lower(v);
  }
  return ct;
}

http::Response plain(int status, std::string text) {
  http::Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  return r;
}

std::string short_action(std::string_view action) {
  size_t slash = action.rfind('/');
  return std::string(slash == std::string_view::npos ? action : action.substr(slash + 1));
}

bool reader_may(std::string_view action) {
  return action == uri::kGet || action == uri::kEnumerate || action == uri::kPull ||
         action == uri::kRelease;
}

}  // namespace

std::string utf8_to_utf16le(std::string_view in) {
  std::string out = "\xff\xfe";
  out.reserve(in.size() * 2 + 2);
  auto put = [&](uint32_t unit) {
    out += static_cast<char>(unit & 0xff);
    out += static_cast<char>(unit >> 8);
  };
  for (size_t i = 0; i < in.size();) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    uint32_t cp = 0xfffd;
    size_t len = 1;
    if (c < 0x80) cp = c;
    else if ((c >> 5) == 6) { cp = c & 0x1f; len = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; len = 3; }
    else if ((c >> 3) == 30) { cp = c & 0x07; len = 4; }
    else len = 1;
    if (len > 1) {
      if (i + len > in.size()) { cp = 0xfffd; len = 1; }
      else {
        for (size_t k = 1; k < len; ++k) {
          unsigned char cc = static_cast<unsigned char>(in[i + k]);
          if ((cc >> 6) != 2) { cp = 0xfffd; len = k; break; }
          cp = (cp << 6) | (cc & 0x3f);
        }
      }
    }
    i += len;
    if (cp >= 0x10000 && cp <= 0x10ffff) {
      cp -= 0x10000;
      put(0xd800 + (cp >> 10));
      put(0xdc00 + (cp & 0x3ff));
    } else {
      put(cp > 0x10ffff ? 0xfffd : cp);
    }
  }
  return out;
}

Service::Service(ServiceConfig config, auth::Authenticator& authenticator, Operations* operations)
    : config_(std::move(config)), authenticator_(authenticator), operations_(operations) {}

std::string Service::identify_envelope() const {
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s:Envelope xmlns:s=\"";
  out += uri::kSoap;
  out += "\" xmlns:wsmid=\"";
  out += uri::kIdentity;
  out += "\" xmlns:wsmb=\"";
  out += uri::kCimBinding;
  out += "\"><s:Header/><s:Body><wsmid:IdentifyResponse><wsmid:ProtocolVersion>";
  out += uri::kWsman;
  out += "</wsmid:ProtocolVersion><wsmid:ProductVendor>";
  xml::append_escaped(out, config_.product_vendor);
  out += "</wsmid:ProductVendor><wsmid:ProductVersion>";
  xml::append_escaped(out, config_.product_version);
  out += "</wsmid:ProductVersion><wsmid:SecurityProfiles>";
  if (config_.http) {
    out += "<wsmid:SecurityProfileName>";
    out += uri::kSecProfileHttpBasic;
    out += "</wsmid:SecurityProfileName>";
  }
  if (config_.https) {
    out += "<wsmid:SecurityProfileName>";
    out += uri::kSecProfileHttpsBasic;
    out += "</wsmid:SecurityProfileName>";
  }
  out += "</wsmid:SecurityProfiles><wsmb:Capability_FaultIncludesCIMError/>"
         "</wsmid:IdentifyResponse></s:Body></s:Envelope>";
  return out;
}

http::Response Service::soap_response(std::string envelope, bool utf16, int status) const {
  http::Response r;
  r.status = status;
  if (utf16) {
    constexpr std::string_view kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    if (envelope.compare(0, kDecl.size(), kDecl) == 0)
      envelope.replace(0, kDecl.size(), "<?xml version=\"1.0\" encoding=\"UTF-16\"?>");
    r.content_type = "application/soap+xml;charset=UTF-16";
    r.body = utf8_to_utf16le(envelope);
  } else {
    r.content_type = "application/soap+xml;charset=UTF-8";
    r.body = std::move(envelope);
  }
  return r;
}

http::Response Service::handle(const http::Request& http_request) {
  auto started = std::chrono::steady_clock::now();
  std::string_view path = http_request.target;
  path = path.substr(0, path.find('?'));
  if (path != "/wsman") return plain(404, "no such resource; the WS-Management endpoint is /wsman\n");
  if (http_request.method != "POST") {
    auto r = plain(405, "the WS-Management endpoint only accepts POST\n");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }

  // Authentication comes before anything looks at the body.
  auto auth = authenticator_.authenticate(http_request.header("authorization"),
                                          http_request.client_address);
  bool anonymous_identify = false;
  if (auth.status != auth::Authenticator::Status::kOk) {
    if (auth.status == auth::Authenticator::Status::kRateLimited) {
      log::warn("client=" + http_request.client_address +
                " refused: too many failed logins");
      auto r = plain(429, "too many failed logins from this address; retry later\n");
      r.headers.emplace_back("Retry-After",
                             std::to_string(auth.retry_after.count() / 1000 + 1));
      return r;
    }
    if (lower(xml::trim(http_request.header("wsmanidentify"))) != "unauthenticated") {
      if (auth.status == auth::Authenticator::Status::kBadCredentials)
        log::warn("client=" + http_request.client_address + " authentication failed");
      http::Response r;
      r.status = 401;
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"WSMAN\"");
      return r;
    }
    anonymous_identify = true;
  }

  auto ct = parse_content_type(http_request.header("content-type"));
  if (ct.media != "application/soap+xml")
    return plain(415, "Content-Type must be application/soap+xml\n");
  pugi::xml_encoding encoding = pugi::encoding_auto;
  bool utf16 = false;
  if (ct.charset.empty() || ct.charset == "utf-8") {
    encoding = pugi::encoding_auto;  // a UTF-16 BOM still wins
  } else if (ct.charset == "utf-16") {
    utf16 = true;
  } else if (ct.charset == "utf-16le") {
    utf16 = true;
    encoding = pugi::encoding_utf16_le;
  } else if (ct.charset == "utf-16be") {
    utf16 = true;
    encoding = pugi::encoding_utf16_be;
  } else {
    return plain(415, "charset must be UTF-8 or UTF-16\n");
  }
  const std::string& body = http_request.body;
  if (body.size() >= 2 && ((body[0] == '\xff' && body[1] == '\xfe') ||
                           (body[0] == '\xfe' && body[1] == '\xff')))
    utf16 = true;

  std::string user = anonymous_identify ? "-" : auth.identity.user;
  std::string action = "-", resource = "-", result = "ok";
  std::string relates_to;
  bool has_relates_to = false;
  http::Response response;
  try {
    Request request = parse_request(body, encoding);
    request.response_utf16 = utf16;
    relates_to = request.message_id;
    has_relates_to = request.has_message_id;
    if (request.is_identify()) {
      action = "Identify";
      response = soap_response(identify_envelope(), utf16, 200);
    } else if (anonymous_identify) {
      // The unauthenticated header only opens Identify.
      http::Response r;
      r.status = 401;
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"WSMAN\"");
      log::info("user=- client=" + http_request.client_address +
                " action=" + short_action(request.action) + " result=401");
      return r;
    } else {
      action = short_action(request.action);
      resource = request.resource_uri.empty() ? "-" : request.resource_uri;
      if (auth.identity.role != auth::Role::kAdmin && !reader_may(request.action))
        throw Fault(FaultKind::kAccessDenied,
                    "User '" + auth.identity.user + "' has the reader role and may not perform " +
                        action + ".");
      if (!operations_)
        throw Fault(FaultKind::kActionNotSupported,
                    "No operations are served by this endpoint yet.");
      Reply reply = operations_->perform(request, Caller{auth.identity, http_request.client_address});
      std::string envelope = response_envelope(reply.action, relates_to, has_relates_to,
                                               reply.headers, reply.body);
      response = soap_response(std::move(envelope), utf16, 200);
      if (request.max_envelope_size && response.body.size() > *request.max_envelope_size)
        throw Fault(FaultKind::kEncodingLimit,
                    "The response (" + std::to_string(response.body.size()) +
                        " bytes) is larger than wsman:MaxEnvelopeSize " +
                        std::to_string(*request.max_envelope_size) + ".",
                    "MaxEnvelopeSize");
    }
  } catch (const Fault& fault) {
    result = "fault:" + std::string(fault_info(fault.kind()).subcode.empty()
                                        ? fault_info(fault.kind()).code
                                        : fault_info(fault.kind()).subcode);
    response = soap_response(fault_envelope(fault, relates_to, has_relates_to), utf16, 500);
  } catch (const std::exception& e) {
    result = "fault:wsman:InternalError";
    log::error(std::string("internal error: ") + e.what());
    response = soap_response(
        fault_envelope(Fault(FaultKind::kInternalError, std::string("Internal error: ") + e.what()),
                       relates_to, has_relates_to),
        utf16, 500);
  }
  if (log::enabled(log::Level::kInfo)) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    // Built in one buffer; ms with three decimals (us / 1000 "." us % 1000).
    std::string line;
    line.reserve(96 + user.size() + http_request.client_address.size() + action.size() +
                 resource.size() + result.size());
    line += "user=";
    line += user;
    line += " client=";
    line += http_request.client_address;
    line += " action=";
    line += action;
    line += " resource=";
    line += resource;
    line += " result=";
    line += result;
    line += " ms=";
    line += std::to_string(us / 1000);
    line += '.';
    long long frac = us % 1000;
    line += static_cast<char>('0' + frac / 100);
    line += static_cast<char>('0' + frac / 10 % 10);
    line += static_cast<char>('0' + frac % 10);
    log::info(line);
  }
  return response;
}

}  // namespace cimnet::wsman

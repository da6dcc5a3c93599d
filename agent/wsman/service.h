#pragma once

#include <memory>
#include <string>

#include "agent/auth/authenticator.h"
#include "agent/http/server.h"
#include "agent/wsman/envelope.h"
#include "agent/wsman/fault.h"

namespace cimnet::wsman {

// Who sent a request.
struct Caller {
  auth::Identity identity;
  std::string client;
};

// A successful reply: its wsa:Action, extra (serialised) SOAP headers and the
// content of s:Body.
struct Reply {
  std::string action;
  std::string headers;
  std::string body;
};

// The WS-Management operations behind the endpoint (the dispatcher). Called
// only for authenticated, authorised, well-formed requests other than
// Identify; reports failures by throwing Fault.
class Operations {
 public:
  virtual ~Operations() = default;
  virtual Reply perform(const Request& request, const Caller& caller) = 0;
};

struct ServiceConfig {
  std::string product_vendor = "cimnet";
  std::string product_version = "0.1.0";
  bool http = true;   // advertise the http/basic security profile
  bool https = false; // advertise https/basic
};

// The POST /wsman endpoint: HTTP checks (path, method, content type with
// UTF-8 or UTF-16 bodies), HTTP Basic authentication (401 with
// `WWW-Authenticate: Basic realm="WSMAN"`; Identify without credentials only
// with the `WSMANIDENTIFY: unauthenticated` header), SOAP parsing, Identify,
// the role check (readers may only Get, Enumerate, Pull and Release), the
// caller's MaxEnvelopeSize, faults as HTTP 500, and one log line per request.
class Service {
 public:
  Service(ServiceConfig config, auth::Authenticator& authenticator, Operations* operations);

  http::Response handle(const http::Request& request);

  // The Identify response envelope.
  std::string identify_envelope() const;

 private:
  http::Response soap_response(std::string envelope, bool utf16, int status) const;

  ServiceConfig config_;
  auth::Authenticator& authenticator_;
  Operations* operations_;
};

// UTF-8 to UTF-16LE with a byte order mark (invalid sequences become U+FFFD).
std::string utf8_to_utf16le(std::string_view utf8);

}  // namespace cimnet::wsman

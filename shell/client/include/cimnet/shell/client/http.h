#pragma once
// The HTTP(S) side of the WS-Man client: one kept-alive connection that POSTs SOAP
// envelopes. Boost.Beast stays behind this interface (one translation unit).

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cimnet::shell::client {

// Where a WS-Man service listens and how to trust it.
struct HttpTarget {
  std::string host = "127.0.0.1";
  uint16_t port = 5985;
  bool tls = false;
  bool skip_ca_check = false;  // accept a certificate no trusted CA signed
  bool skip_cn_check = false;  // accept a certificate issued for another name
  std::string path = "/wsman";
  std::chrono::milliseconds timeout{60000};
};

// One HTTP response.
struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

// The connection could not be made or broke (DNS, refused, TLS, timeout).
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A keep-alive HTTP/1.1 connection to one target. post() reconnects once when a kept
// connection was closed by the server; it throws TransportError otherwise.
class HttpConnection {
 public:
  virtual ~HttpConnection() = default;
  virtual HttpResponse post(std::string_view body, std::string_view authorization) = 0;
  // Drops the connection (the next post() opens a new one).
  virtual void close() = 0;
};

// Makes a connection object for `target`; nothing is opened until the first post().
std::unique_ptr<HttpConnection> make_http_connection(const HttpTarget& target);

// "Basic base64(user:password)".
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace cimnet::shell::client

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The agent's HTTP/1.1 transport. Boost.Beast stays inside server.cpp: the
// rest of the agent only sees these plain request/response structures.
namespace cimnet::http {

// One HTTP request as the application sees it: the whole body already read.
struct Request {
  std::string method;  // "POST"
  std::string target;  // "/wsman" (query string included when sent)
  // Header names in lower case, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string client_address;  // peer IP address, "127.0.0.1"
  bool tls = false;

  // First header with this (case-insensitive) name, or "" when absent.
  std::string_view header(std::string_view name) const;
};

// The application's answer. The transport adds Content-Length, Date-less
// framing and keep-alive handling.
struct Response {
  int status = 200;
  std::string content_type;  // omitted when empty
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this response
};

// Called for every complete request, from one of the server's worker threads
// (several may run at once). Must not throw; a thrown exception becomes a 500.
using Handler = std::function<Response(const Request&)>;

// An address to listen on.
struct Endpoint {
  bool tls = false;
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port
};

// Connection and message limits (defaults suit a management agent).
struct Limits {
  size_t header_bytes = 16 * 1024;
  size_t body_bytes = 1024 * 1024;
  // How long an open connection may sit idle before (and while) sending a
  // request's header.
  std::chrono::milliseconds idle_timeout{60'000};
  // How long the body of a request may take to arrive once its header did.
  std::chrono::milliseconds request_timeout{30'000};
  size_t max_connections = 512;
  // On stop, how long in-flight requests get to finish.
  std::chrono::milliseconds drain_timeout{10'000};
};

struct ServerConfig {
  std::vector<Endpoint> endpoints;
  Limits limits;
  std::string tls_cert_file;  // PEM chain; required when an endpoint has tls
  std::string tls_key_file;   // PEM private key
  unsigned threads = 2;
};

// A listening socket after bind: the actual port when 0 was asked for.
struct BoundEndpoint {
  bool tls = false;
  std::string address;
  uint16_t port = 0;
};

// An asynchronous HTTP/1.1 (and HTTPS, TLS 1.2+) server with keep-alive,
// `Expect: 100-continue`, chunked request bodies, size limits, timeouts and a
// connection cap. Protocol errors are answered by the transport itself
// (400, 413, 417, 431, 503, 505) without calling the handler; a client that
// is too slow (idle or request timeout) is disconnected.
class Server {
 public:
  Server(ServerConfig config, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every endpoint and starts the worker threads. Throws
  // std::runtime_error naming the endpoint (or TLS file) that failed; nothing
  // is left listening in that case.
  std::vector<BoundEndpoint> start();

  // Graceful stop: closes the listeners, closes idle connections, lets
  // requests in progress finish and be answered (up to drain_timeout), then
  // returns once every worker thread has ended. Safe to call more than once.
  void stop();

  // Number of connections currently open.
  size_t connection_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cimnet::http

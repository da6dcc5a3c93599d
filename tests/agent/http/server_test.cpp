// Drives the HTTP server over real loopback sockets (plain and TLS).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent/http/self_signed.h"
#include "agent/http/server.h"

namespace cimnet::http {
namespace {

using namespace std::chrono_literals;

// A blocking loopback TCP client with a receive deadline.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool start_tls(SSL_CTX* ctx) {
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    return SSL_connect(ssl_) == 1;
  }

  void send(const std::string& data) {
    if (ssl_) {
      SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      return;
    }
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  // Reads until `until` appears in what was received, the peer closes, or the
  // deadline passes. Returns everything read so far.
  std::string read_until(const std::string& until, std::chrono::milliseconds deadline = 5000ms) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (buffer_.find(until) == std::string::npos && !closed_) {
      if (!ssl_ || SSL_pending(ssl_) == 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      }
      char buf[4096];
      ssize_t n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      buffer_.append(buf, static_cast<size_t>(n));
    }
    return buffer_;
  }
  // Reads one response with a Content-Length body and removes it from the buffer.
  std::string read_response(std::chrono::milliseconds deadline = 5000ms) {
    read_until("\r\n\r\n", deadline);
    auto head_end = buffer_.find("\r\n\r\n");
    if (head_end == std::string::npos) return std::exchange(buffer_, {});
    size_t length = 0;
    auto pos = buffer_.find("Content-Length: ");
    if (pos != std::string::npos && pos < head_end) length = std::stoul(buffer_.substr(pos + 16));
    auto end = std::chrono::steady_clock::now() + deadline;
    while (buffer_.size() < head_end + 4 + length && !closed_ &&
           std::chrono::steady_clock::now() < end)
      read_until(std::string(1, '\x01'), 100ms);
    auto total = std::min(buffer_.size(), head_end + 4 + length);
    std::string response = buffer_.substr(0, total);
    buffer_.erase(0, total);
    return response;
  }
  // True when the server closed the connection within the deadline.
  bool wait_closed(std::chrono::milliseconds deadline) {
    read_until(std::string(1, '\x01'), deadline);
    return closed_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

std::string post(const std::string& body, const std::string& extra = "") {
  return "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

Response echo(const Request& req) {
  Response res;
  res.content_type = "text/plain";
  res.body = req.method + " " + req.target + " " + std::string(req.header("content-type")) +
             " [" + req.body + "] from " + req.client_address + (req.tls ? " tls" : "");
  return res;
}

struct Running {
  explicit Running(ServerConfig config, Handler handler = echo)
      : server(std::move(config), std::move(handler)) {
    bound = server.start();
  }
  Server server;
  std::vector<BoundEndpoint> bound;
};

ServerConfig plain(Limits limits = {}) {
  ServerConfig config;
  config.endpoints.push_back(Endpoint{false, "127.0.0.1", 0});
  config.limits = limits;
  return config;
}

TEST(HttpServer, PortZeroGetsARealPortAndKeepAliveServesSeveralRequests) {
  Running r(plain());
  ASSERT_EQ(r.bound.size(), 1u);
  ASSERT_NE(r.bound[0].port, 0);
  Client c(r.bound[0].port);
  ASSERT_TRUE(c.connected());
  c.send(post("one"));
  auto first = c.read_response();
  EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("POST /wsman application/soap+xml [one] from 127.0.0.1"),
            std::string::npos)
      << first;
  c.send(post("two"));
  auto second = c.read_response();
  EXPECT_NE(second.find("[two]"), std::string::npos) << second;
  EXPECT_EQ(r.server.connection_count(), 1u);
}

// The response bytes exactly: status line, fields in order (Server,
// Content-Type, the handler's own, Content-Length), blank line, body; HTTP/1.0
// keep-alive is answered with Connection: keep-alive and the connection stays.
TEST(HttpServer, ResponseIsLaidOutExactlyForHttp11And10) {
  Running r(plain(), [](const Request& req) {
    Response res;
    res.status = req.body == "missing" ? 404 : 200;
    res.content_type = "text/plain";
    res.headers.emplace_back("X-Cimnet", "yes");
    res.body = "got " + req.body;
    return res;
  });
  Client c(r.bound[0].port);
  ASSERT_TRUE(c.connected());
  c.send(post("one"));
  EXPECT_EQ(c.read_response(),
            "HTTP/1.1 200 OK\r\nServer: cimnetd\r\nContent-Type: text/plain\r\nX-Cimnet: "
            "yes\r\nContent-Length: 7\r\n\r\ngot one");
  c.send("POST /wsman HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 7\r\n\r\nmissing");
  EXPECT_EQ(c.read_response(),
            "HTTP/1.0 404 Not Found\r\nServer: cimnetd\r\nContent-Type: text/plain\r\nX-Cimnet: "
            "yes\r\nConnection: keep-alive\r\nContent-Length: 11\r\n\r\ngot missing");
  c.send(post("two", "Connection: close\r\n"));
  EXPECT_EQ(c.read_response(),
            "HTTP/1.1 200 OK\r\nServer: cimnetd\r\nContent-Type: text/plain\r\nX-Cimnet: "
            "yes\r\nConnection: close\r\nContent-Length: 7\r\n\r\ngot two");
  EXPECT_TRUE(c.wait_closed(5000ms));
}

// A body far larger than one socket write arrives whole.
TEST(HttpServer, LargeResponseBodyArrivesWhole) {
  std::string big(3 * 1024 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  Running r(plain(), [&big](const Request&) {
    Response res;
    res.content_type = "text/plain";
    res.body = big;
    return res;
  });
  Client c(r.bound[0].port);
  ASSERT_TRUE(c.connected());
  c.send(post("x"));
  auto response = c.read_response(20000ms);
  auto head_end = response.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(response.substr(head_end + 4), big);
}

TEST(HttpServer, ChunkedBodyIsReassembled) {
  Running r(plain());
  Client c(r.bound[0].port);
  c.send(
      "POST /wsman HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  auto res = c.read_response();
  EXPECT_NE(res.find("[abcdefg]"), std::string::npos) << res;
}

TEST(HttpServer, ExpectContinueGetsInterimResponse) {
  Running r(plain());
  Client c(r.bound[0].port);
  c.send(
      "POST /wsman HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  auto interim = c.read_until("100 Continue\r\n\r\n");
  ASSERT_NE(interim.find("HTTP/1.1 100 Continue"), std::string::npos) << interim;
  c.send("hello");
  auto res = c.read_until("[hello]");
  EXPECT_NE(res.find("200 OK"), std::string::npos) << res;
}

TEST(HttpServer, OversizeBodyIs413AndConnectionCloses) {
  Limits limits;
  limits.body_bytes = 1000;
  Running r(plain(limits));
  Client c(r.bound[0].port);
  c.send(post(std::string(5000, 'a')));
  auto res = c.read_response();
  EXPECT_NE(res.find("HTTP/1.1 413"), std::string::npos) << res;
  EXPECT_TRUE(c.wait_closed(5000ms));
}

TEST(HttpServer, OversizeHeaderIs431) {
  Limits limits;
  limits.header_bytes = 2048;
  Running r(plain(limits));
  Client c(r.bound[0].port);
  c.send(post("x", "X-Big: " + std::string(4000, 'b') + "\r\n"));
  auto res = c.read_response();
  EXPECT_NE(res.find("HTTP/1.1 431"), std::string::npos) << res;
}

TEST(HttpServer, GarbageRequestLineIs400) {
  Running r(plain());
  Client c(r.bound[0].port);
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto res = c.read_response();
  EXPECT_NE(res.find("HTTP/1.1 400"), std::string::npos) << res;
}

TEST(HttpServer, IdleConnectionIsClosedAfterIdleTimeout) {
  Limits limits;
  limits.idle_timeout = 300ms;
  Running r(plain(limits));
  Client c(r.bound[0].port);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
}

TEST(HttpServer, SlowBodyIsDisconnectedAfterRequestTimeout) {
  Limits limits;
  limits.request_timeout = 300ms;
  Running r(plain(limits));
  Client c(r.bound[0].port);
  auto start = std::chrono::steady_clock::now();
  c.send("POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a little");
  EXPECT_TRUE(c.wait_closed(5000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(c.read_until("x", 10ms).find("200"), std::string::npos);
}

TEST(HttpServer, ConnectionsOverTheCapGet503) {
  Limits limits;
  limits.max_connections = 1;
  Running r(plain(limits));
  Client first(r.bound[0].port);
  first.send(post("a"));
  ASSERT_NE(first.read_response().find("200 OK"), std::string::npos);
  Client second(r.bound[0].port);
  auto res = second.read_until("\r\n\r\n");
  EXPECT_NE(res.find("503"), std::string::npos) << res;
  EXPECT_TRUE(second.wait_closed(5000ms));
}

TEST(HttpServer, HandlerExceptionBecomes500) {
  Running r(plain(), [](const Request&) -> Response { throw std::runtime_error("boom"); });
  Client c(r.bound[0].port);
  c.send(post("a"));
  auto res = c.read_response();
  EXPECT_NE(res.find("HTTP/1.1 500"), std::string::npos) << res;
}

TEST(HttpServer, BindFailureNamesTheEndpoint) {
  Running r(plain());
  ServerConfig config = plain();
  config.endpoints[0].port = r.bound[0].port;
  Server second(config, echo);
  try {
    second.start();
    FAIL() << "second bind to the same port succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(r.bound[0].port)), std::string::npos)
        << e.what();
  }
}

TEST(HttpServer, StopLetsTheRequestInProgressFinishAndClosesIdleOnes) {
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, release = false;
  Running r(plain(), [&](const Request& req) {
    std::unique_lock lock(m);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return echo(req);
  });
  Client idle(r.bound[0].port);
  Client busy(r.bound[0].port);
  busy.send(post("inflight"));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return entered; }));
  }
  auto stopped = std::async(std::launch::async, [&] { r.server.stop(); });
  EXPECT_TRUE(idle.wait_closed(5000ms));
  {
    std::lock_guard lock(m);
    release = true;
    cv.notify_all();
  }
  auto res = busy.read_response();
  EXPECT_NE(res.find("[inflight]"), std::string::npos) << res;
  EXPECT_NE(res.find("Connection: close"), std::string::npos) << res;
  EXPECT_EQ(stopped.wait_for(10s), std::future_status::ready);
  Client late(r.bound[0].port);
  EXPECT_FALSE(late.connected());
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cimnet-http-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(ensure_self_signed_certificate(dir_ / "cert.pem", dir_ / "key.pem", "testhost"));
    client_ctx_ = SSL_CTX_new(TLS_client_method());
  }
  void TearDown() override {
    SSL_CTX_free(client_ctx_);
    std::filesystem::remove_all(dir_);
  }
  ServerConfig config() {
    ServerConfig c;
    c.endpoints.push_back(Endpoint{true, "127.0.0.1", 0});
    c.tls_cert_file = (dir_ / "cert.pem").string();
    c.tls_key_file = (dir_ / "key.pem").string();
    return c;
  }
  std::filesystem::path dir_;
  SSL_CTX* client_ctx_ = nullptr;
};

TEST_F(Tls, GeneratedCertificateServesHttpsWithKeepAlive) {
  EXPECT_EQ(std::filesystem::status(dir_ / "key.pem").permissions() &
                std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  // A second call keeps what is there.
  EXPECT_FALSE(ensure_self_signed_certificate(dir_ / "cert.pem", dir_ / "key.pem", "testhost"));
  Running r(config());
  Client c(r.bound[0].port);
  ASSERT_TRUE(c.start_tls(client_ctx_));
  c.send(post("secret"));
  auto res = c.read_response();
  EXPECT_NE(res.find("[secret] from 127.0.0.1 tls"), std::string::npos) << res;
  c.send(post("again"));
  EXPECT_NE(c.read_response().find("[again]"), std::string::npos);
}

TEST_F(Tls, OldProtocolVersionsAreRefused) {
  Running r(config());
  SSL_CTX_set_min_proto_version(client_ctx_, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(client_ctx_, TLS1_1_VERSION);
  SSL_CTX_set_security_level(client_ctx_, 0);
  Client c(r.bound[0].port);
  EXPECT_FALSE(c.start_tls(client_ctx_));
  ERR_clear_error();
}

TEST_F(Tls, MissingKeyFileIsAClearError) {
  std::filesystem::remove(dir_ / "key.pem");
  EXPECT_THROW(ensure_self_signed_certificate(dir_ / "cert.pem", dir_ / "key.pem", "h"),
               std::runtime_error);
  Server s(config(), echo);
  try {
    s.start();
    FAIL() << "started without a key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("key.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cimnet::http

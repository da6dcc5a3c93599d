// The only translation unit of the agent that includes Boost.Beast / Asio.
#include "agent/http/server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace cimnet::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

template <class View>
std::string_view sv(const View& v) {
  return std::string_view(v.data(), v.size());
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequal(key, name)) return value;
  return {};
}

class SessionBase;

// State shared by the listeners and every session.
struct Shared {
  ServerConfig config;
  Handler handler;
  std::optional<ssl::context> tls;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  std::mutex mutex;
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  uint64_t next_id = 1;
  std::condition_variable drained;  // signalled when connections drops to 0
};

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // Asks the session to finish: idle connections close now, a request in
  // progress is answered first.
  virtual void request_stop() = 0;
};

template <class Stream>
class Session : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(Stream stream, std::shared_ptr<Shared> shared, uint64_t id, std::string client)
      : stream_(std::move(stream)), shared_(std::move(shared)), id_(id),
        client_(std::move(client)) {}

  ~Session() override {
    std::lock_guard lock(shared_->mutex);
    shared_->sessions.erase(id_);
    if (--shared_->connections == 0) shared_->drained.notify_all();
  }

  void run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this(), this] {
      (void)self;
      if constexpr (kTls) {
        beast::get_lowest_layer(stream_).expires_after(shared_->config.limits.request_timeout);
        stream_.async_handshake(ssl::stream_base::server,
                                [self = this->shared_from_this(), this](beast::error_code ec) {
                                  (void)self;
                                  if (ec) return close_now();
                                  read_header();
                                });
      } else {
        read_header();
      }
    });
  }

  void request_stop() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this(), this] {
      (void)self;
      stop_requested_ = true;
      if (!in_request_) beast::get_lowest_layer(stream_).cancel();
    });
  }

 private:
  void read_header() {
    if (stop_requested_) return close_gracefully();
    in_request_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->config.limits.header_bytes));
    parser_->body_limit(shared_->config.limits.body_bytes);
    beast::get_lowest_layer(stream_).expires_after(shared_->config.limits.idle_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this(), this](beast::error_code ec, size_t) {
          (void)self;
          on_header(ec);
        });
  }

  void on_header(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::eof)
      return close_now();
    if (ec == bhttp::error::header_limit)
      return send_error(431, "request header too large\n");
    if (ec == bhttp::error::body_limit) return send_error(413, "request body too large\n");
    if (ec) {
      // A malformed request line or header: say so once, then close.
      if (buffer_.size() > 0 || parser_->got_some()) return send_error(400, "bad request\n");
      return close_now();
    }
    in_request_ = true;
    auto& req = parser_->get();
    if (req.version() != 11 && req.version() != 10) return send_error(505, "HTTP/1.x only\n");
    if (parser_->is_done()) return handle();
    auto expect = req[bhttp::field::expect];
    if (!expect.empty()) {
      if (!iequal(sv(expect), "100-continue"))
        return send_error(417, "only Expect: 100-continue is supported\n");
      // A body larger than the limit is refused before the client sends it.
      if (parser_->content_length() &&
          *parser_->content_length() > shared_->config.limits.body_bytes)
        return send_error(413, "request body too large\n");
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(
          bhttp::status::continue_, req.version());
      beast::get_lowest_layer(stream_).expires_after(shared_->config.limits.request_timeout);
      bhttp::async_write(stream_, *cont,
                         [self = this->shared_from_this(), this, cont](beast::error_code ec2,
                                                                        size_t) {
                           (void)self;
                           if (ec2) return close_now();
                           read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    beast::get_lowest_layer(stream_).expires_after(shared_->config.limits.request_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this(), this](beast::error_code ec, size_t) {
                        (void)self;
                        if (ec == bhttp::error::body_limit)
                          return send_error(413, "request body too large\n");
                        // On timeout tcp_stream has already closed the socket: no 408 possible.
                        if (ec == net::error::operation_aborted) return close_now();
                        if (ec) {
                          if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
                              ec == bhttp::error::partial_message)
                            return close_now();
                          return send_error(400, "bad request body\n");
                        }
                        handle();
                      });
  }

  void handle() {
    auto req = parser_->release();
    Request request;
    request.method = std::string(sv(req.method_string()));
    request.target = std::string(sv(req.target()));
    for (const auto& field : req)
      request.headers.emplace_back(lower(sv(field.name_string())), std::string(sv(field.value())));
    request.body = std::move(req.body());
    request.client_address = client_;
    request.tls = kTls;

    Response response;
    try {
      response = shared_->handler(request);
    } catch (const std::exception& e) {
      response = Response{};
      response.status = 500;
      response.content_type = "text/plain";
      response.body = std::string("internal error: ") + e.what() + "\n";
    }
    bool keep_alive = req.keep_alive() && !response.close && !stop_requested_ &&
                      !shared_->stopping.load();
    send(std::move(response), keep_alive, req.version());
  }

  void send_error(int status, std::string text) {
    Response response;
    response.status = status;
    response.content_type = "text/plain";
    response.body = std::move(text);
    send(std::move(response), false, 11);
  }

  void send(Response response, bool keep_alive, unsigned version) {
    in_request_ = true;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version);
    res->set(bhttp::field::server, "cimnetd");
    if (!response.content_type.empty())
      res->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(shared_->config.limits.request_timeout);
    bhttp::async_write(stream_, *res,
                       [self = this->shared_from_this(), this, res](beast::error_code ec,
                                                                     size_t) {
                         (void)self;
                         if (ec) return close_now();
                         if (!res->keep_alive()) return close_gracefully();
                         read_header();
                       });
  }

  void close_gracefully() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this(), this](beast::error_code) {
        (void)self;
        close_now();
      });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      close_now();
    }
  }

  void close_now() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

  Stream stream_;
  std::shared_ptr<Shared> shared_;
  uint64_t id_;
  std::string client_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool in_request_ = false;
  bool stop_requested_ = false;
};

// Accepts connections on one endpoint and starts a session for each.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<Shared> shared, bool tls)
      : ioc_(ioc), acceptor_(net::make_strand(ioc)), shared_(std::move(shared)), tls_(tls) {}

  // Throws std::runtime_error naming the endpoint.
  uint16_t open(const Endpoint& endpoint) {
    beast::error_code ec;
    auto address = net::ip::make_address(endpoint.address, ec);
    if (ec) throw std::runtime_error("invalid listen address '" + endpoint.address + "'");
    tcp::endpoint ep(address, endpoint.port);
    auto where = endpoint.address + ":" + std::to_string(endpoint.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
    return acceptor_.local_endpoint().port();
  }

  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec && !shared_->stopping) start_session(std::move(socket));
    if (!shared_->stopping) accept();
  }

  void start_session(tcp::socket socket) {
    beast::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    std::string client = ec ? std::string("?") : peer.address().to_string();
    std::shared_ptr<SessionBase> session;
    uint64_t id;
    {
      std::lock_guard lock(shared_->mutex);
      if (shared_->connections >= shared_->config.limits.max_connections) {
        // Over the cap: refuse politely and hang up.
        static constexpr std::string_view kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        socket.non_blocking(true, ec);
        net::write(socket, net::buffer(kBusy.data(), kBusy.size()), ec);
        socket.close(ec);
        return;
      }
      ++shared_->connections;
      id = shared_->next_id++;
    }
    if (tls_) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          beast::ssl_stream<beast::tcp_stream>(std::move(socket), *shared_->tls), shared_, id,
          client);
      session = s;
      register_session(id, session);
      s->run();
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                            shared_, id, client);
      session = s;
      register_session(id, session);
      s->run();
    }
  }

  void register_session(uint64_t id, const std::shared_ptr<SessionBase>& session) {
    std::lock_guard lock(shared_->mutex);
    shared_->sessions[id] = session;
    if (shared_->stopping) session->request_stop();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  bool tls_;
};

struct Server::Impl {
  std::shared_ptr<Shared> shared;
  std::unique_ptr<net::io_context> ioc;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::mutex stop_mutex;
  bool started = false;
  bool stopped = false;
};

Server::Server(ServerConfig config, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->shared = std::make_shared<Shared>();
  impl_->shared->config = std::move(config);
  impl_->shared->handler = std::move(handler);
}

Server::~Server() { stop(); }

std::vector<BoundEndpoint> Server::start() {
  auto& shared = *impl_->shared;
  const auto& config = shared.config;
  bool any_tls = std::any_of(config.endpoints.begin(), config.endpoints.end(),
                             [](const Endpoint& e) { return e.tls; });
  if (any_tls) {
    shared.tls.emplace(ssl::context::tls_server);
    auto& ctx = *shared.tls;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                    ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    ctx.use_certificate_chain_file(config.tls_cert_file, ec);
    if (ec)
      throw std::runtime_error("cannot load TLS certificate '" + config.tls_cert_file +
                               "': " + ec.message());
    ctx.use_private_key_file(config.tls_key_file, ssl::context::pem, ec);
    if (ec)
      throw std::runtime_error("cannot load TLS key '" + config.tls_key_file +
                               "': " + ec.message());
  }
  impl_->ioc = std::make_unique<net::io_context>(static_cast<int>(std::max(1u, config.threads)));
  std::vector<BoundEndpoint> bound;
  for (const auto& endpoint : config.endpoints) {
    auto listener = std::make_shared<Listener>(*impl_->ioc, impl_->shared, endpoint.tls);
    uint16_t port = listener->open(endpoint);  // throws; listeners opened so far close with it
    bound.push_back({endpoint.tls, endpoint.address, port});
    impl_->listeners.push_back(std::move(listener));
  }
  for (auto& listener : impl_->listeners) listener->accept();
  impl_->work.emplace(impl_->ioc->get_executor());
  for (unsigned i = 0; i < std::max(1u, config.threads); ++i)
    impl_->threads.emplace_back([ioc = impl_->ioc.get()] { ioc->run(); });
  impl_->started = true;
  return bound;
}

void Server::stop() {
  std::lock_guard stop_lock(impl_->stop_mutex);
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  auto& shared = *impl_->shared;
  shared.stopping = true;
  for (auto& listener : impl_->listeners) listener->close();
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(shared.mutex);
    for (auto& [id, weak] : shared.sessions)
      if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  for (auto& session : live) session->request_stop();
  live.clear();  // a session's destructor takes shared.mutex: never drop one while holding it
  {
    std::unique_lock lock(shared.mutex);
    shared.drained.wait_for(lock, shared.config.limits.drain_timeout,
                            [&] { return shared.connections == 0; });
  }
  impl_->work.reset();
  impl_->ioc->stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->listeners.clear();
}

size_t Server::connection_count() const { return impl_->shared->connections.load(); }

}  // namespace cimnet::http

// The only translation unit of the client that includes Boost.Beast / Asio.

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

#include "cimnet/shell/client/http.h"

namespace cimnet::shell::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

namespace {

class BeastConnection : public HttpConnection {
 public:
  explicit BeastConnection(HttpTarget target) : target_(std::move(target)), ssl_ctx_(ssl::context::tls_client) {
    if (target_.tls) {
      ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      ssl_ctx_.set_default_verify_paths();
    }
  }

  HttpResponse post(std::string_view body, std::string_view authorization) override {
    bool reused = connected();
    try {
      if (!connected()) connect();
      return exchange(body, authorization);
    } catch (const beast::system_error& e) {
      close();
      if (!reused) throw TransportError(describe(e.code()));
    }
    // The server closed a kept-alive connection: one fresh attempt.
    try {
      connect();
      return exchange(body, authorization);
    } catch (const beast::system_error& e) {
      close();
      throw TransportError(describe(e.code()));
    }
  }

  void close() override {
    beast::error_code ec;
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ec);
    if (plain_) plain_->socket().close(ec);
    tls_.reset();
    plain_.reset();
  }

 private:
  bool connected() const { return tls_.has_value() || plain_.has_value(); }

  std::string describe(const beast::error_code& ec) const {
    std::string where = (target_.tls ? "https://" : "http://") + target_.host + ":" + std::to_string(target_.port);
    if (ec == beast::error::timeout) return "The WS-Management service at " + where + " did not answer in time.";
    if (ec.category() == net::error::get_ssl_category() || ec.category() == ssl::error::get_stream_category())
      return "The TLS connection to " + where + " failed: " + ec.message() +
             (target_.skip_ca_check ? "" : " (use New-CimSessionOption -SkipCACheck -SkipCNCheck for a self-signed certificate)");
    return "Cannot connect to the WS-Management service at " + where + ": " + ec.message();
  }

  void connect() {
    close();
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(target_.host, std::to_string(target_.port));
    if (target_.tls) {
      tls_.emplace(ioc_, ssl_ctx_);
      auto& stream = *tls_;
      if (target_.skip_ca_check) {
        stream.set_verify_mode(ssl::verify_none);
      } else {
        stream.set_verify_mode(ssl::verify_peer);
        if (!target_.skip_cn_check) {
          X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
          X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
          X509_VERIFY_PARAM_set1_host(param, target_.host.c_str(), 0);
        }
      }
      SSL_set_tlsext_host_name(stream.native_handle(), target_.host.c_str());
      beast::get_lowest_layer(stream).expires_after(target_.timeout);
      beast::get_lowest_layer(stream).connect(results);
      beast::get_lowest_layer(stream).expires_after(target_.timeout);
      stream.handshake(ssl::stream_base::client);
    } else {
      plain_.emplace(ioc_);
      plain_->expires_after(target_.timeout);
      plain_->connect(results);
    }
  }

  template <class Stream>
  HttpResponse exchange_on(Stream& stream, beast::tcp_stream& lowest, std::string_view body,
                           std::string_view authorization) {
    http::request<http::string_body> req{http::verb::post, target_.path, 11};
    req.set(http::field::host, target_.host + ":" + std::to_string(target_.port));
    req.set(http::field::user_agent, "cimsh WS-Management client");
    req.set(http::field::content_type, "application/soap+xml;charset=UTF-8");
    req.keep_alive(true);
    if (!authorization.empty()) req.set(http::field::authorization, std::string(authorization));
    req.body() = std::string(body);
    req.prepare_payload();
    lowest.expires_after(target_.timeout);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    lowest.expires_after(target_.timeout);
    http::read(stream, buffer, parser);
    auto res = parser.release();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.content_type = std::string(res[http::field::content_type]);
    if (!res.keep_alive()) close();
    return out;
  }

  HttpResponse exchange(std::string_view body, std::string_view authorization) {
    if (tls_) return exchange_on(*tls_, beast::get_lowest_layer(*tls_), body, authorization);
    return exchange_on(*plain_, *plain_, body, authorization);
  }

  HttpTarget target_;
  net::io_context ioc_;
  ssl::context ssl_ctx_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

}  // namespace

std::unique_ptr<HttpConnection> make_http_connection(const HttpTarget& target) {
  return std::make_unique<BeastConnection>(target);
}

}  // namespace cimnet::shell::client

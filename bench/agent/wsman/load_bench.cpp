// Load generator for the WS-Management stack: the real HTTP server, endpoint
// (Basic authentication), dispatcher and providers in this process, driven by
// keep-alive client threads over loopback. Prints BENCH lines:
//   requests/s and p50/p99 latency for Identify, Get and Enumerate of 1,000
//   instances at 32 connections, beside the transport alone answering a
//   fixed 200 (the ceiling this machine allows);
//   RSS growth while enumerating 1,000,000 instances, beside 1,000.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/auth/authenticator.h"
#include "agent/http/server.h"
#include "agent/log/log.h"
#include "agent/provider/provider.h"
#include "agent/provider/software_identity.h"
#include "agent/wsman/dispatcher.h"
#include "agent/wsman/service.h"
#include "cimnet/cim/mof.h"

using namespace cimnet;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kConnections = 32;
constexpr auto kDuration = std::chrono::seconds(3);

// Generates `count` CIM_SoftwareIdentity instances on demand.
class GeneratedStream : public provider::InstanceStream {
 public:
  explicit GeneratedStream(uint64_t count) : count_(count) {}
  std::optional<cim::Instance> next() override {
    if (i_ >= count_) return std::nullopt;
    cim::Instance s("CIM_SoftwareIdentity");
    s.set("InstanceID", cim::Value::string("bench:" + std::to_string(i_)));
    s.set("ElementName", cim::Value::string("package " + std::to_string(i_)));
    s.set("VersionString", cim::Value::string("1.0." + std::to_string(i_ % 100)));
    s.set("MajorVersion", cim::Value::uint16(1));
    ++i_;
    return s;
  }
  std::optional<uint64_t> estimate() const override { return count_ - i_; }

 private:
  uint64_t count_, i_ = 0;
};

class GeneratedProvider : public provider::Provider {
 public:
  explicit GeneratedProvider(uint64_t count) : count_(count) {}
  std::unique_ptr<provider::InstanceStream> enumerate(const provider::CallContext&,
                                                      const cim::Class&) override {
    return std::make_unique<GeneratedStream>(count_);
  }

 private:
  uint64_t count_;
};

long rss_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  return 0;
}

void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS
}

// One blocking keep-alive HTTP/1.1 connection.
class Connection {
 public:
  explicit Connection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
  }
  ~Connection() { ::close(fd_); }

  // Sends a request and reads the response; returns the status and body.
  int exchange(const std::string& request, std::string& body) {
    size_t off = 0;
    while (off < request.size()) {
      ssize_t n = ::send(fd_, request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return -1;
      off += static_cast<size_t>(n);
    }
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return -1;
    size_t cl = buf_.find("Content-Length: ");
    size_t length = cl < head_end ? std::stoul(buf_.substr(cl + 16)) : 0;
    while (buf_.size() < head_end + 4 + length)
      if (!fill()) return -1;
    int status = std::atoi(buf_.c_str() + 9);
    body.assign(buf_, head_end + 4, length);
    buf_.erase(0, head_end + 4 + length);
    return status;
  }

 private:
  bool fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string buf_;
};

std::string http_post(const std::string& body) {
  return "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YmVuY2g6YmVuY2gtcHc=\r\n"
         "Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string envelope(const std::string& action, const std::string& resource,
                     const std::string& headers, const std::string& body) {
  return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
         "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
         "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
         "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\"><s:Header>"
         "<a:Action>" + action + "</a:Action><a:MessageID>uuid:0f8fad5b-d9cb-469f-a165-70867728950e</a:MessageID>"
         "<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
         "<w:ResourceURI>" + resource + "</w:ResourceURI>" + headers +
         "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
}

struct Figures {
  double rps = 0, p50_ms = 0, p99_ms = 0;
  uint64_t errors = 0;
};

// Runs `connections` client threads for kDuration, each repeating `step`
// (one logical operation, possibly several requests) on its own connection.
template <class Step>
Figures drive(uint16_t port, int connections, Step step) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0};
  std::vector<std::vector<double>> latencies(connections);
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      Connection c(port);
      std::string body;
      while (!stop.load(std::memory_order_relaxed)) {
        auto start = Clock::now();
        if (!step(c, body)) ++errors;
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
    });
  }
  auto begin = Clock::now();
  std::this_thread::sleep_for(kDuration);
  stop = true;
  for (auto& th : threads) th.join();
  double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Figures f;
  f.rps = static_cast<double>(all.size()) / seconds;
  if (!all.empty()) {
    f.p50_ms = all[all.size() / 2];
    f.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  f.errors = errors;
  return f;
}

void print(const char* name, const Figures& f, const Figures& base) {
  std::printf("BENCH agent.%s.rps %.0f req/s baseline=transport_only:%.0f ratio=%.2f\n", name, f.rps,
              base.rps, base.rps > 0 ? f.rps / base.rps : 0);
  std::printf("BENCH agent.%s.p50 %.3f ms baseline=transport_only:%.3f ratio=%.2f\n", name, f.p50_ms,
              base.p50_ms, base.p50_ms > 0 ? f.p50_ms / base.p50_ms : 0);
  std::printf("BENCH agent.%s.p99 %.3f ms baseline=transport_only:%.3f ratio=%.2f\n", name, f.p99_ms,
              base.p99_ms, base.p99_ms > 0 ? f.p99_ms / base.p99_ms : 0);
  if (f.errors) std::printf("# %s: %llu failed operations\n", name, static_cast<unsigned long long>(f.errors));
  std::fflush(stdout);
}

// Enumerates everything with Enumerate + Pull; returns the item count.
uint64_t enumerate_all(Connection& c, const std::string& ns, std::string& body) {
  const std::string ru = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity";
  const std::string sel = "<w:SelectorSet><w:Selector Name=\"__cimnamespace\">" + ns +
                          "</w:Selector></w:SelectorSet><w:MaxEnvelopeSize>4000000</w:MaxEnvelopeSize>";
  if (c.exchange(http_post(envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate", ru, sel,
                                    "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>1000</w:MaxElements></n:Enumerate>")),
                 body) != 200)
    return 0;
  uint64_t items = 0;
  auto count = [&] {
    for (size_t p = 0; (p = body.find("<p:InstanceID>", p)) != std::string::npos; ++p) ++items;
  };
  count();
  while (true) {
    size_t a = body.find("<wsen:EnumerationContext>");
    if (a == std::string::npos) break;
    a += 25;
    std::string ctx = body.substr(a, body.find('<', a) - a);
    if (c.exchange(http_post(envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", ru, sel,
                                      "<n:Pull><n:EnumerationContext>" + ctx +
                                          "</n:EnumerationContext><n:MaxElements>1000</n:MaxElements></n:Pull>")),
                   body) != 200)
      return 0;
    count();
  }
  return items;
}

}  // namespace

int main() {
  log::set_level(log::Level::kWarn);  // the per-request info line is not part of what is measured
  auto dir = std::filesystem::temp_directory_path() / ("cimnet-load-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auth::UserDatabase db;
    db.add("bench", "bench-pw", auth::Role::kAdmin);
    db.save(dir / "users");
  }
  unsigned threads = std::max(2u, std::thread::hardware_concurrency());

  // Baseline: the transport alone, a fixed small 200 per request.
  Figures base;
  {
    http::ServerConfig config;
    config.endpoints.push_back({false, "127.0.0.1", 0});
    config.threads = threads;
    http::Server server(config, [](const http::Request&) {
      http::Response r;
      r.content_type = "application/soap+xml;charset=UTF-8";
      r.body = std::string(1500, 'x');
      return r;
    });
    uint16_t port = server.start().at(0).port;
    std::string req = http_post("<x/>");
    base = drive(port, kConnections, [&](Connection& c, std::string& body) {
      return c.exchange(req, body) == 200;
    });
  }

  cim::Repository repo;
  {
    cim::MofCompiler compiler(repo);
    compiler.compile_file(CIMNET_SCHEMA);
  }
  provider::ProviderRegistry providers;
  providers.add("root/cimv2", "CIM_SoftwareIdentity",
                std::make_shared<provider::SoftwareIdentityProvider>("0.1.0"));
  providers.add("root/StandardCimv2", "CIM_SoftwareIdentity",
                std::make_shared<GeneratedProvider>(1000));
  auth::Authenticator authenticator(dir / "users");
  wsman::Dispatcher::Config dc;
  dc.default_max_envelope = 4'000'000;
  wsman::Dispatcher dispatcher(repo, providers, dc);
  wsman::Service service({}, authenticator, &dispatcher);
  http::ServerConfig config;
  config.endpoints.push_back({false, "127.0.0.1", 0});
  config.threads = threads;
  config.limits.body_bytes = 1 << 20;
  http::Server server(config, [&](const http::Request& r) { return service.handle(r); });
  uint16_t port = server.start().at(0).port;

  const std::string si = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity";
  std::string identify = http_post(
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
      "xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
      "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>");
  std::string get = http_post(envelope(
      "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", si,
      "<w:SelectorSet><w:Selector Name=\"InstanceID\">cimnet:cimnetd</w:Selector></w:SelectorSet>", ""));
  {
    // Warm the credential cache (one PBKDF2) and check the answers.
    Connection c(port);
    std::string body;
    if (c.exchange(identify, body) != 200 || c.exchange(get, body) != 200 ||
        enumerate_all(c, "root/StandardCimv2", body) != 1000) {
      std::fprintf(stderr, "load_bench: the agent did not answer as expected: %s\n", body.c_str());
      return 1;
    }
  }
  print("identify.c32", drive(port, kConnections, [&](Connection& c, std::string& b) {
          return c.exchange(identify, b) == 200;
        }), base);
  print("get.c32", drive(port, kConnections, [&](Connection& c, std::string& b) {
          return c.exchange(get, b) == 200;
        }), base);
  print("enumerate1k.c32", drive(port, kConnections, [&](Connection& c, std::string& b) {
          return enumerate_all(c, "root/StandardCimv2", b) == 1000;
        }), base);

  // Memory: enumerate 1,000 then 1,000,000 instances on one connection and
  // compare how far the peak RSS rises above where it started.
  auto rss_growth_mb = [&](uint64_t count, uint64_t& seen, double& seconds) {
    auto generated = std::make_shared<GeneratedProvider>(count);
    provider::ProviderRegistry big;
    big.add("root/StandardCimv2", "CIM_SoftwareIdentity", generated);
    wsman::Dispatcher d(repo, big, dc);
    wsman::Service s({}, authenticator, &d);
    http::Server srv(config, [&](const http::Request& r) { return s.handle(r); });
    uint16_t p = srv.start().at(0).port;
    Connection c(p);
    std::string body;
    reset_peak_rss();
    long before = rss_kb("VmRSS:");
    auto start = Clock::now();
    seen = enumerate_all(c, "root/StandardCimv2", body);
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    long peak = rss_kb("VmHWM:");
    return static_cast<double>(peak - before) / 1024.0;
  };
  uint64_t seen_small = 0, seen_big = 0;
  double secs_small = 0, secs_big = 0;
  double small = rss_growth_mb(1000, seen_small, secs_small);
  double large = rss_growth_mb(1'000'000, seen_big, secs_big);
  if (seen_big != 1'000'000 || seen_small != 1000)
    std::printf("# enumeration returned %llu and %llu items\n",
                static_cast<unsigned long long>(seen_small), static_cast<unsigned long long>(seen_big));
  // Baseline for memory: what merely holding 100,000 of the same instances
  // (a tenth of the run) costs, i.e. an agent that materialises enumerations.
  double held_mb = 0;
  {
    reset_peak_rss();
    long before = rss_kb("VmRSS:");
    std::vector<cim::Instance> held;
    GeneratedStream stream(100'000);
    while (auto i = stream.next()) held.push_back(std::move(*i));
    held_mb = static_cast<double>(rss_kb("VmHWM:") - before) / 1024.0;
  }
  std::printf("# RSS growth enumerating 1,000 instances: %.1f MB\n", small);
  std::printf("BENCH agent.enumerate1M.rss_growth %.1f MB baseline=materialised_100k:%.1f ratio=%.2f\n",
              large, held_mb, held_mb > 0 ? large / held_mb : 0);
  std::printf("BENCH agent.enumerate1M.rate %.0f instances/s baseline=enumerate1k:%.0f ratio=%.2f\n",
              seen_big / secs_big, seen_small / secs_small,
              (seen_big / secs_big) / (seen_small / secs_small));
  server.stop();
  std::filesystem::remove_all(dir);
  return 0;
}

// Network-virtualization benchmarks against the real cimnetd (this build's
// bin/cimnetd, in-memory datapath, durable store). Prints BENCH lines:
//   netvirt.create.keepalive  lookup records created per second with
//     CreateInstance over keep-alive HTTP connections (WS-Man, Basic auth,
//     validation, store commit with fdatasync, datapath update), beside the
//     same records committed one by one through the store library in this
//     process (store + datapath backend, no WS-Man): the protocol's share.
//     cimnetd runs with 2 request threads (.threads2, the old default), its
//     default 4, and 8 (.threads8, one per connection); concurrent commits
//     share fdatasyncs. The .cpu figures are cimnetd's CPU time per record beside
//     the direct loop's (the machine's load does not blur them).
//   netvirt.store.commit.8threads  the same commits from 8 threads at once
//     in this process: concurrent commits share journal fdatasyncs (group
//     commit).
//   netvirt.rss.1M  cimnetd's resident memory after it restored 1,000,000
//     IPv4 lookup records (store table + datapath tables), beside the same
//     cimnetd with no policy; netvirt.rss.1M.store_only is a process that
//     only opens that store (no datapath), to show the split.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <iterator>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cimnet/config/store.h"
#include "cimnet/netvirt/netvirt_agent.h"

using namespace cimnet;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kConnections = 8;
constexpr int kCreates = 8000;
constexpr uint32_t kRssRecords = 1000000;
constexpr const char* kRd = "{11111111-2222-3333-4444-000000000001}";

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8 | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += t[(v >> k) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// A cimnetd child process on a state directory.
struct Agent {
  pid_t pid = -1;
  int port = 0;

  void start(const fs::path& state, const fs::path& work, unsigned threads = 4) {
    fs::remove(work / "ports");
    pid = ::fork();
    if (pid == 0) {
      std::string log = (work / "cimnetd.log").string();
      std::freopen(log.c_str(), "a", stderr);
      std::freopen(log.c_str(), "a", stdout);
      std::string n = std::to_string(threads);
      ::execl(CIMNET_CIMNETD, CIMNET_CIMNETD, "--state-dir", state.c_str(), "--http", "127.0.0.1:0",
              "--port-file", (work / "ports").c_str(), "--log-level", "warn", "--threads",
              n.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    auto deadline = Clock::now() + std::chrono::minutes(10);
    while (Clock::now() < deadline) {
      std::ifstream in(work / "ports");
      std::string kind, addr;
      if (in >> kind >> addr) {
        port = std::stoi(addr.substr(addr.rfind(':') + 1));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::fprintf(stderr, "cimnetd did not start (see %s)\n", (work / "cimnetd.log").c_str());
    std::exit(1);
  }
  // CPU time (user + system) the agent used so far, in seconds.
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream f(text.substr(text.rfind(')') + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && f >> field; ++i) {
      if (i == 14) utime = std::stoul(field);
      if (i == 15) stime = std::stoul(field);
    }
    return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
  }
  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }
  void stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
  }
};

// One keep-alive HTTP/1.1 connection speaking WS-Man.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::perror("connect");
      std::exit(1);
    }
  }
  ~Connection() { ::close(fd_); }
  // Posts `body`; returns the HTTP status (the response body in `reply`).
  int post(const std::string& body, std::string& reply) {
    static const std::string auth = "Basic " + base64("admin:secret-admin");
    std::string req = "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + auth +
                      "\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    for (size_t off = 0; off < req.size();) {
      ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return -1;
      off += size_t(n);
    }
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return -1;
    std::string head = buf_.substr(0, end);
    size_t length = 0;
    for (const char* name : {"Content-Length:", "content-length:"})
      if (auto p = head.find(name); p != std::string::npos)
        length = std::stoul(head.substr(p + std::strlen(name)));
    while (buf_.size() < end + 4 + length)
      if (!fill()) return -1;
    reply = buf_.substr(end + 4, length);
    buf_.erase(0, end + 4 + length);
    return std::stoi(head.substr(9, 3));
  }

 private:
  bool fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, size_t(n));
    return true;
  }
  int fd_;
  std::string buf_;
};

std::string envelope(const std::string& action, const std::string& cls, const std::string& body) {
  static std::atomic<uint64_t> id{0};
  return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
         "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
         "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
         "<a:To>http://127.0.0.1/wsman</a:To><a:ReplyTo><a:Address s:mustUnderstand=\"true\">"
         "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
         "<a:Action s:mustUnderstand=\"true\">" +
         action + "</a:Action><a:MessageID>uuid:00000000-0000-0000-0000-" +
         std::to_string(1000000000000 + id++) +
         "</a:MessageID><w:ResourceURI s:mustUnderstand=\"true\">"
         "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/" +
         cls +
         "</w:ResourceURI><w:SelectorSet><w:Selector Name=\"__cimnamespace\">root/StandardCimv2"
         "</w:Selector></w:SelectorSet><w:OperationTimeout>PT60S</w:OperationTimeout>"
         "</s:Header><s:Body>" +
         body + "</s:Body></s:Envelope>";
}

std::string create_body(const std::string& cls,
                        const std::vector<std::pair<std::string, std::string>>& props) {
  std::string b =
      "<x:" + cls + " xmlns:x=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/" + cls + "\">";
  for (auto& [k, v] : props) b += "<x:" + k + ">" + v + "</x:" + k + ">";
  return b + "</x:" + cls + ">";
}

std::string ca_of(uint32_t i) {
  return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255);
}
std::string mac_of(uint32_t i) {
  char m[16];
  std::snprintf(m, sizeof m, "02%010x", i);
  return m;
}
std::string pa_of(uint32_t i) {
  return "192.168." + std::to_string(i % 200) + ".1";
}

config::LookupRecord record_of(uint32_t vsid, uint32_t i) {
  config::LookupRecord r;
  r.key.vsid = vsid;
  r.key.customer_address = *config::IpAddress::parse(ca_of(i));
  r.key.mac = *config::MacAddress::parse(mac_of(i));
  r.provider_address = *config::IpAddress::parse(pa_of(i));
  return r;
}

void add_user(const fs::path& state) {
  std::string cmd = std::string(CIMNET_CIMNETD) + " user add admin --role admin --state-dir " +
                    state.string() + " >/dev/null 2>&1";
  FILE* p = ::popen(cmd.c_str(), "w");
  std::fputs("secret-admin\n", p);
  if (::pclose(p) != 0) {
    std::fprintf(stderr, "cimnetd user add failed\n");
    std::exit(1);
  }
}

void add_subnet(config::Store& store, uint32_t vsid) {
  auto tx = store.begin();
  std::string p =
      "/cimnet:network-virtualization/virtual-subnet[vsid='" + std::to_string(vsid) + "']";
  tx.create(p);
  tx.set(p + "/routing-domain", kRd);
  tx.commit();
}

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

void print(const char* name, double value, const char* unit, const char* base, double bvalue) {
  std::printf("BENCH %s %.1f %s baseline=%s:%.1f ratio=%.2f\n", name, value, unit, base, bvalue,
              bvalue > 0 ? value / bvalue : 0.0);
  std::fflush(stdout);
}

}  // namespace

// kCreates records with CreateInstance over kConnections keep-alive
// connections; returns records per second.
double create_over_wsman(int port) {
  std::atomic<int> failures{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      Connection conn(port);
      std::string reply;
      for (uint32_t i = uint32_t(c); i < uint32_t(kCreates); i += kConnections) {
        std::string body = envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                    "MSFT_NetVirtualizationLookupRecordSettingData",
                                    create_body("MSFT_NetVirtualizationLookupRecordSettingData",
                                                {{"CustomerAddress", ca_of(i)},
                                                 {"MACAddress", mac_of(i)},
                                                 {"ProviderAddress", pa_of(i)},
                                                 {"Rule", "1"},
                                                 {"VirtualSubnetID", "5000"}}));
        if (conn.post(body, reply) != 200 && failures++ < 3)
          std::fprintf(stderr, "Create failed: %s\n", reply.substr(0, 600).c_str());
      }
    });
  }
  for (auto& t : threads) t.join();
  double rate = kCreates / std::chrono::duration<double>(Clock::now() - t0).count();
  if (failures) std::fprintf(stderr, "%d creates failed\n", failures.load());
  return rate;
}

int main(int argc, char** argv) {
  // --create-only: just the Create figures (for profiling the Create path).
  bool create_only = argc > 1 && std::string(argv[1]) == "--create-only";
  fs::path work = fs::temp_directory_path() / ("netvirt-bench-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work);

  // Baseline: one commit per record through the store library, same backend.
  double direct_rate = 0, direct_cpu_us = 0;
  {
    config::StoreOptions o;
    o.state_dir = work / "direct";
    auto store = config::Store::open(o);
    auto agent = netvirt::NetvirtAgent::start(*store, {"memory", "bench", {}});
    add_subnet(*store, 5000);
    auto t0 = Clock::now();
    double cpu0 = thread_cpu_seconds();
    for (uint32_t i = 0; i < kCreates; ++i) {
      auto tx = store->begin();
      tx.create_lookup(record_of(5000, i));
      tx.commit();
    }
    direct_rate = kCreates / std::chrono::duration<double>(Clock::now() - t0).count();
    direct_cpu_us = (thread_cpu_seconds() - cpu0) * 1e6 / kCreates;
  }

  // Group commit in the store itself: 8 threads committing one record each
  // time (store + datapath backend, no WS-Man), beside the single-threaded
  // loop above.
  {
    config::StoreOptions o;
    o.state_dir = work / "group";
    auto store = config::Store::open(o);
    auto agent = netvirt::NetvirtAgent::start(*store, {"memory", "bench", {}});
    add_subnet(*store, 5000);
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        for (uint32_t i = t; i < uint32_t(kCreates); i += 8) {
          auto tx = store->begin();
          tx.create_lookup(record_of(5000, i));
          tx.commit();
        }
      });
    for (auto& th : threads) th.join();
    double rate = kCreates / std::chrono::duration<double>(Clock::now() - t0).count();
    print("netvirt.store.commit.8threads", rate, "records/s", "store.commit.direct", direct_rate);
  }

  // CreateInstance over keep-alive connections to cimnetd with 2 request
  // threads (the old default), its default 4, and 8 (one per connection):
  // commits waiting on the disk share fdatasyncs, more threads cost more
  // hand-offs.
  fs::path state = work / "state";
  add_user(state);
  {
    config::StoreOptions o;
    o.state_dir = state;
    auto store = config::Store::open(o);
    add_subnet(*store, 5000);
  }
  Agent agent;
  long rss_empty = 0;
  for (unsigned threads : {2u, 4u, 8u}) {
    fs::path st = work / ("state" + std::to_string(threads));
    fs::remove_all(st);
    fs::copy(state, st, fs::copy_options::recursive);
    fs::remove(st / "lock");
    agent.start(st, work, threads);
    if (threads == 4) rss_empty = agent.rss_kib();
    double cpu0 = agent.cpu_seconds();
    double rate = create_over_wsman(agent.port);
    double cpu_us = (agent.cpu_seconds() - cpu0) * 1e6 / kCreates;
    agent.stop();
    std::string name = "netvirt.create.keepalive" + std::string(threads == 4 ? "" : ".threads" + std::to_string(threads));
    print(name.c_str(), rate, "records/s", "store.commit.direct", direct_rate);
    // CPU per record is what the shared machine's load does not blur.
    print((name + ".cpu").c_str(), cpu_us, "us/record", "store.commit.direct", direct_cpu_us);
  }
  if (create_only) {
    fs::remove_all(work);
    return 0;
  }

  // 1,000,000 IPv4 records written into the state directory (batches of
  // 10,000 per commit), then the agent restarted on it.
  {
    config::StoreOptions o;
    o.state_dir = state;
    o.fsync = false;
    auto store = config::Store::open(o);
    for (uint32_t base = 0; base < kRssRecords; base += 10000) {
      auto tx = store->begin();
      for (uint32_t i = base; i < std::min(base + 10000, kRssRecords); ++i)
        tx.put_lookup(record_of(5000, i));
      tx.commit();
    }
    if (store->lookup_count() != kRssRecords)
      std::fprintf(stderr, "expected %u records, the store has %zu\n", kRssRecords,
                   store->lookup_count());
  }
  // The store alone, in a child process: its resident memory once open.
  {
    int fds[2];
    if (::pipe(fds) != 0) return 1;
    pid_t child = ::fork();
    if (child == 0) {
      config::StoreOptions o;
      o.state_dir = state;
      auto store = config::Store::open(o);
      std::ifstream in("/proc/self/status");
      std::string line;
      long kib = -1;
      while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) kib = std::stol(line.substr(6));
      (void)!::write(fds[1], &kib, sizeof kib);
      ::_exit(0);
    }
    long kib = -1;
    (void)!::read(fds[0], &kib, sizeof kib);
    ::waitpid(child, nullptr, 0);
    ::close(fds[0]);
    ::close(fds[1]);
    print("netvirt.rss.1M.store_only", kib / 1024.0, "MiB", "cimnetd.empty", rss_empty / 1024.0);
  }
  auto s0 = Clock::now();
  agent.start(state, work);
  double start_s = std::chrono::duration<double>(Clock::now() - s0).count();
  long rss_full = agent.rss_kib();
  agent.stop();
  print("netvirt.rss.1M", rss_full / 1024.0, "MiB", "cimnetd.empty", rss_empty / 1024.0);
  std::printf("BENCH netvirt.restart.1M %.1f s\n", start_s);
  fs::remove_all(work);
  return 0;
}

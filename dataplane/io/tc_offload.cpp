#include "cimnet/dataplane/io/tc_offload.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>

#if CIMNET_HAVE_TC_OFFLOAD
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "../bpf/nvgre_tc.h"

// The compiled nvgre_tc.bpf.c, embedded by CMake (nvgre_tc_object.cpp).
extern const unsigned char kCimnetNvgreTcObject[];
extern const size_t kCimnetNvgreTcObjectSize;
#endif

namespace cimnet::dataplane {

namespace {

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

constexpr size_t kFrameBuffer = 65536 + 256;  // a GSO frame: 64 KiB IP packet + L2 headers

}  // namespace

// ---------------------------------------------------------------------------------------------
// SlowPathIo (needs no BPF library: plain AF_PACKET with a classic BPF filter)

std::unique_ptr<SlowPathIo> SlowPathIo::open(const std::string& ifname, uint16_t fanout_group) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ)
    throw IoError("bad interface name '" + ifname + "'");
  int ifindex = int(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) throw IoError(errno_text("no such interface " + ifname, errno));
  std::unique_ptr<SlowPathIo> io(new SlowPathIo());  // private constructor
  io->frame_ = std::make_unique<uint8_t[]>(kFrameBuffer);
  io->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (io->epoll_fd_ < 0) throw IoError(errno_text("epoll_create1", errno));
  const uint16_t protocols[3] = {ETH_P_ALL, ETH_P_IP, ETH_P_IPV6};
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(protocols[i]));
    if (fd < 0) throw IoError(errno_text("socket(AF_PACKET) on " + ifname, errno));
    io->fds_[i] = fd;
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0)
      throw IoError(errno_text("PACKET_VNET_HDR on " + ifname, errno));
    if (protocols[i] == ETH_P_ALL) {
      // Our own transmissions are not input; IPv4 / IPv6 come from the other two sockets.
      if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0)
        throw IoError(errno_text("PACKET_IGNORE_OUTGOING on " + ifname, errno));
      sock_filter code[] = {
          {BPF_LD | BPF_H | BPF_ABS, 0, 0, 12},
          {BPF_JMP | BPF_JEQ | BPF_K, 2, 0, ETH_P_IP},
          {BPF_JMP | BPF_JEQ | BPF_K, 1, 0, ETH_P_IPV6},
          {BPF_RET | BPF_K, 0, 0, 0xFFFFFFFF},
          {BPF_RET | BPF_K, 0, 0, 0},
      };
      sock_fprog prog{uint16_t(sizeof code / sizeof code[0]), code};
      if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
        throw IoError(errno_text("SO_ATTACH_FILTER on " + ifname, errno));
    }
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(protocols[i]);
    addr.sll_ifindex = ifindex;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
      throw IoError(errno_text("bind on " + ifname, errno));
    if (fanout_group != 0) {
      int fanout =
          int(uint16_t(fanout_group + i)) | (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
      if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout) < 0)
        throw IoError(errno_text("PACKET_FANOUT on " + ifname, errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = uint32_t(i);
    if (epoll_ctl(io->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0)
      throw IoError(errno_text("epoll_ctl", errno));
  }
  return io;
}

SlowPathIo::~SlowPathIo() {
  for (int fd : fds_)
    if (fd >= 0) ::close(fd);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

size_t SlowPathIo::receive(std::span<Packet> packets) {
  size_t n = 0;
  unsigned empty = 0;  // sockets found empty in a row
  while (n < packets.size()) {
    if (segmenter_.pending()) {
      n += segmenter_.emit(packets.subspan(n));
      continue;
    }
    if (empty == 3) break;
    int fd = fds_[next_];
    VirtioNetHeader h;
    iovec iov[2] = {{&h, sizeof h}, {frame_.get(), kFrameBuffer}};
    ssize_t r = ::readv(fd, iov, 2);
    if (r < 0) {  // EAGAIN: try the next socket
      next_ = (next_ + 1) % 3;
      ++empty;
      continue;
    }
    empty = 0;
    if (size_t(r) < sizeof h) {
      ++refused_;
      continue;
    }
    gso_frames_ += h.gso_type != kVnetGsoNone;
    if (segmenter_.load(h, frame_.get(), size_t(r) - sizeof h) != GsoError::None) ++refused_;
  }
  return n;
}

size_t SlowPathIo::send(std::span<Packet* const> packets) {
  constexpr size_t kMax = 64;
  static const VirtioNetHeader zero{};
  mmsghdr msgs[kMax];
  iovec iov[kMax][2];
  size_t sent = 0;
  while (sent < packets.size()) {
    size_t n = std::min(kMax, packets.size() - sent);
    for (size_t i = 0; i < n; ++i) {
      Packet* p = packets[sent + i];
      iov[i][0] = {const_cast<VirtioNetHeader*>(&zero), sizeof zero};
      iov[i][1] = {p->data(), p->length};
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = iov[i];
      msgs[i].msg_hdr.msg_iovlen = 2;
    }
    int r = ::sendmmsg(fds_[0], msgs, unsigned(n), MSG_DONTWAIT);
    if (r <= 0) {
      ++sent;  // drop the first frame (e.g. too large) and go on with the rest
      continue;
    }
    sent += size_t(r);
  }
  return sent;
}

#if !CIMNET_HAVE_TC_OFFLOAD

struct TcOffload::Impl {};

bool TcOffload::available(std::string* why) {
  if (why)
    *why =
        "this build has no tc offload (clang for BPF or libbpf-dev was missing, or "
        "CIMNET_TC_OFFLOAD was OFF, when it was configured)";
  return false;
}
std::unique_ptr<TcOffload> TcOffload::attach(Datapath&, const TcOffloadOptions&) {
  std::string why;
  available(&why);
  throw IoError(why);
}
TcOffload::TcOffload() = default;
TcOffload::~TcOffload() = default;
std::optional<VsidCounters> TcOffload::vsid_counters(uint32_t) const {
  return std::nullopt;
}
PortCounters TcOffload::port_counters(PortId) const {
  return {};
}
TcOffloadStats TcOffload::stats() const {
  return {};
}
bool TcOffload::enabled() const {
  return false;
}
std::string TcOffload::last_error() const {
  return {};
}
TcOffload::TestRun TcOffload::test_vm_port(uint32_t, const std::vector<uint8_t>&) const {
  throw IoError("tc offload not built");
}
TcOffload::TestRun TcOffload::test_provider(const std::vector<uint8_t>&) const {
  throw IoError("tc offload not built");
}
void TcOffload::before_publish(const PolicyChange&) noexcept {}
void TcOffload::after_publish(const PolicyChange&) noexcept {}
void TcOffload::attach_port(PortId, const std::string&) {
  throw IoError("tc offload: not compiled in");
}
void TcOffload::detach_port(PortId) noexcept {}

#else

namespace {

std::mutex g_log_mutex;
std::string* g_log = nullptr;  // libbpf's messages while loading (verifier log)

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  if (g_log && g_log->size() < 16384) g_log->append(buf);
  return n;
}

uint64_t mac48(const MacAddress& m) {
  uint64_t v = 0;
  std::memcpy(&v, m.bytes.data(), 6);
  return v;
}

bool fast_record(const LookupRecord& r) {
  return r.customer.is_set() && !r.customer.is_unspecified() && r.rule == Rule::Encap &&
         (r.type == RecordType::Static || r.type == RecordType::Dynamic);
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

}  // namespace

struct TcOffload::Impl {
  bpf_object* obj = nullptr;
  int vm_prog = -1, provider_prog = -1;
  int config = -1, ports = -1, records4 = -1, records6 = -1, providers = -1, local_ports = -1,
      local_pas4 = -1, local_pas6 = -1, vsid_stats = -1, port_stats = -1, misc_stats = -1;
  int provider_ifindex = 0;
  std::map<PortId, int> port_ifindex;
  // Serialises the observer calls with attach_port / detach_port (taken after the datapath's
  // writer lock, never before it).
  std::mutex mirror_mutex;
  size_t max_subnets = 0, max_pas = 0;
  struct Hook {
    int ifindex;
    bool created_qdisc;
    bool attached;
  };
  std::vector<Hook> hooks;

  // ---- mirror of the policy (guarded by the datapath's writer lock) ----
  DatapathSettings settings;
  std::map<IpAddress, ProviderAddress> local_pas;
  std::map<IpPrefix, ProviderRoute> provider_routes;
  std::map<IpAddress, MacAddress> neighbors;
  std::map<uint16_t, VmPort> vm_ports;
  std::set<uint32_t> subnets;
  std::map<uint32_t, uint16_t> vsid_counter;  // never reused; written under counter_mutex too
  mutable std::mutex counter_mutex;
  struct Rec {
    uint64_t mac;
    uint32_t pa;
    bool fast;  // Encap, Static/Dynamic, IP: the fast path may use it
  };
  std::map<RecordKey, Rec> records;
  std::map<IpAddress, uint32_t> pa_index;
  std::vector<IpAddress> pa_address;
  std::vector<uint32_t> pa_refs;
  std::vector<uint32_t> pa_free;
  std::map<std::pair<uint32_t, uint64_t>, std::pair<uint32_t, uint32_t> > macs;  // -> (pa, refs)

  std::atomic<uint64_t> map_full{0};  // inserts refused by a full map (left to the slow path)
  std::atomic<bool> enabled{false};   // config.enabled as last written
  std::atomic<bool> failed{false};    // maps may be stale: rewrite them all on the next change
  mutable std::mutex error_mutex;
  std::string error;

  ~Impl() {
    for (Hook& h : hooks) detach(h);
    if (obj) bpf_object__close(obj);
  }

  void detach(Hook& h) {
    bpf_tc_hook hook{};
    hook.sz = sizeof hook;
    hook.ifindex = h.ifindex;
    hook.attach_point = BPF_TC_INGRESS;
    if (h.attached) {
      bpf_tc_opts opts{};
      opts.sz = sizeof opts;
      opts.handle = 1;
      opts.priority = 1;
      bpf_tc_detach(&hook, &opts);
      h.attached = false;
    }
    if (h.created_qdisc) {
      hook.attach_point = bpf_tc_attach_point(BPF_TC_INGRESS | BPF_TC_EGRESS);
      bpf_tc_hook_destroy(&hook);
      h.created_qdisc = false;
    }
  }

  void attach(int ifindex, int prog, const std::string& name) {
    Hook h{ifindex, false, false};
    bpf_tc_hook hook{};
    hook.sz = sizeof hook;
    hook.ifindex = ifindex;
    hook.attach_point = BPF_TC_INGRESS;
    int r = bpf_tc_hook_create(&hook);
    if (r < 0 && r != -EEXIST)
      throw IoError(errno_text("creating the clsact qdisc on " + name, -r));
    h.created_qdisc = r == 0;
    hooks.push_back(h);
    bpf_tc_opts opts{};
    opts.sz = sizeof opts;
    opts.prog_fd = prog;
    opts.handle = 1;
    opts.priority = 1;
    // Replaces the filter of a datapath that was killed (SIGKILL leaves it attached, forwarding
    // on its last maps until someone takes over).
    opts.flags = BPF_TC_F_REPLACE;
    r = bpf_tc_attach(&hook, &opts);
    if (r < 0) throw IoError(errno_text("attaching the tc program to " + name, -r));
    hooks.back().attached = true;
  }

  static void check(int r, const char* what) {
    if (r < 0) throw IoError(errno_text(std::string("BPF map update (") + what + ")", errno));
  }
  static void remove(int fd, const void* key) {
    if (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
      throw IoError(errno_text("BPF map delete", errno));
  }
  static void clear(int fd, size_t key_size) {
    std::vector<uint8_t> key(key_size), next(key_size);
    while (bpf_map_get_next_key(fd, nullptr, next.data()) == 0) remove(fd, next.data());
  }

  void write_config(bool on) {
    uint32_t zero = 0;
    nvgre_tc_config c{};
    c.enabled = on ? 1 : 0;
    c.flow_id_zero = settings.flow_id_zero ? 1 : 0;
    c.provider_mtu = settings.provider_mtu;
    c.provider_ifindex = uint32_t(provider_ifindex);
    std::memcpy(c.router_mac, settings.router_mac.bytes.data(), 6);
    check(bpf_map_update_elem(config, &zero, &c, BPF_ANY), "config");
    enabled = on;
  }

  // ---- provider addresses ----
  uint32_t intern(const IpAddress& a) {
    auto it = pa_index.find(a);
    if (it != pa_index.end()) {
      ++pa_refs[it->second];
      return it->second;
    }
    uint32_t i;
    if (!pa_free.empty()) {
      i = pa_free.back();
      pa_free.pop_back();
    } else {
      i = uint32_t(pa_address.size());
      pa_address.emplace_back();
      pa_refs.push_back(0);
    }
    pa_address[i] = a;
    pa_refs[i] = 1;
    pa_index[a] = i;
    return i;
  }
  // True when index `i` lost its last reference.
  bool release(uint32_t i) {
    if (--pa_refs[i] != 0) return false;
    pa_index.erase(pa_address[i]);
    pa_address[i] = IpAddress{};
    pa_free.push_back(i);
    return true;
  }

  // The provider entry of index `i`, as build_provider_tables() in datapath.cpp derives it.
  nvgre_tc_provider provider_entry(uint32_t i) const {
    nvgre_tc_provider e{};
    const IpAddress& a = pa_address[i];
    e.family = a.family;
    std::memcpy(e.address, a.bytes.data(), 16);
    if (local_pas.count(a)) {
      e.local = 1;
      return e;
    }
    std::optional<ProviderPath> path = provider_path(a, local_pas, provider_routes);
    auto nb = path ? neighbors.find(path->next_hop) : neighbors.end();
    if (nb == neighbors.end()) return e;  // not reachable: header_length 0
    uint8_t* h = e.header;
    std::memcpy(h, nb->second.bytes.data(), 6);
    std::memcpy(h + 6, settings.provider_mac.bytes.data(), 6);
    if (a.is_v4()) {
      put16(h + 12, 0x0800);
      uint8_t* ip = h + 14;
      ip[0] = 0x45;
      put16(ip + 6, 0x4000);  // DF
      ip[8] = 64;
      ip[9] = 47;
      std::memcpy(ip + 12, path->source.bytes.data(), 4);
      std::memcpy(ip + 16, a.bytes.data(), 4);
      uint32_t sum = 0;
      for (int w = 0; w < 20; w += 2) sum += uint32_t(ip[w]) << 8 | ip[w + 1];
      e.checksum_base = sum;
      put16(ip + 20, 0x2000);
      put16(ip + 22, 0x6558);
      e.header_length = 42;
    } else {
      put16(h + 12, 0x86DD);
      uint8_t* ip = h + 14;
      ip[0] = 0x60;
      ip[6] = 47;
      ip[7] = 64;
      std::memcpy(ip + 8, path->source.bytes.data(), 16);
      std::memcpy(ip + 24, a.bytes.data(), 16);
      put16(ip + 40, 0x2000);
      put16(ip + 42, 0x6558);
      e.header_length = 62;
    }
    return e;
  }
  void write_provider(uint32_t i) {
    nvgre_tc_provider e = provider_entry(i);
    // A full map leaves this address (and its records) to the slow path.
    if (bpf_map_update_elem(providers, &i, &e, BPF_ANY) < 0) {
      if (errno != E2BIG) check(-1, "providers");
      ++map_full;
    }
  }

  // ---- local ports ----
  bool pa_local(uint32_t pa) const { return local_pas.count(pa_address[pa]) != 0; }
  // The local_ports entry of (vsid, mac), as build_snapshot() derives the userspace table.
  void write_local_port(uint32_t vsid, uint64_t mac) {
    nvgre_tc_mac_key k{};
    k.vsid = vsid;
    std::memcpy(k.mac, &mac, 6);
    const VmPort* owner = nullptr;
    for (auto& [id, p] : vm_ports)
      if (p.vsid == vsid && mac48(p.mac) == mac) owner = &p;
    auto m = macs.find({vsid, mac});
    auto ifx = owner ? port_ifindex.find(owner->id) : port_ifindex.end();
    if (!owner || ifx == port_ifindex.end() || (m != macs.end() && !pa_local(m->second.first)) ||
        !vsid_counter.count(vsid)) {
      remove(local_ports, &k);
      return;
    }
    nvgre_tc_local_port v{};
    v.ifindex = uint32_t(ifx->second);
    v.port_id = owner->id;
    v.vsid_counter = vsid_counter.at(vsid);
    check(bpf_map_update_elem(local_ports, &k, &v, BPF_ANY), "local_ports");
  }

  // ---- records ----
  void delete_record(const RecordKey& k) {
    if (k.customer.is_v4()) {
      nvgre_tc_record4_key key{};
      key.vsid = k.vsid;
      std::memcpy(&key.ca, k.customer.bytes.data(), 4);
      remove(records4, &key);
    } else if (k.customer.is_v6()) {
      nvgre_tc_record6_key key{};
      key.vsid = k.vsid;
      std::memcpy(key.ca, k.customer.bytes.data(), 16);
      remove(records6, &key);
    }
  }
  void write_record(const LookupRecord& r, uint32_t pa) {
    if (!fast_record(r)) return;
    nvgre_tc_record v{};
    v.pa = pa;
    std::memcpy(v.mac, r.mac.bytes.data(), 6);
    int rc;
    if (r.customer.is_v4()) {
      nvgre_tc_record4_key key{};
      key.vsid = r.vsid;
      std::memcpy(&key.ca, r.customer.bytes.data(), 4);
      rc = bpf_map_update_elem(records4, &key, &v, BPF_ANY);
    } else {
      nvgre_tc_record6_key key{};
      key.vsid = r.vsid;
      std::memcpy(key.ca, r.customer.bytes.data(), 16);
      rc = bpf_map_update_elem(records6, &key, &v, BPF_ANY);
    }
    // A full map leaves the record to the slow path (no entry: every frame to it is passed on).
    if (rc < 0) {
      if (errno != E2BIG) check(rc, "records");
      ++map_full;
    }
  }

  // Applies `c` to the mirror (it passed the datapath's validation); collects what it touched.
  void apply_to_mirror(const PolicyChange& c,
                       std::set<std::pair<uint32_t, uint64_t> >& touched_macs,
                       std::set<uint32_t>& new_pas, std::set<uint32_t>& freed_pas,
                       std::vector<std::pair<LookupRecord, uint32_t> >& upserted) {
    if (c.settings) settings = *c.settings;
    for (uint32_t v : c.remove_subnets) subnets.erase(v);
    for (const VirtualSubnet& s : c.upsert_subnets) {
      subnets.insert(s.vsid);
      std::lock_guard lock(counter_mutex);
      if (!vsid_counter.count(s.vsid) && vsid_counter.size() < max_subnets)
        vsid_counter[s.vsid] = uint16_t(vsid_counter.size());
    }
    for (const IpAddress& a : c.remove_provider_addresses) local_pas.erase(a);
    for (const ProviderAddress& p : c.upsert_provider_addresses) local_pas[p.address] = p;
    for (const IpPrefix& p : c.remove_provider_routes) provider_routes.erase(p);
    for (const ProviderRoute& r : c.upsert_provider_routes) provider_routes[r.destination] = r;
    for (const IpAddress& a : c.remove_neighbors) neighbors.erase(a);
    for (const ProviderNeighbor& n : c.upsert_neighbors) neighbors[n.address] = n.mac;
    for (uint16_t id : c.remove_ports) vm_ports.erase(id);
    for (const VmPort& p : c.upsert_ports) vm_ports[p.id] = p;
    auto drop = [&](const RecordKey& k) {
      auto it = records.find(k);
      if (it == records.end()) return;
      auto m = macs.find({k.vsid, it->second.mac});
      if (m != macs.end() && --m->second.second == 0) macs.erase(m);
      touched_macs.insert({k.vsid, it->second.mac});
      if (release(it->second.pa)) {
        freed_pas.insert(it->second.pa);
        new_pas.erase(it->second.pa);
      }
      records.erase(it);
    };
    for (const RecordKey& k : c.remove_records) drop(k);
    for (const LookupRecord& r : c.upsert_records) {
      RecordKey k = key_of(r);
      drop(k);
      uint32_t pa = intern(r.provider);
      if (pa_refs[pa] == 1) {
        new_pas.insert(pa);
        freed_pas.erase(pa);
      }
      uint64_t mac = mac48(r.mac);
      records[k] = Rec{mac, pa, fast_record(r)};
      auto& m = macs[{r.vsid, mac}];
      m.first = pa;  // records sharing a MAC share the provider address (datapath validation)
      ++m.second;
      touched_macs.insert({r.vsid, mac});
      upserted.emplace_back(r, pa);
    }
  }

  // Rewrites every map from the mirror (records too when `with_records`).
  void resync(bool with_records) {
    clear(local_pas4, sizeof(uint32_t));
    clear(local_pas6, sizeof(nvgre_tc_record6_key));
    uint8_t one = 1;
    for (auto& [a, p] : local_pas) {
      if (a.is_v4()) {
        uint32_t k;
        std::memcpy(&k, a.bytes.data(), 4);
        check(bpf_map_update_elem(local_pas4, &k, &one, BPF_ANY), "local_pas4");
      } else {
        nvgre_tc_record6_key k{};
        std::memcpy(k.ca, a.bytes.data(), 16);
        check(bpf_map_update_elem(local_pas6, &k, &one, BPF_ANY), "local_pas6");
      }
    }
    clear(providers, sizeof(uint32_t));
    for (uint32_t i = 0; i < pa_address.size(); ++i)
      if (pa_address[i].is_set()) write_provider(i);
    clear(ports, sizeof(uint32_t));
    for (auto& [id, p] : vm_ports) {
      auto ifx = port_ifindex.find(id);
      auto ctr = vsid_counter.find(p.vsid);
      if (ifx == port_ifindex.end() || ctr == vsid_counter.end()) continue;
      uint32_t k = uint32_t(ifx->second);
      nvgre_tc_port v{p.vsid, id, ctr->second};
      check(bpf_map_update_elem(ports, &k, &v, BPF_ANY), "ports");
    }
    clear(local_ports, sizeof(nvgre_tc_mac_key));
    for (auto& [id, p] : vm_ports) write_local_port(p.vsid, mac48(p.mac));
    if (with_records) {
      clear(records4, sizeof(nvgre_tc_record4_key));
      clear(records6, sizeof(nvgre_tc_record6_key));
      for (auto& [k, r] : records) {
        LookupRecord lr;
        lr.vsid = k.vsid;
        lr.customer = k.customer;
        lr.provider = pa_address[r.pa];
        std::memcpy(lr.mac.bytes.data(), &r.mac, 6);
        if (r.fast) write_record(lr, r.pa);  // (rule and type are known to be fast ones)
      }
    }
  }

  void fail(const std::string& what) {
    failed = true;
    {
      std::lock_guard lock(error_mutex);
      error = what;
    }
    std::cerr << "cimnet-dataplane: tc offload: " << what
              << "; the fast path passes every frame to the userspace datapath until the maps "
                 "are rewritten\n";
    try {
      write_config(false);
    } catch (const std::exception&) {
      // Cannot even switch the fast path off: take the programs away.
      for (Hook& h : hooks) detach(h);
      std::cerr << "cimnet-dataplane: tc offload: programs detached\n";
    }
  }
};

bool TcOffload::available(std::string* why) {
  if (why) why->clear();
  return true;
}

TcOffload::TcOffload() : impl_(std::make_unique<Impl>()) {}

TcOffload::~TcOffload() {
  if (datapath_) datapath_->set_observer(nullptr);
}

std::unique_ptr<TcOffload> TcOffload::attach(Datapath& dp, const TcOffloadOptions& o) {
  std::unique_ptr<TcOffload> t(new TcOffload());  // private constructor
  Impl& m = *t->impl_;
  auto ifindex_of = [](const std::string& name) {
    int i = name.empty() ? 0 : int(if_nametoindex(name.c_str()));
    if (i == 0) throw IoError("tc offload: no such interface '" + name + "'");
    return i;
  };
  m.provider_ifindex = ifindex_of(o.provider_interface);
  for (auto& [id, name] : o.port_interfaces) m.port_ifindex[id] = ifindex_of(name);
  m.max_subnets = std::min<size_t>(dp.limits().max_subnets, 65535);
  m.max_pas = o.max_provider_addresses;

  std::string log;
  {
    std::lock_guard lock(g_log_mutex);
    g_log = &log;
    libbpf_set_print(libbpf_log);
    m.obj = bpf_object__open_mem(kCimnetNvgreTcObject, kCimnetNvgreTcObjectSize, nullptr);
    int err = m.obj ? 0 : -errno;
    if (!err) {
      auto size = [&](const char* name, size_t n) {
        bpf_map* map = bpf_object__find_map_by_name(m.obj, name);
        if (map) bpf_map__set_max_entries(map, uint32_t(std::max<size_t>(n, 1)));
      };
      size("records4", o.max_records);
      size("records6", o.max_records);
      size("providers", o.max_provider_addresses);
      size("vsid_stats", m.max_subnets);
      err = bpf_object__load(m.obj);
    }
    g_log = nullptr;
    libbpf_set_print(nullptr);
    if (err) {
      if (m.obj) bpf_object__close(m.obj);
      m.obj = nullptr;
      throw IoError(errno_text("tc offload: cannot load the BPF programs", -err) +
                    (log.empty() ? "" : "\n" + log));
    }
  }
  auto prog = [&](const char* name) {
    bpf_program* p = bpf_object__find_program_by_name(m.obj, name);
    if (!p) throw IoError(std::string("tc offload: program ") + name + " missing");
    return bpf_program__fd(p);
  };
  auto map = [&](const char* name) {
    bpf_map* p = bpf_object__find_map_by_name(m.obj, name);
    if (!p) throw IoError(std::string("tc offload: map ") + name + " missing");
    return bpf_map__fd(p);
  };
  m.vm_prog = prog("nvgre_vm_ingress");
  m.provider_prog = prog("nvgre_provider_ingress");
  m.config = map("config");
  m.ports = map("ports");
  m.records4 = map("records4");
  m.records6 = map("records6");
  m.providers = map("providers");
  m.local_ports = map("local_ports");
  m.local_pas4 = map("local_pas4");
  m.local_pas6 = map("local_pas6");
  m.vsid_stats = map("vsid_stats");
  m.port_stats = map("port_stats");
  m.misc_stats = map("misc_stats");

  // The policy as it stands, then every change (the observer sees the whole policy first).
  t->datapath_ = &dp;
  dp.set_observer(t.get());
  if (m.failed) {
    std::string e = t->last_error();
    dp.set_observer(nullptr);
    t->datapath_ = nullptr;
    throw IoError("tc offload: " + e);
  }
  if (!o.attach) return t;
  try {
    m.attach(m.provider_ifindex, m.provider_prog, o.provider_interface);
    for (auto& [id, name] : o.port_interfaces) m.attach(m.port_ifindex.at(id), m.vm_prog, name);
  } catch (...) {
    dp.set_observer(nullptr);
    t->datapath_ = nullptr;
    throw;  // ~Impl detaches what was attached
  }
  return t;
}

void TcOffload::before_publish(const PolicyChange& c) noexcept {
  Impl& m = *impl_;
  std::lock_guard mirror(m.mirror_mutex);
  bool structural = c.settings || !c.remove_subnets.empty() || !c.upsert_subnets.empty() ||
                    !c.remove_provider_addresses.empty() || !c.upsert_provider_addresses.empty() ||
                    !c.remove_provider_routes.empty() || !c.upsert_provider_routes.empty() ||
                    !c.remove_neighbors.empty() || !c.upsert_neighbors.empty() ||
                    !c.remove_ports.empty() || !c.upsert_ports.empty();
  try {
    // Nothing the change alters may still be forwarded by the fast path once the userspace
    // datapath runs the new version: switch the fast path off for structural changes, and take
    // out the entries of the records it edits (and the local ports of their MACs).
    if (structural && m.enabled) m.write_config(false);
    auto take_out = [&](const RecordKey& k) {
      m.delete_record(k);
      auto it = m.records.find(k);
      if (it == m.records.end()) return;
      nvgre_tc_mac_key mk{};
      mk.vsid = k.vsid;
      std::memcpy(mk.mac, &it->second.mac, 6);
      Impl::remove(m.local_ports, &mk);
    };
    for (const RecordKey& k : c.remove_records) take_out(k);
    for (const LookupRecord& r : c.upsert_records) {
      take_out(key_of(r));
      nvgre_tc_mac_key mk{};
      mk.vsid = r.vsid;
      std::memcpy(mk.mac, r.mac.bytes.data(), 6);
      Impl::remove(m.local_ports, &mk);
    }
  } catch (const std::exception& e) {
    m.fail(e.what());
  }
}

void TcOffload::after_publish(const PolicyChange& c) noexcept {
  Impl& m = *impl_;
  std::lock_guard mirror(m.mirror_mutex);
  // After a failure every map may be stale; after a structural change (the fast path was
  // switched off before publishing) the small maps are rewritten from the mirror.
  bool rewrite_all = m.failed;
  bool structural = !m.enabled || rewrite_all;
  std::set<std::pair<uint32_t, uint64_t> > touched;
  std::set<uint32_t> new_pas, freed_pas;
  std::vector<std::pair<LookupRecord, uint32_t> > upserted;
  try {
    m.apply_to_mirror(c, touched, new_pas, freed_pas, upserted);
    if (structural) {
      m.resync(rewrite_all);
    } else {
      for (uint32_t pa : freed_pas) Impl::remove(m.providers, &pa);
      for (uint32_t pa : new_pas) m.write_provider(pa);
      for (auto& [vsid, mac] : touched) m.write_local_port(vsid, mac);
    }
    // Records last, so an entry never points at a provider entry not yet written (their old
    // entries were taken out before publishing).
    if (!rewrite_all)
      for (auto& [r, pa] : upserted) m.write_record(r, pa);
    if (!m.enabled) m.write_config(true);
    m.failed = false;
  } catch (const std::exception& e) {
    m.fail(e.what());
  }
}

void TcOffload::attach_port(PortId port, const std::string& interface) {
  Impl& m = *impl_;
  int ifindex = interface.empty() ? 0 : int(if_nametoindex(interface.c_str()));
  if (ifindex == 0) throw IoError("tc offload: no such interface '" + interface + "'");
  auto old = m.port_ifindex.find(port);
  if (old != m.port_ifindex.end() && old->second == ifindex) return;
  detach_port(port);
  std::lock_guard mirror(m.mirror_mutex);
  // Entries first (a frame of this port sees a complete port), then the program.
  m.port_ifindex[port] = ifindex;
  try {
    auto p = m.vm_ports.find(port);
    if (p != m.vm_ports.end()) {
      auto ctr = m.vsid_counter.find(p->second.vsid);
      if (ctr != m.vsid_counter.end()) {
        uint32_t k = uint32_t(ifindex);
        nvgre_tc_port v{p->second.vsid, port, ctr->second};
        Impl::check(bpf_map_update_elem(m.ports, &k, &v, BPF_ANY), "ports");
      }
      m.write_local_port(p->second.vsid, mac48(p->second.mac));
    }
    m.attach(ifindex, m.vm_prog, interface);
  } catch (const std::exception&) {
    // Leave nothing pointing at the port; a hook half made is undone.
    m.port_ifindex.erase(port);
    uint32_t k = uint32_t(ifindex);
    try {
      Impl::remove(m.ports, &k);
      auto p = m.vm_ports.find(port);
      if (p != m.vm_ports.end()) m.write_local_port(p->second.vsid, mac48(p->second.mac));
    } catch (const std::exception& e) {
      m.fail(e.what());
    }
    for (auto it = m.hooks.begin(); it != m.hooks.end();)
      if (it->ifindex == ifindex) {
        m.detach(*it);
        it = m.hooks.erase(it);
      } else {
        ++it;
      }
    throw;
  }
}

void TcOffload::detach_port(PortId port) noexcept {
  Impl& m = *impl_;
  std::lock_guard mirror(m.mirror_mutex);
  auto it = m.port_ifindex.find(port);
  if (it == m.port_ifindex.end()) return;
  int ifindex = it->second;
  m.port_ifindex.erase(it);
  // The program first (no frame of the port is taken any more), then its entries.
  for (auto h = m.hooks.begin(); h != m.hooks.end();)
    if (h->ifindex == ifindex) {
      m.detach(*h);
      h = m.hooks.erase(h);
    } else {
      ++h;
    }
  try {
    uint32_t k = uint32_t(ifindex);
    Impl::remove(m.ports, &k);
    auto p = m.vm_ports.find(port);
    if (p != m.vm_ports.end()) m.write_local_port(p->second.vsid, mac48(p->second.mac));
  } catch (const std::exception& e) {
    m.fail(e.what());
  }
}

namespace {

template <class T>
std::vector<T> percpu(int fd, uint32_t key) {
  int cpus = libbpf_num_possible_cpus();
  std::vector<T> v(size_t(cpus > 0 ? cpus : 1));
  static_assert(sizeof(T) % 8 == 0);
  if (bpf_map_lookup_elem(fd, &key, v.data()) < 0) v.clear();
  return v;
}

}  // namespace

std::optional<VsidCounters> TcOffload::vsid_counters(uint32_t vsid) const {
  uint32_t idx;
  {
    std::lock_guard lock(impl_->counter_mutex);
    auto it = impl_->vsid_counter.find(vsid);
    if (it == impl_->vsid_counter.end()) return std::nullopt;
    idx = it->second;
  }
  VsidCounters out;
  for (const auto& s : percpu<nvgre_tc_vsid_stats>(impl_->vsid_stats, idx)) {
    out.encapsulated.packets += s.enc_packets;
    out.encapsulated.bytes += s.enc_bytes;
    out.decapsulated.packets += s.dec_packets;
    out.decapsulated.bytes += s.dec_bytes;
    out.local.packets += s.local_packets;
    out.local.bytes += s.local_bytes;
  }
  return out;
}

PortCounters TcOffload::port_counters(PortId port) const {
  PortCounters out;
  if (port >= NVGRE_TC_MAX_PORTS) return out;
  for (const auto& s : percpu<nvgre_tc_port_stats>(impl_->port_stats, port)) {
    out.from_vm.packets += s.from_packets;
    out.from_vm.bytes += s.from_bytes;
    out.to_vm.packets += s.to_packets;
    out.to_vm.bytes += s.to_bytes;
  }
  return out;
}

TcOffloadStats TcOffload::stats() const {
  TcOffloadStats out;
  uint64_t* fields[NVGRE_TC_STAT_COUNT] = {&out.tx_passed, &out.rx_passed, &out.errors};
  for (uint32_t i = 0; i < NVGRE_TC_STAT_COUNT; ++i)
    for (uint64_t v : percpu<uint64_t>(impl_->misc_stats, i)) *fields[i] += v;
  out.map_full = impl_->map_full;
  return out;
}

bool TcOffload::enabled() const {
  return impl_->enabled && !impl_->failed;
}

std::string TcOffload::last_error() const {
  std::lock_guard lock(impl_->error_mutex);
  return impl_->error;
}

namespace {

TcOffload::TestRun test_run(int prog, uint32_t ifindex, const std::vector<uint8_t>& frame) {
  TcOffload::TestRun out;
  out.frame.resize(frame.size() + 256);
  __sk_buff ctx{};
  ctx.ifindex = ifindex;
  bpf_test_run_opts opts{};
  opts.sz = sizeof opts;
  opts.data_in = frame.data();
  opts.data_size_in = uint32_t(frame.size());
  opts.data_out = out.frame.data();
  opts.data_size_out = uint32_t(out.frame.size());
  opts.ctx_in = &ctx;
  opts.ctx_size_in = sizeof ctx;
  opts.repeat = 1;
  if (bpf_prog_test_run_opts(prog, &opts) < 0)
    throw IoError(errno_text("BPF_PROG_TEST_RUN", errno));
  out.verdict = int(opts.retval);
  out.frame.resize(opts.data_size_out);
  return out;
}

}  // namespace

TcOffload::TestRun TcOffload::test_vm_port(uint32_t ifindex,
                                           const std::vector<uint8_t>& frame) const {
  return test_run(impl_->vm_prog, ifindex, frame);
}

TcOffload::TestRun TcOffload::test_provider(const std::vector<uint8_t>& frame) const {
  return test_run(impl_->provider_prog, uint32_t(impl_->provider_ifindex), frame);
}

#endif

}  // namespace cimnet::dataplane

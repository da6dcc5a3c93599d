// In-memory datapath benchmark: ns/packet for encapsulation (with lookup) and decapsulation
// (validation, anti-spoofing lookup, delivery lookup) at 1K..4M lookup records, batches of 32,
// uniform and Zipf(0.99) destinations, IPv4 and IPv6; beside a straightforward reference
// implementation on std::unordered_map measured in the same run. Prints BENCH lines.
//
// Usage: dataplane_bench [--sizes 1K,100K,1M,4M] [--packets N] [--reps N] [--family ipv4|ipv6]

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "cimnet/dataplane/datapath.h"

using namespace cimnet::dataplane;

namespace {

constexpr uint32_t kVsid = 5001;
constexpr uint32_t kHosts = 1000;  // remote provider addresses
constexpr uint32_t kLocalVms = 64;
constexpr uint32_t kSlot = 512;  // bench buffer: 128 headroom + frame

size_t heap_in_use() {
  return mallinfo2().uordblks;
}

// Bytes held through operator new, now and at the peak (for the transient cost of apply()).
struct HeapCounter {
  std::atomic<size_t> now{0}, peak{0};
  void add(void* p) {
    size_t v = now.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
    size_t pk = peak.load();
    while (v > pk && !peak.compare_exchange_weak(pk, v)) {
    }
  }
  void sub(void* p) { now.fetch_sub(malloc_usable_size(p)); }
};
HeapCounter g_heap;

IpAddress ca_of(uint32_t i, bool v6) {
  if (!v6) return IpAddress::v4(0x0A000000u + i + 16);
  uint8_t b[16] = {0xfd, 0, 0x50, 0x01};
  b[12] = uint8_t(i >> 24), b[13] = uint8_t(i >> 16), b[14] = uint8_t(i >> 8), b[15] = uint8_t(i);
  return IpAddress::v6(b);
}
IpAddress pa_of(uint32_t host, bool v6) {  // host kHosts = this host
  if (!v6) return IpAddress::v4(0xAC100000u + host + 2);
  uint8_t b[16] = {0xfd, 0x99};
  b[14] = uint8_t((host + 2) >> 8), b[15] = uint8_t(host + 2);
  return IpAddress::v6(b);
}
MacAddress mac_of(uint32_t i) {
  MacAddress m;
  m.bytes = {0x00, 0x15, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
  return m;
}
MacAddress local_mac(uint32_t k) {
  MacAddress m;
  m.bytes = {0x02, 0x16, 0, 0, 0, uint8_t(k)};
  return m;
}
const MacAddress kProviderMac = *MacAddress::parse("02:aa:00:00:00:01");
const MacAddress kPeerMac = *MacAddress::parse("02:aa:00:00:00:02");

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8), p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, uint16_t(v >> 16)), put16(p + 2, uint16_t(v));
}
uint16_t get16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}

// A 64-byte inner frame (UDP) from a local VM; the destination address is patched per packet.
size_t inner_frame(uint8_t* f, bool v6) {
  std::memset(f, 0, 128);
  std::memcpy(f + 6, local_mac(0).bytes.data(), 6);
  if (!v6) {
    put16(f + 12, 0x0800);
    uint8_t* ip = f + 14;
    ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
    put16(ip + 2, 50);
    put16(ip + 6, 0x4000);
    std::memcpy(ip + 12, ca_of(0, false).bytes.data(), 4);
    put16(ip + 20, 1234), put16(ip + 22, 80), put16(ip + 24, 30);
    return 64;
  }
  put16(f + 12, 0x86DD);
  uint8_t* ip = f + 14;
  put32(ip, 0x60000000);
  put16(ip + 4, 24);
  ip[6] = 17, ip[7] = 64;
  std::memcpy(ip + 8, ca_of(0, true).bytes.data(), 16);
  put16(ip + 40, 1234), put16(ip + 42, 80), put16(ip + 44, 24);
  return 78;
}

// ---------------------------------------------------------------------------------------------
// Reference implementation: one std::unordered_map per table, packet by packet.

struct RefKey4 {
  uint32_t vsid, ca;
  bool operator==(const RefKey4&) const = default;
};
struct RefKey6 {
  uint32_t vsid;
  std::array<uint8_t, 16> ca;
  bool operator==(const RefKey6&) const = default;
};
struct RefKeyMac {
  uint32_t vsid;
  uint64_t mac;
  bool operator==(const RefKeyMac&) const = default;
};
struct RefHash {
  size_t operator()(const RefKey4& k) const {
    return std::hash<uint64_t>()(uint64_t(k.vsid) << 32 | k.ca);
  }
  size_t operator()(const RefKey6& k) const {
    uint64_t a, b;
    std::memcpy(&a, k.ca.data(), 8);
    std::memcpy(&b, k.ca.data() + 8, 8);
    return std::hash<uint64_t>()(a ^ (b * 31) ^ k.vsid);
  }
  size_t operator()(const RefKeyMac& k) const {
    return std::hash<uint64_t>()(k.mac ^ uint64_t(k.vsid) << 48);
  }
};
struct RefRecord {
  IpAddress pa;
  MacAddress mac;
  uint16_t port;
};
struct RefNeighbor {
  MacAddress mac;
};

uint64_t mac48(const uint8_t* m) {
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = v << 8 | m[i];
  return v;
}

struct Reference {
  std::unordered_map<RefKey4, RefRecord, RefHash> ca4;
  std::unordered_map<RefKey6, RefRecord, RefHash> ca6;
  std::unordered_map<RefKeyMac, RefRecord, RefHash> macs;
  std::unordered_map<uint32_t, int> subnets;
  IpAddress local_pa;

  // Encapsulate one frame (returns false to drop).
  bool encap(Packet& p, bool v6) {
    uint8_t* f = p.data();
    const RefRecord* r = nullptr;
    if (!v6) {
      uint32_t dst;
      std::memcpy(&dst, f + 30, 4);
      auto it = ca4.find({kVsid, dst});
      if (it == ca4.end()) return false;
      r = &it->second;
    } else {
      RefKey6 k{kVsid, {}};
      std::memcpy(k.ca.data(), f + 38, 16);
      auto it = ca6.find(k);
      if (it == ca6.end()) return false;
      r = &it->second;
    }
    // FlowID from the 5-tuple.
    uint64_t h = 0;
    for (int i = 0; i < (v6 ? 36 : 12); ++i) h = h * 131 + f[(v6 ? 22 : 26) + i];
    uint8_t flow = uint8_t(h ^ h >> 8 ^ h >> 16 ^ h >> 24);
    size_t hl = v6 ? 62 : 42;
    p.offset -= uint32_t(hl);
    uint8_t* o = p.data();
    std::memcpy(o, kPeerMac.bytes.data(), 6);
    std::memcpy(o + 6, kProviderMac.bytes.data(), 6);
    uint8_t* ip = o + 14;
    if (!v6) {
      put16(o + 12, 0x0800);
      ip[0] = 0x45, ip[1] = 0;
      put16(ip + 2, uint16_t(p.length + 28));
      put16(ip + 4, 0), put16(ip + 6, 0x4000);
      ip[8] = 64, ip[9] = 47;
      put16(ip + 10, 0);
      std::memcpy(ip + 12, local_pa.bytes.data(), 4);
      std::memcpy(ip + 16, r->pa.bytes.data(), 4);
      uint32_t sum = 0;
      for (int i = 0; i < 20; i += 2) sum += get16(ip + i);
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      put16(ip + 10, uint16_t(~sum));
    } else {
      put16(o + 12, 0x86DD);
      put32(ip, 0x60000000);
      put16(ip + 4, uint16_t(p.length + 8));
      ip[6] = 47, ip[7] = 64;
      std::memcpy(ip + 8, local_pa.bytes.data(), 16);
      std::memcpy(ip + 24, r->pa.bytes.data(), 16);
    }
    uint8_t* gre = ip + (v6 ? 40 : 20);
    put16(gre, 0x2000), put16(gre + 2, 0x6558);
    put32(gre + 4, kVsid << 8 | flow);
    p.length += uint32_t(hl);
    p.port = kProviderPort;
    return true;
  }

  bool decap(Packet& p, bool v6) {
    uint8_t* f = p.data();
    uint8_t* ip = f + 14;
    size_t ihl = v6 ? 40 : size_t(ip[0] & 15) * 4;
    if (get16(f + 12) != (v6 ? 0x86DD : 0x0800)) return false;
    if ((v6 ? ip[6] : ip[9]) != 47) return false;
    if (std::memcmp(v6 ? ip + 24 : ip + 16, local_pa.bytes.data(), v6 ? 16 : 4) != 0) return false;
    uint8_t* gre = ip + ihl;
    if (get16(gre) != 0x2000 || get16(gre + 2) != 0x6558) return false;
    uint32_t vsid = (uint32_t(get16(gre + 4)) << 8) | gre[6];
    if (!subnets.count(vsid)) return false;
    uint8_t* in = gre + 8;
    if (get16(in + 12) == 0x8100) return false;
    const RefRecord* src = nullptr;
    if (!v6) {
      uint32_t s;
      std::memcpy(&s, in + 26, 4);
      auto it = ca4.find({vsid, s});
      if (it == ca4.end()) return false;
      src = &it->second;
    } else {
      RefKey6 k{vsid, {}};
      std::memcpy(k.ca.data(), in + 22, 16);
      auto it = ca6.find(k);
      if (it == ca6.end()) return false;
      src = &it->second;
    }
    if (std::memcmp(src->pa.bytes.data(), v6 ? ip + 8 : ip + 12, v6 ? 16 : 4) != 0) return false;
    auto d = macs.find({vsid, mac48(in)});
    if (d == macs.end() || d->second.port == 0xFFFF) return false;
    uint32_t outer = uint32_t(in - f);
    p.offset += outer;
    p.length -= outer;
    p.port = d->second.port;
    return true;
  }
};

// ---------------------------------------------------------------------------------------------

struct Keys {
  std::vector<uint32_t> uniform, zipf;
};

Keys make_keys(uint32_t n, size_t count) {
  std::mt19937_64 rng(42);
  Keys k;
  k.uniform.resize(count);
  std::uniform_int_distribution<uint32_t> u(0, n - 1);
  for (auto& x : k.uniform) x = u(rng);
  // Zipf(0.99) over ranks; rank r maps to a random record so hot keys are spread in the table.
  std::vector<double> cdf(n);
  double sum = 0;
  for (uint32_t r = 0; r < n; ++r) cdf[r] = (sum += 1.0 / std::pow(double(r + 1), 0.99));
  std::vector<uint32_t> perm(n);
  for (uint32_t i = 0; i < n; ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  std::uniform_real_distribution<double> d(0, sum);
  k.zipf.resize(count);
  for (auto& x : k.zipf) {
    size_t r = size_t(std::lower_bound(cdf.begin(), cdf.end(), d(rng)) - cdf.begin());
    x = perm[std::min<size_t>(r, n - 1)];
  }
  return k;
}

// Address bytes of a key sequence (4 bytes per IPv4 address, 16 per IPv6 one), laid out in
// order so preparing frames streams as little memory as it can beside the tables measured.
struct Seq {
  size_t width;
  std::vector<uint8_t> ca, pa;
  size_t count = 0;
  Seq(const std::vector<uint32_t>& keys, bool v6)
      : width(v6 ? 16 : 4),
        ca(keys.size() * width),
        pa(keys.size() * width),
        count(keys.size()) {
    for (size_t i = 0; i < keys.size(); ++i) {
      IpAddress c = ca_of(keys[i], v6), a = pa_of(keys[i] % kHosts, v6);
      std::memcpy(ca.data() + i * width, c.bytes.data(), width);
      std::memcpy(pa.data() + i * width, a.bytes.data(), width);
    }
  }
};

struct Bench {
  bool v6;
  uint32_t n;
  std::vector<uint8_t> storage = std::vector<uint8_t>(kSlot * kBatchSize);
  std::vector<Packet> pk = std::vector<Packet>(kBatchSize);
  uint8_t encap_template[128];
  size_t encap_len;
  uint8_t decap_template[256];
  size_t decap_len;

  Bench(bool v6_, uint32_t n_) : v6(v6_), n(n_) {
    encap_len = inner_frame(encap_template, v6);
    // Decap template: outer header to the local PA + an inner frame to local VM 0.
    uint8_t inner[128];
    size_t il = inner_frame(inner, v6);
    std::memcpy(inner, local_mac(0).bytes.data(), 6);
    std::memcpy(inner + 6, mac_of(0).bytes.data(), 6);
    uint8_t* f = decap_template;
    std::memset(f, 0, sizeof decap_template);
    std::memcpy(f, kProviderMac.bytes.data(), 6);
    std::memcpy(f + 6, kPeerMac.bytes.data(), 6);
    uint8_t* ip = f + 14;
    size_t hl;
    if (!v6) {
      put16(f + 12, 0x0800);
      ip[0] = 0x45, ip[8] = 64, ip[9] = 47;
      put16(ip + 2, uint16_t(28 + il));
      put16(ip + 6, 0x4000);
      std::memcpy(ip + 16, pa_of(kHosts, false).bytes.data(), 4);
      hl = 42;
    } else {
      put16(f + 12, 0x86DD);
      put32(ip, 0x60000000);
      put16(ip + 4, uint16_t(8 + il));
      ip[6] = 47, ip[7] = 64;
      std::memcpy(ip + 24, pa_of(kHosts, true).bytes.data(), 16);
      hl = 62;
    }
    uint8_t* gre = f + hl - 8;
    put16(gre, 0x2000), put16(gre + 2, 0x6558), put32(gre + 4, kVsid << 8 | 7);
    std::memcpy(f + hl, inner, il);
    decap_len = hl + il;
    for (size_t i = 0; i < kBatchSize; ++i)
      pk[i] = Packet{storage.data() + i * kSlot, kSlot, kHeadroom, 0, kDropPort};
  }

  // Prepares one batch from positions [at, at+32) of the precomputed address sequence: the
  // destination CA (encap) or the outer source PA and inner source CA (decap).
  void fill(bool encap, const Seq& seq, size_t at, bool first) {
    size_t w = v6 ? 16 : 4;
    for (size_t i = 0; i < kBatchSize; ++i) {
      Packet& p = pk[i];
      p.offset = kHeadroom;
      uint8_t* f = p.data();
      const uint8_t* ca = seq.ca.data() + (at + i) * seq.width;
      if (encap) {
        if (first) std::memcpy(f, encap_template, encap_len);
        p.length = uint32_t(encap_len);
        std::memcpy(f + (v6 ? 38 : 30), ca, w);
      } else {
        if (first) std::memcpy(f, decap_template, decap_len);
        p.length = uint32_t(decap_len);
        std::memcpy(f + (v6 ? 22 : 26), seq.pa.data() + (at + i) * seq.width, w);
        std::memcpy(f + (v6 ? 62 + 22 : 42 + 26), ca, w);
      }
    }
  }
};

// CPU time of this thread in ns: time the machine's other tenants take from us is not counted
// (the cache and memory bandwidth they use still is).
double thread_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// CPU ns per packet of `process`, minus the cost of preparing the frames (measured alone).
template <class Fn>
double time_ns_per_packet(Bench& b, bool encap, const Seq& seq, size_t packets, Fn&& process,
                          size_t& delivered, double* prep_ns = nullptr) {
  size_t batches = packets / kBatchSize;
  size_t span = seq.count / kBatchSize;
  b.fill(encap, seq, 0, true);
  delivered = 0;
  // Warm-up: one pass over the whole key sequence, so each implementation is measured in its
  // steady state rather than just after the other one (run alternately) emptied the caches.
  for (size_t i = 0; i < span; ++i) {
    b.fill(encap, seq, (i % span) * kBatchSize, false);
    process(b.pk);
  }
  double t0 = thread_ns();
  for (size_t i = 0; i < batches; ++i) {
    b.fill(encap, seq, (i % span) * kBatchSize, false);
    process(b.pk);
    for (auto& p : b.pk) delivered += p.port != kDropPort;
  }
  double t1 = thread_ns();
  size_t sink = 0;
  for (size_t i = 0; i < batches; ++i) {
    b.fill(encap, seq, (i % span) * kBatchSize, false);
    for (auto& p : b.pk) sink += p.port != kDropPort;
    asm volatile("" : : "r"(b.pk.data()) : "memory");
  }
  double t2 = thread_ns();
  (void)sink;
  double total = t1 - t0;
  double prep = t2 - t1;
  double n = double(batches * kBatchSize);
  if (prep_ns) *prep_ns = prep / n;
  return (total - prep) / n;
}

std::string size_name(uint32_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "K";
  return std::to_string(n);
}

void report(const std::string& name, double ours, double base, const char* unit) {
  std::printf("BENCH %s %.1f %s baseline=unordered_map:%.1f ratio=%.2f\n", name.c_str(), ours, unit,
              base, ours / base);
  std::fflush(stdout);
}

void run(uint32_t n, bool v6, size_t packets, int reps) {
  std::string fam = v6 ? "ipv6" : "ipv4";
  // ---- our datapath ----
  size_t heap0 = heap_in_use();
  size_t apply_peak = 0;
  auto dp = std::make_unique<Datapath>();
  {
    PolicyChange c;
    DatapathSettings st;
    st.router_mac = *MacAddress::parse("02:00:5e:00:01:01");
    st.provider_mac = kProviderMac;
    c.settings = st;
    c.upsert_subnets = {{kVsid, "bench", {}}};
    c.upsert_provider_addresses = {{pa_of(kHosts, v6), uint8_t(v6 ? 64 : 16)}};
    for (uint32_t h = 0; h < kHosts; ++h) c.upsert_neighbors.push_back({pa_of(h, v6), kPeerMac});
    for (uint32_t k = 0; k < kLocalVms; ++k)
      c.upsert_ports.push_back({uint16_t(k), local_mac(k), kVsid});
    c.upsert_records.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      LookupRecord r;
      r.vsid = kVsid;
      r.customer = ca_of(i, v6);
      r.provider = pa_of(i % kHosts, v6);
      r.mac = mac_of(i);
      c.upsert_records.push_back(r);
    }
    // Peak heap while apply() runs, beyond what was allocated before it (the change itself is
    // already built): the transient cost of compiling a bulk change.
    size_t before = g_heap.now.load();
    g_heap.peak.store(before);
    dp->apply(c);
    apply_peak = g_heap.peak.load() - before;
  }
  size_t heap1 = heap_in_use();
  TableStats ts = dp->table_stats();

  // ---- reference ----
  auto ref = std::make_unique<Reference>();
  ref->local_pa = pa_of(kHosts, v6);
  ref->subnets[kVsid] = 1;
  for (uint32_t i = 0; i < n; ++i) {
    RefRecord r{pa_of(i % kHosts, v6), mac_of(i), 0xFFFF};
    if (!v6) {
      uint32_t ca;
      std::memcpy(&ca, ca_of(i, false).bytes.data(), 4);
      ref->ca4.emplace(RefKey4{kVsid, ca}, r);
    } else {
      RefKey6 k{kVsid, {}};
      std::memcpy(k.ca.data(), ca_of(i, true).bytes.data(), 16);
      ref->ca6.emplace(k, r);
    }
    ref->macs.emplace(RefKeyMac{kVsid, mac48(mac_of(i).bytes.data())}, r);
  }
  for (uint32_t k = 0; k < kLocalVms; ++k)
    ref->macs[RefKeyMac{kVsid, mac48(local_mac(k).bytes.data())}] =
        RefRecord{pa_of(kHosts, v6), local_mac(k), uint16_t(k)};
  size_t heap2 = heap_in_use();

  size_t table_bytes = (v6 ? ts.ipv6_table_bytes : ts.ipv4_table_bytes) + ts.mac_table_bytes;
  double ours_b = double(table_bytes) / n;
  double ref_b = double(heap2 - heap1) / n;
  std::string sz = size_name(n);
  report("dataplane.table_bytes_per_record." + fam + "." + sz, ours_b, ref_b, "B/record");
  // Whole policy including the control plane's own copy of every record.
  report("dataplane.policy_bytes_per_record." + fam + "." + sz, double(heap1 - heap0) / n, ref_b,
         "B/record");
  std::printf("BENCH dataplane.apply_peak_heap_bytes_per_record.%s.%s %.1f B/record\n", fam.c_str(),
              sz.c_str(), double(apply_peak) / n);

  // Control-plane latency of one change while the table is this big.
  {
    auto ms_per_apply = [&](auto make_change, int reps) {
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) dp->apply(make_change(i));
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                 .count() /
             reps;
    };
    // Each record is moved to another provider address and back, so the policy the packet
    // benchmarks below see is the one the reference holds.
    double rec = ms_per_apply(
        [&](int i) {
          PolicyChange c;
          LookupRecord r;
          uint32_t k = uint32_t(i / 2) % n;
          r.vsid = kVsid;
          r.customer = ca_of(k, v6);
          r.provider = pa_of((k + (i % 2 == 0 ? 1 : 0)) % kHosts, v6);
          r.mac = mac_of(k);
          c.upsert_records.push_back(r);
          return c;
        },
        20);
    std::printf("BENCH dataplane.update.one_record.%s.%s %.3f ms\n", fam.c_str(),
                size_name(n).c_str(), rec);
    double port = ms_per_apply(
        [&](int i) {
          PolicyChange c;
          c.upsert_ports.push_back(
              {uint16_t(kLocalVms + 1), local_mac(200 + uint32_t(i % 2)), kVsid});
          return c;
        },
        3);
    std::printf("BENCH dataplane.update.one_port.%s.%s %.3f ms\n", fam.c_str(),
                size_name(n).c_str(), port);
    std::fflush(stdout);
  }

  Worker w(*dp);
  Bench b(v6, n);
  Keys keys = make_keys(n, 1u << 19);
  // Ours and the reference alternate `reps` times; the medians are reported (the machine is
  // shared, single runs are noisy).
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto print_drops = [&](const char* what, size_t d1, size_t d2) {
    std::printf("# %s delivered mismatch: ours %zu reference %zu; drops:", what, d1, d2);
    for (size_t r = 0; r < kDropReasonCount; ++r)
      if (uint64_t c = dp->drops(DropReason(r)))
        std::printf(" %s=%llu", std::string(drop_reason_name(DropReason(r))).c_str(),
                    (unsigned long long)c);
    std::printf("\n");
  };
  for (int dist = 0; dist < 2; ++dist) {
    Seq ks(dist == 0 ? keys.uniform : keys.zipf, v6);
    std::string dname = dist == 0 ? "uniform" : "zipf";
    std::vector<double> enc_ours, enc_base, dec_ours, dec_base;
    double prep = 0;
    for (int rep = 0; rep < reps; ++rep) {
      size_t d1 = 0, d2 = 0;
      enc_ours.push_back(time_ns_per_packet(
          b, true, ks, packets, [&](std::vector<Packet>& pk) { w.transmit(0, pk); }, d1, &prep));
      enc_base.push_back(time_ns_per_packet(
          b, true, ks, packets,
          [&](std::vector<Packet>& pk) {
            for (auto& p : pk) {
              p.port = kDropPort;
              ref->encap(p, v6);
            }
          },
          d2));
      if (d1 != d2 || d1 == 0) print_drops("encap", d1, d2);
      dec_ours.push_back(time_ns_per_packet(
          b, false, ks, packets, [&](std::vector<Packet>& pk) { w.receive(pk); }, d1));
      dec_base.push_back(time_ns_per_packet(
          b, false, ks, packets,
          [&](std::vector<Packet>& pk) {
            for (auto& p : pk) {
              p.port = kDropPort;
              ref->decap(p, v6);
            }
          },
          d2));
      if (d1 != d2 || d1 == 0) print_drops("decap", d1, d2);
    }
    std::printf(
        "# %s %s %s: frame preparation %.1f ns/pkt measured separately and subtracted; "
        "medians of %d runs\n",
        fam.c_str(), dname.c_str(), sz.c_str(), prep, reps);
    report("dataplane.encap." + fam + "." + dname + "." + sz, median(enc_ours), median(enc_base),
           "ns/pkt");
    report("dataplane.decap." + fam + "." + dname + "." + sz, median(dec_ours), median(dec_base),
           "ns/pkt");
  }
}

uint32_t parse_size(const std::string& s) {
  uint32_t mult = 1;
  std::string num = s;
  if (!s.empty() && (s.back() == 'K' || s.back() == 'k')) mult = 1000, num.pop_back();
  if (!s.empty() && (s.back() == 'M' || s.back() == 'm')) mult = 1000000, num.pop_back();
  return uint32_t(std::stoul(num)) * mult;
}

void* counted(void* p) {
  if (!p) throw std::bad_alloc();
  g_heap.add(p);
  return p;
}
void uncount(void* p) {
  if (p) g_heap.sub(p);
  std::free(p);
}

}  // namespace

void* operator new(size_t n) {
  return counted(std::malloc(n ? n : 1));
}
void* operator new[](size_t n) {
  return counted(std::malloc(n ? n : 1));
}
void* operator new(size_t n, std::align_val_t a) {
  size_t al = size_t(a);
  return counted(std::aligned_alloc(al, (n + al - 1) / al * al));
}
void* operator new[](size_t n, std::align_val_t a) {
  return operator new(n, a);
}
void operator delete(void* p) noexcept {
  uncount(p);
}
void operator delete[](void* p) noexcept {
  uncount(p);
}
void operator delete(void* p, size_t) noexcept {
  uncount(p);
}
void operator delete[](void* p, size_t) noexcept {
  uncount(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  uncount(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  uncount(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  uncount(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  uncount(p);
}

int main(int argc, char** argv) {
  std::vector<uint32_t> sizes = {1000, 100000, 1000000, 4000000};
  size_t packets = 2000000;
  int reps = 5;
  bool want4 = true, want6 = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      size_t pos = 0;
      while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        sizes.push_back(parse_size(list.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else if (a == "--packets" && i + 1 < argc) {
      packets = std::stoul(argv[++i]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::stoi(argv[++i]));
    } else if (a == "--family" && i + 1 < argc) {
      std::string f = argv[++i];
      want4 = f != "ipv6";
      want6 = f != "ipv4";
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--sizes 1K,100K,1M,4M] [--packets N] [--reps N] [--family ipv4|ipv6]\n",
          argv[0]);
      return 2;
    }
  }
  for (uint32_t n : sizes)
    for (bool v6 : {false, true})
      if (v6 ? want6 : want4) run(n, v6, packets, reps);
  return 0;
}

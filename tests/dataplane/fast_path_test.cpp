// The fast paths for the common frame against the general rules: the same frames, whole and
// with random bytes changed or cut short, go through a Worker with fast paths and one without
// (each on its own Datapath with the same policy); every output frame, port and counter must be
// the same.

#include <random>

#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

const MacAddress kBlue7 = mac("00:15:5d:00:30:07");

// Host 1's policy plus IPv6 provider addresses, so the IPv6-outer fast path has work.
PolicyChange policy() {
  PolicyChange c = two_tenant_host1();
  c.upsert_provider_addresses.push_back({ip("fd99::11"), 64});
  c.upsert_neighbors.push_back({ip("fd99::12"), kHost2Mac});
  c.upsert_records.push_back(record(30, "fd00:30::7", "fd99::12", kBlue7));
  c.upsert_records.push_back(record(30, "10.1.1.7", "fd99::12", kBlue7));
  c.upsert_records.push_back(record(30, "fd00:30::4", "192.168.1.11", kBlue4));
  c.upsert_records.push_back(record(20, "10.1.1.9", "192.168.1.12", kRed2, Rule::Nat));
  return c;
}

// An NVGRE frame over IPv6 (next header 47 right after the fixed header).
Bytes nvgre6(const char* spa, const char* dpa, uint32_t vsid, const Bytes& inner) {
  Bytes gre;
  add16(gre, 0x2000);
  add16(gre, 0x6558);
  add32(gre, vsid << 8 | 5);
  add(gre, inner);
  return ethernet(kProviderMac, kHost2Mac, 0x86DD, ipv6(ip(spa), ip(dpa), 47, gre));
}

struct Case {
  bool transmit;
  PortId from;
  Bytes frame;
};

std::vector<Case> cases() {
  std::vector<Case> v;
  auto tx = [&](PortId from, Bytes f) { v.push_back({true, from, std::move(f)}); };
  auto rx = [&](Bytes f) { v.push_back({false, 0, std::move(f)}); };
  // From VMs: remote Encap (IPv4 and IPv6 CA, IPv4 and IPv6 PA), local, routed, Nat, unknown,
  // the gateway, broadcast, ARP, a neighbour solicitation, a tagged frame, a TCP segment.
  tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"));
  tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.7"));
  tx(1, udp6_frame(kBlue2, kBlue1, "fd00:30::1", "fd00:30::2"));
  tx(1, udp6_frame(kBlue2, kBlue1, "fd00:30::1", "fd00:30::7"));
  tx(1, udp4_frame(kBlue4, kBlue1, "10.1.1.1", "10.1.1.4"));
  tx(1, udp6_frame(kBlue4, kBlue1, "fd00:30::1", "fd00:30::4"));
  tx(1, udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.2.3"));
  tx(2, udp4_frame(kRed2, kRed1, "10.1.1.1", "10.1.1.9"));
  tx(2, udp4_frame(kRed2, kRed1, "10.1.1.1", "10.1.1.2", 1000, 2000, 1460));
  tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.99"));
  tx(1, udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.1.254"));
  tx(1, udp4_frame(mac("ff:ff:ff:ff:ff:ff"), kBlue1, "10.1.1.1", "10.1.1.255"));
  tx(1, arp_request(kBlue1, "10.1.1.1", "10.1.1.2"));
  tx(1, neighbor_solicitation(kBlue1, "fd00:30::1", "fd00:30::2"));
  Bytes tagged = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  tagged.insert(tagged.begin() + 12, {0x81, 0x00, 0x00, 0x05});
  tx(1, tagged);
  Bytes tcp = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  tcp[14 + 9] = 6;
  tx(1, tcp);
  tx(7, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"));  // not a configured port
  // From the provider: valid, spoofed, other tenant, unknown VSID, IPv6 inner over IPv4, IPv6
  // outer, to another host, a fragment, inner broadcast.
  auto inner = [](const MacAddress& d, const MacAddress& s, const char* src, const char* dst) {
    return udp4_frame(d, s, src, dst);
  };
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 7,
            inner(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1")));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 7,
            inner(kBlue1, kBlue2, "10.1.1.4", "10.1.1.1")));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 20, 7,
            inner(kRed1, kRed2, "10.1.1.2", "10.1.1.1")));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 31, 7,
            inner(kBlue1, kBlue2x3, "10.1.2.3", "10.1.1.1")));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 99, 7,
            inner(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1")));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 7,
            udp6_frame(kBlue1, kBlue2, "fd00:30::2", "fd00:30::1")));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.99", 30, 7,
            inner(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1")));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 7,
            inner(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1"), 0x2000, 0x6558, true));
  rx(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 7,
            inner(mac("ff:ff:ff:ff:ff:ff"), kBlue2, "10.1.1.2", "10.1.1.255")));
  rx(nvgre6("fd99::12", "fd99::11", 30, udp6_frame(kBlue1, kBlue2, "fd00:30::7", "fd00:30::1")));
  rx(nvgre6("fd99::12", "fd99::11", 30, udp6_frame(kBlue1, kBlue2, "fd00:30::2", "fd00:30::1")));
  rx(nvgre6("fd99::12", "fd99::11", 30, inner(kBlue1, kBlue2, "10.1.1.7", "10.1.1.1")));
  rx(nvgre6("fd99::13", "fd99::11", 30, udp6_frame(kBlue1, kBlue2, "fd00:30::7", "fd00:30::1")));
  return v;
}

class FastPathTest : public ::testing::Test {
 protected:
  FastPathTest() {
    for (int i = 0; i < 2; ++i) {
      dp[i] = std::make_unique<Datapath>();
      dp[i]->apply(policy());
      worker[i] = std::make_unique<Worker>(*dp[i]);
    }
    worker[1]->set_fast_paths(false);
  }

  // Runs `batch` through both workers (transmit from `from`, or receive) and compares.
  void compare(const std::vector<Bytes>& batch, bool transmit, PortId from,
               const std::string& what) {
    std::vector<Packet> out[2];
    std::vector<std::vector<uint8_t>> bufs[2];
    for (int w = 0; w < 2; ++w) {
      for (const Bytes& f : batch) {
        bufs[w].emplace_back(kBufferSize);
        Packet p;
        p.buffer = bufs[w].back().data();
        p.buffer_size = kBufferSize;
        p.offset = kHeadroom;
        p.length = uint32_t(f.size());
        std::copy(f.begin(), f.end(), p.buffer + kHeadroom);
        out[w].push_back(p);
      }
      if (transmit)
        worker[w]->transmit(from, out[w]);
      else
        worker[w]->receive(out[w]);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const Packet &a = out[0][i], &b = out[1][i];
      ASSERT_EQ(a.port, b.port) << what << " frame " << i << ":\n" << to_hex(batch[i]);
      if (a.port == kDropPort) continue;
      ASSERT_EQ(Bytes(a.data(), a.data() + a.length), Bytes(b.data(), b.data() + b.length))
          << what << " frame " << i << ":\n"
          << to_hex(batch[i]);
    }
  }

  void compare_counters() {
    EXPECT_EQ(dp[0]->drop_counters(), dp[1]->drop_counters());
    for (uint32_t vsid : {20u, 30u, 31u, 40u}) {
      auto a = dp[0]->vsid_counters(vsid), b = dp[1]->vsid_counters(vsid);
      ASSERT_TRUE(a && b);
      EXPECT_EQ(a->encapsulated.packets, b->encapsulated.packets) << vsid;
      EXPECT_EQ(a->encapsulated.bytes, b->encapsulated.bytes) << vsid;
      EXPECT_EQ(a->decapsulated.packets, b->decapsulated.packets) << vsid;
      EXPECT_EQ(a->decapsulated.bytes, b->decapsulated.bytes) << vsid;
      EXPECT_EQ(a->local.packets, b->local.packets) << vsid;
      EXPECT_EQ(a->dropped, b->dropped) << vsid;
    }
    for (PortId port : {PortId(1), PortId(2), PortId(3)}) {
      PortCounters a = dp[0]->port_counters(port), b = dp[1]->port_counters(port);
      EXPECT_EQ(a.from_vm.packets, b.from_vm.packets) << port;
      EXPECT_EQ(a.to_vm.packets, b.to_vm.packets) << port;
      EXPECT_EQ(a.to_vm.bytes, b.to_vm.bytes) << port;
      EXPECT_EQ(a.dropped, b.dropped) << port;
    }
  }

  std::unique_ptr<Datapath> dp[2];
  std::unique_ptr<Worker> worker[2];
};

TEST_F(FastPathTest, TheFastPathsAreTakenForTheCommonFrames) {
  // Otherwise the comparison below would compare the general rules with themselves: the fast
  // worker must deliver the plain cases (remote encap both families, decap both families).
  for (const Case& c : cases()) compare({c.frame}, c.transmit, c.from, "whole");
  compare_counters();
  auto blue = dp[0]->vsid_counters(30);
  ASSERT_TRUE(blue);
  EXPECT_GE(blue->encapsulated.packets, 4u);
  EXPECT_GE(blue->decapsulated.packets, 3u);
}

TEST_F(FastPathTest, MutatedFramesGetTheSameResultBothWays) {
  std::mt19937 rng(20261121);
  std::vector<Case> base = cases();
  for (int round = 0; round < 400; ++round) {
    // A batch of 32 variants of frames of one direction (and, for transmit, one port), so
    // mixed batches run through the fast and the general rules together.
    bool transmit = rng() % 2;
    PortId from = PortId(1 + rng() % 2);
    std::vector<Bytes> batch;
    while (batch.size() < kBatchSize) {
      const Case& c = base[rng() % base.size()];
      if (c.transmit != transmit || (transmit && c.from != from && c.from != 7)) continue;
      Bytes f = c.frame;
      int edits = int(rng() % 4);  // 0: the frame as it is
      for (int e = 0; e < edits; ++e) {
        size_t at = rng() % std::min<size_t>(f.size(), 120);
        f[at] = uint8_t(rng() % 3 == 0 ? f[at] ^ (1u << (rng() % 8)) : rng());
      }
      if (rng() % 10 == 0) f.resize(rng() % f.size());
      batch.push_back(std::move(f));
    }
    compare(batch, transmit, from, "round " + std::to_string(round));
    if (HasFatalFailure()) return;
  }
  compare_counters();
}

}  // namespace
}  // namespace cimnet::dataplane::test

// ARP and IPv6 neighbour discovery of provider next hops on the memory backend, and the Runner's runtime
// attach/detach of VM ports (also with several threads).

#include <gtest/gtest.h>

#include <thread>

#include "cimnet/dataplane/io/memory_io.h"
#include "cimnet/dataplane/io/neighbor_resolver.h"
#include "cimnet/dataplane/runner.h"
#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Bytes arp_reply(const MacAddress& smac, const char* sip, const MacAddress& tmac, const char* tip) {
  Bytes a;
  add16(a, 1);
  add16(a, 0x0800);
  a.push_back(6);
  a.push_back(4);
  add16(a, 2);
  add_mac(a, smac);
  add_ip(a, ip(sip));
  add_mac(a, tmac);
  add_ip(a, ip(tip));
  return ethernet(tmac, smac, 0x0806, a);
}

// Host 1's policy without the static neighbour of host 2.
PolicyChange host1_without_neighbors() {
  PolicyChange c = two_tenant_host1();
  c.upsert_neighbors.clear();
  return c;
}

Packet as_packet(Bytes& b) {
  Packet p;
  p.buffer = b.data();
  p.buffer_size = uint32_t(b.size());
  p.offset = 0;
  p.length = uint32_t(b.size());
  return p;
}

struct ResolverHost : HostFixture {
  ResolverHost() {
    worker.reset();  // the fixture's worker belongs to the datapath replaced here
    dp = std::make_unique<Datapath>();
    dp->apply(host1_without_neighbors());
    worker = std::make_unique<Worker>(*dp);
    NeighborResolverConfig rc;
    rc.source = ip("192.168.1.11");
    rc.source_mac = kProviderMac;
    rc.retry = milliseconds(1000);
    rc.reachable = milliseconds(30000);
    resolver = std::make_unique<NeighborResolver>(*dp, rc);
  }
  std::unique_ptr<NeighborResolver> resolver;
};

TEST_F(ResolverHost, NextHopsAreOnLinkPasOrRouteNextHops) {
  std::vector<LookupRecord> records = {record(30, "10.1.1.2", "192.168.1.12", kBlue2),
                                       record(30, "10.1.1.3", "10.7.0.5", kBlue4),
                                       record(30, "10.1.1.1", "192.168.1.11", kBlue1),
                                       record(30, "10.1.1.8", "172.16.0.1", kBlue4)};
  auto hops = NeighborResolver::next_hops(
      records, {{ip("192.168.1.11"), 24}}, {{prefix("10.7.0.0/16"), ip("192.168.1.1"), 0}});
  EXPECT_EQ(hops, (std::vector<IpAddress>{ip("192.168.1.1"), ip("192.168.1.12")}));
}

TEST_F(ResolverHost, LearnsFromRepliesAndFeedsTheDatapath) {
  Bytes frame = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  EXPECT_EQ(tx(1, frame).port, kDropPort);  // no neighbour yet
  EXPECT_EQ(dp->drops(DropReason::NoProviderRoute), 1u);

  resolver->set_targets({ip("192.168.1.12")});
  MemoryIo provider;
  auto t0 = Clock::now();
  resolver->tick(t0, provider);
  auto sent = provider.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  // Broadcast ARP request who-has 192.168.1.12 tell 192.168.1.11.
  EXPECT_EQ(Bytes(sent[0].begin(), sent[0].begin() + 6), Bytes(6, 0xff));
  EXPECT_EQ(rd16(sent[0], 12), 0x0806);
  EXPECT_EQ(rd16(sent[0], 20), 1);
  EXPECT_EQ(rd32(sent[0], 28), ip("192.168.1.11").v4_host());
  EXPECT_EQ(rd32(sent[0], 38), ip("192.168.1.12").v4_host());
  resolver->tick(t0 + milliseconds(500), provider);
  EXPECT_TRUE(provider.take_sent().empty());  // not before the retry interval
  resolver->tick(t0 + milliseconds(1000), provider);
  EXPECT_EQ(provider.take_sent().size(), 1u);

  // A reply from someone we did not ask about is consumed but not learned.
  Bytes stranger = arp_reply(kBlue4, "192.168.1.77", kProviderMac, "192.168.1.11");
  EXPECT_TRUE(resolver->offer(as_packet(stranger)));
  EXPECT_FALSE(resolver->lookup(ip("192.168.1.77")));

  Bytes reply = arp_reply(kHost2Mac, "192.168.1.12", kProviderMac, "192.168.1.11");
  EXPECT_TRUE(resolver->offer(as_packet(reply)));
  EXPECT_EQ(resolver->lookup(ip("192.168.1.12")), kHost2Mac);
  auto out = tx(1, frame);
  ASSERT_EQ(out.port, kProviderPort);
  EXPECT_EQ(Bytes(out.frame.begin(), out.frame.begin() + 6),
            Bytes(kHost2Mac.bytes.begin(), kHost2Mac.bytes.end()));

  // Expiry: refreshed at 2/3 of the reachable time, removed when nobody answers.
  auto learned = Clock::now();
  resolver->tick(learned + milliseconds(19000), provider);
  EXPECT_TRUE(provider.take_sent().empty());
  resolver->tick(learned + milliseconds(21000), provider);
  EXPECT_EQ(provider.take_sent().size(), 1u);
  resolver->tick(learned + milliseconds(31000), provider);
  EXPECT_FALSE(resolver->lookup(ip("192.168.1.12")));
  EXPECT_EQ(tx(1, frame).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::NoProviderRoute), 2u);
}

TEST_F(ResolverHost, LearnsFromRequestsOfTargetsAndLeavesThemToTheDatapath) {
  resolver->set_targets({ip("192.168.1.12")});
  Bytes request = arp_request(kHost2Mac, "192.168.1.12", "192.168.1.11");
  EXPECT_FALSE(resolver->offer(as_packet(request)));  // the datapath still answers it
  EXPECT_EQ(resolver->lookup(ip("192.168.1.12")), kHost2Mac);
  EXPECT_EQ(tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2")).port, kProviderPort);
}

// An ICMPv6 neighbour discovery frame with a correct checksum (built independently here).
Bytes nd_frame(const MacAddress& dst_mac, const MacAddress& src_mac, const char* src,
               const char* dst, uint8_t type, const char* target, uint8_t option,
               const MacAddress& option_mac, uint8_t hops = 255) {
  Bytes m;
  m.push_back(type);
  m.push_back(0);
  add16(m, 0);
  add32(m, type == 136 ? 0x60000000 : 0);
  add_ip(m, ip(target));
  m.push_back(option);
  m.push_back(1);
  add_mac(m, option_mac);
  uint16_t c = inet_checksum(m.data(), m.size(), pseudo_sum(ip(src), ip(dst), 58, m.size()));
  m[2] = uint8_t(c >> 8);
  m[3] = uint8_t(c);
  return ethernet(dst_mac, src_mac, 0x86DD, ipv6(ip(src), ip(dst), 58, m, hops));
}

bool icmpv6_checksum_ok(const Bytes& f) {
  IpAddress s, d;
  s.family = d.family = 6;
  std::copy(f.begin() + 22, f.begin() + 38, s.bytes.begin());
  std::copy(f.begin() + 38, f.begin() + 54, d.bytes.begin());
  size_t len = rd16(f, 18);
  return inet_checksum(f.data() + 54, len, pseudo_sum(s, d, 58, len)) == 0;
}

// Host 1 with an IPv6 provider address too, and a Blue record behind an IPv6 PA of host 2.
struct Resolver6Host : HostFixture {
  Resolver6Host() {
    worker.reset();  // the fixture's worker belongs to the datapath replaced here
    dp = std::make_unique<Datapath>();
    PolicyChange c = host1_without_neighbors();
    c.upsert_provider_addresses.push_back({ip("fd00:99::11"), 64});
    c.upsert_records.push_back(record(30, "10.1.1.9", "fd00:99::12", mac("00:15:5d:00:30:09")));
    dp->apply(c);
    worker = std::make_unique<Worker>(*dp);
    NeighborResolverConfig rc;
    rc.source6 = ip("fd00:99::11");
    rc.source_mac = kProviderMac;
    resolver = std::make_unique<NeighborResolver>(*dp, rc);
  }
  std::unique_ptr<NeighborResolver> resolver;
};

TEST_F(Resolver6Host, SolicitsAndLearnsAdvertisements) {
  resolver->set_targets({ip("fd00:99::12"), ip("192.168.1.12")});  // no IPv4 source: v6 only
  MemoryIo provider;
  resolver->tick(Clock::now(), provider);
  auto sent = provider.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  const Bytes& ns = sent[0];
  ASSERT_EQ(ns.size(), 86u);
  EXPECT_EQ(Bytes(ns.begin(), ns.begin() + 6), (Bytes{0x33, 0x33, 0xff, 0x00, 0x00, 0x12}));
  EXPECT_EQ(rd16(ns, 12), 0x86DD);
  EXPECT_EQ(ns[21], 255);  // hop limit
  Bytes group;
  add_ip(group, ip("ff02::1:ff00:12"));
  EXPECT_EQ(Bytes(ns.begin() + 38, ns.begin() + 54), group);
  EXPECT_EQ(ns[54], 135);
  EXPECT_TRUE(icmpv6_checksum_ok(ns));
  Bytes target;
  add_ip(target, ip("fd00:99::12"));
  EXPECT_EQ(Bytes(ns.begin() + 62, ns.begin() + 78), target);

  Bytes frame = udp4_frame(mac("00:15:5d:00:30:09"), kBlue1, "10.1.1.1", "10.1.1.9");
  EXPECT_EQ(tx(1, frame).port, kDropPort);
  // A forged advertisement (hop limit not 255) is swallowed but not believed.
  Bytes forged = nd_frame(kProviderMac, kBlue4, "fd00:99::12", "fd00:99::11", 136, "fd00:99::12",
                          2, kBlue4, 64);
  EXPECT_TRUE(resolver->offer(as_packet(forged)));
  EXPECT_FALSE(resolver->lookup(ip("fd00:99::12")));
  Bytes na = nd_frame(kProviderMac, kHost2Mac, "fd00:99::12", "fd00:99::11", 136, "fd00:99::12",
                      2, kHost2Mac);
  EXPECT_TRUE(resolver->offer(as_packet(na)));
  EXPECT_EQ(resolver->lookup(ip("fd00:99::12")), kHost2Mac);
  auto out = tx(1, frame);
  ASSERT_EQ(out.port, kProviderPort);
  EXPECT_EQ(rd16(out.frame, 12), 0x86DD);  // IPv6 outer header to host 2's MAC
  EXPECT_EQ(Bytes(out.frame.begin(), out.frame.begin() + 6),
            Bytes(kHost2Mac.bytes.begin(), kHost2Mac.bytes.end()));
}

TEST_F(Resolver6Host, AnswersSolicitationsForItsAddress) {
  resolver->set_targets({ip("fd00:99::12")});
  MemoryIo provider;
  Bytes ns = nd_frame(mac("33:33:ff:00:00:11"), kHost2Mac, "fd00:99::12", "ff02::1:ff00:11", 135,
                      "fd00:99::11", 1, kHost2Mac);
  EXPECT_TRUE(resolver->offer(as_packet(ns), &provider));
  EXPECT_EQ(resolver->lookup(ip("fd00:99::12")), kHost2Mac);  // learned from the solicitation
  auto sent = provider.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  const Bytes& na = sent[0];
  EXPECT_EQ(na, nd_frame(kHost2Mac, kProviderMac, "fd00:99::11", "fd00:99::12", 136,
                         "fd00:99::11", 2, kProviderMac));
  // Solicitations for other addresses are not ours to answer.
  Bytes other = nd_frame(mac("33:33:ff:00:00:77"), kHost2Mac, "fd00:99::12", "ff02::1:ff00:77",
                         135, "fd00:99::77", 1, kHost2Mac);
  EXPECT_FALSE(resolver->offer(as_packet(other), &provider));
  EXPECT_TRUE(provider.take_sent().empty());
}

TEST(NeighborResolver, RefusesBadConfig) {
  Datapath dp;
  NeighborResolverConfig rc;
  rc.source = ip("fd00::1");
  rc.source_mac = kProviderMac;
  EXPECT_THROW(NeighborResolver(dp, rc), PolicyError);
  rc.source = IpAddress{};
  EXPECT_THROW(NeighborResolver(dp, rc), PolicyError);  // no source at all
  rc.source6 = ip("192.168.1.11");
  EXPECT_THROW(NeighborResolver(dp, rc), PolicyError);
  rc.source = ip("192.168.1.11");
  rc.source_mac = MacAddress{};
  EXPECT_THROW(NeighborResolver(dp, rc), PolicyError);
}

// The Runner drives the resolver: requests go out on the provider port, replies are taken
// before the datapath (never counted as drops) and the neighbour appears.
TEST(RunnerResolver, RunnerSendsRequestsAndConsumesReplies) {
  Datapath dp;
  dp.apply(host1_without_neighbors());
  NeighborResolverConfig rc;
  rc.source = ip("192.168.1.11");
  rc.source_mac = kProviderMac;
  NeighborResolver resolver(dp, rc);
  resolver.set_targets({ip("192.168.1.12")});
  MemoryIo provider, blue1;
  Runner runner(dp, provider);
  runner.attach_port(1, blue1);
  runner.set_neighbor_resolver(&resolver, true, milliseconds(5));
  std::atomic<bool> stop{false};
  std::thread t([&] { runner.run(stop, milliseconds(1)); });
  auto deadline = Clock::now() + std::chrono::seconds(10);
  std::vector<MemoryIo::Frame> sent;
  while (sent.empty() && Clock::now() < deadline) {
    sent = provider.take_sent();
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(rd16(sent[0], 12), 0x0806);
  provider.inject(arp_reply(kHost2Mac, "192.168.1.12", kProviderMac, "192.168.1.11"));
  while (!resolver.lookup(ip("192.168.1.12")) && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  EXPECT_EQ(resolver.lookup(ip("192.168.1.12")), kHost2Mac);
  blue1.inject(udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"));
  bool encapsulated = false;
  while (!encapsulated && Clock::now() < deadline) {
    for (auto& f : provider.take_sent()) encapsulated |= rd16(f, 12) == 0x0800;
    std::this_thread::sleep_for(milliseconds(1));
  }
  stop = true;
  t.join();
  EXPECT_TRUE(encapsulated);
  EXPECT_EQ(dp.drops(DropReason::NotForUs), 0u);
}

// Ports attach and detach while the Runner runs in another thread.
TEST(RunnerPorts, AttachAndDetachWhileRunning) {
  Datapath dp;
  dp.apply(two_tenant_host1());
  MemoryIo provider;
  auto blue1 = std::make_unique<MemoryIo>();
  Runner runner(dp, provider);
  std::atomic<bool> stop{false};
  std::thread t([&] { runner.run(stop, milliseconds(1)); });
  auto deadline = Clock::now() + std::chrono::seconds(10);
  runner.attach_port(1, *blue1);
  blue1->inject(udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"));
  while (provider.take_sent().empty() && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  EXPECT_EQ(blue1->pending(), 0u);
  runner.detach_port(1);
  // Detached: the backend is no longer read (and may be destroyed).
  blue1->inject(udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"));
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(blue1->pending(), 1u);
  blue1.reset();
  // Frames for the detached port are dropped without harm.
  provider.inject(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 3,
                         udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1")));
  while (provider.pending() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(1));
  stop = true;
  t.join();
  EXPECT_EQ(provider.pending(), 0u);
  EXPECT_THROW(runner.attach_port(kMaxPorts, provider), PolicyError);
}

TEST(RunnerThreads, TwoThreadsServeEveryPortAndDetachDestroysBackends) {
  Datapath dp;
  dp.apply(two_tenant_host1());
  std::vector<std::unique_ptr<PacketIo>> providers;
  std::vector<MemoryIo*> prov;
  for (int i = 0; i < 2; ++i) {
    auto m = std::make_unique<MemoryIo>();
    prov.push_back(m.get());
    providers.push_back(std::move(m));
  }
  RunnerThreads threads(dp, std::move(providers));
  ASSERT_EQ(threads.size(), 2u);
  std::vector<std::unique_ptr<PacketIo>> one;
  one.push_back(std::make_unique<MemoryIo>());
  EXPECT_THROW(threads.attach_port(1, std::move(one)), PolicyError);  // needs one per thread
  std::vector<std::unique_ptr<PacketIo>> queues;
  std::vector<MemoryIo*> q;
  for (int i = 0; i < 2; ++i) {
    auto m = std::make_unique<MemoryIo>();
    q.push_back(m.get());
    queues.push_back(std::move(m));
  }
  threads.start();
  threads.attach_port(1, std::move(queues));
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 50; ++k)
      q[i]->inject(udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", uint16_t(1000 + k)));
    prov[i]->inject(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 3,
                           udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1")));
  }
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (dp.port_counters(1).to_vm.packets < 2 && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  while (dp.vsid_counters(30)->encapsulated.packets < 100 && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  EXPECT_EQ(dp.vsid_counters(30)->encapsulated.packets, 100u);
  EXPECT_EQ(dp.port_counters(1).to_vm.packets, 2u);
  // Each thread sent on its own provider backend and its own queue of the port.
  EXPECT_EQ(prov[0]->take_sent().size(), 50u);
  EXPECT_EQ(prov[1]->take_sent().size(), 50u);
  EXPECT_EQ(q[0]->take_sent().size(), 1u);
  EXPECT_EQ(q[1]->take_sent().size(), 1u);
  EXPECT_TRUE(threads.detach_port(1));
  EXPECT_FALSE(threads.detach_port(1));
  threads.stop();
}

}  // namespace
}  // namespace cimnet::dataplane::test

// Receive path: NVGRE frames from the provider network, one rule per test.

#include <gtest/gtest.h>

#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

using Rx = HostFixture;

Bytes blue_from_host2(uint16_t flags = 0x2000, uint16_t proto = 0x6558) {
  return nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0x5a,
                udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1"), flags, proto);
}

TEST_F(Rx, DecapsulatesToThePortOwningTheMac) {
  Bytes in = blue_from_host2();
  Out o = rx(in);
  ASSERT_EQ(o.port, 1);
  Bytes inner = udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1");
  EXPECT_EQ(o.frame, inner);
  EXPECT_EQ(dp->vsid_counters(30)->decapsulated.packets, 1u);
  EXPECT_EQ(dp->port_counters(1).to_vm.packets, 1u);
  // Red's frame with the same inner addresses goes to Red's port.
  Bytes red = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 20, 1,
                     udp4_frame(kRed1, kRed2, "10.1.1.2", "10.1.1.1"));
  EXPECT_EQ(rx(red).port, 2);
}

TEST_F(Rx, GoldenEncapFrameDecapsulatesBack) {
  // The golden frame host 1 would send to host 2, looked at from host 2's side.
  Bytes enc = golden("encap_blue_ipv4", {}, "");
  ASSERT_GT(enc.size(), 42u);
  Datapath host2;
  PolicyChange c = two_tenant_host1();
  c.upsert_provider_addresses = {{ip("192.168.1.12"), 24}};
  c.upsert_neighbors = {{ip("192.168.1.11"), kProviderMac}};
  c.upsert_ports = {{1, kBlue2, 30}, {2, kRed2, 20}};
  host2.apply(c);
  Worker w(host2);
  std::vector<uint8_t> buf(kBufferSize);
  Packet p{buf.data(), kBufferSize, kHeadroom, uint32_t(enc.size()), kDropPort};
  std::copy(enc.begin(), enc.end(), p.data());
  w.receive(std::span<Packet>(&p, 1));
  ASSERT_EQ(p.port, 1);
  EXPECT_EQ(Bytes(p.data(), p.data() + p.length), Bytes(enc.begin() + 42, enc.end()));
}

TEST_F(Rx, GoldenIpv6OverIpv6FrameDecapsulatesBack) {
  Bytes enc = golden("encap_blue_ipv6_over_ipv6", {}, "");
  ASSERT_GT(enc.size(), 62u);
  Datapath host2;
  PolicyChange c = two_tenant_host1();
  c.upsert_provider_addresses = {{ip("fd99::12"), 64}};
  c.upsert_neighbors = {{ip("fd99::11"), kProviderMac}};
  c.upsert_records = {
      record(30, "fd00:30::1", "fd99::11", kBlue1), record(30, "10.1.1.1", "fd99::11", kBlue1),
      record(30, "fd00:30::2", "fd99::12", kBlue2), record(30, "10.1.1.2", "fd99::12", kBlue2)};
  c.upsert_ports = {{1, kBlue2, 30}, {2, kRed2, 20}};
  host2.apply(c);
  Worker w(host2);
  std::vector<uint8_t> buf(kBufferSize);
  Packet p{buf.data(), kBufferSize, kHeadroom, uint32_t(enc.size()), kDropPort};
  std::copy(enc.begin(), enc.end(), p.data());
  w.receive(std::span<Packet>(&p, 1));
  ASSERT_EQ(p.port, 1);
  EXPECT_EQ(Bytes(p.data(), p.data() + p.length), Bytes(enc.begin() + 62, enc.end()));
  // The same frame claiming another outer source is spoofed.
  std::copy(enc.begin(), enc.end(), buf.begin() + kHeadroom);
  p = Packet{buf.data(), kBufferSize, kHeadroom, uint32_t(enc.size()), kDropPort};
  p.data()[14 + 8 + 15] ^= 1;  // last byte of the outer source address
  w.receive(std::span<Packet>(&p, 1));
  EXPECT_EQ(p.port, kDropPort);
  EXPECT_EQ(host2.drops(DropReason::Spoofed), 1u);
  // An outer source of :: matches no provider address, not even where an IPv4 one sits: move the
  // sender's records to an IPv4 provider address and send from ::.
  PolicyChange v4;
  v4.upsert_records = {record(30, "fd00:30::1", "192.168.1.12", kBlue1),
                       record(30, "10.1.1.1", "192.168.1.12", kBlue1)};
  host2.apply(v4);
  std::copy(enc.begin(), enc.end(), buf.begin() + kHeadroom);
  p = Packet{buf.data(), kBufferSize, kHeadroom, uint32_t(enc.size()), kDropPort};
  std::fill(p.data() + 14 + 8, p.data() + 14 + 24, uint8_t(0));
  w.receive(std::span<Packet>(&p, 1));
  EXPECT_EQ(p.port, kDropPort);
  EXPECT_EQ(host2.drops(DropReason::Spoofed), 2u);
}

TEST_F(Rx, BadGreHeadersAreDropped) {
  EXPECT_EQ(rx(blue_from_host2(0xA000)).port, kDropPort);          // C bit
  EXPECT_EQ(rx(blue_from_host2(0x3000)).port, kDropPort);          // S bit
  EXPECT_EQ(rx(blue_from_host2(0x2001)).port, kDropPort);          // version 1
  EXPECT_EQ(rx(blue_from_host2(0x0000)).port, kDropPort);          // no key
  EXPECT_EQ(rx(blue_from_host2(0x2000, 0x0800)).port, kDropPort);  // not Ethernet
  EXPECT_EQ(dp->drops(DropReason::BadGreHeader), 5u);
}

TEST_F(Rx, UnknownVsidIsDropped) {
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 77, 0,
                    udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1"));
  EXPECT_EQ(rx(in).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::UnknownVsid), 1u);
}

TEST_F(Rx, WrongVsidCannotReachAnotherTenant) {
  // Blue's VM MAC inside a VSID 20 frame: the inner source is not a Red record at .12 either way,
  // and Blue's port is not in VSID 20.
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 20, 0,
                    udp4_frame(kBlue1, kRed2, "10.1.1.2", "10.1.1.1"));
  EXPECT_EQ(rx(in).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::UnknownDestination), 1u);
}

TEST_F(Rx, SpoofedInnerSourceIsDropped) {
  // 10.1.1.4 lives on host 1, so host 2 may not send as it.
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0,
                    udp4_frame(kBlue1, kBlue4, "10.1.1.4", "10.1.1.1"));
  EXPECT_EQ(rx(in).port, kDropPort);
  // An address with no record at all.
  Bytes in2 = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0,
                     udp4_frame(kBlue1, kBlue2, "10.1.1.66", "10.1.1.1"));
  EXPECT_EQ(rx(in2).port, kDropPort);
  // Right record, wrong provider address (a third host).
  Bytes in3 = nvgre4(kProviderMac, kHost2Mac, "192.168.1.13", "192.168.1.11", 30, 0,
                     udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1"));
  EXPECT_EQ(rx(in3).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::Spoofed), 3u);
  EXPECT_EQ(dp->vsid_counters(30)->dropped, 3u);
}

TEST_F(Rx, RoutedSourceFromAnotherVsidOfTheDomain) {
  // 10.1.2.3 (VSID 31, host 2) routed into VSID 30 by host 2's distributed router.
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0,
                    udp4_frame(kBlue1, kRouterMac, "10.1.2.3", "10.1.1.1", 1, 2, 18, 63));
  EXPECT_EQ(rx(in).port, 1);
  // Green's 10.1.3.3 is in another routing domain: spoofed as far as Blue is concerned.
  Bytes g = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0,
                   udp4_frame(kBlue1, kRouterMac, "10.1.3.3", "10.1.1.1"));
  EXPECT_EQ(rx(g).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::Spoofed), 1u);
}

TEST_F(Rx, InnerVlanTagIsDropped) {
  Bytes inner = udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1");
  Bytes tagged(inner.begin(), inner.begin() + 12);
  add16(tagged, 0x8100);
  add16(tagged, 5);
  tagged.insert(tagged.end(), inner.begin() + 12, inner.end());
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0, tagged);
  EXPECT_EQ(rx(in).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::InnerVlan), 1u);
}

TEST_F(Rx, NotForALocalProviderAddress) {
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.99", 30, 0,
                    udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1"));
  EXPECT_EQ(rx(in).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::NotForUs), 1u);
  Bytes plain = udp4_frame(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11");
  EXPECT_EQ(rx(plain).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::NotNvgre), 1u);
}

TEST_F(Rx, FragmentsAreDropped) {
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0,
                    udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1"), 0x2000, 0x6558, true);
  EXPECT_EQ(rx(in).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::Fragment), 1u);
}

TEST_F(Rx, TruncatedFramesAreMalformed) {
  Bytes in = blue_from_host2();
  for (size_t len : {0ul, 10ul, 30ul, 40ul}) {
    Bytes cut(in.begin(), in.begin() + long(len));
    EXPECT_EQ(rx(cut).port, kDropPort) << len;
  }
  EXPECT_EQ(dp->drops(DropReason::Malformed), 4u);
}

TEST_F(Rx, ArpForOurProviderAddressIsAnswered) {
  Out o = rx(arp_request(kHost2Mac, "192.168.1.12", "192.168.1.11"));
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_TRUE(
      std::equal(kProviderMac.bytes.begin(), kProviderMac.bytes.end(), o.frame.begin() + 22));
  EXPECT_EQ(rx(arp_request(kHost2Mac, "192.168.1.12", "192.168.1.99")).port, kDropPort);
}

// A neighbour solicitation for one of our IPv6 provider addresses is answered with the provider
// MAC; other targets and duplicate address detection probes are not.
TEST_F(Rx, NeighborSolicitationForOurIpv6ProviderAddressIsAnswered) {
  PolicyChange c;
  c.upsert_provider_addresses = {{ip("fd00:99::11"), 64}};
  dp->apply(c);
  Out o = rx(neighbor_solicitation(kHost2Mac, "fd00:99::12", "fd00:99::11"));
  ASSERT_EQ(o.port, kProviderPort);
  ASSERT_EQ(o.frame.size(), 86u);
  EXPECT_TRUE(std::equal(kHost2Mac.bytes.begin(), kHost2Mac.bytes.end(), o.frame.begin()));
  EXPECT_TRUE(
      std::equal(kProviderMac.bytes.begin(), kProviderMac.bytes.end(), o.frame.begin() + 6));
  EXPECT_EQ(rd16(o.frame, 12), 0x86DD);
  EXPECT_EQ(o.frame[20], 58);
  EXPECT_EQ(o.frame[21], 255);
  IpAddress s = ip("fd00:99::11"), d = ip("fd00:99::12");
  EXPECT_TRUE(std::equal(s.bytes.begin(), s.bytes.end(), o.frame.begin() + 22));
  EXPECT_TRUE(std::equal(d.bytes.begin(), d.bytes.end(), o.frame.begin() + 38));
  EXPECT_EQ(o.frame[54], 136);   // neighbour advertisement
  EXPECT_EQ(o.frame[58], 0x60);  // solicited + override, not a router
  EXPECT_TRUE(std::equal(s.bytes.begin(), s.bytes.end(), o.frame.begin() + 62));
  EXPECT_EQ(o.frame[78], 2);  // target link-layer address: the provider MAC
  EXPECT_TRUE(
      std::equal(kProviderMac.bytes.begin(), kProviderMac.bytes.end(), o.frame.begin() + 80));
  EXPECT_EQ(inet_checksum(o.frame.data() + 54, 32, pseudo_sum(s, d, 58, 32)), 0);

  EXPECT_EQ(rx(neighbor_solicitation(kHost2Mac, "fd00:99::12", "fd00:99::13")).port, kDropPort);
  EXPECT_EQ(rx(neighbor_solicitation(kHost2Mac, "::", "fd00:99::11")).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::NotForUs), 2u);
}

TEST_F(Rx, BroadcastInnerIsNotFlooded) {
  Bytes in = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0,
                    arp_request(kBlue2, "10.1.1.2", "10.1.1.1"));
  EXPECT_EQ(rx(in).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::Broadcast), 1u);
}

TEST(Counters, DropReasonsHaveNames) {
  for (size_t i = 0; i < kDropReasonCount; ++i)
    EXPECT_FALSE(drop_reason_name(DropReason(i)).empty());
  EXPECT_EQ(drop_reason_name(DropReason::Spoofed), "spoofed");
}

}  // namespace
}  // namespace cimnet::dataplane::test

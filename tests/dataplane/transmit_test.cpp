// Transmit path: frames from local VMs, one rule per test.

#include <gtest/gtest.h>

#include <set>

#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

using Tx = HostFixture;

TEST_F(Tx, ArpIsAnsweredFromPolicyNeverTunnelled) {
  Out o = tx(1, arp_request(kBlue1, "10.1.1.1", "10.1.1.2"));
  ASSERT_EQ(o.port, 1);
  EXPECT_EQ(o.frame,
            golden("arp_reply_blue_10.1.1.2", o.frame,
                   "ARP reply to Blue 10.1.1.1 for 10.1.1.2 (MAC from the lookup record)"));
  // Field checks independent of the golden file.
  EXPECT_EQ(rd16(o.frame, 12), 0x0806);
  EXPECT_EQ(rd16(o.frame, 20), 2);  // reply
  EXPECT_TRUE(std::equal(kBlue2.bytes.begin(), kBlue2.bytes.end(), o.frame.begin() + 22));
  EXPECT_TRUE(std::equal(kBlue1.bytes.begin(), kBlue1.bytes.end(), o.frame.begin()));
  // Red asks for the same address and gets Red's VM, not Blue's.
  Out r = tx(2, arp_request(kRed1, "10.1.1.1", "10.1.1.2"));
  ASSERT_EQ(r.port, 2);
  EXPECT_TRUE(std::equal(kRed2.bytes.begin(), kRed2.bytes.end(), r.frame.begin() + 22));
}

TEST_F(Tx, ArpForGatewayGetsRouterMac) {
  Out o = tx(1, arp_request(kBlue1, "10.1.1.1", "10.1.1.254"));
  ASSERT_EQ(o.port, 1);
  EXPECT_TRUE(std::equal(kRouterMac.bytes.begin(), kRouterMac.bytes.end(), o.frame.begin() + 22));
  EXPECT_EQ(o.frame, golden("arp_reply_blue_gateway", o.frame,
                            "ARP reply for Blue's gateway 10.1.1.254 with the virtual router MAC"));
}

TEST_F(Tx, ArpForUnknownAddressIsDroppedAndCounted) {
  EXPECT_EQ(tx(1, arp_request(kBlue1, "10.1.1.1", "10.1.1.99")).port, kDropPort);
  EXPECT_EQ(tx(1, arp_request(kBlue1, "10.1.1.1", "10.1.2.3")).port, kDropPort);  // other VSID
  EXPECT_EQ(dp->drops(DropReason::UnknownArp), 2u);
  EXPECT_EQ(dp->port_counters(1).dropped, 2u);
}

TEST_F(Tx, NeighborSolicitationIsAnswered) {
  Out o = tx(1, neighbor_solicitation(kBlue1, "fd00:30::1", "fd00:30::2"));
  ASSERT_EQ(o.port, 1);
  EXPECT_EQ(o.frame, golden("na_blue_fd00_30__2", o.frame,
                            "Neighbour advertisement for fd00:30::2 to fd00:30::1 (Blue)"));
  ASSERT_EQ(o.frame.size(), 86u);
  EXPECT_EQ(o.frame[54], 136);
  EXPECT_EQ(o.frame[58], 0x60);  // solicited + override, not router
  // ICMPv6 checksum verifies over the pseudo header.
  IpAddress s = ip("fd00:30::2"), d = ip("fd00:30::1");
  EXPECT_EQ(inet_checksum(o.frame.data() + 54, 32, pseudo_sum(s, d, 58, 32)), 0);
  Out g = tx(1, neighbor_solicitation(kBlue1, "fd00:30::1", "fd00:30::fe"));
  ASSERT_EQ(g.port, 1);
  EXPECT_EQ(g.frame[58], 0xE0);  // router flag for the gateway
  EXPECT_TRUE(std::equal(kRouterMac.bytes.begin(), kRouterMac.bytes.end(), g.frame.begin() + 80));
}

TEST_F(Tx, EncapsulatesPerRfc7637) {
  Bytes in = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  Out o = tx(1, in);
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(o.frame,
            golden("encap_blue_ipv4", o.frame,
                   "Blue 10.1.1.1 -> 10.1.1.2: NVGRE over IPv4, VSID 30, FlowID from hash"));
  ASSERT_EQ(o.frame.size(), in.size() + 42);
  EXPECT_TRUE(std::equal(kHost2Mac.bytes.begin(), kHost2Mac.bytes.end(), o.frame.begin()));
  EXPECT_TRUE(
      std::equal(kProviderMac.bytes.begin(), kProviderMac.bytes.end(), o.frame.begin() + 6));
  EXPECT_EQ(rd16(o.frame, 12), 0x0800);
  EXPECT_EQ(o.frame[14], 0x45);
  EXPECT_EQ(rd16(o.frame, 16), in.size() + 28);  // total length
  EXPECT_EQ(rd16(o.frame, 20), 0x4000);          // DF, no fragment
  EXPECT_EQ(o.frame[22], 64);                    // TTL
  EXPECT_EQ(o.frame[23], 47);                    // GRE
  EXPECT_EQ(inet_checksum(o.frame.data() + 14, 20), 0);
  EXPECT_EQ(rd32(o.frame, 26), 0xC0A8010Bu);  // 192.168.1.11
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A8010Cu);  // 192.168.1.12
  EXPECT_EQ(rd16(o.frame, 34), 0x2000);
  EXPECT_EQ(rd16(o.frame, 36), 0x6558);
  EXPECT_EQ(rd32(o.frame, 38) >> 8, 30u);
  EXPECT_TRUE(std::equal(in.begin(), in.end(), o.frame.begin() + 42));
  auto v = dp->vsid_counters(30);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->encapsulated.packets, 1u);
  EXPECT_EQ(v->encapsulated.bytes, o.frame.size());
  EXPECT_EQ(dp->port_counters(1).from_vm.packets, 1u);
}

TEST_F(Tx, FlowIdComesFromTheFiveTupleOrIsZero) {
  std::set<uint8_t> ids;
  uint8_t first = 0;
  for (uint16_t sport = 1000; sport < 1064; ++sport) {
    Out o = tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", sport));
    ASSERT_EQ(o.port, kProviderPort);
    ids.insert(o.frame[41]);
    if (sport == 1000) first = o.frame[41];
  }
  EXPECT_GT(ids.size(), 20u);  // entropy across flows
  // Same flow, same FlowID.
  EXPECT_EQ(tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", 1000)).frame[41], first);

  PolicyChange c;
  DatapathSettings st = dp->settings();
  st.flow_id_zero = true;
  c.settings = st;
  dp->apply(c);
  for (uint16_t sport = 1000; sport < 1016; ++sport) {
    Out o = tx(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", sport));
    EXPECT_EQ(rd32(o.frame, 38), 30u << 8);
  }
}

TEST_F(Tx, TenantsAreIsolated) {
  // Red's VM addresses the same CA as Blue's VM2: it reaches Red's record (VSID 20 key) only.
  Out o = tx(2, udp4_frame(kRed2, kRed1, "10.1.1.1", "10.1.1.2"));
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(rd32(o.frame, 38) >> 8, 20u);
  // Red sending to Blue's MAC is still looked up in Red's VSID by IP; a non-IP frame to Blue's
  // MAC finds nothing in VSID 20.
  Bytes l2 = ethernet(kBlue2, kRed1, 0x88B5, payload(46));
  EXPECT_EQ(tx(2, l2).port, kDropPort);
  // Red cannot reach Green or Blue2 through the router: other routing domains.
  EXPECT_EQ(tx(2, udp4_frame(kRouterMac, kRed1, "10.1.1.1", "10.1.2.3")).port, kDropPort);
  EXPECT_EQ(tx(2, udp4_frame(kRouterMac, kRed1, "10.1.1.1", "10.1.3.3")).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::NoRoute), 2u);
}

TEST_F(Tx, DistributedRoutingWithinTheRoutingDomain) {
  Bytes in = udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.2.3", 1000, 2000, 18, 64);
  Out o = tx(1, in);
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(o.frame, golden("encap_blue_routed_to_vsid31", o.frame,
                            "Blue 10.1.1.1 -> 10.1.2.3 via the distributed router: VSID 31, MACs "
                            "rewritten, TTL 63"));
  EXPECT_EQ(rd32(o.frame, 38) >> 8, 31u);
  const uint8_t* inner = o.frame.data() + 42;
  EXPECT_TRUE(std::equal(kBlue2x3.bytes.begin(), kBlue2x3.bytes.end(), inner));
  EXPECT_TRUE(std::equal(kRouterMac.bytes.begin(), kRouterMac.bytes.end(), inner + 6));
  EXPECT_EQ(inner[14 + 8], 63);
  EXPECT_EQ(inet_checksum(inner + 14, 20), 0);
  // Blue -> Green (another routing domain) is not routed.
  EXPECT_EQ(tx(1, udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.3.3")).port, kDropPort);
}

// A routed packet whose TTL would reach 0 is answered with ICMP time exceeded from the sender's
// gateway, quoting the packet as it arrived; it is not forwarded.
TEST_F(Tx, RoutedPacketWithTtlOneGetsTimeExceeded) {
  Bytes in = udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.2.3", 1, 2, 18, 1);
  Out o = tx(1, in);
  ASSERT_EQ(o.port, 1);
  ASSERT_EQ(o.frame.size(), 14u + 20u + 8u + (in.size() - 14));
  EXPECT_TRUE(std::equal(kBlue1.bytes.begin(), kBlue1.bytes.end(), o.frame.begin()));
  EXPECT_TRUE(std::equal(kRouterMac.bytes.begin(), kRouterMac.bytes.end(), o.frame.begin() + 6));
  EXPECT_EQ(rd16(o.frame, 12), 0x0800);
  EXPECT_EQ(o.frame[23], 1);                  // ICMP
  EXPECT_EQ(rd32(o.frame, 26), 0x0A0101FEu);  // from Blue's gateway 10.1.1.254
  EXPECT_EQ(rd32(o.frame, 30), 0x0A010101u);  // to 10.1.1.1
  EXPECT_EQ(o.frame[34], 11);                 // time exceeded
  EXPECT_EQ(o.frame[35], 0);                  // in transit
  EXPECT_EQ(rd32(o.frame, 38), 0u);
  EXPECT_EQ(inet_checksum(o.frame.data() + 14, 20), 0);
  EXPECT_EQ(inet_checksum(o.frame.data() + 34, o.frame.size() - 34), 0);
  EXPECT_TRUE(std::equal(in.begin() + 14, in.end(), o.frame.begin() + 42));  // TTL still 1
  EXPECT_EQ(dp->drops(DropReason::TtlExpired), 1u);
  EXPECT_EQ(dp->port_counters(1).to_vm.packets, 1u);
  EXPECT_EQ(dp->vsid_counters(31)->encapsulated.packets, 0u);
  // TTL 2 is still forwarded (with TTL 1).
  Out fwd = tx(1, udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.2.3", 1, 2, 18, 2));
  ASSERT_EQ(fwd.port, kProviderPort);
  EXPECT_EQ(fwd.frame[42 + 14 + 8], 1);
}

TEST_F(Tx, RoutedIpv6PacketWithHopLimitOneGetsTimeExceeded) {
  IpAddress a = ip("fd00:30::1"), b = ip("fd00:30::2");
  Bytes in = ethernet(kRouterMac, kBlue1, 0x86DD, ipv6(a, b, 17, udp(a, b, 1, 2, payload(18)), 1));
  Out o = tx(1, in);
  ASSERT_EQ(o.port, 1);
  ASSERT_EQ(o.frame.size(), 14u + 40u + 8u + (in.size() - 14));
  EXPECT_EQ(o.frame[20], 58);  // ICMPv6
  EXPECT_EQ(o.frame[21], 255);
  EXPECT_EQ(o.frame[54], 3);  // time exceeded
  EXPECT_EQ(o.frame[55], 0);  // hop limit exceeded in transit
  IpAddress s = ip("fd00:30::fe");
  EXPECT_TRUE(std::equal(s.bytes.begin(), s.bytes.end(), o.frame.begin() + 22));
  EXPECT_TRUE(std::equal(a.bytes.begin(), a.bytes.end(), o.frame.begin() + 38));
  EXPECT_EQ(inet_checksum(o.frame.data() + 54, o.frame.size() - 54,
                          pseudo_sum(s, a, 58, o.frame.size() - 54)),
            0);
  EXPECT_TRUE(std::equal(in.begin() + 14, in.end(), o.frame.begin() + 62));
  EXPECT_EQ(dp->drops(DropReason::TtlExpired), 1u);
  // Hop limit 2 is forwarded with 1.
  Bytes ok = ethernet(kRouterMac, kBlue1, 0x86DD, ipv6(a, b, 17, udp(a, b, 1, 2, payload(18)), 2));
  Out fwd = tx(1, ok);
  ASSERT_EQ(fwd.port, kProviderPort);
  EXPECT_EQ(fwd.frame[42 + 14 + 7], 1);
}

TEST_F(Tx, LocalDeliveryWithoutEncapsulation) {
  Bytes in = udp4_frame(kBlue4, kBlue1, "10.1.1.1", "10.1.1.4");
  Out o = tx(1, in);
  EXPECT_EQ(o.port, 3);
  EXPECT_EQ(o.frame, in);
  EXPECT_EQ(dp->vsid_counters(30)->local.packets, 1u);
  EXPECT_EQ(dp->port_counters(3).to_vm.packets, 1u);
}

TEST_F(Tx, BroadcastAndUnknownUnicastAreDroppedNotFlooded) {
  EXPECT_EQ(tx(1, udp4_frame(mac("ff:ff:ff:ff:ff:ff"), kBlue1, "10.1.1.1", "10.1.1.255")).port,
            kDropPort);
  EXPECT_EQ(tx(1, udp4_frame(mac("01:00:5e:00:00:fb"), kBlue1, "10.1.1.1", "224.0.0.251")).port,
            kDropPort);
  EXPECT_EQ(dp->drops(DropReason::Broadcast), 2u);
  EXPECT_EQ(tx(1, udp4_frame(mac("00:15:5d:00:30:99"), kBlue1, "10.1.1.1", "10.1.1.99")).port,
            kDropPort);
  EXPECT_EQ(tx(1, ethernet(mac("00:15:5d:00:30:99"), kBlue1, 0x88B5, payload(46))).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::UnknownDestination), 2u);
  EXPECT_EQ(dp->vsid_counters(30)->dropped, 4u);
  EXPECT_EQ(tx(9, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2")).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::UnknownPort), 1u);
}

TEST_F(Tx, CustomerVlanTagIsStripped) {
  Bytes plain = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  Bytes tagged(plain.begin(), plain.begin() + 12);
  add16(tagged, 0x8100);
  add16(tagged, 0x0064);
  tagged.insert(tagged.end(), plain.begin() + 12, plain.end());
  Out o = tx(1, tagged);
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), o.frame.begin() + 42));
  EXPECT_EQ(o.frame.size(), plain.size() + 42);
}

TEST_F(Tx, IcmpFragNeededWhenFramePlusOverheadExceedsMtu) {
  // 1500-byte IP packet + 42 > 1500: too big.
  Bytes big = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", 1000, 2000, 1500 - 28);
  Out o = tx(1, big);
  ASSERT_EQ(o.port, 1);
  EXPECT_EQ(o.frame,
            golden("icmp_frag_needed_blue", o.frame,
                   "ICMP fragmentation needed (MTU 1458) from Blue's gateway to 10.1.1.1"));
  EXPECT_EQ(o.frame[23], 1);  // ICMP
  EXPECT_EQ(o.frame[34], 3);  // destination unreachable
  EXPECT_EQ(o.frame[35], 4);  // fragmentation needed
  EXPECT_EQ(rd16(o.frame, 40), 1458);
  EXPECT_EQ(rd32(o.frame, 26), 0x0A0101FEu);  // from the gateway 10.1.1.254
  EXPECT_EQ(rd32(o.frame, 30), 0x0A010101u);
  EXPECT_EQ(o.frame.size(), 14u + 576u);
  EXPECT_EQ(inet_checksum(o.frame.data() + 14, 20), 0);
  EXPECT_EQ(inet_checksum(o.frame.data() + 34, o.frame.size() - 34), 0);
  EXPECT_TRUE(std::equal(big.begin() + 14, big.begin() + 14 + 548, o.frame.begin() + 42));
  // Exactly at the limit still goes out.
  Bytes fits = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", 1000, 2000, 1458 - 28);
  Out f = tx(1, fits);
  EXPECT_EQ(f.port, kProviderPort);
  EXPECT_EQ(rd16(f.frame, 16), 1500);
  // Without DF the frame is dropped and counted.
  Bytes nodf = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", 1000, 2000, 1500 - 28, 64, false);
  EXPECT_EQ(tx(1, nodf).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::TooBig), 2u);
}

TEST_F(Tx, Icmpv6PacketTooBig) {
  Bytes big = udp6_frame(kBlue2, kBlue1, "fd00:30::1", "fd00:30::2", 1000, 2000, 1500 - 48);
  Out o = tx(1, big);
  ASSERT_EQ(o.port, 1);
  EXPECT_EQ(o.frame[20], 58);
  EXPECT_EQ(o.frame[54], 2);
  EXPECT_EQ(rd32(o.frame, 58), 1458u);
  EXPECT_EQ(o.frame.size(), 14u + 1280u);
  IpAddress s = ip("fd00:30::fe"), d = ip("fd00:30::1");
  EXPECT_EQ(inet_checksum(o.frame.data() + 54, o.frame.size() - 54,
                          pseudo_sum(s, d, 58, o.frame.size() - 54)),
            0);
}

TEST_F(Tx, Ipv6CustomerOverIpv6Provider) {
  PolicyChange c;
  c.upsert_provider_addresses = {{ip("fd99::11"), 64}};
  c.upsert_neighbors = {{ip("fd99::12"), kHost2Mac}};
  c.upsert_records = {record(30, "fd00:30::2", "fd99::12", kBlue2),
                      record(30, "10.1.1.2", "fd99::12", kBlue2)};
  dp->apply(c);
  Bytes in = udp6_frame(kBlue2, kBlue1, "fd00:30::1", "fd00:30::2");
  Out o = tx(1, in);
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(o.frame, golden("encap_blue_ipv6_over_ipv6", o.frame,
                            "Blue fd00:30::1 -> fd00:30::2: NVGRE over IPv6, VSID 30"));
  ASSERT_EQ(o.frame.size(), in.size() + 62);
  EXPECT_EQ(rd16(o.frame, 12), 0x86DD);
  EXPECT_EQ(rd16(o.frame, 18), in.size() + 8);  // payload length
  EXPECT_EQ(o.frame[20], 47);
  EXPECT_EQ(o.frame[21], 64);
  EXPECT_EQ(rd16(o.frame, 54), 0x2000);
  EXPECT_EQ(rd16(o.frame, 56), 0x6558);
  EXPECT_EQ(rd32(o.frame, 58) >> 8, 30u);
}

TEST_F(Tx, NatRecordsRewriteAddressesWithoutEncapsulation) {
  PolicyChange c;
  c.upsert_subnets = {{50, "nat", {}}};
  c.upsert_records = {record(50, "10.5.0.1", "192.168.1.21", mac("00:15:5d:00:50:01"), Rule::Nat),
                      record(50, "10.5.0.2", "192.168.1.22", mac("00:15:5d:00:50:02"), Rule::Nat)};
  c.upsert_provider_addresses = {{ip("192.168.1.21"), 24}};
  c.upsert_neighbors = {{ip("192.168.1.22"), kHost2Mac}};
  c.upsert_ports = {{4, mac("00:15:5d:00:50:01"), 50}};
  dp->apply(c);
  Bytes in = udp4_frame(mac("00:15:5d:00:50:02"), mac("00:15:5d:00:50:01"), "10.5.0.1", "10.5.0.2");
  Out o = tx(4, in);
  ASSERT_EQ(o.port, kProviderPort);
  ASSERT_EQ(o.frame.size(), in.size());
  EXPECT_EQ(rd32(o.frame, 26), 0xC0A80115u);  // 192.168.1.21
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A80116u);  // 192.168.1.22
  EXPECT_EQ(inet_checksum(o.frame.data() + 14, 20), 0);
  IpAddress s = ip("192.168.1.21"), d = ip("192.168.1.22");
  size_t l4 = o.frame.size() - 34;
  EXPECT_EQ(inet_checksum(o.frame.data() + 34, l4, pseudo_sum(s, d, 17, l4)), 0);

  // And back: host 2 sends PA->PA, this host restores the customer addresses.
  Bytes back = udp4_frame(kProviderMac, kHost2Mac, "192.168.1.22", "192.168.1.21");
  Out r = rx(back);
  ASSERT_EQ(r.port, 4);
  EXPECT_EQ(rd32(r.frame, 26), 0x0A050002u);
  EXPECT_EQ(rd32(r.frame, 30), 0x0A050001u);
  EXPECT_EQ(inet_checksum(r.frame.data() + 14, 20), 0);
  IpAddress cs = ip("10.5.0.2"), cd = ip("10.5.0.1");
  EXPECT_EQ(inet_checksum(r.frame.data() + 34, l4, pseudo_sum(cs, cd, 17, l4)), 0);
}

TEST_F(Tx, GatewayWildcardCatchesUnknownDestinations) {
  PolicyChange c;
  c.upsert_records = {record(30, "0.0.0.0", "192.168.1.12", mac("00:15:5d:00:30:99"), Rule::Encap,
                             RecordType::GatewayWildcard)};
  c.upsert_customer_routes = {{"blue", 30, prefix("0.0.0.0/0"), {}, 0}};
  dp->apply(c);
  // Off-subnet destination through the router lands at the gateway VM.
  Out o = tx(1, udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "8.8.8.8"));
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(rd32(o.frame, 30), 0xC0A8010Cu);
  EXPECT_EQ(o.frame[42 + 5], 0x99);  // inner destination MAC: the gateway VM
}

TEST_F(Tx, AGatewayAddressIsNotForwarded) {
  EXPECT_EQ(tx(1, udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.1.254")).port, kDropPort);
  EXPECT_EQ(dp->drops(DropReason::ToGateway), 1u);
}

TEST_F(Tx, UnreachableProviderAddressIsCounted) {
  PolicyChange c;
  c.upsert_records = {record(30, "10.1.1.60", "172.16.0.9", mac("00:15:5d:00:30:60"))};
  dp->apply(c);
  EXPECT_EQ(tx(1, udp4_frame(mac("00:15:5d:00:30:60"), kBlue1, "10.1.1.1", "10.1.1.60")).port,
            kDropPort);
  EXPECT_EQ(dp->drops(DropReason::NoProviderRoute), 1u);
  // A provider route via 192.168.1.1 (a known neighbour) makes it reachable.
  c = {};
  c.upsert_provider_routes = {{prefix("172.16.0.0/12"), ip("192.168.1.1"), 0}};
  c.upsert_neighbors = {{ip("192.168.1.1"), mac("02:aa:00:00:00:01")}};
  dp->apply(c);
  Out o = tx(1, udp4_frame(mac("00:15:5d:00:30:60"), kBlue1, "10.1.1.1", "10.1.1.60"));
  ASSERT_EQ(o.port, kProviderPort);
  EXPECT_EQ(o.frame[5], 0x01);  // next-hop MAC
  EXPECT_EQ(rd32(o.frame, 30), 0xAC100009u);
}

TEST_F(Tx, BatchOfMixedFrames) {
  std::vector<Bytes> frames = {
      udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"),
      arp_request(kBlue1, "10.1.1.1", "10.1.1.4"),
      udp4_frame(kBlue4, kBlue1, "10.1.1.1", "10.1.1.4"),
      udp4_frame(mac("ff:ff:ff:ff:ff:ff"), kBlue1, "10.1.1.1", "10.1.1.255"),
      udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.2.3"),
  };
  std::vector<uint8_t> buf(kBufferSize * 40);
  std::vector<Packet> pk;
  for (size_t i = 0; i < 40; ++i) {
    const Bytes& f = frames[i % frames.size()];
    Packet p{buf.data() + i * kBufferSize, kBufferSize, kHeadroom, uint32_t(f.size()), kDropPort};
    std::copy(f.begin(), f.end(), p.data());
    pk.push_back(p);
  }
  worker->transmit(1, pk);
  PortId expect[] = {kProviderPort, 1, 3, kDropPort, kProviderPort};
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(pk[i].port, expect[i % 5]) << i;
}

}  // namespace
}  // namespace cimnet::dataplane::test

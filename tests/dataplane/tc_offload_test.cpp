// The tc fast path against the userspace rules, frame by frame: host 1 of the two-tenant example
// is loaded into a Datapath and mirrored into the BPF maps (TcOffload, not attached); every frame
// is run through a BPF program (BPF_PROG_TEST_RUN) and through the Worker. What the fast path
// forwards must come out byte for byte as the Worker makes it (FlowID included); everything else
// must be passed on unchanged (TC_ACT_OK). Needs root (BPF, a network namespace of its own for
// three veth VM port interfaces); skipped with a message otherwise.

#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <tuple>

#include "cimnet/dataplane/io/tc_offload.h"
#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

bool g_ready = false;
std::string g_why;

// Once per process: a network namespace of its own with veth interfaces for ports 1..3.
void prepare() {
  static bool done = false;
  if (done) return;
  done = true;
  if (!TcOffload::available(&g_why)) return;
  if (geteuid() != 0) {
    g_why = "needs root (BPF programs and a network namespace)";
    return;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    g_why = "cannot create a network namespace";
    return;
  }
  if (std::system("ip link set lo up && ip link add cdt1 type veth peer cdt1p && "
                  "ip link add cdt2 type veth peer cdt2p "
                  "&& ip link add cdt3 type veth peer cdt3p") != 0) {
    g_why = "cannot create veth interfaces";
    return;
  }
  g_ready = true;
}

uint32_t ifindex(const char* name) {
  return if_nametoindex(name);
}

// A VM that moved to another host (its own MAC: records sharing a MAC share the PA).
const MacAddress kMoved = mac("00:15:5d:00:30:22");

class TcFast : public HostFixture {
 protected:
  void SetUp() override {
    prepare();
    if (!g_ready) GTEST_SKIP() << "SKIPPED: tc offload test: " << g_why;
    TcOffloadOptions o;
    o.provider_interface = "lo";
    o.port_interfaces = {{1, "cdt1"}, {2, "cdt2"}, {3, "cdt3"}};
    o.attach = false;
    o.max_records = 1024;
    try {
      offload = TcOffload::attach(*dp, o);
    } catch (const IoError& e) {
      GTEST_SKIP() << "SKIPPED: BPF unavailable here: " << e.what();
    }
  }

  // The frame from VM port `port` through the tc program.
  TcOffload::TestRun fast_tx(PortId port, const Bytes& frame) {
    const char* names[] = {"", "cdt1", "cdt2", "cdt3"};
    return offload->test_vm_port(ifindex(names[port]), frame);
  }
  // Expects the fast path to forward `frame` exactly as the Worker does.
  void expect_same_as_worker(PortId port, const Bytes& frame, PortId expect_to) {
    TcOffload::TestRun f = fast_tx(port, frame);
    Out w = tx(port, frame);
    EXPECT_EQ(f.verdict, TC_ACT_REDIRECT);
    EXPECT_EQ(w.port, expect_to);
    EXPECT_EQ(to_hex(f.frame), to_hex(w.frame));
  }
  // Expects the fast path to leave `frame` alone for the userspace datapath.
  void expect_passed(PortId port, const Bytes& frame) {
    TcOffload::TestRun f = fast_tx(port, frame);
    EXPECT_EQ(f.verdict, TC_ACT_OK);
    EXPECT_EQ(to_hex(f.frame), to_hex(frame));
  }

  std::unique_ptr<TcOffload> offload;
};

TEST_F(TcFast, EncapsulatesExactlyAsTheWorker) {
  for (uint16_t sport : {1000, 1001, 4242, 65535})
    expect_same_as_worker(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", sport),
                          kProviderPort);
  expect_same_as_worker(2, udp4_frame(kRed2, kRed1, "10.1.1.1", "10.1.1.2", 7), kProviderPort);
  expect_same_as_worker(1, udp6_frame(kBlue2, kBlue1, "fd00:30::1", "fd00:30::2", 9),
                        kProviderPort);
  // The destination MAC of an IP frame does not matter (lookup by address), as in the Worker.
  expect_same_as_worker(1, udp4_frame(kBlue4, kBlue1, "10.1.1.1", "10.1.1.2"), kProviderPort);
  auto c = offload->vsid_counters(30);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->encapsulated.packets, 6u);
  EXPECT_EQ(offload->port_counters(1).from_vm.packets, 6u);
  EXPECT_EQ(offload->vsid_counters(20)->encapsulated.packets, 1u);
}

TEST_F(TcFast, DeliversLocallyWithoutEncapsulation) {
  Bytes in = udp4_frame(kBlue4, kBlue1, "10.1.1.1", "10.1.1.4");
  expect_same_as_worker(1, in, 3);
  EXPECT_EQ(offload->vsid_counters(30)->local.packets, 1u);
  EXPECT_EQ(offload->port_counters(3).to_vm.packets, 1u);
}

TEST_F(TcFast, LeavesEverythingElseToTheUserspaceDatapath) {
  expect_passed(1, arp_request(kBlue1, "10.1.1.1", "10.1.1.2"));
  expect_passed(1, neighbor_solicitation(kBlue1, "fd00:30::1", "fd00:30::2"));
  expect_passed(1, udp4_frame(kRouterMac, kBlue1, "10.1.1.1", "10.1.2.3"));  // routed
  expect_passed(1, udp4_frame(mac("ff:ff:ff:ff:ff:ff"), kBlue1, "10.1.1.1", "10.1.1.255"));
  expect_passed(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.99"));   // no record
  expect_passed(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.254"));  // gateway address
  expect_passed(2, udp4_frame(kBlue2, kRed1, "10.1.1.1", "10.1.2.3"));     // not in Red's VSID
  // Too big once encapsulated: the Worker answers with ICMP fragmentation needed.
  Bytes big = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", 1, 2, 1500 - 28 - 42 + 1);
  expect_passed(1, big);
  EXPECT_EQ(tx(1, big).port, 1);
  expect_same_as_worker(1, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", 1, 2, 1500 - 28 - 42),
                        kProviderPort);
  // 802.1Q-tagged frames.
  Bytes tagged = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  tagged.insert(tagged.begin() + 12, {0x81, 0x00, 0x00, 0x05});
  expect_passed(1, tagged);
  EXPECT_GT(offload->stats().tx_passed, 0u);
}

TEST_F(TcFast, DecapsulatesExactlyAsTheWorker) {
  Bytes inner = udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1");
  Bytes outer = nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 0x17, inner);
  TcOffload::TestRun f = offload->test_provider(outer);
  Out w = rx(outer);
  EXPECT_EQ(f.verdict, TC_ACT_REDIRECT);
  EXPECT_EQ(w.port, 1);
  EXPECT_EQ(to_hex(f.frame), to_hex(inner));
  EXPECT_EQ(to_hex(w.frame), to_hex(inner));
  EXPECT_EQ(offload->vsid_counters(30)->decapsulated.packets, 1u);
  EXPECT_EQ(offload->port_counters(1).to_vm.packets, 1u);
}

TEST_F(TcFast, PassesProviderFramesItCannotVouchFor) {
  auto passed = [&](const Bytes& frame) {
    TcOffload::TestRun f = offload->test_provider(frame);
    EXPECT_EQ(f.verdict, TC_ACT_OK);
    EXPECT_EQ(to_hex(f.frame), to_hex(frame));
  };
  Bytes inner = udp4_frame(kBlue1, kBlue2, "10.1.1.2", "10.1.1.1");
  // Spoofed: the inner source's record is at 192.168.1.12, not .13.
  passed(nvgre4(kProviderMac, kHost2Mac, "192.168.1.13", "192.168.1.11", 30, 1, inner));
  // Red's 10.1.1.2 in Blue's VSID from the right PA, but Blue's MAC is not Red's: the
  // destination MAC is unknown in VSID 20.
  passed(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 20, 1, inner));
  passed(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 99, 1, inner));
  passed(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 1, inner, 0x3000));
  passed(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.99", 30, 1, inner));
  passed(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 1, inner, 0x2000,
                0x6558, true));
  passed(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 1,
                udp4_frame(mac("ff:ff:ff:ff:ff:ff"), kBlue2, "10.1.1.2", "10.1.1.255")));
  passed(arp_request(kHost2Mac, "192.168.1.12", "192.168.1.11"));
}

TEST_F(TcFast, MapsFollowPolicyChanges) {
  Bytes to2 = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2");
  PolicyChange rm;
  rm.remove_records = {RecordKey{30, ip("10.1.1.2"), {}}};
  dp->apply(rm);
  expect_passed(1, to2);
  // Back at another PA of the provider subnet with no known neighbour: not reachable yet.
  PolicyChange add;
  add.upsert_records = {record(30, "10.1.1.2", "192.168.1.13", kMoved)};
  dp->apply(add);
  expect_passed(1, to2);
  PolicyChange nb;
  nb.upsert_neighbors = {{ip("192.168.1.13"), mac("02:aa:00:00:00:13")}};
  dp->apply(nb);
  expect_same_as_worker(1, to2, kProviderPort);
  EXPECT_EQ(fast_tx(1, to2).frame[33], 13);  // outer destination 192.168.1.13
  // FlowID 0 when the settings say so.
  PolicyChange st;
  st.settings = dp->settings();
  st.settings->flow_id_zero = true;
  dp->apply(st);
  expect_same_as_worker(1, to2, kProviderPort);
  EXPECT_EQ(fast_tx(1, to2).frame[41], 0);
  // A Nat record is not the fast path's business.
  PolicyChange nat;
  nat.upsert_records = {record(30, "10.1.1.2", "192.168.1.13", kMoved, Rule::Nat)};
  dp->apply(nat);
  expect_passed(1, to2);
  // Local delivery stops with the port.
  Bytes to4 = udp4_frame(kBlue4, kBlue1, "10.1.1.1", "10.1.1.4");
  expect_same_as_worker(1, to4, 3);
  PolicyChange port;
  port.remove_ports = {3};
  dp->apply(port);
  expect_passed(1, to4);
  EXPECT_TRUE(offload->enabled());
  EXPECT_EQ(offload->last_error(), "");
}

// Maps too small for the policy: records that do not fit stay on the slow path (passed on),
// never forwarded on anything but their own entry.
TEST_F(TcFast, RecordsBeyondTheMapSizeStayOnTheSlowPath) {
  offload.reset();
  TcOffloadOptions o;
  o.provider_interface = "lo";
  o.port_interfaces = {{1, "cdt1"}, {2, "cdt2"}, {3, "cdt3"}};
  o.attach = false;
  o.max_records = 2;  // host 1 has 6 IPv4 records
  offload = TcOffload::attach(*dp, o);
  size_t forwarded = 0, passed = 0;
  for (auto [port, from, to, dst] :
       {std::tuple{1, kBlue1, kBlue2, "10.1.1.2"}, std::tuple{1, kBlue1, kBlue4, "10.1.1.4"},
        std::tuple{2, kRed1, kRed2, "10.1.1.2"}}) {
    Bytes in = udp4_frame(to, from, "10.1.1.1", dst);
    TcOffload::TestRun f = fast_tx(PortId(port), in);
    if (f.verdict == TC_ACT_REDIRECT) {
      ++forwarded;
      EXPECT_EQ(to_hex(f.frame), to_hex(tx(PortId(port), in).frame));
    } else {
      ++passed;
      EXPECT_EQ(f.verdict, TC_ACT_OK);
      EXPECT_EQ(to_hex(f.frame), to_hex(in));
    }
  }
  EXPECT_GT(passed, 0u);
  EXPECT_TRUE(offload->enabled()) << offload->last_error();
}

// IPv6 provider addresses: the 62-byte outer header both ways.
TEST_F(TcFast, Ipv6ProviderAddressesBothWays) {
  const MacAddress kPeer6 = mac("02:aa:00:00:00:66"), kV6vm = mac("00:15:5d:00:30:66");
  PolicyChange c;
  c.upsert_provider_addresses = {{ip("fd00:99::11"), 64}};
  c.upsert_neighbors = {{ip("fd00:99::12"), kPeer6}};
  c.upsert_records = {record(30, "10.1.1.6", "fd00:99::12", kV6vm)};
  dp->apply(c);
  Bytes out4 = udp4_frame(kV6vm, kBlue1, "10.1.1.1", "10.1.1.6", 5);
  expect_same_as_worker(1, out4, kProviderPort);
  TcOffload::TestRun f = fast_tx(1, out4);
  ASSERT_EQ(f.frame.size(), out4.size() + 62);
  EXPECT_EQ(rd16(f.frame, 12), 0x86DD);
  EXPECT_EQ(rd16(f.frame, 18), out4.size() + 8);  // payload length: GRE + inner frame
  EXPECT_EQ(rd32(f.frame, 58) >> 8, 30u);

  // Back from fd00:99::12: decapsulated for port 1.
  Bytes inner = udp4_frame(kBlue1, kV6vm, "10.1.1.6", "10.1.1.1");
  Bytes gre;
  add16(gre, 0x2000);
  add16(gre, 0x6558);
  add32(gre, 30u << 8 | 3);
  add(gre, inner);
  Bytes outer =
      ethernet(kProviderMac, kPeer6, 0x86DD, ipv6(ip("fd00:99::12"), ip("fd00:99::11"), 47, gre));
  TcOffload::TestRun r = offload->test_provider(outer);
  Out w = rx(outer);
  EXPECT_EQ(r.verdict, TC_ACT_REDIRECT);
  EXPECT_EQ(w.port, 1);
  EXPECT_EQ(to_hex(r.frame), to_hex(inner));
  // From another IPv6 PA: the record says fd00:99::12, so it is not vouched for.
  Bytes spoofed =
      ethernet(kProviderMac, kPeer6, 0x86DD, ipv6(ip("fd00:99::13"), ip("fd00:99::11"), 47, gre));
  EXPECT_EQ(offload->test_provider(spoofed).verdict, TC_ACT_OK);
}

}  // namespace
}  // namespace cimnet::dataplane::test

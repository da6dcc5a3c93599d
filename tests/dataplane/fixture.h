#pragma once
// Host 1 of the classic HNV two-tenant example, as a datapath fixture.
//
//   host 1: PA 192.168.1.11/24, host 2: PA 192.168.1.12 (neighbour 02:aa:00:00:00:12)
//   Blue  VSID 30 (domain "blue"):  10.1.1.1 (port 1, here), 10.1.1.2 (host 2), 10.1.1.4 (port 3, here)
//   Blue2 VSID 31 (domain "blue"):  10.1.2.3 (host 2)               gateway 10.1.2.254
//   Red   VSID 20 (domain "red"):   10.1.1.1 (port 2, here), 10.1.1.2 (host 2)
//   Green VSID 40 (domain "green"): 10.1.3.3 (host 2)
//   Blue also has IPv6: fd00:30::1 (port 1), fd00:30::2 (host 2); gateways 10.1.1.254, fd00:30::fe

#include <gtest/gtest.h>

#include <memory>

#include "cimnet/dataplane/datapath.h"
#include "frames.h"

namespace cimnet::dataplane::test {

inline const MacAddress kRouterMac = mac("02:00:5e:00:01:01");
inline const MacAddress kProviderMac = mac("02:aa:00:00:00:11");
inline const MacAddress kHost2Mac = mac("02:aa:00:00:00:12");
inline const MacAddress kBlue1 = mac("00:15:5d:00:30:01");
inline const MacAddress kBlue2 = mac("00:15:5d:00:30:02");
inline const MacAddress kBlue4 = mac("00:15:5d:00:30:04");
inline const MacAddress kBlue2x3 = mac("00:15:5d:00:31:03");
inline const MacAddress kRed1 = mac("00:15:5d:00:20:01");
inline const MacAddress kRed2 = mac("00:15:5d:00:20:02");
inline const MacAddress kGreen3 = mac("00:15:5d:00:40:03");

inline LookupRecord record(uint32_t vsid, const char* ca, const char* pa, const MacAddress& m,
                           Rule rule = Rule::Encap, RecordType type = RecordType::Static) {
  LookupRecord r;
  r.vsid = vsid;
  r.customer = ip(ca);
  r.provider = ip(pa);
  r.mac = m;
  r.rule = rule;
  r.type = type;
  return r;
}

inline PolicyChange two_tenant_host1() {
  PolicyChange c;
  DatapathSettings st;
  st.router_mac = kRouterMac;
  st.provider_mac = kProviderMac;
  st.provider_mtu = 1500;
  c.settings = st;
  c.upsert_provider_addresses = {{ip("192.168.1.11"), 24}};
  c.upsert_neighbors = {{ip("192.168.1.12"), kHost2Mac}};
  c.upsert_subnets = {{30, "blue", {ip("10.1.1.254"), ip("fd00:30::fe")}},
                      {31, "blue", {ip("10.1.2.254")}},
                      {20, "red", {ip("10.1.1.254")}},
                      {40, "green", {ip("10.1.3.254")}}};
  c.upsert_customer_routes = {{"blue", 30, prefix("10.1.1.0/24"), {}, 0},
                              {"blue", 30, prefix("fd00:30::/64"), {}, 0},
                              {"blue", 31, prefix("10.1.2.0/24"), {}, 0},
                              {"red", 20, prefix("10.1.1.0/24"), {}, 0},
                              {"green", 40, prefix("10.1.3.0/24"), {}, 0}};
  c.upsert_records = {record(30, "10.1.1.1", "192.168.1.11", kBlue1),
                      record(30, "10.1.1.2", "192.168.1.12", kBlue2),
                      record(30, "10.1.1.4", "192.168.1.11", kBlue4),
                      record(30, "fd00:30::1", "192.168.1.11", kBlue1),
                      record(30, "fd00:30::2", "192.168.1.12", kBlue2),
                      record(31, "10.1.2.3", "192.168.1.12", kBlue2x3),
                      record(20, "10.1.1.1", "192.168.1.11", kRed1),
                      record(20, "10.1.1.2", "192.168.1.12", kRed2),
                      record(40, "10.1.3.3", "192.168.1.12", kGreen3)};
  c.upsert_ports = {{1, kBlue1, 30}, {2, kRed1, 20}, {3, kBlue4, 30}};
  return c;
}

// A datapath with host 1's policy and helpers that push single frames through it.
class HostFixture : public ::testing::Test {
 protected:
  HostFixture() {
    dp = std::make_unique<Datapath>();
    dp->apply(two_tenant_host1());
    worker = std::make_unique<Worker>(*dp);
  }

  struct Out {
    PortId port = kDropPort;
    Bytes frame;
  };

  Out run(const Bytes& in, bool transmit, PortId from) {
    std::vector<uint8_t> buf(kBufferSize);
    Packet p;
    p.buffer = buf.data();
    p.buffer_size = kBufferSize;
    p.offset = kHeadroom;
    p.length = uint32_t(in.size());
    std::copy(in.begin(), in.end(), buf.begin() + kHeadroom);
    if (transmit) {
      worker->transmit(from, std::span<Packet>(&p, 1));
    } else {
      worker->receive(std::span<Packet>(&p, 1));
    }
    Out o;
    o.port = p.port;
    if (p.port != kDropPort) o.frame.assign(p.data(), p.data() + p.length);
    return o;
  }
  Out tx(PortId from, const Bytes& in) { return run(in, true, from); }
  Out rx(const Bytes& in) { return run(in, false, 0); }

  std::unique_ptr<Datapath> dp;
  std::unique_ptr<Worker> worker;
};

}  // namespace cimnet::dataplane::test

// The in-memory backend and the Runner moving frames between ports.

#include <gtest/gtest.h>

#include "cimnet/dataplane/io/memory_io.h"
#include "cimnet/dataplane/runner.h"
#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

TEST(MemoryIo, RunnerMovesFramesBetweenPorts) {
  Datapath dp;
  dp.apply(two_tenant_host1());
  MemoryIo provider, blue1, red1, blue4;
  Runner runner(dp, provider);
  runner.attach_port(1, blue1);
  runner.attach_port(2, red1);
  runner.attach_port(3, blue4);

  blue1.inject(arp_request(kBlue1, "10.1.1.1", "10.1.1.2"));
  blue1.inject(udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"));
  blue1.inject(udp4_frame(kBlue4, kBlue1, "10.1.1.1", "10.1.1.4"));
  red1.inject(udp4_frame(kRed2, kRed1, "10.1.1.1", "10.1.1.2"));
  provider.inject(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 20, 3,
                         udp4_frame(kRed1, kRed2, "10.1.1.2", "10.1.1.1")));
  provider.inject(nvgre4(kProviderMac, kHost2Mac, "192.168.1.12", "192.168.1.11", 30, 3,
                         udp4_frame(kBlue4, kBlue2, "10.1.1.2", "10.1.1.4")));
  EXPECT_EQ(runner.poll_once(), 6u);
  EXPECT_EQ(runner.poll_once(), 0u);

  auto to_wire = provider.take_sent();
  ASSERT_EQ(to_wire.size(), 2u);
  EXPECT_EQ(rd32(to_wire[0], 38) >> 8, 30u);
  EXPECT_EQ(rd32(to_wire[1], 38) >> 8, 20u);
  auto b1 = blue1.take_sent();
  ASSERT_EQ(b1.size(), 1u);  // the ARP reply
  EXPECT_EQ(rd16(b1[0], 12), 0x0806);
  auto r1 = red1.take_sent();
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0], udp4_frame(kRed1, kRed2, "10.1.1.2", "10.1.1.1"));
  auto b4 = blue4.take_sent();
  ASSERT_EQ(b4.size(), 2u);  // local from port 1, decapsulated from host 2
}

TEST(MemoryIo, LargeBurstIsProcessedInBatches) {
  Datapath dp;
  dp.apply(two_tenant_host1());
  MemoryIo provider, blue1;
  Runner runner(dp, provider);
  runner.attach_port(1, blue1);
  for (int i = 0; i < 100; ++i)
    blue1.inject(udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", uint16_t(1000 + i)));
  size_t rounds = 0;
  while (runner.poll_once() > 0) ++rounds;
  EXPECT_EQ(rounds, 4u);  // 32 + 32 + 32 + 4
  EXPECT_EQ(provider.take_sent().size(), 100u);
  EXPECT_EQ(dp.vsid_counters(30)->encapsulated.packets, 100u);
}

TEST(MemoryIo, RejectsOversizedFrames) {
  MemoryIo io;
  EXPECT_THROW(io.inject(Bytes(kBufferSize)), std::invalid_argument);
  EXPECT_EQ(io.pending(), 0u);
}

}  // namespace
}  // namespace cimnet::dataplane::test

// Segmentation of GSO frames from a virtio_net_hdr port and GRO-like coalescing towards it,
// checked against checksums and headers computed independently (frames.h).

#include <gtest/gtest.h>

#include <random>

#include "cimnet/dataplane/io/gso.h"
#include "fixture.h"

namespace cimnet::dataplane::test {
namespace {

constexpr uint8_t kAck = 0x10, kPsh = 0x08, kFin = 0x01, kCwr = 0x80;

// TCP header (with NOP NOP timestamp options) + data; checksum either complete or partial
// (the folded pseudo-header sum, as a sender with checksum offload leaves it).
Bytes tcp(const IpAddress& s, const IpAddress& d, uint32_t seq, uint8_t flags, const Bytes& data,
          bool partial) {
  Bytes b;
  add16(b, 40000);
  add16(b, 5201);
  add32(b, seq);
  add32(b, 0x01020304);  // ack
  b.push_back(8 << 4);   // 32-byte header
  b.push_back(flags);
  add16(b, 501);  // window
  add16(b, 0);
  add16(b, 0);
  add32(b, 0x0101080a);
  add32(b, 0x11111111);
  add32(b, 0x22222222);
  add(b, data);
  uint32_t ps = pseudo_sum(s, d, 6, b.size());
  uint16_t c;
  if (partial) {
    while (ps >> 16) ps = (ps & 0xffff) + (ps >> 16);
    c = uint16_t(ps);
  } else {
    c = inet_checksum(b.data(), b.size(), ps);
  }
  b[16] = uint8_t(c >> 8);
  b[17] = uint8_t(c);
  return b;
}

Bytes tcp4_frame(uint32_t seq, uint8_t flags, const Bytes& data, bool partial,
                 const char* src = "10.1.1.1") {
  IpAddress a = ip(src), b = ip("10.1.1.2");
  return ethernet(kBlue2, kBlue1, 0x0800, ipv4(a, b, 6, tcp(a, b, seq, flags, data, partial)));
}
Bytes tcp6_frame(uint32_t seq, uint8_t flags, const Bytes& data, bool partial) {
  IpAddress a = ip("fd00:30::1"), b = ip("fd00:30::2");
  return ethernet(kBlue2, kBlue1, 0x86DD, ipv6(a, b, 6, tcp(a, b, seq, flags, data, partial)));
}

bool tcp_checksum_ok(const Bytes& f) {
  bool v4 = rd16(f, 12) == 0x0800;
  size_t l4 = v4 ? 34 : 54;
  size_t end = v4 ? 14 + rd16(f, 16) : 54 + rd16(f, 18);
  IpAddress s, d;
  s.family = d.family = v4 ? 4 : 6;
  if (v4) {
    std::copy(f.begin() + 26, f.begin() + 30, s.bytes.begin());
    std::copy(f.begin() + 30, f.begin() + 34, d.bytes.begin());
  } else {
    std::copy(f.begin() + 22, f.begin() + 38, s.bytes.begin());
    std::copy(f.begin() + 38, f.begin() + 54, d.bytes.begin());
  }
  return inet_checksum(f.data() + l4, end - l4, pseudo_sum(s, d, 6, end - l4)) == 0;
}

// A batch of packet buffers for the tests.
struct Buffers {
  explicit Buffers(size_t n) : pool(n) {}
  PacketPool pool;
  Bytes bytes(size_t i) {
    Packet& p = pool.packets()[i];
    return Bytes(p.data(), p.data() + p.length);
  }
  void load(size_t i, const Bytes& f) {
    Packet& p = pool.packets()[i];
    p.offset = kHeadroom;
    p.length = uint32_t(f.size());
    std::copy(f.begin(), f.end(), p.data());
  }
};

VirtioNetHeader gso_header(uint8_t type, uint16_t mss, uint16_t l4) {
  VirtioNetHeader h;
  h.flags = kVnetNeedsCsum;
  h.gso_type = type;
  h.gso_size = mss;
  h.hdr_len = uint16_t(l4 + 32);
  h.csum_start = l4;
  h.csum_offset = 16;
  return h;
}

TEST(Checksum, MatchesRfc1071OnEveryLength) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 300; ++n) {
    Bytes b(n);
    for (auto& x : b) x = uint8_t(rng());
    uint16_t ours = uint16_t(~checksum_fold(checksum_add(0, b.data(), n)));
    uint16_t stored;
    std::memcpy(&stored, &ours, 2);
    Bytes as_bytes(reinterpret_cast<uint8_t*>(&stored), reinterpret_cast<uint8_t*>(&stored) + 2);
    EXPECT_EQ(rd16(as_bytes, 0), inet_checksum(b.data(), n)) << n;
  }
}

TEST(GsoSegmenter, CutsTcp4GsoFrameIntoMssSegments) {
  Bytes data = payload(5000, 3);
  Bytes big = tcp4_frame(1000, kAck | kPsh | kFin | kCwr, data, true);
  GsoSegmenter seg;
  ASSERT_EQ(seg.load(gso_header(kVnetGsoTcpV4, 1400, 34), big.data(), big.size()), GsoError::None);
  Buffers out(kBatchSize);
  // Room for two at a time: the segmenter keeps its place between calls.
  size_t n = seg.emit(out.pool.packets().first(2));
  ASSERT_EQ(n, 2u);
  EXPECT_TRUE(seg.pending());
  n += seg.emit(out.pool.packets().subspan(2));
  ASSERT_EQ(n, 4u);
  EXPECT_FALSE(seg.pending());
  Bytes joined;
  for (size_t i = 0; i < 4; ++i) {
    Bytes f = out.bytes(i);
    size_t chunk = i < 3 ? 1400 : 800;
    ASSERT_EQ(f.size(), 14 + 20 + 32 + chunk);
    EXPECT_EQ(rd16(f, 16), 20 + 32 + chunk);                  // IP total length
    EXPECT_EQ(rd16(f, 18), 0x1234 + i);                       // IP id counts up
    EXPECT_EQ(inet_checksum(f.data() + 14, 20), 0) << i;      // IP header checksum
    EXPECT_EQ(rd32(f, 38), 1000 + 1400 * i);                  // sequence number
    EXPECT_TRUE(tcp_checksum_ok(f)) << i;
    uint8_t flags = f[47];
    EXPECT_EQ(bool(flags & kPsh), i == 3);
    EXPECT_EQ(bool(flags & kFin), i == 3);
    EXPECT_EQ(bool(flags & kCwr), i == 0);
    EXPECT_TRUE(flags & kAck);
    joined.insert(joined.end(), f.begin() + 66, f.end());
  }
  EXPECT_EQ(joined, data);
}

TEST(GsoSegmenter, CutsTcp6GsoFrame) {
  Bytes data = payload(3000, 9);
  Bytes big = tcp6_frame(7, kAck, data, true);
  GsoSegmenter seg;
  ASSERT_EQ(seg.load(gso_header(kVnetGsoTcpV6, 1200, 54), big.data(), big.size()), GsoError::None);
  Buffers out(kBatchSize);
  ASSERT_EQ(seg.emit(out.pool.packets()), 3u);
  for (size_t i = 0; i < 3; ++i) {
    Bytes f = out.bytes(i);
    EXPECT_EQ(rd16(f, 18), 32 + (i < 2 ? 1200 : 600));  // payload length
    EXPECT_EQ(rd32(f, 58), 7 + 1200 * i);
    EXPECT_TRUE(tcp_checksum_ok(f)) << i;
  }
}

TEST(GsoSegmenter, CompletesPartialChecksumOfSmallFrames) {
  // TCP with a partial checksum.
  Bytes small = tcp4_frame(5, kAck | kPsh, payload(10), true);
  VirtioNetHeader h;
  h.flags = kVnetNeedsCsum;
  h.csum_start = 34;
  h.csum_offset = 16;
  GsoSegmenter seg;
  ASSERT_EQ(seg.load(h, small.data(), small.size()), GsoError::None);
  Buffers out(1);
  ASSERT_EQ(seg.emit(out.pool.packets()), 1u);
  EXPECT_EQ(out.bytes(0), tcp4_frame(5, kAck | kPsh, payload(10), false));

  // UDP: the frames.h builder gives the complete sum; start from the partial one.
  Bytes udpf = udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2", 1000, 2000, 64);
  Bytes partial = udpf;
  uint32_t ps = pseudo_sum(ip("10.1.1.1"), ip("10.1.1.2"), 17, 72);
  while (ps >> 16) ps = (ps & 0xffff) + (ps >> 16);
  partial[40] = uint8_t(ps >> 8);
  partial[41] = uint8_t(ps);
  h.csum_offset = 6;
  ASSERT_EQ(seg.load(h, partial.data(), partial.size()), GsoError::None);
  ASSERT_EQ(seg.emit(out.pool.packets()), 1u);
  EXPECT_EQ(out.bytes(0), udpf);

  // Without NEEDS_CSUM the frame is copied untouched.
  ASSERT_EQ(seg.load(VirtioNetHeader{}, partial.data(), partial.size()), GsoError::None);
  ASSERT_EQ(seg.emit(out.pool.packets()), 1u);
  EXPECT_EQ(out.bytes(0), partial);
}

TEST(GsoSegmenter, RefusesBadHeaders) {
  Bytes big = tcp4_frame(1, kAck, payload(4000), true);
  GsoSegmenter seg;
  VirtioNetHeader h = gso_header(kVnetGsoTcpV4, 0, 34);
  EXPECT_EQ(seg.load(h, big.data(), big.size()), GsoError::Malformed);  // no MSS
  h = gso_header(kVnetGsoTcpV6, 1400, 34);
  EXPECT_EQ(seg.load(h, big.data(), big.size()), GsoError::Malformed);  // not IPv6
  h = gso_header(kVnetGsoUdp, 1400, 34);
  EXPECT_EQ(seg.load(h, big.data(), big.size()), GsoError::Unsupported);
  h = gso_header(kVnetGsoTcpV4, 1400, 34);
  h.csum_start = uint16_t(big.size());
  EXPECT_EQ(seg.load(h, big.data(), big.size()), GsoError::Malformed);
  h = gso_header(kVnetGsoTcpV4, 9200, 34);
  EXPECT_EQ(seg.load(h, big.data(), big.size()), GsoError::TooLarge);
  Bytes huge = tcp4_frame(1, kAck, payload(10000), false);
  EXPECT_EQ(seg.load(VirtioNetHeader{}, huge.data(), huge.size()), GsoError::TooLarge);
  EXPECT_FALSE(seg.pending());
}

// Segments then coalesces: the GSO frame rebuilt from the batch equals the original.
TEST(CoalesceTcp, RebuildsTheGsoFrame) {
  Bytes data = payload(6000, 5);
  Bytes big = tcp4_frame(900, kAck | kPsh, data, true);
  GsoSegmenter seg;
  ASSERT_EQ(seg.load(gso_header(kVnetGsoTcpV4, 1448, 34), big.data(), big.size()), GsoError::None);
  Buffers b(kBatchSize);
  size_t n = seg.emit(b.pool.packets());
  ASSERT_EQ(n, 5u);
  std::vector<Packet*> batch;
  for (size_t i = 0; i < n; ++i) batch.push_back(&b.pool.packets()[i]);
  std::vector<CoalescedFrame> frames(n);
  ASSERT_EQ(coalesce_tcp(batch, frames), 1u);
  const CoalescedFrame& f = frames[0];
  EXPECT_EQ(f.count, 5u);
  EXPECT_EQ(f.header.gso_type, kVnetGsoTcpV4);
  EXPECT_EQ(f.header.gso_size, 1448);
  EXPECT_EQ(f.header.flags, kVnetNeedsCsum);
  EXPECT_EQ(f.header.csum_start, 34);
  EXPECT_EQ(f.header.csum_offset, 16);
  EXPECT_EQ(f.header.hdr_len, 66);
  Bytes rebuilt = b.bytes(0);
  for (size_t i = 1; i < n; ++i) {
    Bytes more = b.bytes(i);
    rebuilt.insert(rebuilt.end(), more.begin() + f.payload_offset, more.end());
  }
  // Same IP packet as the VM sent, except the IP id of the first segment (unchanged) and a
  // partial checksum in the same form.
  EXPECT_EQ(rebuilt, big);
}

TEST(CoalesceTcp, KeepsApartWhatGroWouldNot) {
  Buffers b(8);
  b.load(0, tcp4_frame(100, kAck, payload(1000), false));
  b.load(1, tcp4_frame(1100, kAck, payload(1000), false));
  b.load(2, tcp4_frame(3100, kAck, payload(1000), false));  // gap: a new frame
  b.load(3, tcp4_frame(4100, kAck, payload(1000), false, "10.1.1.9"));  // other flow
  Bytes bad = tcp4_frame(4100, kAck, payload(1000), false);
  bad[100] ^= 1;  // corrupted payload: never handed on as verified
  b.load(4, bad);
  b.load(5, tcp4_frame(5100, kAck | kFin, payload(1000), false));  // FIN stands alone
  b.load(6, tcp6_frame(1, kAck, payload(500), false));
  b.load(7, udp4_frame(kBlue2, kBlue1, "10.1.1.1", "10.1.1.2"));
  std::vector<Packet*> batch;
  for (auto& p : b.pool.packets()) batch.push_back(&p);
  std::vector<CoalescedFrame> frames(batch.size());
  size_t m = coalesce_tcp(batch, frames);
  ASSERT_EQ(m, 7u);
  EXPECT_EQ(frames[0].count, 2u);
  EXPECT_EQ(frames[0].header.gso_type, kVnetGsoTcpV4);
  for (size_t i = 1; i < m; ++i) {
    EXPECT_EQ(frames[i].count, 1u);
    EXPECT_EQ(frames[i].header.flags, 0);
    EXPECT_EQ(frames[i].header.gso_type, kVnetGsoNone);
  }
  // Frames standing alone are untouched.
  EXPECT_EQ(b.bytes(4), bad);
  EXPECT_EQ(b.bytes(2), tcp4_frame(3100, kAck, payload(1000), false));
}

}  // namespace
}  // namespace cimnet::dataplane::test

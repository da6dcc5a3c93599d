// Fuzzes what a VM controls on a TAP port: the virtio_net_hdr and the frame behind it, through
// GsoSegmenter, then the segments through coalesce_tcp (the path back to a VM). Input: 10 bytes
// of header (native byte order, as the TAP delivers it), then the frame.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cimnet/dataplane/io/gso.h"

using namespace cimnet::dataplane;

namespace {

// A TCP segment made by the segmenter must carry a correct checksum.
bool tcp_checksum_ok(const Packet& p, uint32_t l3, uint32_t l4) {
  const uint8_t* f = p.data();
  const uint8_t* ip = f + l3;
  uint32_t len = p.length - l4;
  return checksum_fold(checksum_add(pseudo_header_sum(ip, len, 6), f + l4, len)) == 0xFFFF;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(VirtioNetHeader)) return 0;
  static PacketPool pool(kBatchSize);
  VirtioNetHeader h;
  std::memcpy(&h, data, sizeof h);
  std::vector<uint8_t> frame(data + sizeof h, data + size);
  GsoSegmenter seg;
  if (seg.load(h, frame.data(), frame.size()) != GsoError::None) {
    if (seg.pending()) std::abort();
    return 0;
  }
  uint8_t type = h.gso_type & ~kVnetGsoEcn;
  bool tcp = type == kVnetGsoTcpV4 || type == kVnetGsoTcpV6;
  size_t rounds = 0;
  while (seg.pending()) {
    auto packets = pool.packets();
    size_t n = seg.emit(packets);
    if (n == 0 || ++rounds > 70000) std::abort();  // no progress
    std::vector<Packet*> batch;
    for (size_t i = 0; i < n; ++i) {
      Packet& p = packets[i];
      if (p.length > kBufferSize - kHeadroom || p.offset != kHeadroom) std::abort();
      if (tcp) {
        uint16_t ethertype = uint16_t(p.data()[12] << 8 | p.data()[13]);
        uint32_t l3 = ethertype == 0x8100 ? 18 : 14;
        uint32_t l4 = l3 + (type == kVnetGsoTcpV4 ? (p.data()[l3] & 15u) * 4 : 40);
        if (!tcp_checksum_ok(p, l3, l4)) std::abort();
      }
      batch.push_back(&p);
    }
    std::vector<CoalescedFrame> frames(n);
    size_t m = coalesce_tcp(batch, frames);
    size_t covered = 0;
    for (size_t k = 0; k < m; ++k) {
      const CoalescedFrame& c = frames[k];
      if (c.first != covered || c.count == 0) std::abort();
      covered += c.count;
      if (c.count > 1) {
        size_t ip_len = c.payload_offset - 14;
        for (size_t j = 0; j < c.count; ++j) ip_len += batch[c.first + j]->length - c.payload_offset;
        if (ip_len > 65535 || c.header.gso_size == 0) std::abort();
      }
    }
    if (covered != n) std::abort();
  }
  return 0;
}

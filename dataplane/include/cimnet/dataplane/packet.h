#pragma once
// Packet buffers as the datapath sees them: plain structs, no ownership, handed around in batches.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cimnet::dataplane {

// Port numbers: VM ports are 0 .. kMaxPorts-1; the provider port and "drop" are special.
using PortId = uint16_t;
inline constexpr PortId kMaxPorts = 1024;
inline constexpr PortId kProviderPort = 0xFFFE;
inline constexpr PortId kDropPort = 0xFFFF;

// Frames are processed in batches of this many packets (prefetch depth of the lookups).
inline constexpr size_t kBatchSize = 32;
// Room kept in front of each received frame for the 62-byte IPv6 NVGRE header (or ICMP errors).
inline constexpr uint32_t kHeadroom = 128;
// Size of one buffer: headroom plus a 9 KiB jumbo frame.
inline constexpr uint32_t kBufferSize = kHeadroom + 9216;

// One frame inside a caller-owned buffer. The datapath edits the frame in place (it may move
// `offset` back into the headroom or forward) and sets `port` to where the frame must go next:
// a VM port, kProviderPort, or kDropPort.
struct Packet {
  uint8_t* buffer = nullptr;
  uint32_t buffer_size = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  PortId port = kDropPort;

  uint8_t* data() { return buffer + offset; }
  const uint8_t* data() const { return buffer + offset; }
};

// A fixed set of buffers for one I/O thread; `packets()` hands them out with their headroom
// reserved. Allocated once, never per packet.
class PacketPool {
 public:
  // Allocates `count` buffers of kBufferSize bytes.
  explicit PacketPool(size_t count);
  // The packet descriptors, each pointing at its own buffer with offset = kHeadroom, length 0.
  std::span<Packet> packets() { return packets_; }
  // Resets descriptor i to an empty frame at the start of its headroom.
  void reset(Packet& p) const {
    p.offset = kHeadroom;
    p.length = 0;
    p.port = kDropPort;
  }

 private:
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<Packet> packets_;
};

}  // namespace cimnet::dataplane

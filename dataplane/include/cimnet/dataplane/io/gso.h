#pragma once
// Segmentation and coalescing of TCP frames for ports that speak VirtioNetHeader (TAP with
// IFF_VNET_HDR): the datapath itself only ever sees frames that fit the provider MTU, so large
// GSO frames from a VM are cut into MSS-sized segments with complete checksums, and in-order
// segments of one flow going to a VM are joined back into one GSO frame (like the kernel's GRO).
// Plain functions and structs over caller-owned buffers: no allocation.

#include <cstddef>
#include <cstdint>
#include <span>

#include "cimnet/dataplane/packet.h"

namespace cimnet::dataplane {

// The 10-byte header in front of every frame of an IFF_VNET_HDR TAP (struct VirtioNetHeader of
// <linux/virtio_net.h>, which C++ cannot include; native byte order as the legacy TAP uses).
struct VirtioNetHeader {
  uint8_t flags = 0;
  uint8_t gso_type = 0;
  uint16_t hdr_len = 0;      // Ethernet + IP + TCP headers of a GSO frame
  uint16_t gso_size = 0;     // payload bytes per segment
  uint16_t csum_start = 0;   // where checksumming starts
  uint16_t csum_offset = 0;  // where the checksum goes, from csum_start
};
static_assert(sizeof(VirtioNetHeader) == 10);
inline constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kVnetDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID
inline constexpr uint8_t kVnetGsoNone = 0, kVnetGsoTcpV4 = 1, kVnetGsoUdp = 3, kVnetGsoTcpV6 = 4;
inline constexpr uint8_t kVnetGsoEcn = 0x80;

// Adds `n` bytes at `p` to a one's-complement sum kept in host byte order (fold it with
// checksum_fold). `p` must start at an even offset of the checksummed region.
uint64_t checksum_add(uint64_t sum, const uint8_t* p, size_t n);
// Folds a running sum to 16 bits (not complemented; host byte order as stored in memory).
uint16_t checksum_fold(uint64_t sum);
// The folded pseudo-header sum of a TCP/UDP packet inside `ip` (IPv4 or IPv6 header start),
// for `l4_length` bytes of transport header plus payload and protocol `proto`.
uint64_t pseudo_header_sum(const uint8_t* ip, uint32_t l4_length, uint8_t proto);

// Why a frame from a VirtioNetHeader port could not be turned into MTU-sized frames.
enum class GsoError : uint8_t {
  None,
  Malformed,    // header fields inconsistent with the frame
  Unsupported,  // a GSO type or header chain we do not segment (UFO, IPv6 extension headers)
  TooLarge,     // a segment would not fit a packet buffer
};

// Cuts one frame (with its VirtioNetHeader) into packets: a GSO frame into MSS-sized TCP
// segments with correct IPv4/IPv6 lengths, IPv4 ids and checksums, TCP sequence numbers, flags
// and checksums; a frame with VIRTIO_NET_HDR_F_NEEDS_CSUM gets its partial checksum completed;
// any other frame is copied as it is. The frame is borrowed until pending() turns false.
class GsoSegmenter {
 public:
  // Starts on a new frame; returns GsoError::None or why it was refused (nothing pending then).
  GsoError load(const VirtioNetHeader& header, const uint8_t* frame, size_t length);
  // Writes the next frames into `packets` (at kHeadroom) and returns how many.
  size_t emit(std::span<Packet> packets);
  // True while load()ed frames remain to be emitted.
  bool pending() const { return frame_ != nullptr; }

 private:
  const uint8_t* frame_ = nullptr;
  size_t length_ = 0;
  VirtioNetHeader header_{};
  bool segment_ = false;  // TCP segmentation (else a single frame)
  bool ipv4_ = false;
  uint32_t l3_ = 0, l4_ = 0, headers_ = 0;  // offsets: IP header, TCP header, payload
  uint32_t mss_ = 0;
  uint32_t next_ = 0;  // payload offset of the next segment
  uint32_t index_ = 0; // number of the next segment
};

// One frame to write to a VirtioNetHeader port: `count` packets starting at `first` of the batch,
// joined into one GSO frame when count > 1 (the first packet's headers are rewritten for the
// whole frame; the others contribute their TCP payload from `payload_offset` on).
struct CoalescedFrame {
  VirtioNetHeader header{};
  size_t first = 0;
  size_t count = 0;
  uint32_t payload_offset = 0;  // where the TCP payload starts in each frame
};

// Groups the frames of a batch (all to one port, in order) into frames to write: runs of
// in-order TCP segments of one flow with equal headers (as Linux GRO requires: same addresses,
// ports, ACK, window, options; no SYN/FIN/RST/URG/CWR; all but the last of one size; verified
// TCP checksums) become one GSO frame with a partial checksum (kVnetNeedsCsum) of
// at most 64 KiB of IP packet; the first packet's headers are rewritten in place for it. Every
// other frame stands alone with a zero header (the VM verifies it). Fills `out` (which must
// hold packets.size() entries) in order and returns how many frames to write.
size_t coalesce_tcp(std::span<Packet* const> packets, std::span<CoalescedFrame> out);

}  // namespace cimnet::dataplane

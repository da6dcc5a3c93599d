#pragma once
// The Linux backend: one AF_PACKET socket per interface (a veth end of a VM, or the provider
// NIC). Receive through a TPACKET_V2 ring (no system call per frame; each frame is visible as
// soon as the kernel wrote it, unlike TPACKET_V3 blocks that wait for a timeout when traffic is
// light and so add a millisecond to every TCP ACK), send with sendmmsg (one call per batch).

#include <memory>
#include <string>

#include "cimnet/dataplane/io/packet_io.h"

namespace cimnet::dataplane {

// A port on a Linux network interface. Needs CAP_NET_RAW. Frames the kernel itself sends on the
// interface are ignored (PACKET_IGNORE_OUTGOING).
class AfPacketIo final : public PacketIo {
 public:
  // Opens `interface` (which must exist and be up); throws IoError.
  static std::unique_ptr<AfPacketIo> open(const std::string& interface);
  // Opens `interface` as one member of PACKET_FANOUT group `fanout_group` (hash mode: the
  // frames of one flow always reach the same socket), for one datapath thread per socket.
  // Group ids are per network namespace; 0 means no fanout. Throws IoError.
  static std::unique_ptr<AfPacketIo> open(const std::string& interface, uint16_t fanout_group);
  ~AfPacketIo() override;

  size_t receive(std::span<Packet> packets) override;
  size_t send(std::span<Packet* const> packets) override;
  int readable_fd() const override { return fd_; }

  // Frames skipped because they were larger than a packet buffer (e.g. GSO frames).
  uint64_t oversized() const { return oversized_; }

 private:
  AfPacketIo() = default;

  int fd_ = -1;
  int ifindex_ = 0;
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0;
  unsigned frame_size_ = 0;
  unsigned frame_count_ = 0;
  unsigned frame_ = 0;  // next ring slot to look at
  uint64_t oversized_ = 0;
};

// Turns off checksum and segmentation offloads of `interface` in the calling process's network
// namespace, so that frames leave it complete (what an AF_PACKET datapath on its veth peer needs).
// Throws IoError.
void disable_offloads(const std::string& interface);

}  // namespace cimnet::dataplane

#pragma once
// VM ports as TAP devices with IFF_VNET_HDR: the VM (the namespace that holds the interface)
// keeps its checksum and segmentation offloads on. Frames it sends arrive as GSO frames of up to
// 64 KiB and are cut into MSS-sized segments here; in-order TCP segments sent to it are joined
// into GSO frames (GRO-like), so the VM's stack sees few large packets.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cimnet/dataplane/io/gso.h"
#include "cimnet/dataplane/io/packet_io.h"

namespace cimnet::dataplane {

// How to create a TAP device for a VM adapter.
struct TapOptions {
  std::string name;                 // interface name in the caller's namespace (created)
  std::array<uint8_t, 6> mac{};     // the VM adapter's MAC (all zero: let the kernel pick)
  uint32_t mtu = 0;                 // 0: the kernel's default
  unsigned queues = 1;              // > 1: IFF_MULTI_QUEUE, one TapIo per datapath thread
  std::string netns;                // path of a network namespace to move it into (empty: stay)
  std::string name_in_netns;        // its name there (empty: keep `name`)
};

// Counters of one TAP queue (single writer: the thread that uses the queue).
struct TapCounters {
  uint64_t frames_in = 0;    // frames read from the VM (a GSO frame counts once)
  uint64_t gso_frames_in = 0;
  uint64_t segments_in = 0;  // packets handed to the datapath
  uint64_t refused_in = 0;   // frames read that could not be segmented (see GsoError)
  uint64_t frames_out = 0;   // frames written to the VM
  uint64_t gso_frames_out = 0;
  uint64_t packets_out = 0;  // datapath packets written (coalesced ones each count)
  uint64_t failed_out = 0;   // packets the kernel refused
};

// One queue of a TAP device. receive() and send() are for one thread at a time.
class TapIo final : public PacketIo {
 public:
  // Creates the device with `queues` queues (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, offloads
  // TUN_F_CSUM | TSO4 | TSO6 | TSO_ECN towards us), sets MAC and MTU, then moves it into
  // `netns` under `name_in_netns` if asked. The device lives as long as its queues. Needs
  // CAP_NET_ADMIN; throws IoError (and leaves no device behind) on failure.
  static std::vector<std::unique_ptr<TapIo>> create(const TapOptions& options);
  ~TapIo() override;

  size_t receive(std::span<Packet> packets) override;
  size_t send(std::span<Packet* const> packets) override;
  int readable_fd() const override { return fd_; }
  bool has_pending() const override { return segmenter_.pending(); }

  const TapCounters& counters() const { return counters_; }

 private:
  explicit TapIo(int fd);

  int fd_ = -1;
  std::unique_ptr<uint8_t[]> frame_;  // one frame read from the VM (up to 64 KiB + headers)
  GsoSegmenter segmenter_;
  TapCounters counters_;
};

}  // namespace cimnet::dataplane

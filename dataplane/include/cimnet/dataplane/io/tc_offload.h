#pragma once
// The kernel fast path: tc BPF programs (dataplane/bpf/nvgre_tc.bpf.c) on the ingress of the VM
// ports' host-side veth ends and of the provider interface, programmed from the Datapath's policy.
// They encapsulate / decapsulate / deliver locally the frames they can handle exactly as the
// userspace rules do (GSO frames stay whole: no per-segment skb), and leave everything else to the
// userspace datapath (the slow path), which must then read its ports with SlowPathIo (frames the
// fast path took are never seen twice).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cimnet/dataplane/counters.h"
#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/io/gso.h"
#include "cimnet/dataplane/io/packet_io.h"

namespace cimnet::dataplane {

// Where the fast path attaches and how large its maps are.
struct TcOffloadOptions {
  std::string provider_interface;
  std::map<PortId, std::string> port_interfaces;  // VM port id -> host-side veth end
  // Records per address family the maps hold; records beyond stay on the slow path.
  size_t max_records = 1 << 18;
  // Distinct provider addresses the maps hold (further ones stay on the slow path).
  size_t max_provider_addresses = 1 << 16;
  // false: load the programs and keep the maps in step, but attach nothing (tests run frames
  // through the programs with test_vm_port / test_provider).
  bool attach = true;
};

// What the fast path forwarded for one VSID / port, and what it left to the slow path.
struct TcOffloadStats {
  uint64_t tx_passed = 0;  // VM frames left to the userspace datapath
  uint64_t rx_passed = 0;  // provider frames left to the userspace datapath
  uint64_t errors = 0;     // helper failures (those frames were dropped)
  uint64_t map_full = 0;   // records / provider addresses left to the slow path: map full
};

class TcOffload final : public PolicyObserver {
 public:
  // True when this build has the fast path (clang for BPF and libbpf at configure time);
  // otherwise `why` says what was missing.
  static bool available(std::string* why);

  // Loads the programs and maps, mirrors `datapath`'s policy into them (and every later change,
  // as its PolicyObserver), and attaches them (clsact ingress) to the provider interface and the
  // VM ports' interfaces. Throws IoError (nothing left attached) when it cannot.
  static std::unique_ptr<TcOffload> attach(Datapath& datapath, const TcOffloadOptions& options);
  // Detaches the programs (and removes the clsact qdiscs it created); unregisters the observer.
  ~TcOffload() override;
  TcOffload(const TcOffload&) = delete;
  TcOffload& operator=(const TcOffload&) = delete;

  // Adds VM port `port` (whose policy VmPort may come before or after) on host-side interface
  // `interface` after attach: its map entries are written, then the program attached to its
  // ingress. Replaces an earlier interface of the same port. Throws IoError (the port then
  // stays on the slow path). Safe beside policy changes (serialised with the observer calls).
  void attach_port(PortId port, const std::string& interface);
  // Takes port `port` out of the fast path: its entries are deleted and its program detached
  // (quietly if its interface is gone). Nothing when the port is not attached.
  void detach_port(PortId port) noexcept;

  // Counters of what the fast path forwarded (summed over CPUs). GSO frames count as the
  // segments they stand for; bytes are those of the frames as forwarded (GSO: the whole frame).
  std::optional<VsidCounters> vsid_counters(uint32_t vsid) const;
  PortCounters port_counters(PortId port) const;
  TcOffloadStats stats() const;

  // False while the fast path punts everything (a map update failed; see last_error()).
  bool enabled() const;
  std::string last_error() const;

  // Runs one frame through a program without attaching (BPF_PROG_TEST_RUN) as if it arrived on
  // interface `ifindex`: returns the tc verdict (TC_ACT_OK = left to the slow path, TC_ACT_REDIRECT
  // = forwarded) and the frame as the program left it. For tests.
  struct TestRun {
    int verdict = 0;
    std::vector<uint8_t> frame;
  };
  TestRun test_vm_port(uint32_t ifindex, const std::vector<uint8_t>& frame) const;
  TestRun test_provider(const std::vector<uint8_t>& frame) const;

  void before_publish(const PolicyChange& change) noexcept override;
  void after_publish(const PolicyChange& change) noexcept override;

  struct Impl;

 private:
  TcOffload();
  std::unique_ptr<Impl> impl_;
  Datapath* datapath_ = nullptr;
};

// A slow-path port for use beside TcOffload: AF_PACKET sockets that the kernel serves after tc
// ingress, so they only see what the fast path passed on. One ETH_P_IP and one ETH_P_IPV6
// socket (delivered after tc), plus one ETH_P_ALL socket with a classic BPF filter that refuses
// IPv4 and IPv6 (ARP, tagged and other frames, which the fast path never takes). All use
// PACKET_VNET_HDR, so GSO frames and partial checksums that a VM with offloads on (or a peer's
// fast path) hands over are segmented / completed by GsoSegmenter. Sends carry a zero header.
class SlowPathIo final : public PacketIo {
 public:
  // Opens the three sockets on `interface`; with fanout_group != 0 they join groups
  // fanout_group, +1, +2 (hash). Throws IoError.
  static std::unique_ptr<SlowPathIo> open(const std::string& interface, uint16_t fanout_group);
  ~SlowPathIo() override;

  size_t receive(std::span<Packet> packets) override;
  size_t send(std::span<Packet* const> packets) override;
  int readable_fd() const override { return epoll_fd_; }
  bool has_pending() const override { return segmenter_.pending(); }

  uint64_t gso_frames() const { return gso_frames_; }
  uint64_t refused() const { return refused_; }  // frames GsoSegmenter could not handle

 private:
  SlowPathIo() = default;
  int fds_[3] = {-1, -1, -1};
  int epoll_fd_ = -1;
  unsigned next_ = 0;  // socket to read first next time (fairness)
  std::unique_ptr<uint8_t[]> frame_;
  GsoSegmenter segmenter_;
  uint64_t gso_frames_ = 0, refused_ = 0;
};

}  // namespace cimnet::dataplane

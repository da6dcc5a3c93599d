#pragma once
// Moves frames between I/O backends and the datapath: one Runner per datapath thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/io/packet_io.h"

namespace cimnet::dataplane {

// Polls a provider port and VM ports, runs batches through a Worker and hands each frame to the
// port the datapath chose. The backends are borrowed and must outlive the Runner.
class Runner {
 public:
  Runner(Datapath& datapath, PacketIo& provider);
  // Attaches the backend of VM port `id` (the policy's VmPort with the same id).
  void attach_port(PortId id, PacketIo& io);
  // Processes at most one batch from every port; returns the number of frames received.
  size_t poll_once();
  // Calls poll_once until `stop` is set, sleeping in poll() (up to `idle_wait`) when idle.
  void run(const std::atomic<bool>& stop,
           std::chrono::milliseconds idle_wait = std::chrono::milliseconds(10));

 private:
  void dispatch(std::span<Packet> packets);

  Worker worker_;
  PacketIo& provider_;
  std::vector<std::pair<PortId, PacketIo*>> ports_;
  std::vector<PacketIo*> by_id_;
  PacketPool pool_;
  std::vector<Packet*> out_;
};

}  // namespace cimnet::dataplane

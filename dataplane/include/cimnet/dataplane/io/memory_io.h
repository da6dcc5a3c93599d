#pragma once
// The in-memory backend: frames are queued by tests/benchmarks and collected after sending.

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "cimnet/dataplane/io/packet_io.h"

namespace cimnet::dataplane {

// A port whose wire is two queues in memory. Thread-safe (one lock per batch).
class MemoryIo final : public PacketIo {
 public:
  using Frame = std::vector<uint8_t>;

  // Queues a frame as if it had arrived on the wire. Frames longer than a buffer are rejected.
  void inject(Frame frame);
  // Takes every frame sent so far, oldest first.
  std::vector<Frame> take_sent();
  size_t pending() const;

  size_t receive(std::span<Packet> packets) override;
  size_t send(std::span<Packet* const> packets) override;

 private:
  mutable std::mutex mutex_;
  std::deque<Frame> incoming_;
  std::vector<Frame> sent_;
};

}  // namespace cimnet::dataplane

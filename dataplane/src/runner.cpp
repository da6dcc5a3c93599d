#include "cimnet/dataplane/runner.h"

#include <poll.h>

namespace cimnet::dataplane {

Runner::Runner(Datapath& datapath, PacketIo& provider)
    : worker_(datapath), provider_(provider), by_id_(kMaxPorts, nullptr), pool_(kBatchSize) {
  out_.reserve(kBatchSize);
}

void Runner::attach_port(PortId id, PacketIo& io) {
  if (id >= kMaxPorts) throw PolicyError("VM port id " + std::to_string(id) + " too large");
  by_id_[id] = &io;
  ports_.emplace_back(id, &io);
}

void Runner::dispatch(std::span<Packet> packets) {
  // Frames of one batch go out grouped by destination, in their original order.
  for (size_t i = 0; i < packets.size(); ++i) {
    PortId dst = packets[i].port;
    if (dst == kDropPort) continue;
    bool seen = false;
    for (size_t j = 0; j < i; ++j) seen |= packets[j].port == dst;
    if (seen) continue;
    out_.clear();
    for (size_t j = i; j < packets.size(); ++j)
      if (packets[j].port == dst) out_.push_back(&packets[j]);
    PacketIo* io = dst == kProviderPort ? &provider_ : (dst < kMaxPorts ? by_id_[dst] : nullptr);
    if (io) io->send(out_);
  }
}

size_t Runner::poll_once() {
  size_t total = 0;
  auto bufs = pool_.packets();
  size_t n = provider_.receive(bufs);
  if (n) {
    worker_.receive(bufs.first(n));
    dispatch(bufs.first(n));
    total += n;
  }
  for (auto& [id, io] : ports_) {
    n = io->receive(bufs);
    if (!n) continue;
    worker_.transmit(id, bufs.first(n));
    dispatch(bufs.first(n));
    total += n;
  }
  return total;
}

void Runner::run(const std::atomic<bool>& stop, std::chrono::milliseconds idle_wait) {
  std::vector<pollfd> fds;
  bool all_fds = provider_.readable_fd() >= 0;
  fds.push_back({provider_.readable_fd(), POLLIN, 0});
  for (auto& [id, io] : ports_) {
    fds.push_back({io->readable_fd(), POLLIN, 0});
    all_fds &= io->readable_fd() >= 0;
  }
  while (!stop.load(std::memory_order_relaxed)) {
    if (poll_once() > 0) continue;
    if (all_fds) {
      ::poll(fds.data(), fds.size(), int(idle_wait.count()));
    } else {
      ::poll(nullptr, 0, 1);
    }
  }
}

}  // namespace cimnet::dataplane

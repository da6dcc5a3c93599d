#include "cimnet/dataplane/io/memory_io.h"

#include <cstring>
#include <stdexcept>
#include <utility>

namespace cimnet::dataplane {

void MemoryIo::inject(Frame frame) {
  if (frame.size() > kBufferSize - kHeadroom)
    throw std::invalid_argument("frame of " + std::to_string(frame.size()) +
                                " bytes does not fit a packet buffer");
  std::lock_guard lock(mutex_);
  incoming_.push_back(std::move(frame));
}

std::vector<MemoryIo::Frame> MemoryIo::take_sent() {
  std::lock_guard lock(mutex_);
  return std::exchange(sent_, {});
}

size_t MemoryIo::pending() const {
  std::lock_guard lock(mutex_);
  return incoming_.size();
}

size_t MemoryIo::receive(std::span<Packet> packets) {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  while (n < packets.size() && !incoming_.empty()) {
    Packet& p = packets[n++];
    const Frame& f = incoming_.front();
    p.offset = kHeadroom;
    p.length = uint32_t(f.size());
    p.port = kDropPort;
    std::memcpy(p.data(), f.data(), f.size());
    incoming_.pop_front();
  }
  return n;
}

size_t MemoryIo::send(std::span<Packet* const> packets) {
  std::lock_guard lock(mutex_);
  for (const Packet* p : packets) sent_.emplace_back(p->data(), p->data() + p->length);
  return packets.size();
}

}  // namespace cimnet::dataplane

#include "cimnet/dataplane/packet.h"

namespace cimnet::dataplane {

PacketPool::PacketPool(size_t count)
    : storage_(std::make_unique<uint8_t[]>(count * kBufferSize)), packets_(count) {
  for (size_t i = 0; i < count; ++i) {
    packets_[i].buffer = storage_.get() + i * kBufferSize;
    packets_[i].buffer_size = kBufferSize;
    reset(packets_[i]);
  }
}

}  // namespace cimnet::dataplane

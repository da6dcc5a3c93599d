#pragma once
// The packet I/O backend interface: one object per port (a VM port or the provider port).
// Called once per batch, never per packet.

#include <cstddef>
#include <span>
#include <stdexcept>

#include "cimnet/dataplane/packet.h"

namespace cimnet::dataplane {

// Thrown when an interface cannot be opened or configured; says which and why.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A source and sink of Ethernet frames (no FCS).
class PacketIo {
 public:
  virtual ~PacketIo() = default;
  // Fills up to packets.size() descriptors (frames placed at kHeadroom) without blocking;
  // returns how many were filled.
  virtual size_t receive(std::span<Packet> packets) = 0;
  // Sends the frames (copying them out); returns how many were sent, the rest are dropped.
  virtual size_t send(std::span<Packet* const> packets) = 0;
  // A file descriptor that becomes readable when frames are waiting, or -1 (always poll).
  virtual int readable_fd() const { return -1; }
  // True when receive() has frames to hand out even though readable_fd() may not be readable
  // (e.g. the rest of a GSO frame being segmented).
  virtual bool has_pending() const { return false; }
};

}  // namespace cimnet::dataplane

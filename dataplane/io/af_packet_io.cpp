#include "cimnet/dataplane/io/af_packet_io.h"

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cimnet::dataplane {

namespace {

std::string errno_text(const std::string& what, const std::string& ifname) {
  return what + " on " + ifname + ": " + std::strerror(errno);
}

constexpr unsigned kBlockSize = 1 << 20;  // 1 MiB blocks
constexpr unsigned kBlocks = 16;          // 16 MiB receive ring

// Ring slot size for an interface MTU: the frame, its headers and the TPACKET_V2 header.
unsigned slot_size_for(int fd, const std::string& ifname) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  unsigned mtu = ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? unsigned(ifr.ifr_mtu) : 1500;
  unsigned need = TPACKET_ALIGN(TPACKET2_HDRLEN) + 14 + 8 + std::min(mtu, kBufferSize - kHeadroom);
  unsigned size = 2048;
  while (size < need) size *= 2;
  return size;
}

}  // namespace

std::unique_ptr<AfPacketIo> AfPacketIo::open(const std::string& ifname) { return open(ifname, 0); }

std::unique_ptr<AfPacketIo> AfPacketIo::open(const std::string& ifname, uint16_t fanout_group) {
  std::unique_ptr<AfPacketIo> io(new AfPacketIo());  // private constructor
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) throw IoError("bad interface name '" + ifname + "'");
  io->ifindex_ = int(if_nametoindex(ifname.c_str()));
  if (io->ifindex_ == 0) throw IoError(errno_text("no such interface", ifname));
  io->fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (io->fd_ < 0) throw IoError(errno_text("socket(AF_PACKET)", ifname));
  int version = TPACKET_V2;
  if (setsockopt(io->fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0)
    throw IoError(errno_text("PACKET_VERSION", ifname));
  int one = 1;
  // Our own transmissions and the kernel's are not input.
  if (setsockopt(io->fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0)
    throw IoError(errno_text("PACKET_IGNORE_OUTGOING", ifname));
  // No PACKET_QDISC_BYPASS: frames we send stay visible to captures (tshark) on the interface.
  tpacket_req req{};
  io->frame_size_ = slot_size_for(io->fd_, ifname);
  req.tp_block_size = kBlockSize;
  req.tp_block_nr = kBlocks;
  req.tp_frame_size = io->frame_size_;
  req.tp_frame_nr = (kBlockSize / io->frame_size_) * kBlocks;
  io->frame_count_ = req.tp_frame_nr;
  if (setsockopt(io->fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
    throw IoError(errno_text("PACKET_RX_RING", ifname));
  io->ring_size_ = size_t(kBlockSize) * kBlocks;
  void* ring = mmap(nullptr, io->ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, io->fd_, 0);
  if (ring == MAP_FAILED)
    ring = mmap(nullptr, io->ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED, io->fd_, 0);
  if (ring == MAP_FAILED) throw IoError(errno_text("mmap of the receive ring", ifname));
  io->ring_ = static_cast<uint8_t*>(ring);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = io->ifindex_;
  if (bind(io->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    throw IoError(errno_text("bind", ifname));
  if (fanout_group != 0) {
    int fanout = int(fanout_group) | (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
    if (setsockopt(io->fd_, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout) < 0)
      throw IoError(errno_text("PACKET_FANOUT", ifname));
  }
  return io;
}

AfPacketIo::~AfPacketIo() {
  if (ring_) munmap(ring_, ring_size_);
  if (fd_ >= 0) ::close(fd_);
}

size_t AfPacketIo::receive(std::span<Packet> packets) {
  size_t n = 0;
  while (n < packets.size()) {
    // Frames never straddle blocks: slot i is at i * frame_size_ (blocks hold whole slots).
    auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + size_t(frame_) * frame_size_);
    if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    const uint8_t* data = reinterpret_cast<const uint8_t*>(h) + h->tp_mac;
    uint32_t len = h->tp_snaplen;
    if (h->tp_len != h->tp_snaplen || len > kBufferSize - kHeadroom) {
      ++oversized_;
    } else {
      Packet& p = packets[n++];
      p.offset = kHeadroom;
      p.length = len;
      p.port = kDropPort;
      std::memcpy(p.data(), data, len);
    }
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    frame_ = frame_ + 1 == frame_count_ ? 0 : frame_ + 1;
  }
  return n;
}

size_t AfPacketIo::send(std::span<Packet* const> packets) {
  constexpr size_t kMax = 64;
  mmsghdr msgs[kMax];
  iovec iov[kMax];
  size_t sent = 0;
  while (sent < packets.size()) {
    size_t n = std::min(kMax, packets.size() - sent);
    for (size_t i = 0; i < n; ++i) {
      Packet* p = packets[sent + i];
      iov[i].iov_base = p->data();
      iov[i].iov_len = p->length;
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = ::sendmmsg(fd_, msgs, unsigned(n), MSG_DONTWAIT);
    if (r <= 0) {
      if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
        pollfd pfd{fd_, POLLOUT, 0};
        ::poll(&pfd, 1, 1);
        r = ::sendmmsg(fd_, msgs, unsigned(n), MSG_DONTWAIT);
      }
      if (r <= 0) {
        // Drop the first frame (e.g. larger than the interface MTU) and go on with the rest.
        ++sent;
        continue;
      }
    }
    sent += size_t(r);
  }
  return sent;
}

void disable_offloads(const std::string& ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) throw IoError("bad interface name '" + ifname + "'");
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw IoError(errno_text("socket", ifname));
  const uint32_t cmds[] = {ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_STXCSUM, ETHTOOL_SSG};
  for (uint32_t cmd : cmds) {
    ethtool_value v{};
    v.cmd = cmd;
    v.data = 0;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = reinterpret_cast<char*>(&v);
    if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP) {
      std::string msg = errno_text("SIOCETHTOOL", ifname);
      ::close(fd);
      throw IoError(msg);
    }
  }
  ::close(fd);
}

}  // namespace cimnet::dataplane

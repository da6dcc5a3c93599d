#include "cimnet/dataplane/io/tap_io.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cimnet::dataplane {

namespace {

constexpr size_t kFrameBuffer = 65536 + 256;  // a GSO frame: 64 KiB IP packet + L2 headers
constexpr size_t kSendChunk = 64;              // packets coalesced per pass

std::string errno_text(const std::string& what, const std::string& ifname) {
  return what + " on " + ifname + ": " + std::strerror(errno);
}

// A file descriptor closed when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

void interface_ioctl(const std::string& ifname, unsigned long request, ifreq& ifr,
                     const char* what) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.fd < 0) throw IoError(errno_text("socket", ifname));
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(s.fd, request, &ifr) < 0) throw IoError(errno_text(what, ifname));
}

void add_attribute(std::vector<uint8_t>& msg, uint16_t type, const void* data, size_t len) {
  rtattr a{};
  a.rta_len = uint16_t(RTA_LENGTH(len));
  a.rta_type = type;
  size_t at = msg.size();
  msg.resize(at + RTA_SPACE(len));
  std::memcpy(msg.data() + at, &a, sizeof a);
  std::memcpy(msg.data() + at + RTA_LENGTH(0), data, len);
}

// Moves interface `ifindex` into the namespace at `netns_path` (renaming it to `new_name` if
// not empty) with one RTM_NEWLINK request, and waits for the kernel's answer.
void move_to_netns(const std::string& ifname, int ifindex, const std::string& netns_path,
                   const std::string& new_name) {
  Fd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (ns.fd < 0) throw IoError(errno_text("cannot open network namespace " + netns_path, ifname));
  if (new_name.size() >= IFNAMSIZ) throw IoError("interface name '" + new_name + "' too long");
  std::vector<uint8_t> msg(NLMSG_SPACE(sizeof(ifinfomsg)));
  auto* nh = reinterpret_cast<nlmsghdr*>(msg.data());
  nh->nlmsg_type = RTM_NEWLINK;
  nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nh->nlmsg_seq = 1;
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  std::memcpy(msg.data() + NLMSG_HDRLEN, &ifi, sizeof ifi);
  uint32_t nsfd = uint32_t(ns.fd);
  add_attribute(msg, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
  if (!new_name.empty()) add_attribute(msg, IFLA_IFNAME, new_name.c_str(), new_name.size() + 1);
  reinterpret_cast<nlmsghdr*>(msg.data())->nlmsg_len = uint32_t(msg.size());

  Fd nl(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (nl.fd < 0) throw IoError(errno_text("netlink socket", ifname));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl.fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
    throw IoError(errno_text("netlink send", ifname));
  alignas(nlmsghdr) uint8_t answer[4096];
  ssize_t r = ::recv(nl.fd, answer, sizeof answer, 0);
  if (r < ssize_t(NLMSG_HDRLEN + sizeof(nlmsgerr)))
    throw IoError(errno_text("netlink answer", ifname));
  auto* ah = reinterpret_cast<nlmsghdr*>(answer);
  if (ah->nlmsg_type != NLMSG_ERROR) throw IoError("unexpected netlink answer on " + ifname);
  auto* err = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(ah));
  if (err->error != 0) {
    errno = -err->error;
    throw IoError(errno_text("moving it into " + netns_path, ifname));
  }
}

}  // namespace

TapIo::TapIo(int fd) : fd_(fd), frame_(std::make_unique<uint8_t[]>(kFrameBuffer)) {}

TapIo::~TapIo() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::unique_ptr<TapIo>> TapIo::create(const TapOptions& o) {
  if (o.name.empty() || o.name.size() >= IFNAMSIZ)
    throw IoError("bad interface name '" + o.name + "'");
  if (o.queues == 0 || o.queues > 256)
    throw IoError("bad queue count " + std::to_string(o.queues) + " for " + o.name);
  std::vector<std::unique_ptr<TapIo>> queues;
  for (unsigned q = 0; q < o.queues; ++q) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw IoError(errno_text("cannot open /dev/net/tun", o.name));
    queues.push_back(std::unique_ptr<TapIo>(new TapIo(fd)));  // private constructor
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, o.name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (o.queues > 1 ? IFF_MULTI_QUEUE : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) throw IoError(errno_text("TUNSETIFF", o.name));
    unsigned offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (ioctl(fd, TUNSETOFFLOAD, offloads) < 0) throw IoError(errno_text("TUNSETOFFLOAD", o.name));
  }
  bool any_mac = false;
  for (uint8_t b : o.mac) any_mac |= b != 0;
  if (any_mac) {
    ifreq ifr{};
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(ifr.ifr_hwaddr.sa_data, o.mac.data(), 6);
    interface_ioctl(o.name, SIOCSIFHWADDR, ifr, "SIOCSIFHWADDR");
  }
  if (o.mtu) {
    ifreq ifr{};
    ifr.ifr_mtu = int(o.mtu);
    interface_ioctl(o.name, SIOCSIFMTU, ifr, "SIOCSIFMTU");
  }
  if (!o.netns.empty()) {
    int ifindex = int(if_nametoindex(o.name.c_str()));
    if (ifindex == 0) throw IoError(errno_text("no such interface", o.name));
    move_to_netns(o.name, ifindex, o.netns, o.name_in_netns);
  }
  return queues;
}

size_t TapIo::receive(std::span<Packet> packets) {
  size_t n = 0;
  while (n < packets.size()) {
    if (segmenter_.pending()) {
      size_t k = segmenter_.emit(packets.subspan(n));
      counters_.segments_in += k;
      n += k;
      continue;
    }
    VirtioNetHeader h;
    iovec iov[2] = {{&h, sizeof h}, {frame_.get(), kFrameBuffer}};
    ssize_t r = ::readv(fd_, iov, 2);
    if (r < 0) break;  // EAGAIN: nothing more now
    if (size_t(r) < sizeof h) {
      ++counters_.refused_in;
      continue;
    }
    ++counters_.frames_in;
    counters_.gso_frames_in += h.gso_type != kVnetGsoNone;
    if (segmenter_.load(h, frame_.get(), size_t(r) - sizeof h) != GsoError::None)
      ++counters_.refused_in;
  }
  return n;
}

size_t TapIo::send(std::span<Packet* const> packets) {
  CoalescedFrame frames[kSendChunk];
  iovec iov[kSendChunk + 1];
  size_t sent = 0;
  for (size_t at = 0; at < packets.size(); at += kSendChunk) {
    auto chunk = packets.subspan(at, std::min(kSendChunk, packets.size() - at));
    size_t m = coalesce_tcp(chunk, frames);
    for (size_t k = 0; k < m; ++k) {
      const CoalescedFrame& f = frames[k];
      iov[0] = {const_cast<VirtioNetHeader*>(&f.header), sizeof f.header};
      Packet* first = chunk[f.first];
      iov[1] = {first->data(), first->length};
      for (size_t j = 1; j < f.count; ++j) {
        Packet* p = chunk[f.first + j];
        iov[1 + j] = {p->data() + f.payload_offset, p->length - f.payload_offset};
      }
      ssize_t r = ::writev(fd_, iov, int(1 + f.count));
      if (r < 0) {
        counters_.failed_out += f.count;
        continue;
      }
      ++counters_.frames_out;
      counters_.gso_frames_out += f.count > 1;
      counters_.packets_out += f.count;
      sent += f.count;
    }
  }
  return sent;
}

}  // namespace cimnet::dataplane

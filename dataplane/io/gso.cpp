#include "cimnet/dataplane/io/gso.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace cimnet::dataplane {

namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86DD, kEthVlan = 0x8100;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kUrg = 0x20, kCwr = 0x80;
constexpr uint32_t kMaxIpPacket = 65535;

uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
// Stores a finished (complemented) checksum as it sits in memory.
void store_checksum(uint8_t* p, uint16_t folded_complement) { std::memcpy(p, &folded_complement, 2); }

void ipv4_header_checksum(uint8_t* ip, uint32_t ihl) {
  ip[10] = ip[11] = 0;
  store_checksum(ip + 10, uint16_t(~checksum_fold(checksum_add(0, ip, ihl))));
}

// Ethernet header length and the EtherType after an optional 802.1Q tag.
bool l2_of(const uint8_t* f, size_t len, uint32_t& l3, uint16_t& type) {
  if (len < 14) return false;
  type = get16(f + 12);
  l3 = 14;
  if (type == kEthVlan) {
    if (len < 18) return false;
    type = get16(f + 16);
    l3 = 18;
  }
  return true;
}

}  // namespace

uint64_t checksum_add(uint64_t sum, const uint8_t* p, size_t n) {
  // 32-bit words summed into 64-bit accumulators cannot overflow for any frame size, and the
  // folded total equals the 16-bit one's-complement sum; the loop vectorizes.
  uint64_t acc[4] = {sum, 0, 0, 0};
  while (n >= 16) {
    uint32_t w[4];
    std::memcpy(w, p, 16);
    for (int i = 0; i < 4; ++i) acc[i] += w[i];
    p += 16;
    n -= 16;
  }
  uint64_t total = 0;
  for (uint64_t a : acc) {
    // Fold each accumulator once so that their sum cannot overflow either.
    total += (a & 0xFFFFFFFF) + (a >> 32);
  }
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    total += w;
    p += 4;
    n -= 4;
  }
  uint32_t tail = 0;
  if (n) std::memcpy(&tail, p, n);  // little-endian: the bytes keep their 16-bit lane positions
  return total + tail;
}

uint16_t checksum_fold(uint64_t sum) {
  sum = (sum & 0xFFFFFFFF) + (sum >> 32);
  sum = (sum & 0xFFFFFFFF) + (sum >> 32);
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(sum);
}

uint64_t pseudo_header_sum(const uint8_t* ip, uint32_t l4_length, uint8_t proto) {
  uint64_t sum;
  if ((ip[0] >> 4) == 4)
    sum = checksum_add(0, ip + 12, 8);
  else
    sum = checksum_add(0, ip + 8, 32);
  uint8_t tail[4] = {uint8_t(l4_length >> 8), uint8_t(l4_length), 0, proto};
  if ((ip[0] >> 4) == 6) {
    uint8_t t6[8] = {uint8_t(l4_length >> 24), uint8_t(l4_length >> 16), uint8_t(l4_length >> 8),
                     uint8_t(l4_length), 0, 0, 0, proto};
    return checksum_add(sum, t6, 8);
  }
  return checksum_add(sum, tail, 4);
}

// ---------------------------------------------------------------------------------------------
// Segmentation

GsoError GsoSegmenter::load(const VirtioNetHeader& header, const uint8_t* frame, size_t length) {
  frame_ = nullptr;
  header_ = header;
  segment_ = false;
  next_ = 0;
  index_ = 0;
  uint8_t type = header.gso_type & ~kVnetGsoEcn;
  if (header.flags & kVnetNeedsCsum) {
    if (size_t(header.csum_start) + header.csum_offset + 2 > length) return GsoError::Malformed;
  }
  if (type == kVnetGsoNone) {
    if (length > kBufferSize - kHeadroom) return GsoError::TooLarge;
  } else if (type == kVnetGsoTcpV4 || type == kVnetGsoTcpV6) {
    uint16_t ethertype;
    if (!l2_of(frame, length, l3_, ethertype)) return GsoError::Malformed;
    const uint8_t* ip = frame + l3_;
    if (type == kVnetGsoTcpV4) {
      if (ethertype != kEthIpv4 || length < l3_ + 20 || (ip[0] >> 4) != 4) return GsoError::Malformed;
      uint32_t ihl = (ip[0] & 15u) * 4;
      if (ihl < 20 || ip[9] != kTcp) return GsoError::Malformed;
      if (get16(ip + 6) & 0x3FFF) return GsoError::Malformed;  // a fragment cannot be a GSO frame
      l4_ = l3_ + ihl;
      ipv4_ = true;
    } else {
      if (ethertype != kEthIpv6 || length < l3_ + 40 || (ip[0] >> 4) != 6) return GsoError::Malformed;
      if (ip[6] != kTcp) return GsoError::Unsupported;  // extension headers
      l4_ = l3_ + 40;
      ipv4_ = false;
    }
    if (length < l4_ + 20) return GsoError::Malformed;
    uint32_t thl = (frame[l4_ + 12] >> 4) * 4u;
    if (thl < 20 || length < l4_ + thl) return GsoError::Malformed;
    headers_ = l4_ + thl;
    mss_ = header.gso_size;
    if (mss_ == 0) return GsoError::Malformed;
    if (headers_ + mss_ > kBufferSize - kHeadroom) return GsoError::TooLarge;
    segment_ = true;
    next_ = headers_;
  } else {
    return GsoError::Unsupported;  // UFO / USO are never offered to the VM
  }
  frame_ = frame;
  length_ = length;
  return GsoError::None;
}

size_t GsoSegmenter::emit(std::span<Packet> packets) {
  if (!frame_ || packets.empty()) return 0;
  if (!segment_) {
    Packet& p = packets[0];
    p.offset = kHeadroom;
    p.length = uint32_t(length_);
    p.port = kDropPort;
    uint8_t* f = p.data();
    std::memcpy(f, frame_, length_);
    if (header_.flags & kVnetNeedsCsum) {
      // The checksum field holds the pseudo-header sum; sum the rest in and complement.
      uint16_t c = uint16_t(~checksum_fold(checksum_add(0, f + header_.csum_start,
                                                        length_ - header_.csum_start)));
      if (c == 0 && header_.csum_offset == 6) c = 0xFFFF;  // UDP sends a zero sum as all ones
      store_checksum(f + header_.csum_start + header_.csum_offset, c);
    }
    frame_ = nullptr;
    return 1;
  }
  size_t n = 0;
  while (n < packets.size() && frame_) {
    uint32_t chunk = std::min<uint32_t>(mss_, uint32_t(length_) - next_);
    bool first = index_ == 0;
    bool last = next_ + chunk >= length_;
    Packet& p = packets[n++];
    p.offset = kHeadroom;
    p.length = headers_ + chunk;
    p.port = kDropPort;
    uint8_t* f = p.data();
    std::memcpy(f, frame_, headers_);
    std::memcpy(f + headers_, frame_ + next_, chunk);
    uint8_t* ip = f + l3_;
    uint32_t l4_length = headers_ - l4_ + chunk;
    if (ipv4_) {
      uint32_t ihl = l4_ - l3_;
      put16(ip + 2, uint16_t(ihl + l4_length));
      put16(ip + 4, uint16_t(get16(ip + 4) + index_));
      ipv4_header_checksum(ip, ihl);
    } else {
      put16(ip + 4, uint16_t(l4_length));
    }
    uint8_t* th = f + l4_;
    put32(th + 4, get32(th + 4) + index_ * mss_);
    if (!last) th[13] &= uint8_t(~(kFin | kPsh));
    if (!first) th[13] &= uint8_t(~kCwr);
    th[16] = th[17] = 0;
    uint64_t sum = pseudo_header_sum(ip, l4_length, kTcp);
    store_checksum(th + 16, uint16_t(~checksum_fold(checksum_add(sum, th, l4_length))));
    next_ += chunk;
    ++index_;
    if (last) frame_ = nullptr;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Coalescing

namespace {

struct TcpSegment {
  bool ipv4 = false;
  uint32_t l4 = 0;       // TCP header offset
  uint32_t payload = 0;  // payload offset
  uint32_t end = 0;      // end of the IP packet (Ethernet padding excluded)
  uint32_t seq = 0;
};

// A TCP segment with data that may take part in a GSO frame (else the frame stands alone).
bool parse_tcp_segment(const Packet& p, TcpSegment& s) {
  const uint8_t* f = p.data();
  if (p.length < 14 + 20 + 20) return false;
  uint16_t type = get16(f + 12);
  const uint8_t* ip = f + 14;
  if (type == kEthIpv4) {
    if (ip[0] != 0x45 || ip[9] != kTcp) return false;  // no IP options, as GRO
    if (get16(ip + 6) & 0x3FFF) return false;
    uint32_t total = get16(ip + 2);
    if (total < 40 || 14 + total > p.length) return false;
    s.ipv4 = true;
    s.l4 = 34;
    s.end = 14 + total;
  } else if (type == kEthIpv6) {
    if (p.length < 14 + 40 + 20 || (ip[0] >> 4) != 6 || ip[6] != kTcp) return false;
    uint32_t total = 40u + get16(ip + 4);
    if (14 + total > p.length) return false;
    s.ipv4 = false;
    s.l4 = 54;
    s.end = 14 + total;
  } else {
    return false;
  }
  const uint8_t* th = f + s.l4;
  uint32_t thl = (th[12] >> 4) * 4u;
  if (thl < 20 || s.l4 + thl >= s.end) return false;  // needs payload
  if (th[13] & (kFin | kSyn | kRst | kUrg | kCwr)) return false;
  s.payload = s.l4 + thl;
  s.seq = get32(th + 4);
  // Only segments whose checksum holds may be handed on as verified.
  uint32_t l4_length = s.end - s.l4;
  uint64_t sum = pseudo_header_sum(ip, l4_length, kTcp);
  return checksum_fold(checksum_add(sum, th, l4_length)) == 0xFFFF;
}

bool continues(const Packet& a, const TcpSegment& sa, const TcpSegment& slast, const Packet& b,
               const TcpSegment& sb, uint32_t mss, uint32_t total_payload) {
  if (sa.ipv4 != sb.ipv4 || sa.payload != sb.payload) return false;
  uint32_t len = sb.end - sb.payload;
  if (len > mss) return false;
  if (slast.end - slast.payload != mss) return false;  // only the last may be short
  if (sb.seq != slast.seq + (slast.end - slast.payload)) return false;
  if (sa.payload - 14 + total_payload + len > kMaxIpPacket) return false;
  const uint8_t* fa = a.data();
  const uint8_t* fb = b.data();
  if (std::memcmp(fa, fb, 14) != 0) return false;  // MACs and EtherType
  const uint8_t* ia = fa + 14;
  const uint8_t* ib = fb + 14;
  if (sa.ipv4) {
    // Version/IHL, TOS, flags (DF), TTL, protocol, addresses; not length, id, checksum.
    if (ia[0] != ib[0] || ia[1] != ib[1] || ia[6] != ib[6] || ia[8] != ib[8] || ia[9] != ib[9] ||
        std::memcmp(ia + 12, ib + 12, 8) != 0)
      return false;
  } else {
    if (std::memcmp(ia, ib, 4) != 0 || std::memcmp(ia + 6, ib + 6, 34) != 0) return false;
  }
  const uint8_t* ta = fa + sa.l4;
  const uint8_t* tb = fb + sb.l4;
  // Ports, ACK number, data offset, window, options equal; flags equal except PSH.
  if (std::memcmp(ta, tb, 4) != 0 || std::memcmp(ta + 8, tb + 8, 5) != 0 ||
      ((ta[13] ^ tb[13]) & ~kPsh) != 0 || std::memcmp(ta + 14, tb + 14, 2) != 0 ||
      std::memcmp(ta + 18, tb + 18, sa.payload - sa.l4 - 18) != 0)
    return false;
  return true;
}

VirtioNetHeader finish(Packet& first, const TcpSegment& s, uint32_t total_payload, uint32_t mss,
                      bool push) {
  uint8_t* f = first.data();
  uint8_t* ip = f + 14;
  uint32_t l4_length = s.payload - s.l4 + total_payload;
  VirtioNetHeader h{};
  if (s.ipv4) {
    put16(ip + 2, uint16_t(20 + l4_length));
    ipv4_header_checksum(ip, 20);
    h.gso_type = kVnetGsoTcpV4;
  } else {
    put16(ip + 4, uint16_t(l4_length));
    h.gso_type = kVnetGsoTcpV6;
  }
  uint8_t* th = f + s.l4;
  if (push) th[13] |= kPsh;
  // A partial checksum: the pseudo-header sum, completed by whoever needs the full one.
  uint16_t partial = checksum_fold(pseudo_header_sum(ip, l4_length, kTcp));
  std::memcpy(th + 16, &partial, 2);
  h.flags = kVnetNeedsCsum;
  h.hdr_len = uint16_t(s.payload);
  h.gso_size = uint16_t(mss);
  h.csum_start = uint16_t(s.l4);
  h.csum_offset = 16;
  return h;
}

}  // namespace

size_t coalesce_tcp(std::span<Packet* const> packets, std::span<CoalescedFrame> out) {
  size_t frames = 0;
  size_t i = 0;
  while (i < packets.size()) {
    CoalescedFrame& o = out[frames++];
    o = CoalescedFrame{};
    o.first = i;
    o.count = 1;
    TcpSegment first;
    if (parse_tcp_segment(*packets[i], first) && !(packets[i]->data()[first.l4 + 13] & kPsh)) {
      uint32_t mss = first.end - first.payload;
      uint32_t total = mss;
      TcpSegment last = first, next;
      size_t j = i + 1;
      for (; j < packets.size(); ++j) {
        if (!parse_tcp_segment(*packets[j], next) ||
            !continues(*packets[i], first, last, *packets[j], next, mss, total))
          break;
        total += next.end - next.payload;
        last = next;
        // A short segment or PSH ends the frame, as GRO flushes on them.
        if (next.end - next.payload < mss || (packets[j]->data()[next.l4 + 13] & kPsh)) {
          ++j;
          break;
        }
      }
      o.count = j - i;
      if (o.count > 1) {
        // Ethernet padding of a short last segment is not payload.
        packets[i]->length = first.end;
        packets[j - 1]->length = last.end;
        bool push = packets[j - 1]->data()[last.l4 + 13] & kPsh;
        o.header = finish(*packets[i], first, total, mss, push);
        o.payload_offset = first.payload;
      }
    }
    i += o.count;
  }
  return frames;
}

}  // namespace cimnet::dataplane

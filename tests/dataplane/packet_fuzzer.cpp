// Fuzzes both packet paths with arbitrary frames against the two-tenant policy (plus Nat,
// IPv6 provider addresses and a gateway wildcard). The first input byte picks the path and port.

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/policy_file.h"

using namespace cimnet::dataplane;

namespace {

const char* kPolicy = R"(
settings provider-mac 02:aa:00:00:00:11 mtu 1500
provider-address 192.168.1.11/24 interface pa0
provider-address 192.168.1.21/24
provider-address fd99::11/64
neighbor 192.168.1.12 02:aa:00:00:00:12
neighbor 192.168.1.22 02:aa:00:00:00:12
neighbor fd99::12 02:aa:00:00:00:12
subnet 30 domain blue gateway 10.1.1.254 gateway fd00:30::fe
subnet 31 domain blue gateway 10.1.2.254
subnet 20 domain red gateway 10.1.1.254
subnet 50 domain nat
route blue 30 10.1.1.0/24
route blue 30 0.0.0.0/0
route blue 30 fd00:30::/64
route blue 31 10.1.2.0/24
route red 20 10.1.1.0/24
record 30 10.1.1.1 192.168.1.11 00:15:5d:00:30:01
record 30 10.1.1.2 192.168.1.12 00:15:5d:00:30:02
record 30 fd00:30::1 192.168.1.11 00:15:5d:00:30:01
record 30 fd00:30::2 fd99::12 00:15:5d:00:30:03
record 30 0.0.0.0 192.168.1.12 00:15:5d:00:30:99 gateway-wildcard
record 31 10.1.2.3 192.168.1.12 00:15:5d:00:31:03
record 20 10.1.1.1 192.168.1.11 00:15:5d:00:20:01
record 20 10.1.1.2 192.168.1.12 00:15:5d:00:20:02
record 50 10.5.0.1 192.168.1.21 00:15:5d:00:50:01 nat
record 50 10.5.0.2 192.168.1.22 00:15:5d:00:50:02 nat
port 1 00:15:5d:00:30:01 30
port 2 00:15:5d:00:20:01 20
port 4 00:15:5d:00:50:01 50
)";

struct Setup {
  Datapath dp;
  std::unique_ptr<Worker> worker;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kBufferSize);
  Setup() {
    dp.apply(parse_policy_text(kPolicy).change);
    worker = std::make_unique<Worker>(dp);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Setup setup;
  if (size < 1 || size - 1 > kBufferSize - kHeadroom) return 0;
  Packet p{setup.buffer.data(), kBufferSize, kHeadroom, uint32_t(size - 1), kDropPort};
  std::memcpy(p.data(), data + 1, size - 1);
  uint8_t sel = data[0];
  if (sel & 1) {
    setup.worker->receive(std::span<Packet>(&p, 1));
  } else {
    setup.worker->transmit(PortId((sel >> 1) % 6), std::span<Packet>(&p, 1));
  }
  // Whatever happened, the frame must still lie inside its buffer.
  if (p.port != kDropPort && (p.offset > kBufferSize || p.length > kBufferSize - p.offset))
    __builtin_trap();
  return 0;
}

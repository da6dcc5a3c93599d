#pragma once
// Datapath counters: per drop reason, per VSID and per VM port. Each worker thread owns its own
// copy (single writer, relaxed atomics); readers sum them.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace cimnet::dataplane {

// Why a packet was dropped (or consumed). Stable order: names below index by it.
enum class DropReason : uint8_t {
  Malformed,          // too short / bad header lengths
  Broadcast,          // broadcast or multicast that is not ARP/ND for policy (never flooded)
  UnknownDestination, // no lookup record / MAC for the destination in the VSID
  NoRoute,            // routed packet without a customer route in the routing domain
  UnknownArp,         // ARP or neighbour solicitation for an address with no record
  ToGateway,          // packet addressed to the virtual router itself
  NoProviderRoute,    // destination provider address not reachable (no route / neighbour)
  TooBig,             // frame + encapsulation exceeds the provider MTU and no ICMP could be sent
  UnknownPort,        // frame from a port that is not configured
  NotForUs,           // provider frame not addressed to a local provider address
  NotNvgre,           // provider frame that is not NVGRE (nor a Nat packet for a local record)
  BadGreHeader,       // GRE flags/version not 0x2000 or protocol not 0x6558
  Fragment,           // fragmented outer packet
  UnknownVsid,        // VSID with no virtual subnet here
  InnerVlan,          // inner frame carries an 802.1Q tag (RFC 7637 forbids it)
  Spoofed,            // inner source is not a record located at the outer source provider address
  TtlExpired,         // routed packet whose TTL / hop limit ran out (ICMP time exceeded sent)
  Count_
};
inline constexpr size_t kDropReasonCount = size_t(DropReason::Count_);

// A short lower-case name for a drop reason (used in counters output).
std::string_view drop_reason_name(DropReason r);

// Packet and byte counters of one direction.
struct TrafficCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// Counters of one virtual subnet, summed over workers.
struct VsidCounters {
  TrafficCounters encapsulated;  // sent to the provider network (NVGRE or Nat)
  TrafficCounters decapsulated;  // received from the provider network and delivered
  TrafficCounters local;         // delivered between VM ports on this host
  uint64_t dropped = 0;
};

// Counters of one VM port, summed over workers.
struct PortCounters {
  TrafficCounters from_vm;  // frames the VM sent
  TrafficCounters to_vm;    // frames delivered to the VM (including ARP/ND/ICMP answers)
  uint64_t dropped = 0;     // frames from this VM that were dropped
};

// Snapshot of all drop counters, indexed by DropReason.
using DropCounters = std::array<uint64_t, kDropReasonCount>;

}  // namespace cimnet::dataplane

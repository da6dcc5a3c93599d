#pragma once
// ARP and IPv6 neighbour discovery towards the provider network: keeps the Ethernet addresses of
// the next-hop provider addresses the datapath needs (ProviderNeighbor policy) learned from the
// wire instead of configured. Requests (ARP, or neighbour solicitations to the solicited-node
// multicast group) go out of the provider port; replies and requests from the targets themselves
// are learned and fed to the Datapath with apply(); entries are refreshed before they expire and
// removed from the Datapath when a target stops answering. Solicitations for the local IPv6
// provider address are answered here (the Worker answers ARP for local IPv4 ones).

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/io/packet_io.h"

namespace cimnet::dataplane {

// Timing and addresses of a NeighborResolver.
struct NeighborResolverConfig {
  IpAddress source;                                 // local IPv4 provider address (ARP sender)
  IpAddress source6;                                // local IPv6 provider address (unset: no ND)
  MacAddress source_mac;                            // the provider port's MAC
  std::chrono::milliseconds retry{1000};            // unresolved: ask again after this
  std::chrono::milliseconds reachable{30000};       // a learned address is trusted this long
};

// Learns provider neighbours. offer() may be called from every datapath thread; tick() from one
// thread at a time (it sends on the provider port it is given).
class NeighborResolver {
 public:
  using Clock = std::chrono::steady_clock;

  // Throws PolicyError when `source` is set but not IPv4, `source6` set but not IPv6, neither is
  // set, or the MAC is zero/multicast.
  NeighborResolver(Datapath& datapath, NeighborResolverConfig config);

  // The next hops to keep resolved (IPv4 ones need `source`, IPv6 ones `source6`; others are
  // ignored); targets no longer listed stop being refreshed (their learned neighbour stays until
  // it expires).
  void set_targets(const std::vector<IpAddress>& targets);

  // The next-hop provider addresses `records` need: the record's PA when a local provider
  // prefix holds it, else the next hop of the longest matching provider route. Local PAs and
  // unroutable ones are left out.
  static std::vector<IpAddress> next_hops(const std::vector<LookupRecord>& records,
                                          const std::vector<ProviderAddress>& local,
                                          const std::vector<ProviderRoute>& routes);

  // Looks at a frame received on the provider port: learns ARP replies to us and ARP requests
  // from targets, neighbour advertisements and solicitations from targets, and answers
  // solicitations for `source6` through `reply_via` (if given). Returns true when the frame was
  // consumed (ARP replies, neighbour advertisements, solicitations for us): the datapath need not
  // see it. Applies learned changes to the Datapath.
  bool offer(const Packet& frame, PacketIo* reply_via = nullptr);
  // Whether offer() wants to see this frame (ARP or ICMPv6 neighbour discovery); cheap.
  static bool wants(const Packet& frame);

  // Sends the ARP requests that are due (first ones, retries and refreshes) on `provider` and
  // removes expired neighbours from the Datapath.
  void tick(Clock::time_point now, PacketIo& provider);

  // The learned MAC of `address`, if it is currently resolved.
  std::optional<MacAddress> lookup(const IpAddress& address) const;
  // ARP requests and neighbour solicitations sent so far.
  uint64_t requests_sent() const;

 private:
  struct Entry {
    bool wanted = true;
    std::optional<MacAddress> mac;
    Clock::time_point learned{};
    Clock::time_point next_request{};  // default: now
  };
  void learn(const IpAddress& address, const MacAddress& mac, Clock::time_point now);
  bool offer_nd(const Packet& frame, PacketIo* reply_via);
  // Writes a neighbour solicitation for `target` (from source6) into `f`; returns its length.
  size_t build_solicitation(uint8_t* f, const IpAddress& target) const;

  Datapath& datapath_;
  NeighborResolverConfig config_;
  mutable std::mutex mutex_;
  std::map<IpAddress, Entry> entries_;
  uint64_t requests_sent_ = 0;
};

}  // namespace cimnet::dataplane

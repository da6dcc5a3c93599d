#pragma once
// The NVGRE datapath: policy tables that the control plane edits while worker threads process
// packets without locks, and the per-packet rules (HNV semantics, RFC 7637 wire format).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "cimnet/dataplane/counters.h"
#include "cimnet/dataplane/packet.h"
#include "cimnet/dataplane/policy.h"

namespace cimnet::dataplane {

// Memory held by the lookup tables of the current policy version.
struct TableStats {
  size_t ipv4_records = 0;      // records keyed by an IPv4 customer address (incl. wildcards)
  size_t ipv6_records = 0;      // records keyed by an IPv6 customer address (incl. wildcards)
  size_t mac_entries = 0;       // (VSID, MAC) entries
  size_t ipv4_table_bytes = 0;  // slot memory of the (VSID, IPv4) table
  size_t ipv6_table_bytes = 0;  // slot memory of the (VSID, IPv6) table
  size_t mac_table_bytes = 0;   // slot memory of the (VSID, MAC) table
  size_t provider_addresses = 0;
};

class Worker;

// Sees every policy version a Datapath publishes, for mirrors of the policy outside it (the tc
// kernel fast path). Called with the datapath's writer lock held, so it must not call back into
// the Datapath, and must not throw (a mirror that cannot follow must stop using its copy).
class PolicyObserver {
 public:
  virtual ~PolicyObserver() = default;
  // `change` passed validation and is about to become visible to packets.
  virtual void before_publish(const PolicyChange& change) noexcept = 0;
  // `change` is visible: every worker batch from now on uses it.
  virtual void after_publish(const PolicyChange& change) noexcept = 0;
};

// Owns the policy and its compiled, versioned tables. apply() may be called from any thread
// (writers are serialised); Workers read the tables without locks.
class Datapath {
 public:
  struct Limits {
    size_t max_subnets = 4096;  // distinct VSIDs ever configured (counter slots)
    size_t max_workers = 64;    // Workers alive at once
  };

  Datapath();
  explicit Datapath(Limits limits);
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // Validates and applies `change` as one new policy version. Throws PolicyError (and changes
  // nothing) if the result would be invalid. When it returns, every packet batch processed from
  // then on uses the new version and no batch still uses an older one.
  void apply(const PolicyChange& change);
  // Validates `change` exactly as apply() would and throws the same PolicyError, but never
  // changes the policy: when it returns, apply(change) on the same policy cannot fail.
  void check(const PolicyChange& change);

  // The current policy, as configured (for providers and tests).
  std::vector<LookupRecord> records() const;
  std::vector<VirtualSubnet> subnets() const;
  std::vector<CustomerRoute> customer_routes() const;
  std::vector<VmPort> ports() const;
  DatapathSettings settings() const;

  // Registers `observer` (one at a time; nullptr unregisters). It first sees the whole current
  // policy as one change of upserts (before_publish + after_publish), then every applied change.
  void set_observer(PolicyObserver* observer);
  // The limits this datapath was created with.
  Limits limits() const;

  // Table sizes of the current version.
  TableStats table_stats() const;

  // Counters summed over every worker (relaxed: a batch in flight may be partly counted).
  DropCounters drop_counters() const;
  uint64_t drops(DropReason r) const { return drop_counters()[size_t(r)]; }
  // nullopt if the VSID was never configured.
  std::optional<VsidCounters> vsid_counters(uint32_t vsid) const;
  PortCounters port_counters(PortId port) const;

  struct State;

 private:
  friend class Worker;
  void update(const PolicyChange& change, bool check_only);
  std::unique_ptr<State> state_;
};

// One packet-processing thread's handle: its own counters and reader slot. Use a Worker from one
// thread at a time. Its methods are the hot path: no allocation, locks or virtual calls.
class Worker {
 public:
  // Throws PolicyError when Limits::max_workers Workers already exist.
  explicit Worker(Datapath& datapath);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Frames sent by the VM on `from`: each packet's `port` is set to kProviderPort (encapsulated
  // or Nat-rewritten), a VM port (local delivery, or `from` itself for ARP/ND/ICMP answers) or
  // kDropPort (counted).
  void transmit(PortId from, std::span<Packet> packets);

  // Frames received on the provider port: decapsulated (or Nat-rewritten) and given the VM port
  // that owns the destination, or kDropPort (counted). ARP requests for local provider addresses
  // are answered (port = kProviderPort).
  void receive(std::span<Packet> packets);

  // Whether the common frame takes the fast path (on by default). Off, every frame goes through
  // the general rules; the results are the same either way (tests compare the two).
  void set_fast_paths(bool on) { fast_ = on; }

 private:
  Datapath::State* state_;
  size_t slot_;
  bool fast_ = true;
};

}  // namespace cimnet::dataplane

#pragma once

// cimnetd's Linux packet I/O for the NVGRE datapath (--datapath linux): an
// AF_PACKET port on the provider interface (the interface of the provider
// addresses) and one per VM adapter, moved by a dataplane::Runner thread; the
// provider next hops' MACs mirrored from the kernel's neighbour table.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/io/packet_io.h"
#include "cimnet/dataplane/io/tc_offload.h"
#include "cimnet/dataplane/runner.h"
#include "cimnet/netvirt/policy_backend.h"

namespace cimnet::netvirt {

// Keeps the datapath's ports in step with the committed policy: a control
// thread opens and closes interfaces when the layout changes (VM adapters
// created or deleted over WS-Man attach or detach at run time, without
// touching the other ports' rings), retries interfaces that do not exist yet
// every second, and follows the neighbour table. With `tc_offload` the kernel
// fast path (dataplane::TcOffload) is attached to the provider interface once
// it is open and to every VM port as it is attached (taken off as it is
// detached), and the ports are read with SlowPathIo. Destruction detaches the
// fast path, stops both threads and closes every socket.
class LinuxPorts {
 public:
  LinuxPorts(dataplane::Datapath& datapath, DatapathBackend& backend, bool tc_offload = false);
  ~LinuxPorts();
  LinuxPorts(const LinuxPorts&) = delete;
  LinuxPorts& operator=(const LinuxPorts&) = delete;

  // Records the layout to run and wakes the control thread; never blocks on
  // I/O (called from the backend with the store's locks held).
  void set_layout(const PortLayout& layout);
  // What is wrong now (an interface that cannot be opened, no provider
  // address, several provider interfaces), or empty.
  std::string problem() const;
  // What the kernel fast path forwarded for `vsid` / VM port `port` (nullopt /
  // zeros without it). Any thread.
  std::optional<dataplane::VsidCounters> fast_path_counters(uint32_t vsid) const;
  dataplane::PortCounters fast_path_counters(dataplane::PortId port) const;

 private:
  using NeighborTable = std::map<std::pair<uint32_t, dataplane::IpAddress>, dataplane::MacAddress>;
  struct OpenPort {
    std::string interface;
    std::unique_ptr<dataplane::PacketIo> io;
  };

  void control();
  bool reconcile(const PortLayout& layout, std::string& problems);
  void sync_neighbors(const NeighborTable& kernel);
  std::unique_ptr<dataplane::PacketIo> open_io(const std::string& interface) const;
  void sync_offload(std::string& problems);
  void log_offload_counters() const;
  void start_runner();
  void stop_runner();

  dataplane::Datapath& datapath_;
  DatapathBackend& backend_;

  mutable std::mutex mutex_;  // guards wanted_, dirty_, problem_
  PortLayout wanted_;
  bool dirty_ = true;
  std::string problem_;

  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};

  // Owned by the control thread.
  std::map<uint16_t, OpenPort> ports_;  // by datapath port id, each one open
  uint32_t provider_ifindex_ = 0;
  std::string provider_name_;
  std::unique_ptr<dataplane::PacketIo> provider_;
  std::map<dataplane::IpAddress, dataplane::MacAddress> neighbors_;  // as given to the datapath
  std::unique_ptr<dataplane::Runner> runner_;
  std::atomic<bool> runner_stop_{false};
  std::thread runner_thread_;
  const bool tc_offload_;
  mutable std::mutex offload_mutex_;  // guards offload_ for readers of other threads
  std::unique_ptr<dataplane::TcOffload> offload_;  // attached on offload_provider_
  std::string offload_provider_;
  std::map<uint16_t, std::string> offloaded_;  // VM ports given the fast path, by id

  std::thread control_;  // last: starts once everything above exists
};

}  // namespace cimnet::netvirt

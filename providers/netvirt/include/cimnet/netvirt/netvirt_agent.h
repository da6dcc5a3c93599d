#pragma once

// What cimnetd needs for network virtualization, in one place: the datapath
// (in memory, or on Linux interfaces), the store backend that programs it
// from the committed policy, and the root/StandardCimv2 providers.

#include <memory>
#include <string>

#include "agent/provider/provider.h"
#include "cimnet/config/store.h"
#include "cimnet/dataplane/datapath.h"
#include "cimnet/netvirt/netvirt_providers.h"
#include "cimnet/netvirt/policy_backend.h"

namespace cimnet::netvirt {

class LinuxPorts;

// Owns the datapath, its backend (registered with the store) and the
// providers. Destroy it before the store.
class NetvirtAgent {
 public:
  struct Options {
    std::string datapath = "memory";  // --datapath memory | linux
    std::string system_name;          // empty: the host name
    std::string offload;              // --datapath-offload: empty (none) | tc (linux only)
  };

  // True when this build can run --datapath-offload tc (the dataplane's tc
  // fast path was compiled in); otherwise `why` says what is missing.
  static bool offload_available(std::string* why);

  // Builds the datapath, registers the backend with `store` (which replays the
  // stored policy onto it). "linux" also starts the packet I/O threads
  // (AF_PACKET on the provider interface and the VM adapters' interfaces,
  // needs CAP_NET_RAW; problems are reported by io_problem(), not thrown).
  // offload "tc" (with "linux" only) adds the kernel fast path (tc BPF on the
  // provider interface and every VM port, needs CAP_BPF/CAP_NET_ADMIN; failing
  // to attach is reported by io_problem() and leaves the slow path forwarding).
  // Throws cim::Error(kInvalidParameter) for an unknown datapath or offload
  // kind, offload without "linux", or "tc" in a build without it.
  static std::unique_ptr<NetvirtAgent> start(config::Store& store, const Options& options);
  ~NetvirtAgent();

  // Registers the network-virtualization classes in root/StandardCimv2.
  void register_providers(provider::ProviderRegistry& registry);

  dataplane::Datapath& datapath() { return *datapath_; }
  DatapathBackend& backend() { return *backend_; }
  // Non-empty when the stored policy could not be replayed onto the datapath.
  std::string replay_problem() const { return backend_->load_problem(); }
  // Non-empty when the Linux datapath could not open an interface (last attempt).
  std::string io_problem() const;
  // The Linux packet I/O (nullptr for the in-memory datapath).
  LinuxPorts* linux_ports() { return linux_.get(); }

 private:
  NetvirtAgent() = default;
  config::Store* store_ = nullptr;
  std::unique_ptr<dataplane::Datapath> datapath_;
  std::unique_ptr<DatapathBackend> backend_;
  std::unique_ptr<LinuxPorts> linux_;
  std::shared_ptr<NetvirtProvider> provider_;
};

}  // namespace cimnet::netvirt

#include "cimnet/netvirt/netvirt_agent.h"

#include <unistd.h>

#include <cstdio>

#include "cimnet/cim/error.h"
#include "cimnet/dataplane/io/tc_offload.h"
#include "linux_ports.h"

namespace cimnet::netvirt {

namespace dp = cimnet::dataplane;

namespace {

dp::DatapathSettings default_settings() {
  dp::DatapathSettings s;
  // Locally administered unicast addresses for the distributed router and the
  // provider side when no interface supplies one.
  s.router_mac.bytes = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
  s.provider_mac.bytes = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x02};
  s.provider_mtu = 1500;
  return s;
}

}  // namespace

bool NetvirtAgent::offload_available(std::string* why) {
  return dp::TcOffload::available(why);
}

std::unique_ptr<NetvirtAgent> NetvirtAgent::start(config::Store& store, const Options& options) {
  if (options.datapath != "memory" && options.datapath != "linux")
    throw cim::Error(cim::Status::kInvalidParameter,
                     "--datapath must be memory or linux, not " + options.datapath);
  if (!options.offload.empty()) {
    std::string why;
    if (options.offload != "tc")
      throw cim::Error(cim::Status::kInvalidParameter,
                       "--datapath-offload knows only tc, not " + options.offload);
    if (options.datapath != "linux")
      throw cim::Error(cim::Status::kInvalidParameter,
                       "--datapath-offload tc needs --datapath linux");
    if (!offload_available(&why))
      throw cim::Error(cim::Status::kInvalidParameter,
                       "--datapath-offload tc is not available in this build: " + why);
  }
  std::unique_ptr<NetvirtAgent> agent(new NetvirtAgent());
  agent->store_ = &store;
  agent->datapath_ = std::make_unique<dp::Datapath>();
  agent->backend_ = std::make_unique<DatapathBackend>(*agent->datapath_, default_settings());
  if (options.datapath == "linux") {
    // Ports follow the committed layout; the first layout arrives with the
    // replay of the stored policy (register_backend -> load).
    agent->linux_ = std::make_unique<LinuxPorts>(*agent->datapath_, *agent->backend_,
                                                 options.offload == "tc");
    LinuxPorts* ports = agent->linux_.get();
    agent->backend_->on_layout_changed([ports](const PortLayout& l) { ports->set_layout(l); });
  }
  store.register_backend(*agent->backend_);
  HostIdentity host;
  host.system_name = options.system_name;
  if (host.system_name.empty()) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
      std::snprintf(name, sizeof name, "cimnet-host");
    host.system_name = name;
  }
  agent->provider_ = std::make_shared<NetvirtProvider>(store, *agent->datapath_, *agent->backend_,
                                                       std::move(host));
  if (agent->linux_ && options.offload == "tc") {
    LinuxPorts* ports = agent->linux_.get();
    agent->provider_->set_extra_counters(
        {[ports](uint32_t vsid) { return ports->fast_path_counters(vsid); },
         [ports](dp::PortId port) { return ports->fast_path_counters(port); }});
  }
  return agent;
}

NetvirtAgent::~NetvirtAgent() {
  // The registry may outlive this agent: nothing of it may point at linux_.
  if (provider_) provider_->set_extra_counters({});
  provider_.reset();
  if (store_ && backend_) store_->unregister_backend(*backend_);
  if (backend_) backend_->on_layout_changed({});
  linux_.reset();
  backend_.reset();
  datapath_.reset();
}

void NetvirtAgent::register_providers(provider::ProviderRegistry& registry) {
  register_netvirt_providers(registry, provider_);
}

std::string NetvirtAgent::io_problem() const {
  return linux_ ? linux_->problem() : std::string();
}

}  // namespace cimnet::netvirt

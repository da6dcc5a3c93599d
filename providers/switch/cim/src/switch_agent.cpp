#include "cimnet/switching/switch_agent.h"

#include <unistd.h>

namespace cimnet::switching {

std::unique_ptr<SwitchAgent> SwitchAgent::start(const Options& options) {
  std::unique_ptr<SwitchAgent> agent(new SwitchAgent());
  config::StoreOptions store_options;
  store_options.state_dir = options.state_dir;
  agent->store_ = config::Store::open(store_options);
  agent->driver_ = make_switch_driver(options.switch_spec);
  agent->state_ = std::make_unique<SwitchState>(*agent->store_, *agent->driver_);
  SwitchIdentity identity;
  identity.system_name = options.system_name;
  if (identity.system_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
      std::snprintf(host, sizeof host, "cimnet-switch");
    identity.system_name = host;
  }
  identity.version = options.version;
  agent->provider_ = std::make_shared<SwitchProvider>(*agent->state_, identity);
  return agent;
}

SwitchAgent::~SwitchAgent() {
  provider_.reset();
  state_.reset();
  driver_.reset();
  store_.reset();
}

void SwitchAgent::register_providers(provider::ProviderRegistry& registry) {
  register_switch_providers(registry, provider_);
}

}  // namespace cimnet::switching

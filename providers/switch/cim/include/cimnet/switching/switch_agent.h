#pragma once

// What cimnetd needs for the switch, in one place: the configuration store in
// the state directory, the switch driver from --switch, the switch state that
// keeps them in step, and the CIM providers.

#include <filesystem>
#include <memory>
#include <string>

#include "agent/provider/provider.h"
#include "cimnet/config/store.h"
#include "cimnet/switching/driver.h"
#include "cimnet/switching/switch_providers.h"
#include "cimnet/switching/switch_state.h"

namespace cimnet::switching {

// Owns the store, the driver and the switch state, destroyed in the right
// order (state, then driver, then store). Every commit is durable when it
// returns, so stopping (SIGTERM) needs nothing more than destroying this.
class SwitchAgent {
 public:
  struct Options {
    std::filesystem::path state_dir;
    std::string switch_spec = "sim:24";  // --switch
    std::string system_name;             // empty: the host name
    std::string version;
  };

  // Opens the store (ConfigError on a broken state directory), builds the
  // driver (cim::Error for a bad --switch or a missing bridge) and replays the
  // stored configuration onto it.
  static std::unique_ptr<SwitchAgent> start(const Options& options);
  ~SwitchAgent();

  // Registers the switch classes in root/cimv2 and root/interop.
  void register_providers(provider::ProviderRegistry& registry);

  config::Store& store() { return *store_; }
  SwitchDriver& driver() { return *driver_; }
  SwitchState& state() { return *state_; }
  // Non-empty when replaying the stored configuration onto the driver failed.
  std::string replay_problem() const { return state_->backend().load_problem(); }

 private:
  SwitchAgent() = default;
  std::unique_ptr<config::Store> store_;
  std::unique_ptr<SwitchDriver> driver_;
  std::unique_ptr<SwitchState> state_;
  std::shared_ptr<SwitchProvider> provider_;
};

}  // namespace cimnet::switching

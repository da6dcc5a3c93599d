#pragma once

#include <string>

#include "agent/provider/provider.h"

namespace cimnet::provider {

// The example provider: serves the agent's own CIM_SoftwareIdentity (one
// read-only instance, InstanceID "cimnet:cimnetd") so that a client can ask
// any cimnetd what it is running. It shows the smallest complete provider:
// enumerate from memory, let the default get() find by keys, refuse writes.
class SoftwareIdentityProvider : public Provider {
 public:
  explicit SoftwareIdentityProvider(std::string version);

  std::unique_ptr<InstanceStream> enumerate(const CallContext& ctx,
                                            const cim::Class& cls) override;

  // The one instance it serves.
  cim::Instance instance() const;

 private:
  std::string version_;
};

}  // namespace cimnet::provider

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/provider/provider.h"
#include "agent/wsman/enumeration.h"
#include "agent/wsman/service.h"
#include "cimnet/cim/repository.h"

namespace cimnet::wsman {

// The WS-Management operations on CIM classes (DSP0227): resolves the
// ResourceURI and __cimnamespace selector to a class in the repository,
// checks selectors, instances and method arguments against it, calls the
// class's provider and writes the DSP0230 reply. Get, Put, Create, Delete,
// Enumerate (optimized or not, EnumerateEPR / EnumerateObjectAndEPR,
// MaxElements, TotalItemsCountEstimate, PolymorphismMode, WQL / CQL /
// selector filters and
// the association filter: associators and references resolved generically
// from the instances of the registered association classes),
// Pull, Release and Invoke. Enumerations stream from the provider as the
// client pulls, packed to the caller's MaxEnvelopeSize. GetClass and class
// enumeration answer in CIM-XML on the cim-xml resource URI (class_xml.h).
class Dispatcher : public Operations {
 public:
  struct Config {
    std::string default_namespace = "root/cimv2";
    EnumerationTable::Limits enumeration_limits;
    // Largest envelope built when the client gives no MaxEnvelopeSize.
    uint64_t default_max_envelope = 512'000;
    // Upper bound on MaxElements per response.
    uint32_t max_elements = 10'000;
    // OperationTimeout when the client gives none.
    std::chrono::milliseconds default_timeout{60'000};
  };

  Dispatcher(const cim::Repository& repository, const provider::ProviderRegistry& providers,
             Config config);

  Reply perform(const Request& request, const Caller& caller) override;

  EnumerationTable& enumerations() { return enumerations_; }

 private:
  struct Target;
  Target resolve(const Request& request) const;
  provider::Provider* provider_for(const std::string& ns, const cim::Class& cls) const;
  provider::CallContext context(const Request& request, const Caller& caller,
                                const std::string& ns) const;

  Reply get(const Request& request, const Caller& caller);
  Reply put(const Request& request, const Caller& caller);
  Reply create(const Request& request, const Caller& caller);
  Reply remove(const Request& request, const Caller& caller);
  Reply enumerate(const Request& request, const Caller& caller);
  Reply pull(const Request& request, const Caller& caller);
  Reply release(const Request& request, const Caller& caller);
  Reply invoke(const Request& request, const Caller& caller);
  // Builds the EnumerateResponse (first items when optimized) and stores the
  // cursor unless the enumeration is already complete.
  Reply finish_enumerate(const Request& request, const Caller& caller,
                         std::unique_ptr<EnumerationCursor> cursor, bool optimize,
                         std::optional<uint32_t> max_elements);

  const cim::Repository& repository_;
  const provider::ProviderRegistry& providers_;
  Config config_;
  EnumerationTable enumerations_;
};

}  // namespace cimnet::wsman

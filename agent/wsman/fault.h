#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cimnet/cim/error.h"

namespace cimnet::wsman {

// Every fault the agent can send (wsman.md section 10). The SOAP Code,
// Subcode and fault Action follow from the kind.
enum class FaultKind {
  kVersionMismatch,  // SOAP Code env:VersionMismatch (not a SOAP 1.2 envelope)
  kMustUnderstand,   // SOAP Code env:MustUnderstand, no subcode
  kDestinationUnreachable,
  kActionNotSupported,
  kMessageInformationHeaderRequired,
  kInvalidMessageInformationHeader,
  kEndpointUnavailable,
  kInvalidSelectors,
  kEncodingLimit,
  kSchemaValidationError,
  kAccessDenied,
  kTimedOut,
  kInternalError,
  kCannotProcessFilter,      // wsman:CannotProcessFilter
  kEnumCannotProcessFilter,  // wsen:CannotProcessFilter
  kInvalidEnumerationContext,
  kEnumTimedOut,
  kFilterDialectRequestedUnavailable,
  kFilteringNotSupported,
  kUnsupportedExpirationType,
  kInvalidExpirationTime,
  kUnsupportedFeature,
  kInvalidOptions,
  kInvalidParameter,
  kAlreadyExists,
  kConcurrency,
  kQuotaLimit,
  kInvalidRepresentation,
  kFragmentDialectNotSupported,
  kPolymorphismModeNotSupported,
};

// The fixed facts of one fault kind.
struct FaultInfo {
  std::string_view code;     // "s:Sender" / "s:Receiver" / "s:MustUnderstand" ...
  std::string_view subcode;  // "wsman:InvalidSelectors", or "" for none
  std::string_view action;   // fault wsa:Action
  std::string_view reason;   // default reason text
};
const FaultInfo& fault_info(FaultKind kind);

// A WS-Management fault on its way to the client. `detail` is the last part
// of a faultDetail URI ("InsufficientSelectors") or a full URI; empty for
// none. `wsman_code` is the WinRM numeric code put in f:WSManFault (0: none).
class Fault : public std::runtime_error {
 public:
  Fault(FaultKind kind, std::string reason = {}, std::string detail = {},
        uint32_t wsman_code = 0);

  FaultKind kind() const { return kind_; }
  const std::string& reason() const { return reason_; }
  const std::string& detail() const { return detail_; }
  uint32_t wsman_code() const { return wsman_code_; }
  // The CIM status behind this fault, when it came from the CIM layer.
  const std::optional<cim::Status>& cim_status() const { return cim_status_; }
  Fault& with_cim_status(cim::Status status) {
    cim_status_ = status;
    return *this;
  }

 private:
  FaultKind kind_;
  std::string reason_;
  std::string detail_;
  uint32_t wsman_code_;
  std::optional<cim::Status> cim_status_;
};

// WinRM's numeric codes used in f:WSManFault.
namespace wsman_code {
inline constexpr uint32_t kOperationTimedOut = 2150858793u;
inline constexpr uint32_t kInsufficientSelectors = 2150858842u;
inline constexpr uint32_t kUnexpectedSelectors = 2150858843u;
inline constexpr uint32_t kInvalidSelectorValue = 2150858845u;
inline constexpr uint32_t kAmbiguousSelectors = 2150858846u;
inline constexpr uint32_t kDuplicateSelectors = 2150858847u;
inline constexpr uint32_t kEnumerateTimedOut = 2150858780u;
}  // namespace wsman_code

// Maps a CIM error to the fault DSP0227 prescribes (wsman.md section 9.5),
// keeping its message as the reason and its status for the CIM_Error detail.
Fault fault_from_cim(const cim::Error& error);

// The complete SOAP envelope of a fault. `relates_to` is the request's
// MessageID (omitted when the request had none).
std::string fault_envelope(const Fault& fault, std::string_view relates_to,
                           bool has_relates_to);

}  // namespace cimnet::wsman

#include "agent/wsman/fault.h"

#include <unistd.h>

#include <array>

#include "agent/wsman/envelope.h"
#include "agent/wsman/names.h"
#include "agent/wsman/xml.h"

namespace cimnet::wsman {

namespace {

constexpr std::string_view kSender = "s:Sender";
constexpr std::string_view kReceiver = "s:Receiver";

// Indexed by FaultKind; keep in enum order.
constexpr std::array<FaultInfo, 30> kFaults = {{
    {"s:VersionMismatch", "", uri::kFaultAddressing,
     "The message is not a SOAP 1.2 envelope."},
    {"s:MustUnderstand", "", uri::kFaultAddressing,
     "A header marked mustUnderstand was not understood."},
    {kSender, "wsa:DestinationUnreachable", uri::kFaultAddressing,
     "No route can be determined to reach the destination role defined by the WS-Addressing To."},
    {kSender, "wsa:ActionNotSupported", uri::kFaultAddressing,
     "The action is not supported by the service."},
    {kSender, "wsa:MessageInformationHeaderRequired", uri::kFaultAddressing,
     "A required header was missing."},
    {kSender, "wsa:InvalidMessageInformationHeader", uri::kFaultAddressing,
     "A message information header is not valid and the message cannot be processed."},
    {kReceiver, "wsa:EndpointUnavailable", uri::kFaultAddressing,
     "The specified endpoint is currently unavailable."},
    {kSender, "wsman:InvalidSelectors", uri::kFaultWsman,
     "The Selectors for the resource are not valid."},
    {kSender, "wsman:EncodingLimit", uri::kFaultWsman,
     "An internal encoding limit was exceeded in a request or would be violated if the message "
     "were processed."},
    {kSender, "wsman:SchemaValidationError", uri::kFaultWsman,
     "The supplied SOAP violates the corresponding XML Schema definition."},
    {kSender, "wsman:AccessDenied", uri::kFaultWsman,
     "The sender was not authorized to access the resource."},
    {kReceiver, "wsman:TimedOut", uri::kFaultWsman,
     "The operation has timed out."},
    {kReceiver, "wsman:InternalError", uri::kFaultWsman,
     "The service cannot comply with the request due to internal processing errors."},
    {kSender, "wsman:CannotProcessFilter", uri::kFaultWsman,
     "The requested filter could not be processed."},
    {kSender, "wsen:CannotProcessFilter", uri::kFaultEnumeration,
     "The requested filter could not be processed."},
    {kReceiver, "wsen:InvalidEnumerationContext", uri::kFaultEnumeration,
     "The supplied enumeration context is invalid."},
    {kReceiver, "wsen:TimedOut", uri::kFaultEnumeration,
     "The enumerator has timed out and is no longer valid."},
    {kSender, "wsen:FilterDialectRequestedUnavailable", uri::kFaultEnumeration,
     "The requested filtering dialect is not supported."},
    {kSender, "wsen:FilteringNotSupported", uri::kFaultEnumeration,
     "Filtered enumeration is not supported."},
    {kReceiver, "wsen:UnsupportedExpirationType", uri::kFaultEnumeration,
     "Only expiration durations are supported."},
    {kSender, "wsen:InvalidExpirationTime", uri::kFaultEnumeration,
     "The expiration time requested is invalid."},
    {kSender, "wsman:UnsupportedFeature", uri::kFaultWsman,
     "The specified feature is not supported."},
    {kSender, "wsman:InvalidOptions", uri::kFaultWsman,
     "One or more options were not valid."},
    {kSender, "wsman:InvalidParameter", uri::kFaultWsman,
     "An operation parameter was not valid."},
    {kSender, "wsman:AlreadyExists", uri::kFaultWsman,
     "The sender attempted to create a resource which already exists."},
    {kSender, "wsman:Concurrency", uri::kFaultWsman,
     "The action could not be completed due to concurrency or locking problems."},
    {kSender, "wsman:QuotaLimit", uri::kFaultWsman,
     "The service is busy servicing other requests."},
    {kSender, "wxf:InvalidRepresentation", uri::kFaultTransfer,
     "The XML content is not valid."},
    {kReceiver, "wsman:FragmentDialectNotSupported", uri::kFaultWsman,
     "The requested fragment filtering dialect or language is not supported."},
    {kReceiver, "wsmb:PolymorphismModeNotSupported", uri::kFaultCimBinding,
     "The requested PolymorphismMode is not supported."},
}};

static_assert(static_cast<size_t>(FaultKind::kPolymorphismModeNotSupported) + 1 ==
              kFaults.size());

std::string host_name() {
  char buf[256] = "";
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

const FaultInfo& fault_info(FaultKind kind) { return kFaults[static_cast<size_t>(kind)]; }

Fault::Fault(FaultKind kind, std::string reason, std::string detail, uint32_t wsman_code)
    : std::runtime_error(reason.empty() ? std::string(fault_info(kind).reason) : reason),
      kind_(kind),
      reason_(reason.empty() ? std::string(fault_info(kind).reason) : std::move(reason)),
      detail_(std::move(detail)),
      wsman_code_(wsman_code) {}

Fault fault_from_cim(const cim::Error& error) {
  using cim::Status;
  FaultKind kind = FaultKind::kInternalError;
  std::string detail;
  switch (error.status()) {
    case Status::kAccessDenied: kind = FaultKind::kAccessDenied; break;
    case Status::kInvalidNamespace: kind = FaultKind::kDestinationUnreachable; break;
    case Status::kInvalidClass:
      kind = FaultKind::kDestinationUnreachable;
      detail = "InvalidResourceURI";
      break;
    case Status::kNotFound: kind = FaultKind::kDestinationUnreachable; break;
    case Status::kInvalidParameter:
    case Status::kNoSuchProperty:
    case Status::kTypeMismatch:
      kind = FaultKind::kInvalidParameter;
      detail = error.status() == Status::kTypeMismatch ? "TypeMismatch" : "InvalidValue";
      break;
    case Status::kNotSupported:
    case Status::kMethodNotAvailable:
    case Status::kMethodNotFound: kind = FaultKind::kActionNotSupported; break;
    case Status::kAlreadyExists: kind = FaultKind::kAlreadyExists; break;
    case Status::kInvalidQuery:
    case Status::kQueryLanguageNotSupported: kind = FaultKind::kCannotProcessFilter; break;
    case Status::kInvalidEnumerationContext: kind = FaultKind::kInvalidEnumerationContext; break;
    case Status::kServerLimitsExceeded: kind = FaultKind::kQuotaLimit; break;
    case Status::kServerIsShuttingDown: kind = FaultKind::kEndpointUnavailable; break;
    default: kind = FaultKind::kInternalError; break;
  }
  Fault fault(kind, error.what(), detail);
  fault.with_cim_status(error.status());
  return fault;
}

std::string fault_envelope(const Fault& fault, std::string_view relates_to,
                           bool has_relates_to) {
  const FaultInfo& info = fault_info(fault.kind());
  std::string body;
  body.reserve(1024);
  body += "<s:Fault><s:Code><s:Value>";
  body += info.code;
  body += "</s:Value>";
  if (!info.subcode.empty()) {
    body += "<s:Subcode><s:Value>";
    body += info.subcode;
    body += "</s:Value></s:Subcode>";
  }
  body += "</s:Code><s:Reason><s:Text xml:lang=\"en-US\">";
  xml::append_escaped(body, fault.reason());
  body += "</s:Text></s:Reason>";
  bool detail = !fault.detail().empty() || fault.wsman_code() != 0 || fault.cim_status();
  if (detail) {
    body += "<s:Detail>";
    if (!fault.detail().empty()) {
      body += "<wsman:FaultDetail>";
      if (fault.detail().find("://") == std::string::npos) body += uri::kFaultDetailPrefix;
      xml::append_escaped(body, fault.detail());
      body += "</wsman:FaultDetail>";
    }
    if (fault.wsman_code() != 0) {
      body += "<f:WSManFault xmlns:f=\"";
      body += uri::kMsFault;
      body += "\" Code=\"" + std::to_string(fault.wsman_code()) + "\" Machine=\"";
      static const std::string machine = host_name();
      xml::append_attribute_escaped(body, machine);
      body += "\"><f:Message>";
      xml::append_escaped(body, fault.reason());
      body += "</f:Message></f:WSManFault>";
    }
    if (fault.cim_status()) {
      // DSP0227: a CIM_Error instance in the detail (advertised in Identify).
      body += "<e:CIM_Error xmlns:e=\"";
      body += uri::kCimClassPrefix;
      body += "CIM_Error\"><e:CIMStatusCode>";
      body += std::to_string(static_cast<int>(*fault.cim_status()));
      body += "</e:CIMStatusCode><e:Message>";
      xml::append_escaped(body, fault.reason());
      body += "</e:Message></e:CIM_Error>";
    }
    body += "</s:Detail>";
  }
  body += "</s:Fault>";
  return response_envelope(info.action, relates_to, has_relates_to, {}, body);
}

}  // namespace cimnet::wsman

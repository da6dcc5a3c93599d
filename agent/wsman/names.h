#pragma once

#include <string_view>

// Namespace and action URIs of WS-Management (DSP0226/0227) and the WS-*
// specifications it builds on, exactly as clients put them on the wire.
namespace cimnet::wsman::uri {

inline constexpr std::string_view kSoap = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kSoap11 = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
inline constexpr std::string_view kWsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
inline constexpr std::string_view kEnumeration =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
inline constexpr std::string_view kTransfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
inline constexpr std::string_view kEventing = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
inline constexpr std::string_view kIdentity =
    "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
inline constexpr std::string_view kCimBinding =
    "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd";
inline constexpr std::string_view kCimCommon = "http://schemas.dmtf.org/wbem/wscim/1/common";
inline constexpr std::string_view kCimClassPrefix =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
inline constexpr std::string_view kAllClasses = "http://schemas.dmtf.org/wbem/wscim/1/*";
inline constexpr std::string_view kAllClassesSchema2 =
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/*";
inline constexpr std::string_view kXsi = "http://www.w3.org/2001/XMLSchema-instance";
inline constexpr std::string_view kXml = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view kMsWsman = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
inline constexpr std::string_view kMsFault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";
inline constexpr std::string_view kFaultDetailPrefix =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/";
inline constexpr std::string_view kAnonymous =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
inline constexpr std::string_view kSecProfileHttpBasic =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic";
inline constexpr std::string_view kSecProfileHttpsBasic =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/basic";

// Actions.
inline constexpr std::string_view kGet = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
inline constexpr std::string_view kPut = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put";
inline constexpr std::string_view kCreate =
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create";
inline constexpr std::string_view kDelete =
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete";
inline constexpr std::string_view kEnumerate =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
inline constexpr std::string_view kPull = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";
inline constexpr std::string_view kRelease =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release";

// Fault actions by origin.
inline constexpr std::string_view kFaultAddressing =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault";
inline constexpr std::string_view kFaultWsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
inline constexpr std::string_view kFaultEnumeration =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault";
inline constexpr std::string_view kFaultTransfer =
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/fault";
inline constexpr std::string_view kFaultEventing =
    "http://schemas.xmlsoap.org/ws/2004/08/eventing/fault";
inline constexpr std::string_view kFaultCimBinding =
    "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/fault";

// Filter dialects.
inline constexpr std::string_view kDialectWql = "http://schemas.microsoft.com/wbem/wsman/1/WQL";
inline constexpr std::string_view kDialectCql = "http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf";
inline constexpr std::string_view kDialectSelector =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter";
inline constexpr std::string_view kDialectAssociation =
    "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter";

}  // namespace cimnet::wsman::uri

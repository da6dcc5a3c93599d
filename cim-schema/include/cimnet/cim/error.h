#pragma once

#include <stdexcept>
#include <string>

namespace cimnet::cim {

// CIM status codes (DSP0004 / DSP0200 CIM_ERR_*). Every error that leaves the
// CIM core carries one; the WS-Management layer maps it to a fault.
enum class Status : int {
  kOk = 0,
  kFailed = 1,
  kAccessDenied = 2,
  kInvalidNamespace = 3,
  kInvalidParameter = 4,
  kInvalidClass = 5,
  kNotFound = 6,
  kNotSupported = 7,
  kClassHasChildren = 8,
  kClassHasInstances = 9,
  kInvalidSuperclass = 10,
  kAlreadyExists = 11,
  kNoSuchProperty = 12,
  kTypeMismatch = 13,
  kQueryLanguageNotSupported = 14,
  kInvalidQuery = 15,
  kMethodNotAvailable = 16,
  kMethodNotFound = 17,
  kNamespaceNotEmpty = 20,
  kInvalidEnumerationContext = 21,
  kInvalidOperationTimeout = 22,
  kPullHasBeenAbandoned = 23,
  kPullCannotBeAbandoned = 24,
  kFilteredEnumerationNotSupported = 25,
  kContinuationOnErrorNotSupported = 26,
  kServerLimitsExceeded = 27,
  kServerIsShuttingDown = 28,
};

// "CIM_ERR_NOT_FOUND" and so on; "CIM_ERR_<n>" for codes outside the list.
std::string status_name(Status status);

// An error with the CIM status the outside will see and a message that says
// what was wrong (naming the property, value or class involved).
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

}  // namespace cimnet::cim

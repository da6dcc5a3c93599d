#include "cimnet/cim/names.h"

#include <algorithm>

#include "cimnet/cim/error.h"

namespace cimnet::cim {

namespace {
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool ILess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
}

size_t IHash::operator()(std::string_view s) const {
  // FNV-1a over the lower-cased bytes.
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(lower(c));
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

std::string canonical_namespace(std::string_view ns) {
  std::string out;
  out.reserve(ns.size());
  for (char c : ns) out.push_back(c == '\\' ? '/' : c);
  size_t start = out.find_first_not_of('/');
  if (start == std::string::npos) return {};
  size_t end = out.find_last_not_of('/');
  return out.substr(start, end - start + 1);
}

std::string status_name(Status status) {
  switch (status) {
    case Status::kOk:
      return "CIM_ERR_OK";
    case Status::kFailed:
      return "CIM_ERR_FAILED";
    case Status::kAccessDenied:
      return "CIM_ERR_ACCESS_DENIED";
    case Status::kInvalidNamespace:
      return "CIM_ERR_INVALID_NAMESPACE";
    case Status::kInvalidParameter:
      return "CIM_ERR_INVALID_PARAMETER";
    case Status::kInvalidClass:
      return "CIM_ERR_INVALID_CLASS";
    case Status::kNotFound:
      return "CIM_ERR_NOT_FOUND";
    case Status::kNotSupported:
      return "CIM_ERR_NOT_SUPPORTED";
    case Status::kClassHasChildren:
      return "CIM_ERR_CLASS_HAS_CHILDREN";
    case Status::kClassHasInstances:
      return "CIM_ERR_CLASS_HAS_INSTANCES";
    case Status::kInvalidSuperclass:
      return "CIM_ERR_INVALID_SUPERCLASS";
    case Status::kAlreadyExists:
      return "CIM_ERR_ALREADY_EXISTS";
    case Status::kNoSuchProperty:
      return "CIM_ERR_NO_SUCH_PROPERTY";
    case Status::kTypeMismatch:
      return "CIM_ERR_TYPE_MISMATCH";
    case Status::kQueryLanguageNotSupported:
      return "CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED";
    case Status::kInvalidQuery:
      return "CIM_ERR_INVALID_QUERY";
    case Status::kMethodNotAvailable:
      return "CIM_ERR_METHOD_NOT_AVAILABLE";
    case Status::kMethodNotFound:
      return "CIM_ERR_METHOD_NOT_FOUND";
    case Status::kNamespaceNotEmpty:
      return "CIM_ERR_NAMESPACE_NOT_EMPTY";
    case Status::kInvalidEnumerationContext:
      return "CIM_ERR_INVALID_ENUMERATION_CONTEXT";
    case Status::kInvalidOperationTimeout:
      return "CIM_ERR_INVALID_OPERATION_TIMEOUT";
    case Status::kPullHasBeenAbandoned:
      return "CIM_ERR_PULL_HAS_BEEN_ABANDONED";
    case Status::kPullCannotBeAbandoned:
      return "CIM_ERR_PULL_CANNOT_BE_ABANDONED";
    case Status::kFilteredEnumerationNotSupported:
      return "CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED";
    case Status::kContinuationOnErrorNotSupported:
      return "CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED";
    case Status::kServerLimitsExceeded:
      return "CIM_ERR_SERVER_LIMITS_EXCEEDED";
    case Status::kServerIsShuttingDown:
      return "CIM_ERR_SERVER_IS_SHUTTING_DOWN";
  }
  return "CIM_ERR_" + std::to_string(static_cast<int>(status));
}

}  // namespace cimnet::cim

#pragma once

#include <stdexcept>
#include <string>

namespace cimnet::config {

// Why a configuration operation was refused. Providers map these onto CIM
// status codes: kInvalid -> CIM_ERR_INVALID_PARAMETER, kNotFound ->
// CIM_ERR_NOT_FOUND, kAlreadyExists -> CIM_ERR_ALREADY_EXISTS, kRejected /
// kIo / kCorrupt / kUnsupported -> CIM_ERR_FAILED.
enum class ErrorKind {
  kInvalid,        // the candidate breaks a schema rule (type, range, leafref, must, mandatory)
  kNotFound,       // an edit names a node or record that does not exist
  kAlreadyExists,  // a create names a node or record that exists
  kRejected,       // a backend's prepare refused the change
  kIo,             // the state directory could not be read or written
  kCorrupt,        // the state directory holds data that cannot be recovered
  kUnsupported,    // the operation is not implemented
};

// A refused configuration operation. path() is the YANG data path of the
// offending node ("/ietf-interfaces:interfaces/interface[name='Ethernet1']/
// cimnet:switchport/access-vlan") when there is one, empty otherwise; what()
// is the whole message and always includes the path when there is one.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(ErrorKind kind, const std::string& message, const std::string& path = {})
      : std::runtime_error(path.empty() ? message : message + " (at " + path + ")"),
        kind_(kind),
        path_(path),
        message_(message) {}
  ErrorKind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  // The message without the path suffix.
  const std::string& message() const { return message_; }

 private:
  ErrorKind kind_;
  std::string path_;
  std::string message_;
};

}  // namespace cimnet::config

#pragma once
// PowerShell-style error records and the exceptions that carry terminating errors.

#include <stdexcept>
#include <string>

#include "cimnet/shell/ast.h"
#include "cimnet/shell/value.h"

namespace cimnet::shell {

// The ErrorCategory values PowerShell uses (a subset; names print as in PowerShell).
enum class ErrorCategory {
  NotSpecified,
  OpenError,
  CloseError,
  DeviceError,
  DeadlockDetected,
  InvalidArgument,
  InvalidData,
  InvalidOperation,
  InvalidResult,
  InvalidType,
  MetadataError,
  NotImplemented,
  NotInstalled,
  ObjectNotFound,
  OperationStopped,
  OperationTimeout,
  SyntaxError,
  ParserError,
  PermissionDenied,
  ResourceBusy,
  ResourceExists,
  ResourceUnavailable,
  ReadError,
  WriteError,
  FromStdErr,
  SecurityError,
  ProtocolError,
  ConnectionError,
  AuthenticationError,
  LimitsExceeded,
  QuotaExceeded,
  NotEnabled
};
const char* category_name(ErrorCategory c);

// One error: what went wrong, its category, the object it concerns and where in the script.
struct ErrorRecord {
  std::string message;
  std::string error_id = "RuntimeException";  // FullyQualifiedErrorId (without ",Command")
  ErrorCategory category = ErrorCategory::NotSpecified;
  std::string exception_type = "System.Management.Automation.RuntimeException";
  Value target;
  std::string command;  // the command that raised it ("" for script statements)
  Extent position;      // line == 0 when unknown
  // The script-visible ErrorRecord object ($_ in catch, $Error[0]).
  Value to_value() const;
  // Rebuilds a record from a value thrown by `throw $_` or found in $Error.
  static ErrorRecord from_value(const Value& v);
};

// A terminating error. Statement-terminating errors (binding errors, unknown commands)
// end the statement; script-terminating ones (`throw`, -ErrorAction Stop) end the script
// unless a try/catch handles them.
class RuntimeError : public std::runtime_error {
 public:
  RuntimeError(ErrorRecord rec, bool script_terminating)
      : std::runtime_error(rec.message),
        record(std::move(rec)),
        script_terminating(script_terminating) {}
  ErrorRecord record;
  bool script_terminating;
};

}  // namespace cimnet::shell

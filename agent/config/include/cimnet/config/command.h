#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cimnet::config {

// The `config` sub-command of cimnetd. args excludes the program name and
// starts with "config":
//   config export [--format json|xml] [--state-dir DIR]   (to `out`)
//   config import FILE [--format json|xml] [--state-dir DIR]
// The format of an import defaults to the file's extension (.xml -> XML, else
// JSON). --state-dir defaults to ./var/cimnetd. An import is validated in full
// and replaces the running configuration; a rejected import prints the error
// (naming the offending path) to `err` and changes nothing. Returns the exit
// status: 0 on success, 1 on a refused operation, 2 on bad usage.
int run_config_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cimnet::config

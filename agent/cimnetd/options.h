#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/http/server.h"
#include "agent/log/log.h"

namespace cimnet::wsman {

// What `cimnetd` was asked to do (see ../shared/CONTRACT.md).
struct DaemonOptions {
  std::string state_dir = "./var/cimnetd";
  std::vector<http::Endpoint> endpoints;  // default: http 127.0.0.1:5985
  std::string tls_cert;
  std::string tls_key;
  std::string port_file;
  std::string switch_driver = "sim:24";
  std::string datapath = "memory";
  std::string datapath_offload;  // --datapath-offload tc (with --datapath linux); empty: none
  std::string schema_file;  // a MOF file replacing the built-in schema; empty: built in
  log::Level log_level = log::Level::kInfo;
  http::Limits limits;
  // Request threads. A request that commits waits for the journal's
  // fdatasync in its thread; concurrent commits share one sync (group commit),
  // so a few more threads than cores batch syncs (4 measured best on 2 cores
  // with 8 clients: as fast as 8 threads, ~20% less CPU per request).
  unsigned threads = 4;
  size_t max_enumerations_per_user = 64;
  size_t max_enumerations = 1024;
  uint32_t enumeration_expiry_seconds = 120;
};

// `cimnetd user add|del|list|passwd`.
struct UserCommand {
  std::string verb;  // add, del, list, passwd
  std::string name;
  std::string role = "reader";
  std::string state_dir = "./var/cimnetd";
};

// The parsed command line: either the daemon or a user command.
struct CommandLine {
  std::optional<DaemonOptions> daemon;
  std::optional<UserCommand> user;
  bool help = false;
};

// Parses argv (without argv[0]). Throws std::invalid_argument with a message
// naming the bad argument.
CommandLine parse_command_line(const std::vector<std::string>& args);

// Parses "ADDR:PORT" ("[::1]:5985" for IPv6); throws std::invalid_argument.
http::Endpoint parse_endpoint(const std::string& text, bool tls);

std::string usage();

}  // namespace cimnet::wsman

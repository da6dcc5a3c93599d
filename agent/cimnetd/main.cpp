// cimnetd: the WS-Management agent (see ../shared/CONTRACT.md).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <openssl/rand.h>

#include "agent/auth/authenticator.h"
#include "agent/auth/users.h"
#include "agent/cimnetd/options.h"
#include "agent/http/self_signed.h"
#include "agent/http/server.h"
#include "agent/log/log.h"
#include "agent/provider/software_identity.h"
#include "agent/wsman/dispatcher.h"
#include "agent/wsman/service.h"
#include "cimnet/config/command.h"
#include "cimnet/netvirt/netvirt_agent.h"
#include "cimnet/switching/switch_agent.h"
#include "cimnet/cim/mof.h"
#include "cimnet/cim/repository.h"
#include "cimnet/cim/served_schema.h"

#ifndef CIMNET_VERSION
#define CIMNET_VERSION "0.0.0"
#endif

namespace fs = std::filesystem;
using namespace cimnet;

namespace {

// Reads one password line from stdin (no echo when it is a terminal).
std::string read_password(const std::string& prompt) {
  bool tty = ::isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!got) throw auth::UserError("no password on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void ensure_state_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw std::runtime_error("cannot create state directory " + dir.string() +
                             (ec ? ": " + ec.message() : ""));
  ::chmod(dir.c_str(), 0700);
}

int run_user_command(const wsman::UserCommand& cmd) {
  fs::path dir(cmd.state_dir);
  fs::path file = dir / "users";
  auto db = auth::UserDatabase::load(file);
  if (cmd.verb == "list") {
    for (const auto& u : db.users()) std::cout << u.name << " " << auth::role_name(u.role) << "\n";
    return 0;
  }
  ensure_state_dir(dir);
  if (cmd.verb == "add") {
    auth::check_user_name(cmd.name);
    if (db.find(cmd.name)) throw auth::UserError("user '" + cmd.name + "' already exists");
    db.add(cmd.name, read_password("password: "), *auth::parse_role(cmd.role));
  } else if (cmd.verb == "del") {
    db.remove(cmd.name);
  } else if (cmd.verb == "passwd") {
    if (!db.find(cmd.name)) throw auth::UserError("no user '" + cmd.name + "'");
    db.set_password(cmd.name, read_password("new password: "));
  }
  db.save(file);
  return 0;
}

// The embedded default: with no users at all, create "admin" with a random
// password kept 0600 in the state directory for local tools (cimsh).
void ensure_first_admin(const fs::path& dir) {
  fs::path file = dir / "users";
  if (fs::exists(file)) return;
  unsigned char raw[18];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string password;
  for (unsigned char c : raw) password += kAlphabet[c % 57];
  auth::UserDatabase db;
  db.add("admin", password, auth::Role::kAdmin);
  fs::path secret = dir / "admin.password";
  int fd = ::open(secret.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + secret.string());
  std::string line = "admin " + password + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + secret.string());
  db.save(file);
  log::info("created user 'admin' with a random password in " + secret.string());
}

void write_port_file(const std::string& path, const std::vector<http::BoundEndpoint>& bound) {
  std::string text;
  for (const auto& b : bound) {
    std::string host = b.address.find(':') != std::string::npos ? "[" + b.address + "]" : b.address;
    text += std::string(b.tls ? "https " : "http ") + host + ":" + std::to_string(b.port) + "\n";
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write port file " + tmp);
  }
  fs::rename(tmp, path);
}

int run_daemon(const wsman::DaemonOptions& options) {
  log::set_level(options.log_level);
  if (std::string why; !options.datapath_offload.empty() &&
                       !netvirt::NetvirtAgent::offload_available(&why)) {
    std::cerr << "cimnetd: --datapath-offload " << options.datapath_offload
              << " is not available in this build: " << why << "\n";
    return 2;
  }
  fs::path dir(options.state_dir);
  ensure_state_dir(dir);
  ensure_first_admin(dir);

  // Signals are taken synchronously by the main thread; workers never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // The served schema is built into the binary; --schema replaces it with a
  // MOF file (for trying schema changes without a rebuild).
  cim::Repository repository;
  if (options.schema_file.empty()) {
    auto stats = cim::load_served_schema(repository);
    log::info("loaded " + std::to_string(stats.classes) + " classes of the built-in schema");
  } else {
    cim::MofCompiler compiler(repository);
    compiler.compile_file(options.schema_file);
    log::info("loaded " + std::to_string(compiler.stats().classes) + " classes from " +
              options.schema_file);
  }

  provider::ProviderRegistry providers;
  providers.add("root/cimv2", "CIM_SoftwareIdentity",
                std::make_shared<provider::SoftwareIdentityProvider>(CIMNET_VERSION));
  // The switch: configuration store in the state directory, the --switch
  // driver with the stored configuration replayed onto it, its providers.
  auto switch_agent = switching::SwitchAgent::start(
      {dir, options.switch_driver, std::string(), CIMNET_VERSION});
  if (auto problem = switch_agent->replay_problem(); !problem.empty())
    log::warn("the stored switch configuration could not be replayed fully: " + problem);
  switch_agent->register_providers(providers);
  log::info("switch " + switch_agent->driver().spec() + " with " +
            std::to_string(switch_agent->driver().ports().size()) + " ports");
  // Network virtualization: the --datapath datapath, programmed from the
  // policy in the same store, and its root/StandardCimv2 providers.
  auto netvirt_agent = netvirt::NetvirtAgent::start(
      switch_agent->store(), {options.datapath, {}, options.datapath_offload});
  if (auto problem = netvirt_agent->replay_problem(); !problem.empty())
    log::warn("the stored network-virtualization policy could not be replayed fully: " + problem);
  if (auto problem = netvirt_agent->io_problem(); !problem.empty()) log::warn(problem);
  netvirt_agent->register_providers(providers);

  wsman::Dispatcher::Config dispatch_config;
  dispatch_config.enumeration_limits.total = options.max_enumerations;
  dispatch_config.enumeration_limits.per_user = options.max_enumerations_per_user;
  dispatch_config.enumeration_limits.expiry =
      std::chrono::seconds(options.enumeration_expiry_seconds);
  wsman::Dispatcher dispatcher(repository, providers, dispatch_config);

  auth::Authenticator authenticator(dir / "users");
  wsman::ServiceConfig service_config;
  service_config.product_version = CIMNET_VERSION;
  service_config.http = false;
  for (const auto& e : options.endpoints) (e.tls ? service_config.https : service_config.http) = true;
  wsman::Service service(service_config, authenticator, &dispatcher);

  http::ServerConfig server_config;
  server_config.endpoints = options.endpoints;
  server_config.limits = options.limits;
  server_config.threads = options.threads;
  if (service_config.https) {
    if (options.tls_cert.empty()) {
      server_config.tls_cert_file = (dir / "tls-cert.pem").string();
      server_config.tls_key_file = (dir / "tls-key.pem").string();
      char host[256] = "localhost";
      ::gethostname(host, sizeof host - 1);
      if (http::ensure_self_signed_certificate(server_config.tls_cert_file,
                                               server_config.tls_key_file, host))
        log::info("generated a self-signed certificate " + server_config.tls_cert_file);
    } else {
      server_config.tls_cert_file = options.tls_cert;
      server_config.tls_key_file = options.tls_key;
    }
  }
  http::Server server(server_config,
                      [&service](const http::Request& r) { return service.handle(r); });
  auto bound = server.start();
  for (const auto& b : bound)
    log::info(std::string("listening on ") + (b.tls ? "https://" : "http://") + b.address + ":" +
              std::to_string(b.port) + "/wsman");
  if (!options.port_file.empty()) write_port_file(options.port_file, bound);

  while (true) {
    // Wake up now and then to drop idle enumeration contexts (and the
    // provider streams they hold) even when nobody enumerates.
    timespec tick{10, 0};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (size_t dropped = dispatcher.enumerations().expire())
      log::debug("expired " + std::to_string(dropped) + " idle enumeration contexts");
  }
  log::info("stopping: finishing requests in progress");
  server.stop();
  netvirt_agent.reset();  // before the store it is registered with
  switch_agent.reset();   // every commit is already durable; this closes the store
  log::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "config")
    return config::run_config_command(args, std::cout, std::cerr);
  wsman::CommandLine cl;
  try {
    cl = wsman::parse_command_line(args);
  } catch (const std::invalid_argument& e) {
    std::cerr << "cimnetd: " << e.what() << "\n" << wsman::usage();
    return 2;
  }
  if (cl.help) {
    std::cout << wsman::usage();
    return 0;
  }
  try {
    if (cl.user) return run_user_command(*cl.user);
    return run_daemon(*cl.daemon);
  } catch (const auth::UserError& e) {
    std::cerr << "cimnetd: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    log::error(e.what());
    std::cerr << "cimnetd: " << e.what() << "\n";
    return 1;
  }
}

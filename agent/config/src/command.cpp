#include "cimnet/config/command.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "cimnet/config/store.h"

namespace cimnet::config {
namespace {

constexpr const char* kUsage =
    "usage: cimnetd config export [--format json|xml] [--state-dir DIR]\n"
    "       cimnetd config import FILE [--format json|xml] [--state-dir DIR]\n";

}  // namespace

int run_config_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || args[0] != "config" || (args[1] != "export" && args[1] != "import")) {
    err << kUsage;
    return 2;
  }
  const std::string& verb = args[1];
  std::string state_dir = "./var/cimnetd";
  std::optional<Format> format;
  std::string file;
  for (std::size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--state-dir" || a == "--format") && i + 1 < args.size()) {
      const std::string& v = args[++i];
      if (a == "--state-dir") {
        state_dir = v;
      } else if (!(format = format_from_name(v))) {
        err << "cimnetd config: unknown format '" << v << "' (use json or xml)\n";
        return 2;
      }
    } else if (verb == "import" && file.empty() && !a.starts_with("--")) {
      file = a;
    } else {
      err << "cimnetd config: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (verb == "import" && file.empty()) {
    err << "cimnetd config import: no FILE given\n" << kUsage;
    return 2;
  }
  try {
    StoreOptions options;
    options.state_dir = state_dir;
    if (verb == "export") {
      auto store = Store::open(options);
      store->export_config(out, format.value_or(Format::kJson));
      return out ? 0 : 1;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      err << "cimnetd config import: cannot read " << file << "\n";
      return 1;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (!format) format = file.ends_with(".xml") ? Format::kXml : Format::kJson;
    auto store = Store::open(options);
    Change change = store->import_config(text.str(), *format);
    out << "imported " << file << ": " << change.nodes.size() << " node changes, "
        << change.lookups.size() << " lookup record changes\n";
    return 0;
  } catch (const ConfigError& e) {
    err << "cimnetd config " << verb << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace cimnet::config

// cimmof: compiles MOF files into a class repository and reports what they
// declared, or shows one fully resolved class.
//
//   cimmof [--namespace NS] FILE...
//   cimmof [--namespace NS] --show CLASS FILE...

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cimnet/cim/mof.h"

namespace {

int usage() {
  std::cerr << "usage: cimmof [--namespace NS] FILE...\n"
               "       cimmof [--namespace NS] --show CLASS FILE...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ns = "root/cimv2";
  std::string show;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--namespace" || arg == "-n") && i + 1 < argc) {
      ns = argv[++i];
    } else if (arg == "--show" && i + 1 < argc) {
      show = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "cimmof: unknown option " << arg << "\n";
      return usage();
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) return usage();

  cimnet::cim::Repository repo;
  cimnet::cim::MofCompiler compiler(repo, ns);
  try {
    for (const auto& f : files) compiler.compile_file(f);
  } catch (const cimnet::cim::Error& e) {
    for (const auto& w : compiler.warnings()) std::cerr << "warning: " << w << "\n";
    std::cerr << e.what() << "\n";
    return 1;
  }
  for (const auto& w : compiler.warnings()) std::cerr << "warning: " << w << "\n";
  if (!show.empty()) {
    for (const auto& space : repo.namespaces()) {
      if (const auto* cls = repo.find_class(space, show)) {
        std::cout << "// " << space << "\n" << cimnet::cim::class_to_mof(*cls);
        return 0;
      }
    }
    std::cerr << "cimmof: class " << show << " is not defined in the given files\n";
    return 1;
  }
  const auto& st = compiler.stats();
  std::cout << st.classes << " classes, " << st.qualifier_types << " qualifier types, "
            << st.instances << " instances\n";
  return 0;
}

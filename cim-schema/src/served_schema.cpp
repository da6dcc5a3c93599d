#include "cimnet/cim/served_schema.h"

#include <cstddef>
#include <string_view>

namespace cimnet::embedded {
struct File {
  std::string_view name;
  std::string_view text;
};
extern const File served_mof[];
extern const size_t served_mof_count;
}  // namespace cimnet::embedded

namespace cimnet::cim {

MofStats load_served_schema(Repository& repository) {
  MofCompiler compiler(repository, kCimv2Namespace);
  compiler.set_loader([](const std::string& path) -> std::optional<std::string> {
    for (size_t i = 0; i < embedded::served_mof_count; ++i) {
      if (embedded::served_mof[i].name == path) return std::string(embedded::served_mof[i].text);
    }
    return std::nullopt;
  });
  compiler.compile_file("served.mof");
  return compiler.stats();
}

}  // namespace cimnet::cim

// How long the agent takes to load its served schema at start (target: under
// 50 ms), beside compiling the whole DMTF CIM Schema 2.32.0 in the same run.
// Prints BENCH lines (../shared/CONTRACT.md); medians of several runs.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "cimnet/cim/served_schema.h"

namespace {

double median_ms(int runs, const std::function<void()>& f) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main() {
  size_t served_classes = 0, dmtf_classes = 0;
  double served = median_ms(21, [&] {
    cimnet::cim::Repository repo;
    served_classes = cimnet::cim::load_served_schema(repo).classes;
  });
  double dmtf = median_ms(5, [&] {
    cimnet::cim::Repository repo;
    cimnet::cim::MofCompiler mof(repo);
    mof.compile_file(CIMNET_SHARED_DIR "/dmtf/cim-schema-2.32.0/cim_schema_2.32.0.mof");
    dmtf_classes = mof.stats().classes;
  });
  std::printf(
      "BENCH cim.schema.load_served %.2f ms baseline=dmtf_2.32_full_compile:%.2f ratio=%.3f\n",
      served, dmtf, served / dmtf);
  std::printf(
      "BENCH cim.schema.per_class_served %.1f us baseline=dmtf_2.32_per_class:%.1f ratio=%.3f\n",
      served * 1000 / static_cast<double>(served_classes),
      dmtf * 1000 / static_cast<double>(dmtf_classes),
      (served / static_cast<double>(served_classes)) / (dmtf / static_cast<double>(dmtf_classes)));
  return 0;
}

// The machine's floor for the datapath's one random table read per packet: ns per prefetched
// random 64-byte read from an array of a given size, with a given amount of work per read, for
// the prefetch schedules the datapath could use. Printed beside the same loop on an array that
// fits the L2 cache (the in-cache baseline), measured in the same run. This is what
// dataplane/README.md's claims about the 1M-record limits rest on.
//
// Usage: dataplane_memory_floor_bench [--sizes-mb 1,8,13,20,40] [--work 0,4]

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr size_t kBatch = 32;
constexpr size_t kReads = size_t(1) << 19;

double thread_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

enum class Schedule { kNone, kAllFirst, kRolling12, kBatchAhead };
const char* name(Schedule s) {
  switch (s) {
    case Schedule::kNone:
      return "no_prefetch";
    case Schedule::kAllFirst:
      return "all_32_first";
    case Schedule::kRolling12:
      return "rolling_12";
    case Schedule::kBatchAhead:
      return "one_batch_ahead";
  }
  return "";
}

// Median over 5 passes of ns per read.
double measure(const uint8_t* table, size_t lines, const std::vector<uint32_t>& keys, int work,
               Schedule sched) {
  std::vector<uint64_t> line(keys.size() + kBatch);
  for (size_t i = 0; i < keys.size(); ++i)
    line[i] = (uint64_t(uint32_t(mix(keys[i]))) * lines) >> 32;
  for (size_t i = keys.size(); i < line.size(); ++i) line[i] = 0;
  auto at = [&](size_t i) { return table + line[i] * 64; };
  volatile uint64_t sink = 0;
  std::vector<double> runs;
  for (int pass = 0; pass < 6; ++pass) {
    uint64_t acc = 0;
    double t0 = thread_ns();
    for (size_t b = 0; b < keys.size(); b += kBatch) {
      if (sched == Schedule::kAllFirst)
        for (size_t j = 0; j < kBatch; ++j) __builtin_prefetch(at(b + j));
      if (sched == Schedule::kRolling12)
        for (size_t j = 0; j < 12; ++j) __builtin_prefetch(at(b + j));
      if (sched == Schedule::kBatchAhead) {
        if (b == 0)
          for (size_t j = 0; j < kBatch; ++j) __builtin_prefetch(at(j));
        for (size_t j = 0; j < kBatch; ++j) __builtin_prefetch(at(b + kBatch + j));
      }
      for (size_t j = 0; j < kBatch; ++j) {
        if (sched == Schedule::kRolling12 && j + 12 < kBatch) __builtin_prefetch(at(b + j + 12));
        uint64_t v;
        std::memcpy(&v, at(b + j), 8);
        for (int w = 0; w < work; ++w) v = mix(v);
        acc += v;
      }
    }
    double t1 = thread_ns();
    sink = sink + acc;
    if (pass > 0) runs.push_back((t1 - t0) / double(keys.size()));  // pass 0 warms up
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> v;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    v.push_back(std::stoi(s.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes_mb = {1, 8, 13, 20, 40}, works = {0, 4};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sizes-mb" && i + 1 < argc) {
      sizes_mb = parse_list(argv[++i]);
    } else if (a == "--work" && i + 1 < argc) {
      works = parse_list(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--sizes-mb 1,8,13,20,40] [--work 0,4]\n", argv[0]);
      return 2;
    }
  }
  std::mt19937 rng(7);
  std::vector<uint32_t> keys(kReads);
  for (auto& k : keys) k = uint32_t(rng());
  constexpr size_t kBaseBytes = size_t(512) << 10;  // fits the L2
  auto base = std::make_unique<uint8_t[]>(kBaseBytes);
  std::memset(base.get(), 1, kBaseBytes);
  for (int work : works) {
    for (int mb : sizes_mb) {
      size_t bytes = size_t(mb) << 20;
      auto table = std::make_unique<uint8_t[]>(bytes);
      std::memset(table.get(), 1, bytes);
      for (Schedule s :
           {Schedule::kNone, Schedule::kAllFirst, Schedule::kRolling12, Schedule::kBatchAhead}) {
        double in_cache = measure(base.get(), kBaseBytes / 64, keys, work, s);
        double ns = measure(table.get(), bytes / 64, keys, work, s);
        std::printf(
            "BENCH dataplane.memory_floor.%dMB.%s.work%d %.1f ns/read baseline=in_cache:%.1f "
            "ratio=%.2f\n",
            mb, name(s), work, ns, in_cache, ns / in_cache);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

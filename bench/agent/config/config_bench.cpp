// Configuration store figures (BENCH lines, see ../shared/CONTRACT.md):
// - commit latency p50/p99 of a one-record commit at 1,000 and 1,000,000
//   lookup records; baseline "full-rewrite": the same store configured to
//   snapshot the whole store on every commit (the naive design), measured in
//   this run (at 1M over 8 commits only). fdatasync dominates both on a
//   shared disk, so the 1M figures are also given without fsync (.nosync);
// - restart time and RSS with 1,000,000 records, each in a fresh process;
//   baseline "libyang-tree": the same configuration exported as JSON and
//   parsed by libyang into a data tree (one libyang list entry per record),
//   which is what a store without the compact table would restart from;
// - import of that JSON document (config import / restore of startup) at 1M
//   records, against the same libyang parse.
// Usage: config_bench [--records N]   (default 1000000; the 1k figures always run)
#include <libyang/libyang.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cimnet/config/store.h"

namespace fs = std::filesystem;
using namespace cimnet::config;
using Clock = std::chrono::steady_clock;

namespace {

LookupRecord record(uint32_t i, uint32_t salt = 0) {
  LookupRecord r;
  r.key.vsid = 5000 + i % 64;
  r.key.customer_address.family = 4;
  r.key.customer_address.bytes[0] = 10;
  r.key.customer_address.bytes[1] = uint8_t(i >> 16);
  r.key.customer_address.bytes[2] = uint8_t(i >> 8);
  r.key.customer_address.bytes[3] = uint8_t(i);
  r.key.mac.bytes = {0x00, 0x15, 0x5d, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
  r.provider_address.family = 4;
  r.provider_address.bytes[0] = 192;
  r.provider_address.bytes[1] = 168;
  r.provider_address.bytes[2] = uint8_t((i + salt) >> 8);
  r.provider_address.bytes[3] = uint8_t(i + salt);
  r.rule = TranslationRule::kEncap;
  r.vm_name = std::string("vm").append(std::to_string(i / 4));
  r.customer_id =
      std::string("{00000000-0000-0000-0000-00000000").append(std::to_string(1000 + i % 64)) + "}";
  return r;
}

double rss_mb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::strlen(field) + 1)) / 1024.0;
  }
  return 0;
}

// snapshot_bytes 0: the naive baseline that rewrites the store per commit.
std::unique_ptr<Store> open_store(const fs::path& dir, uint64_t snapshot_bytes, bool fsync = true) {
  StoreOptions o;
  o.state_dir = dir;
  o.fsync = fsync;
  o.snapshot_min_journal_bytes = snapshot_bytes;
  o.snapshot_every_commit = snapshot_bytes == 0;
  return Store::open(o);
}

void fill(Store& s, uint32_t n) {
  const uint32_t batch = 20000;
  for (uint32_t i = 0; i < n; i += batch) {
    auto tx = s.begin();
    for (uint32_t j = i; j < std::min(n, i + batch); ++j) tx.put_lookup(record(j));
    tx.commit();
  }
}

struct Latency {
  double p50_us, p99_us;
};

// `commits` one-record commits (replacing a record's provider address).
Latency measure_commits(Store& s, uint32_t n, int commits, uint32_t salt_base = 0) {
  std::vector<double> us;
  for (int c = 0; c < commits; ++c) {
    uint32_t i = static_cast<uint32_t>((uint64_t(c) * 2654435761u) % n);
    auto t0 = Clock::now();
    auto tx = s.begin();
    tx.put_lookup(record(i, salt_base + static_cast<uint32_t>(c) + 1));
    tx.commit();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

void bench_line(const std::string& name, double value, const char* unit, const std::string& base,
                double base_value) {
  std::printf("BENCH %s %.4g %s baseline=%s:%.4g ratio=%.3g\n", name.c_str(), value, unit,
              base.c_str(), base_value, base_value > 0 ? value / base_value : 0.0);
  std::fflush(stdout);
}

// Child modes print "<seconds> <rss MB>".
int child_restart(const char* dir) {
  auto t0 = Clock::now();
  auto s = open_store(dir, 4u << 20);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("%f %f %zu\n", secs, rss_mb("VmRSS:"), s->lookup_count());
  return 0;
}

int child_libyang(const char* dir, const char* file) {
  auto t0 = Clock::now();
  auto s = open_store(dir, 4u << 20);  // only for its YANG context
  double ctx_secs = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  lyd_node* tree = nullptr;
  if (lyd_parse_data_path(s->context(), file, LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
                          LYD_VALIDATE_NO_STATE, &tree) != LY_SUCCESS) {
    std::fprintf(stderr, "libyang could not parse %s\n", file);
    return 1;
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count() + ctx_secs;
  double rss = rss_mb("VmRSS:");
  std::printf("%f %f 0\n", secs, rss);  // rss: whole process, like the store's figure
  lyd_free_all(tree);
  return 0;
}

bool run_child(const std::vector<std::string>& args, double& secs, double& rss) {
  std::string cmd = "/proc/self/exe";
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    cmd = exe;
  }
  for (const auto& a : args) cmd += " '" + a + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return false;
  size_t count = 0;
  int got = std::fscanf(p, "%lf %lf %zu", &secs, &rss, &count);
  return ::pclose(p) == 0 && got == 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--child-restart") == 0) return child_restart(argv[2]);
  if (argc == 4 && std::strcmp(argv[1], "--child-libyang") == 0)
    return child_libyang(argv[2], argv[3]);
  uint32_t big = 1000000;
  if (argc == 3 && std::strcmp(argv[1], "--records") == 0)
    big = static_cast<uint32_t>(std::stoul(argv[2]));
  std::string big_name = big == 1000000 ? "1M" : std::to_string(big);

  fs::path root = fs::temp_directory_path() /
                  (std::string("cimnet-config-bench-").append(std::to_string(::getpid())));
  fs::remove_all(root);
  fs::create_directories(root);

  // 1,000 records.
  {
    auto ours = open_store(root / "small", 4u << 20);
    fill(*ours, 1000);
    Latency l = measure_commits(*ours, 1000, 1000);
    auto naive = open_store(root / "small-naive", 0);
    fill(*naive, 1000);
    Latency b = measure_commits(*naive, 1000, 300, 7777);
    bench_line("config.commit.1k.p50", l.p50_us, "us", "full-rewrite", b.p50_us);
    bench_line("config.commit.1k.p99", l.p99_us, "us", "full-rewrite", b.p99_us);
  }
  // 1,000,000 records.
  {
    auto t0 = Clock::now();
    auto ours = open_store(root / "big", 4u << 20);
    fill(*ours, big);
    double fill_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::fprintf(stderr, "filled %u records in %.1f s\n", big, fill_s);
    Latency l = measure_commits(*ours, big, 1000);
    // The naive store rewrites everything per commit: a handful of commits suffice.
    Latency b{0, 0}, ours_nosync{0, 0}, naive_nosync{0, 0};
    {
      fs::copy(root / "big", root / "big-naive", fs::copy_options::recursive);
      fs::remove(root / "big-naive" / "lock");
      ours.reset();
      // Without fsync: the store's own cost, apart from the disk's flush latency.
      ours_nosync = measure_commits(*open_store(root / "big", 4u << 20, false), big, 1000, 3333);
      auto naive = open_store(root / "big-naive", 0);
      b = measure_commits(*naive, big, 8, 7777);  // salts differ: every commit changes a record
      naive.reset();
      naive_nosync = measure_commits(*open_store(root / "big-naive", 0, false), big, 8, 9999);
    }
    bench_line("config.commit." + big_name + ".p50", l.p50_us, "us", "full-rewrite", b.p50_us);
    bench_line("config.commit." + big_name + ".p99", l.p99_us, "us", "full-rewrite", b.p99_us);
    bench_line("config.commit." + big_name + ".nosync.p50", ours_nosync.p50_us, "us",
               "full-rewrite-nosync", naive_nosync.p50_us);
    bench_line("config.commit." + big_name + ".nosync.p99", ours_nosync.p99_us, "us",
               "full-rewrite-nosync", naive_nosync.p99_us);

    // Restart from snapshot + journal in a fresh process, against libyang
    // parsing the same configuration as one data tree.
    fs::path json = root / "big.json";
    {
      auto s = open_store(root / "big", 4u << 20);
      std::ofstream out(json);
      s->export_config(out, Format::kJson);
    }
    // Import of the same document into an empty store (the records skip
    // libyang, the rest does not), against libyang parsing it.
    double import_secs = 0;
    {
      std::ifstream in(json, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      auto fresh = open_store(root / "imported", 4u << 20);
      auto t0 = Clock::now();
      fresh->import_config(text.str(), Format::kJson);
      import_secs = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    double secs = 0, rss = 0, base_secs = 0, base_rss = 0;
    bool ok = run_child({"--child-restart", (root / "big").string()}, secs, rss);
    bool base_ok = run_child({"--child-libyang", (root / "other").string(), json.string()},
                             base_secs, base_rss);
    if (ok && base_ok) {
      bench_line("config.restart." + big_name, secs, "s", "libyang-tree", base_secs);
      bench_line("config.rss." + big_name, rss, "MB", "libyang-tree", base_rss);
      bench_line("config.import." + big_name, import_secs, "s", "libyang-tree", base_secs);
    } else {
      std::fprintf(stderr, "restart measurement failed (ours %d, baseline %d)\n", ok, base_ok);
    }
  }
  fs::remove_all(root);
  return 0;
}

// Persistence: restart restores, snapshots rotate the journal, a torn or
// corrupt journal tail is dropped, a damaged snapshot is reported, and one
// record change appends a small journal record without rewriting the store.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cimnet/config/store.h"
#include "test_util.h"

namespace cimnet::config {
namespace {

namespace fs = std::filesystem;
using testing::make_record;
using testing::TempDir;

std::unique_ptr<Store> open_store(const fs::path& state, uint64_t snapshot_bytes = 4u << 20) {
  StoreOptions o;
  o.state_dir = state;
  o.snapshot_min_journal_bytes = snapshot_bytes;
  return Store::open(o);
}

std::string dump(const Store& s) {
  std::ostringstream out;
  s.export_config(out, Format::kJson);
  return out.str();
}

// The path and value of commit i's VLAN name edit (built with append: gcc 12
// -O3 warns falsely on chained string concatenation here).
std::pair<std::string, std::string> vlan_edit(uint32_t i) {
  std::string path = "/cimnet:vlans/vlan[id='";
  path.append(std::to_string(i % 4000 + 1)).append("']/name");
  std::string value = "v";
  value.append(std::to_string(i));
  return {path, value};
}

void commit_n(Store& s, uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; ++i) {
    auto [path, value] = vlan_edit(i);
    auto tx = s.begin();
    tx.set(path, value);
    tx.put_lookup(make_record(i));
    if (i % 3 == 0 && s.find_lookup(make_record(i / 2).key))
      tx.remove_lookup(make_record(i / 2).key);
    tx.commit();
  }
}

std::vector<fs::path> journals(const fs::path& state) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(state)) {
    if (e.path().filename().string().rfind("journal.", 0) == 0) out.push_back(e.path());
  }
  return out;
}

TEST(ConfigPersistence, RestartRestoresJournalAndSnapshot) {
  TempDir dir("restart");
  fs::path state = dir.path() / "state";
  std::string before;
  {
    auto s = open_store(state, 4096);
    commit_n(*s, 0, 200);
    before = dump(*s);
    EXPECT_EQ(s->generation(), 200u);
  }
  EXPECT_TRUE(fs::exists(state / "snapshot"));
  EXPECT_EQ(journals(state).size(), 1u);
  auto s = open_store(state, 4096);
  EXPECT_EQ(dump(*s), before);
  EXPECT_EQ(s->generation(), 200u);
}

TEST(ConfigPersistence, TornAndCorruptTailsAreDropped) {
  TempDir dir("torn");
  fs::path state = dir.path() / "state";
  std::string after9, after10;
  {
    auto s = open_store(state);
    commit_n(*s, 0, 9);
    after9 = dump(*s);
    commit_n(*s, 9, 10);
    after10 = dump(*s);
  }
  fs::path j = journals(state).at(0);
  auto full = fs::file_size(j);
  // A torn write of a further record: it never completed, so it is not there.
  {
    std::ofstream(j, std::ios::app | std::ios::binary)
        << std::string("CNJ1\x40\x00\x00\x00partial", 15);
  }
  {
    auto s = open_store(state);
    EXPECT_EQ(s->generation(), 10u);
    EXPECT_EQ(dump(*s), after10);
  }
  EXPECT_EQ(fs::file_size(j), full);  // the tail was cut off
  // A flipped byte inside the last record: its checksum fails, it is dropped.
  {
    std::fstream f(j, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(full - 6));
    f.put('\x5a');
  }
  auto s = open_store(state);
  EXPECT_EQ(s->generation(), 9u);
  EXPECT_EQ(dump(*s), after9);
  commit_n(*s, 9, 12);  // and the store goes on from there
  s.reset();
  EXPECT_EQ(open_store(state)->generation(), 12u);
}

TEST(ConfigPersistence, DamagedSnapshotIsReportedNotIgnored) {
  TempDir dir("badsnap");
  fs::path state = dir.path() / "state";
  {
    auto s = open_store(state, 1024);
    commit_n(*s, 0, 50);
  }
  {
    std::fstream f(state / "snapshot", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x01');
  }
  try {
    open_store(state);
    FAIL() << "opened a damaged snapshot";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
  }
}

TEST(ConfigPersistence, OneRecordChangeAppendsOneSmallRecord) {
  TempDir dir("small");
  fs::path state = dir.path() / "state";
  auto s = open_store(state, 1u << 30);
  {
    auto tx = s->begin();
    for (uint32_t i = 0; i < 20000; ++i) tx.put_lookup(make_record(i));
    tx.commit();
  }
  // Rotate into a snapshot so the 20,000 records sit there, not in the journal.
  {
    std::ostringstream text;
    s->export_config(text, Format::kJson);
    auto tx = s->begin();
    tx.replace_all(text.str(), Format::kJson);
    tx.set("/cimnet:vlans/vlan[id='1']/name", "x");
    tx.commit();
  }
  auto snapshot_size = fs::file_size(state / "snapshot");
  auto journal_before = fs::file_size(journals(state).at(0));
  auto rec = make_record(5);
  rec.provider_address = *IpAddress::parse("172.16.0.1");
  auto tx = s->begin();
  tx.put_lookup(rec);
  tx.commit();
  EXPECT_EQ(fs::file_size(state / "snapshot"), snapshot_size);
  auto grown = fs::file_size(journals(state).at(0)) - journal_before;
  EXPECT_GT(grown, 0u);
  EXPECT_LT(grown, 200u);
  s.reset();
  EXPECT_EQ(open_store(state)->find_lookup(rec.key)->provider_address, rec.provider_address);
}

}  // namespace
}  // namespace cimnet::config

#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "cimnet/config/lookup.h"
#include "lookup_table.h"

namespace cimnet::config {

// Little-endian binary encoding for journal and snapshot payloads.
class Encoder {
 public:
  std::string& out;
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void bytes(std::string_view s);  // u32 length + bytes
  void ip(const IpAddress& a);
  void key(const LookupKey& k);
  void record(const LookupRecord& r);
};

// Reads what Encoder wrote; any overrun or malformed value makes ok() false.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  std::string_view bytes();
  IpAddress ip();
  LookupKey key();
  LookupRecord record();

 private:
  bool need(std::size_t n);
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// fsync of a directory, so a rename or create inside it is durable.
void sync_directory(const std::filesystem::path& dir);
// Writes `data` to `path` atomically and durably: temp file, fsync, rename,
// fsync of the directory. Throws ConfigError(kIo).
void write_file_atomically(const std::filesystem::path& path, std::string_view data, bool fsync);

// An append-only file of framed records: magic, length, payload, CRC-32 of
// length and payload. Appends are durable when append() returns.
class Journal {
 public:
  Journal() = default;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  // Opens `path` for appending (creating it), after cutting off a torn or
  // corrupt tail. Calls fn with each intact payload first, in order.
  void open(const std::filesystem::path& path, bool fsync,
            const std::function<void(std::string_view payload)>& replay);
  // Creates an empty journal at `path`, durably.
  static void create_empty(const std::filesystem::path& path, bool fsync);
  // Appends one record and syncs it. On failure the file is cut back to its
  // previous length (so a later append does not follow garbage) and
  // ConfigError(kIo) is thrown.
  void append(std::string_view payload);
  // Like append() but without the sync: the caller makes the record durable
  // with sync() (several records can share one fdatasync).
  void append_unsynced(std::string_view payload);
  // Makes every record appended before the call durable (fdatasync). Safe to
  // call from another thread while append_unsynced() runs, not while the
  // journal is opened or closed. Returns false when the sync failed.
  bool sync() const;
  void close();
  std::uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_record(std::string_view payload, bool sync);

  int fd_ = -1;
  bool fsync_ = true;
  bool broken_ = false;
  std::uint64_t size_ = 0;
  std::filesystem::path path_;
};

// A whole-store image: commit sequence, the journal generation that follows
// it, the data tree (without lookup records) as JSON, and every lookup record.
struct SnapshotHeader {
  std::uint64_t seq = 0;
  std::uint64_t journal_gen = 0;
};

// Writes a snapshot atomically; returns its size in bytes.
std::uint64_t write_snapshot(const std::filesystem::path& path, const SnapshotHeader& header,
                             std::string_view tree_json, const LookupTable& table, bool fsync);
// Reads a snapshot written by write_snapshot, loading records into `table`
// (which must be empty). Throws ConfigError(kCorrupt) on a bad checksum or
// format, kIo when unreadable. Returns the file size.
std::uint64_t read_snapshot(const std::filesystem::path& path, SnapshotHeader& header,
                            std::string& tree_json, LookupTable& table);

}  // namespace cimnet::config

#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cimnet/config/lookup.h"

namespace cimnet::config {

// Reference-counted interned strings: customer IDs, contexts and VM names
// repeat across many records, so each record stores 4-byte ids.
class StringPool {
 public:
  StringPool();
  // Returns the id of `s` (0 for the empty string) and counts one more user.
  uint32_t intern(std::string_view s);
  // One user fewer; the string is dropped when none is left.
  void release(uint32_t id);
  const std::string& get(uint32_t id) const { return entries_[id].text; }
  std::size_t size() const { return index_.size(); }

 private:
  struct Entry {
    std::string text;
    uint32_t refs = 0;
  };
  std::deque<Entry> entries_;  // deque: entries never move, so index_ may view their text
  std::vector<uint32_t> free_;
  std::unordered_map<std::string_view, uint32_t> index_;
};

// A lookup record's non-key fields in 32 bytes.
struct CompactLookupValue {
  IpAddress provider_address;
  uint8_t rule = 0;
  uint8_t type = 0;
  uint8_t use_vm_mac_address = 0;
  uint32_t customer_id = 0;
  uint32_t context = 0;
  uint32_t vm_name = 0;
};

// The running (or a replacement) table of lookup records, ordered by key.
class LookupTable {
 public:
  using Map = std::map<LookupKey, CompactLookupValue>;

  LookupTable() = default;
  LookupTable(const LookupTable&) = delete;
  LookupTable& operator=(const LookupTable&) = delete;

  std::optional<LookupRecord> find(const LookupKey& key) const;
  bool contains(const LookupKey& key) const { return map_.count(key) != 0; }
  std::size_t size() const { return map_.size(); }
  // Creates or replaces.
  void put(const LookupRecord& record);
  // Appends a record whose key is greater than every key present (bulk load).
  void append_sorted(const LookupRecord& record);
  void erase(const LookupKey& key);
  LookupRecord expand(const LookupKey& key, const CompactLookupValue& value) const;
  const Map& map() const { return map_; }
  void swap(LookupTable& other) noexcept {
    map_.swap(other.map_);
    std::swap(pool_, other.pool_);
  }

 private:
  CompactLookupValue compact(const LookupRecord& record);
  void release(const CompactLookupValue& value);
  Map map_;
  StringPool pool_;
};

// A transaction's pending lookup edits over a base table: key -> record to
// write, or nullopt to delete.
class LookupOverlay {
 public:
  std::map<LookupKey, std::optional<LookupRecord>> edits;

  // The record as the candidate sees it (overlay first, then the base).
  std::optional<LookupRecord> find(const LookupTable& base, const LookupKey& key) const;
  // Record count of base + overlay.
  std::size_t size(const LookupTable& base) const;
  // Merged key-order walk of base and overlay, starting after `after`.
  void for_each(const LookupTable& base, const std::function<bool(const LookupRecord&)>& fn,
                const LookupKey* after) const;
};

}  // namespace cimnet::config

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

// An ordered map LookupKey -> CompactLookupValue kept in sorted chunks of at
// most kChunk entries (60 bytes each, no per-entry node or malloc header):
// about half the memory of std::map at 1,000,000 records. Appending in key
// order fills chunks completely; a full chunk hit in the middle splits in two.
// Any insert or erase invalidates iterators.
class LookupMap {
 public:
  struct Entry {
    LookupKey first;
    CompactLookupValue second;
  };
  static constexpr std::size_t kChunk = 128;

  class const_iterator {
   public:
    const_iterator() = default;
    const Entry& operator*() const { return (*chunks_)[chunk_][pos_]; }
    const Entry* operator->() const { return &(*chunks_)[chunk_][pos_]; }
    const_iterator& operator++() {
      if (++pos_ == (*chunks_)[chunk_].size()) {
        ++chunk_;
        pos_ = 0;
      }
      return *this;
    }
    bool operator==(const const_iterator& o) const {
      return chunk_ == o.chunk_ && pos_ == o.pos_;
    }

   private:
    friend class LookupMap;
    const_iterator(const std::vector<std::vector<Entry>>* chunks, std::size_t c, std::size_t p)
        : chunks_(chunks), chunk_(c), pos_(p) {}
    const std::vector<std::vector<Entry>>* chunks_ = nullptr;
    std::size_t chunk_ = 0;
    std::size_t pos_ = 0;
  };

  const_iterator begin() const { return {&chunks_, 0, 0}; }
  const_iterator end() const { return {&chunks_, chunks_.size(), 0}; }
  const_iterator find(const LookupKey& key) const;
  const_iterator upper_bound(const LookupKey& key) const;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t count(const LookupKey& key) const { return find(key) != end() ? 1 : 0; }
  // The largest key; the map must not be empty.
  const LookupKey& last_key() const { return chunks_.back().back().first; }
  // The value of `key`, or nullptr.
  CompactLookupValue* lookup(const LookupKey& key);
  // Inserts (key, value) when `key` is absent; returns false (nothing changed) otherwise.
  bool insert(const LookupKey& key, const CompactLookupValue& value);
  // Removes `key` if present; returns the removed value through `removed`.
  bool erase(const LookupKey& key, CompactLookupValue* removed);
  void swap(LookupMap& other) noexcept {
    chunks_.swap(other.chunks_);
    std::swap(size_, other.size_);
  }

 private:
  // The chunk that holds `key` or where it belongs.
  std::size_t chunk_for(const LookupKey& key) const;
  std::vector<std::vector<Entry>> chunks_;
  std::size_t size_ = 0;
};

// The running (or a replacement) table of lookup records, ordered by key.
class LookupTable {
 public:
  using Map = LookupMap;

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

#include "lookup_table.h"

#include <algorithm>
#include <cstdlib>

namespace cimnet::config {

StringPool::StringPool() {
  entries_.push_back(Entry{});
}

uint32_t StringPool::intern(std::string_view s) {
  if (s.empty()) return 0;
  auto it = index_.find(s);
  if (it != index_.end()) {
    ++entries_[it->second].refs;
    return it->second;
  }
  uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<uint32_t>(entries_.size());
    entries_.push_back(Entry{});
  }
  entries_[id].text.assign(s);
  entries_[id].refs = 1;
  index_.emplace(std::string_view(entries_[id].text), id);
  return id;
}

void StringPool::release(uint32_t id) {
  if (id == 0) return;
  Entry& e = entries_[id];
  if (e.refs == 0) std::abort();  // released more often than interned: a bug in the table
  if (--e.refs == 0) {
    index_.erase(std::string_view(e.text));
    e.text.clear();
    e.text.shrink_to_fit();
    free_.push_back(id);
  }
}

CompactLookupValue LookupTable::compact(const LookupRecord& r) {
  CompactLookupValue v;
  v.provider_address = r.provider_address;
  v.rule = static_cast<uint8_t>(r.rule);
  v.type = static_cast<uint8_t>(r.type);
  v.use_vm_mac_address = r.use_vm_mac_address ? 1 : 0;
  v.customer_id = pool_.intern(r.customer_id);
  v.context = pool_.intern(r.context);
  v.vm_name = pool_.intern(r.vm_name);
  return v;
}

void LookupTable::release(const CompactLookupValue& v) {
  pool_.release(v.customer_id);
  pool_.release(v.context);
  pool_.release(v.vm_name);
}

LookupRecord LookupTable::expand(const LookupKey& key, const CompactLookupValue& v) const {
  LookupRecord r;
  r.key = key;
  r.provider_address = v.provider_address;
  r.rule = static_cast<TranslationRule>(v.rule);
  r.type = static_cast<LookupRecordType>(v.type);
  r.use_vm_mac_address = v.use_vm_mac_address != 0;
  r.customer_id = pool_.get(v.customer_id);
  r.context = pool_.get(v.context);
  r.vm_name = pool_.get(v.vm_name);
  return r;
}

std::size_t LookupMap::chunk_for(const LookupKey& key) const {
  // First chunk whose last key is >= key (the last chunk when key is beyond all).
  std::size_t lo = 0, hi = chunks_.size();
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (chunks_[mid].back().first < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo == chunks_.size() && lo > 0 ? lo - 1 : lo;
}

LookupMap::const_iterator LookupMap::find(const LookupKey& key) const {
  if (chunks_.empty()) return end();
  std::size_t c = chunk_for(key);
  const auto& chunk = chunks_[c];
  auto it = std::lower_bound(chunk.begin(), chunk.end(), key,
                             [](const Entry& e, const LookupKey& k) { return e.first < k; });
  if (it == chunk.end() || it->first != key) return end();
  return {&chunks_, c, std::size_t(it - chunk.begin())};
}

LookupMap::const_iterator LookupMap::upper_bound(const LookupKey& key) const {
  if (chunks_.empty()) return end();
  std::size_t c = chunk_for(key);
  const auto& chunk = chunks_[c];
  auto it = std::upper_bound(chunk.begin(), chunk.end(), key,
                             [](const LookupKey& k, const Entry& e) { return k < e.first; });
  if (it == chunk.end()) return {&chunks_, c + 1, 0};
  return {&chunks_, c, std::size_t(it - chunk.begin())};
}

CompactLookupValue* LookupMap::lookup(const LookupKey& key) {
  if (chunks_.empty()) return nullptr;
  auto& chunk = chunks_[chunk_for(key)];
  auto it = std::lower_bound(chunk.begin(), chunk.end(), key,
                             [](const Entry& e, const LookupKey& k) { return e.first < k; });
  return it != chunk.end() && it->first == key ? &it->second : nullptr;
}

bool LookupMap::insert(const LookupKey& key, const CompactLookupValue& value) {
  if (chunks_.empty() || (chunks_.back().size() == kChunk && chunks_.back().back().first < key)) {
    // Appending in key order: a new chunk, filled completely before the next.
    chunks_.emplace_back().reserve(kChunk);
    chunks_.back().push_back({key, value});
    ++size_;
    return true;
  }
  std::size_t c = chunk_for(key);
  auto* chunk = &chunks_[c];
  auto it = std::lower_bound(chunk->begin(), chunk->end(), key,
                             [](const Entry& e, const LookupKey& k) { return e.first < k; });
  if (it != chunk->end() && it->first == key) return false;
  if (chunk->size() == kChunk) {
    // Split the full chunk in two halves and insert into the right one.
    std::vector<Entry> right;
    right.reserve(kChunk);
    right.assign(chunk->begin() + kChunk / 2, chunk->end());
    chunk->resize(kChunk / 2);
    chunks_.insert(chunks_.begin() + std::ptrdiff_t(c) + 1, std::move(right));
    if (chunks_[c].back().first < key) ++c;
    chunk = &chunks_[c];
    it = std::lower_bound(chunk->begin(), chunk->end(), key,
                          [](const Entry& e, const LookupKey& k) { return e.first < k; });
  }
  chunk->insert(it, {key, value});
  ++size_;
  return true;
}

bool LookupMap::erase(const LookupKey& key, CompactLookupValue* removed) {
  if (chunks_.empty()) return false;
  std::size_t c = chunk_for(key);
  auto& chunk = chunks_[c];
  auto it = std::lower_bound(chunk.begin(), chunk.end(), key,
                             [](const Entry& e, const LookupKey& k) { return e.first < k; });
  if (it == chunk.end() || it->first != key) return false;
  if (removed) *removed = it->second;
  chunk.erase(it);
  if (chunk.empty()) chunks_.erase(chunks_.begin() + std::ptrdiff_t(c));
  --size_;
  return true;
}

std::optional<LookupRecord> LookupTable::find(const LookupKey& key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return expand(it->first, it->second);
}

void LookupTable::put(const LookupRecord& record) {
  CompactLookupValue v = compact(record);
  if (CompactLookupValue* old = map_.lookup(record.key)) {
    release(*old);
    *old = v;
  } else {
    map_.insert(record.key, v);
  }
}

void LookupTable::append_sorted(const LookupRecord& record) {
  if (!map_.empty() && !(map_.last_key() < record.key)) {
    put(record);
    return;
  }
  map_.insert(record.key, compact(record));
}

void LookupTable::erase(const LookupKey& key) {
  CompactLookupValue old;
  if (map_.erase(key, &old)) release(old);
}

std::optional<LookupRecord> LookupOverlay::find(const LookupTable& base,
                                                const LookupKey& key) const {
  auto it = edits.find(key);
  if (it != edits.end()) return it->second;
  return base.find(key);
}

std::size_t LookupOverlay::size(const LookupTable& base) const {
  std::size_t n = base.size();
  for (const auto& [key, rec] : edits) {
    bool in_base = base.contains(key);
    if (rec && !in_base) ++n;
    if (!rec && in_base) --n;
  }
  return n;
}

void LookupOverlay::for_each(const LookupTable& base,
                             const std::function<bool(const LookupRecord&)>& fn,
                             const LookupKey* after) const {
  auto b = after ? base.map().upper_bound(*after) : base.map().begin();
  auto o = after ? edits.upper_bound(*after) : edits.begin();
  const auto b_end = base.map().end();
  const auto o_end = edits.end();
  while (b != b_end || o != o_end) {
    if (o == o_end || (b != b_end && b->first < o->first)) {
      if (!fn(base.expand(b->first, b->second))) return;
      ++b;
      continue;
    }
    if (b != b_end && b->first == o->first) ++b;  // the overlay wins over the base
    if (o->second && !fn(*o->second)) return;
    ++o;
  }
}

}  // namespace cimnet::config

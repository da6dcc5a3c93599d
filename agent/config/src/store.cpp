#include "cimnet/config/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "export.h"
#include "json_import.h"
#include "lookup_table.h"
#include "persistence.h"
#include "yang.h"

namespace fs = std::filesystem;

namespace cimnet::config {

// ---------------------------------------------------------------- small helpers

std::optional<Format> format_from_name(std::string_view name) {
  if (name == "json") return Format::kJson;
  if (name == "xml") return Format::kXml;
  return std::nullopt;
}

std::string_view to_string(ChangeOp op) {
  switch (op) {
    case ChangeOp::kCreate:
      return "create";
    case ChangeOp::kReplace:
      return "replace";
    case ChangeOp::kDelete:
      return "delete";
  }
  return "?";
}

bool Change::touches(std::string_view prefix) const {
  for (const NodeChange& n : nodes) {
    if (std::string_view(n.path).substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

std::string Change::describe() const {
  std::string out;
  for (const NodeChange& n : nodes) {
    out += to_string(n.op);
    out += ' ';
    out += n.path;
    if (n.is_leaf && n.op != ChangeOp::kDelete && n.new_value) out += " = " + *n.new_value;
    if (n.is_leaf && n.op == ChangeOp::kReplace && n.old_value)
      out += " (was " + *n.old_value + ")";
    out += '\n';
  }
  for (const LookupChange& l : lookups) {
    out += to_string(l.op);
    out += ' ';
    out += lookup_record_path(l.key);
    if (l.after) out += " -> " + l.after->provider_address.to_string();
    if (l.op == ChangeOp::kReplace && l.before)
      out += " (was " + l.before->provider_address.to_string() + ")";
    out += '\n';
  }
  return out;
}

fs::path default_yang_dir() {
  if (const char* env = std::getenv("CIMNET_YANG_DIR"); env && *env) return env;
  return CIMNET_SOURCE_YANG_DIR;
}

namespace {

void clear_errors(const ly_ctx* ctx) {
  ly_err_clean(const_cast<ly_ctx*>(ctx), nullptr);
}

bool is_lookup_path(const std::string& path) {
  return path.find("network-virtualization") != std::string::npos &&
         path.find("lookup-record") != std::string::npos;
}

// Replaces `tree` by its first top-level sibling after an edit may have put a
// new node before it.
void refirst(TreePtr& tree) {
  if (tree) {
    lyd_node* first = lyd_first_sibling(tree.release());
    tree.reset(first);
  }
}

std::string meta_value(const lyd_node* node, const char* name) {
  const lyd_meta* m = lyd_find_meta(node->meta, nullptr, name);
  if (!m) return {};
  const char* v = lyd_get_meta_value(m);
  return v ? v : "";
}

// Flattens a libyang diff into NodeChanges (see NodeChange).
void collect_changes(const lyd_node* node, const std::string& inherited,
                     std::vector<NodeChange>& out) {
  for (; node; node = node->next) {
    std::string op = meta_value(node, "yang:operation");
    if (op.empty()) op = inherited;
    const bool leaf = node->schema && (node->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST));
    if (op == "create" || op == "delete" || op == "replace") {
      NodeChange c;
      c.op = op == "create"   ? ChangeOp::kCreate
             : op == "delete" ? ChangeOp::kDelete
                              : ChangeOp::kReplace;
      c.path = node_path(node);
      c.is_leaf = leaf;
      if (leaf) {
        const char* v = lyd_get_value(node);
        std::string value = v ? v : "";
        if (c.op == ChangeOp::kDelete) {
          c.old_value = value;
        } else {
          c.new_value = value;
        }
        if (c.op == ChangeOp::kReplace) {
          const lyd_meta* m = lyd_find_meta(node->meta, nullptr, "yang:orig-value");
          if (m && lyd_get_meta_value(m)) c.old_value = lyd_get_meta_value(m);
        }
      }
      out.push_back(std::move(c));
    }
    if (!leaf) collect_changes(lyd_child(node), op, out);
  }
}

LookupRecord record_from_node(const lyd_node* entry) {
  LookupRecord r;
  for (const lyd_node* c = lyd_child(entry); c; c = c->next) {
    const char* raw = lyd_get_value(c);
    std::string v = raw ? raw : "";
    std::string_view name = c->schema->name;
    if (name == "vsid") {
      r.key.vsid = static_cast<uint32_t>(std::stoul(v));
    } else if (name == "customer-address") {
      if (auto a = IpAddress::parse(v)) r.key.customer_address = *a;
    } else if (name == "mac-address") {
      if (auto m = MacAddress::parse(v)) r.key.mac = *m;
    } else if (name == "provider-address") {
      if (auto a = IpAddress::parse(v)) r.provider_address = *a;
    } else if (name == "rule") {
      if (auto x = translation_rule_from_yang(v)) r.rule = *x;
    } else if (name == "type") {
      if (auto x = lookup_record_type_from_yang(v)) r.type = *x;
    } else if (name == "use-vm-mac-address") {
      r.use_vm_mac_address = v == "true";
    } else if (name == "customer-id") {
      r.customer_id = v;
    } else if (name == "context") {
      r.context = v;
    } else if (name == "vm-name") {
      r.vm_name = v;
    }
  }
  return r;
}

// Moves every lookup-record entry out of `tree` into `table`.
void extract_lookup_records(TreePtr& tree, LookupTable& table) {
  if (!tree) return;
  lyd_node* nv = nullptr;
  if (lyd_find_path(tree.get(), "/cimnet:network-virtualization", 0, &nv) != LY_SUCCESS || !nv)
    return;
  std::vector<lyd_node*> entries;
  for (lyd_node* c = lyd_child(nv); c; c = c->next) {
    if (c->schema && std::strcmp(c->schema->name, "lookup-record") == 0) entries.push_back(c);
  }
  for (lyd_node* e : entries) {
    LookupRecord r = record_from_node(e);
    validate_lookup_record(r);
    if (table.contains(r.key)) {
      throw ConfigError(ErrorKind::kInvalid, "Duplicate instance of \"lookup-record\"",
                        lookup_record_path(r.key));
    }
    table.put(r);
    lyd_free_tree(e);
  }
  if (!lyd_child(nv)) {
    // An emptied container would be left as an explicit node; drop it
    // (validation adds the default one back).
    lyd_node* keep = tree.release();
    if (keep == nv) keep = nv->next;
    lyd_free_tree(nv);
    tree.reset(keep ? lyd_first_sibling(keep) : nullptr);
  }
}

// A libyang tree freed under the store's libyang lock.
struct LockedTree {
  std::mutex& mu;
  TreePtr tree;
  ~LockedTree() {
    std::lock_guard ly(mu);
    tree.reset();
  }
};

enum class OpKind { kSet, kCreate, kRemove, kPutLookup, kCreateLookup, kRemoveLookup };

struct EditOp {
  OpKind kind;
  std::string path;
  std::string value;
  bool must_exist = true;
  LookupRecord record;
};

constexpr uint8_t kJournalVersion = 1;
constexpr uint8_t kLookupPut = 1;
constexpr uint8_t kLookupDelete = 2;

}  // namespace

// ---------------------------------------------------------------- ConfigView

std::optional<std::string> ConfigView::get(const std::string& path) const {
  if (!tree_) return std::nullopt;
  std::lock_guard ly(*tree_mutex_);
  lyd_node* node = nullptr;
  if (lyd_find_path(tree_, path.c_str(), 0, &node) != LY_SUCCESS || !node) return std::nullopt;
  if (!node->schema || !(node->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST))) return std::string();
  const char* v = lyd_get_value(node);
  return std::string(v ? v : "");
}

bool ConfigView::exists(const std::string& path) const {
  if (!tree_) return false;
  std::lock_guard ly(*tree_mutex_);
  lyd_node* node = nullptr;
  return lyd_find_path(tree_, path.c_str(), 0, &node) == LY_SUCCESS && node;
}

std::vector<std::string> ConfigView::select(const std::string& xpath) const {
  std::vector<std::string> out;
  if (!tree_) return out;
  std::lock_guard ly(*tree_mutex_);
  ly_set* set = nullptr;
  if (lyd_find_xpath(tree_, xpath.c_str(), &set) != LY_SUCCESS) {
    throw_libyang(LYD_CTX(tree_), ErrorKind::kInvalid, "invalid XPath " + xpath);
  }
  for (uint32_t i = 0; i < set->count; ++i) out.push_back(node_path(set->dnodes[i]));
  ly_set_free(set, nullptr);
  return out;
}

std::optional<LookupRecord> ConfigView::find_lookup(const LookupKey& key) const {
  return overlay_ ? overlay_->find(*table_, key) : table_->find(key);
}

std::size_t ConfigView::lookup_count() const {
  return overlay_ ? overlay_->size(*table_) : table_->size();
}

void ConfigView::for_each_lookup(const std::function<bool(const LookupRecord&)>& fn,
                                 const LookupKey* after) const {
  if (overlay_) {
    overlay_->for_each(*table_, fn, after);
    return;
  }
  const auto& map = table_->map();
  for (auto it = after ? map.upper_bound(*after) : map.begin(); it != map.end(); ++it) {
    if (!fn(table_->expand(it->first, it->second))) return;
  }
}

// ---------------------------------------------------------------- Store::Impl

struct Store::Impl {
  StoreOptions opts;
  ContextPtr ctx;
  // Serialises every libyang call on this store's trees: concurrent readers
  // of one tree crashed inside libyang 2.1 (release build, reader thread in
  // lyd_find_path while the writer validated its own copy), so libyang work
  // is not treated as thread-safe at all. Shared with transactions.
  std::shared_ptr<std::mutex> ly_mu = std::make_shared<std::mutex>();
  int lock_fd = -1;

  mutable std::shared_mutex state_mu;  // readers vs the publish step of a commit
  std::mutex commit_mu;                // one commit (or registration) at a time
  TreePtr running;
  LookupTable table;
  std::atomic<uint64_t> seq{0};
  std::vector<Backend*> backends;

  uint64_t journal_gen = 0;
  Journal journal;
  uint64_t snapshot_bytes = 0;

  // Group commit: a commit writes its journal record under commit_mu, then
  // (without commit_mu) waits until a sync covers it; one fdatasync covers
  // every record written before it started, so concurrent commits share it.
  std::mutex sync_mu;
  std::condition_variable sync_cv;
  uint64_t written_seq = 0;  // last commit whose record is in the journal file
  uint64_t durable_seq = 0;  // last commit known to be on disk
  bool syncing = false;      // a thread is in fdatasync, or the journal is being replaced

  // Returns when commit `at` is durable (its record synced, or a snapshot
  // holds it). A failed fdatasync aborts the process: the commit is already
  // visible and the disk can no longer promise it (see README, Persistence).
  void wait_durable(uint64_t at);
  // snapshot() with the group-commit syncer kept away from the journal it replaces.
  void snapshot_exclusive(const lyd_node* tree, const LookupTable& tbl, uint64_t at);

  ~Impl() {
    if (lock_fd >= 0) ::close(lock_fd);
  }

  fs::path snapshot_path() const { return opts.state_dir / "snapshot"; }
  fs::path journal_path(uint64_t gen) const {
    return opts.state_dir / (std::string("journal.").append(std::to_string(gen)));
  }

  void lock_directory();
  void recover();
  void replay(std::string_view payload);
  // Writes a snapshot of (tree, tbl) at sequence `at` and starts a new journal.
  void snapshot(const lyd_node* tree, const LookupTable& tbl, uint64_t at);
};

void Store::Impl::lock_directory() {
  fs::path lock = opts.state_dir / "lock";
  lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    throw ConfigError(ErrorKind::kIo, "cannot open " + lock.string() + ": " + std::strerror(errno));
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    throw ConfigError(ErrorKind::kIo, "the state directory " + opts.state_dir.string() +
                                          " is in use by another process (stop cimnetd first)");
  }
}

void Store::Impl::replay(std::string_view payload) {
  Decoder dec(payload);
  uint8_t version = dec.u8();
  uint64_t at = dec.u64();
  if (!dec.ok() || version != kJournalVersion) {
    throw ConfigError(ErrorKind::kCorrupt,
                      "journal " + journal_path(journal_gen).string() + " has an unknown record");
  }
  if (at != seq + 1) {
    throw ConfigError(ErrorKind::kCorrupt, "journal " + journal_path(journal_gen).string() +
                                               " skips from commit " + std::to_string(seq) +
                                               std::string(" to ").append(std::to_string(at)));
  }
  std::string diff_json(dec.bytes());
  if (!diff_json.empty()) {
    lyd_node* diff = nullptr;
    if (lyd_parse_data_mem(ctx.get(), diff_json.c_str(), LYD_JSON,
                           LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &diff) != LY_SUCCESS) {
      throw_libyang(ctx.get(), ErrorKind::kCorrupt,
                    std::string("journal record ").append(std::to_string(at)) + " is unreadable");
    }
    TreePtr hold(diff);
    lyd_node* tree = running.release();
    LY_ERR rc = lyd_diff_apply_all(&tree, diff);
    running.reset(tree);
    if (rc != LY_SUCCESS) {
      throw_libyang(ctx.get(), ErrorKind::kCorrupt,
                    std::string("journal record ").append(std::to_string(at)) + " does not apply");
    }
  }
  uint32_t n = dec.u32();
  for (uint32_t i = 0; i < n && dec.ok(); ++i) {
    uint8_t kind = dec.u8();
    if (kind == kLookupPut) {
      LookupRecord r = dec.record();
      if (dec.ok()) table.put(r);
    } else if (kind == kLookupDelete) {
      LookupKey k = dec.key();
      if (dec.ok()) table.erase(k);
    } else {
      break;
    }
  }
  if (!dec.ok() || !dec.at_end()) {
    throw ConfigError(ErrorKind::kCorrupt,
                      std::string("journal record ").append(std::to_string(at)) + " is malformed");
  }
  seq = at;
}

void Store::Impl::recover() {
  std::error_code ec;
  fs::remove(opts.state_dir / "snapshot.tmp", ec);
  fs::remove(opts.state_dir / "startup.json.tmp", ec);
  if (fs::exists(snapshot_path())) {
    SnapshotHeader h;
    std::string tree_json;
    snapshot_bytes = read_snapshot(snapshot_path(), h, tree_json, table);
    if (!tree_json.empty()) {
      try {
        running = parse_config(ctx.get(), tree_json, Format::kJson);
      } catch (const ConfigError& e) {
        throw ConfigError(ErrorKind::kCorrupt,
                          "snapshot tree does not validate: " + std::string(e.what()));
      }
    }
    seq = h.seq;
    journal_gen = h.journal_gen;
  }
  journal.open(journal_path(journal_gen), opts.fsync, [this](std::string_view p) { replay(p); });
  written_seq = durable_seq = seq;
  try {
    validate_tree(ctx.get(), running);
  } catch (const ConfigError& e) {
    throw ConfigError(ErrorKind::kCorrupt,
                      "recovered configuration does not validate: " + std::string(e.what()));
  }
  refirst(running);
  // Journals of other generations are left over from an interrupted snapshot.
  for (const auto& entry : fs::directory_iterator(opts.state_dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("journal.", 0) == 0 && entry.path() != journal_path(journal_gen))
      fs::remove(entry.path(), ec);
  }
}

void Store::Impl::wait_durable(uint64_t at) {
  std::unique_lock lock(sync_mu);
  while (durable_seq < at) {
    if (syncing) {
      sync_cv.wait(lock);
      continue;
    }
    syncing = true;
    uint64_t target = written_seq;
    lock.unlock();
    bool ok = journal.sync();
    lock.lock();
    syncing = false;
    if (!ok) {
      std::fprintf(stderr, "cimnet: cannot sync the configuration journal %s: %s; stopping so "
                   "that no unsynced commit is reported or kept\n",
                   journal.path().c_str(), std::strerror(errno));
      std::abort();
    }
    durable_seq = std::max(durable_seq, target);
    sync_cv.notify_all();
  }
}

void Store::Impl::snapshot_exclusive(const lyd_node* tree, const LookupTable& tbl, uint64_t at) {
  {
    std::unique_lock lock(sync_mu);
    sync_cv.wait(lock, [&] { return !syncing; });
    syncing = true;
  }
  try {
    snapshot(tree, tbl, at);
  } catch (...) {
    std::lock_guard lock(sync_mu);
    syncing = false;
    sync_cv.notify_all();
    throw;
  }
  std::lock_guard lock(sync_mu);
  syncing = false;
  // The snapshot is synced and holds every commit up to `at`.
  durable_seq = std::max(durable_seq, at);
  written_seq = std::max(written_seq, at);
  sync_cv.notify_all();
}

void Store::Impl::snapshot(const lyd_node* tree, const LookupTable& tbl, uint64_t at) {
  uint64_t next_gen = journal_gen + 1;
  fs::path next_journal = journal_path(next_gen);
  try {
    Journal::create_empty(next_journal, opts.fsync);
    std::string tree_json;
    {
      std::lock_guard ly(*ly_mu);
      tree_json = print_tree(tree, Format::kJson, true);
    }
    snapshot_bytes =
        write_snapshot(snapshot_path(), SnapshotHeader{at, next_gen}, tree_json, tbl, opts.fsync);
  } catch (...) {
    std::error_code ec;
    fs::remove(next_journal, ec);
    throw;
  }
  fs::path old = journal_path(journal_gen);
  journal_gen = next_gen;
  journal.open(next_journal, opts.fsync, [](std::string_view) {});
  std::error_code ec;
  fs::remove(old, ec);
}

// ---------------------------------------------------------------- Transaction

struct Transaction::Impl {
  ContextPtr context_hold;  // declared first: destroyed after the trees below
  std::shared_ptr<std::mutex> ly_mu;
  Store::Impl* store;
  bool spent = false;
  uint64_t base_seq = 0;
  // The candidate tree, copied from running at the first tree edit only, so
  // a lookup-record-only transaction costs no tree copy, validation or diff.
  bool has_tree = false;
  TreePtr candidate;
  std::unique_ptr<LookupTable> replacement;  // set by replace_all: the candidate's own table
  LookupOverlay overlay;
  std::vector<EditOp> ops;  // edits since the last replace_all, for a rebase

  ~Impl() {
    std::lock_guard ly(*ly_mu);
    candidate.reset();
  }

  const ly_ctx* ctx() const { return context_hold.get(); }
  const LookupTable& base() const { return replacement ? *replacement : store->table; }

  void check_usable() const {
    if (spent) throw ConfigError(ErrorKind::kUnsupported, "this transaction was already committed");
  }

  std::optional<LookupRecord> current(const LookupKey& key) {
    auto it = overlay.edits.find(key);
    if (it != overlay.edits.end()) return it->second;
    if (replacement) return replacement->find(key);
    std::shared_lock lock(store->state_mu);
    return store->table.find(key);
  }

  void ensure_tree() {
    if (has_tree) return;
    std::shared_lock lock(store->state_mu);
    std::lock_guard ly(*ly_mu);
    candidate = dup_tree(store->running.get());
    has_tree = true;
  }

  void apply(const EditOp& op) {
    std::unique_lock<std::mutex> ly;
    if (op.kind == OpKind::kSet || op.kind == OpKind::kCreate || op.kind == OpKind::kRemove) {
      ensure_tree();
      ly = std::unique_lock(*ly_mu);
      clear_errors(ctx());
    }
    switch (op.kind) {
      case OpKind::kSet:
      case OpKind::kCreate: {
        if (is_lookup_path(op.path)) {
          throw ConfigError(ErrorKind::kInvalid,
                            "lookup records are written with put_lookup/create_lookup", op.path);
        }
        lyd_node* existing = nullptr;
        if (candidate &&
            lyd_find_path(candidate.get(), op.path.c_str(), 0, &existing) == LY_SUCCESS &&
            existing && op.kind == OpKind::kCreate && !(existing->flags & LYD_DEFAULT)) {
          throw ConfigError(ErrorKind::kAlreadyExists, "the node already exists", op.path);
        }
        lyd_node* first = nullptr;
        LY_ERR rc = lyd_new_path(candidate.get(), candidate ? nullptr : ctx(), op.path.c_str(),
                                 op.value.empty() ? nullptr : op.value.c_str(), LYD_NEW_PATH_UPDATE,
                                 &first);
        if (rc == LY_EEXIST) break;  // an existing list entry or container: nothing to do
        if (rc != LY_SUCCESS)
          throw_libyang(ctx(), ErrorKind::kInvalid, "cannot set " + op.path, op.path);
        if (!candidate && first) {
          lyd_node* top = first;
          while (lyd_parent(top)) top = lyd_parent(top);
          candidate.reset(top);
        }
        refirst(candidate);
        break;
      }
      case OpKind::kRemove: {
        if (is_lookup_path(op.path)) {
          throw ConfigError(ErrorKind::kInvalid, "lookup records are removed with remove_lookup",
                            op.path);
        }
        lyd_node* node = nullptr;
        LY_ERR rc =
            candidate ? lyd_find_path(candidate.get(), op.path.c_str(), 0, &node) : LY_ENOTFOUND;
        if (rc == LY_EVALID || rc == LY_EINVAL) {
          throw_libyang(ctx(), ErrorKind::kInvalid, "cannot remove " + op.path, op.path);
        }
        if (rc != LY_SUCCESS || !node || (node->flags & LYD_DEFAULT)) {
          if (op.must_exist) throw ConfigError(ErrorKind::kNotFound, "no such node", op.path);
          break;
        }
        lyd_node* keep = candidate.release();
        if (keep == node) keep = node->next;
        lyd_free_tree(node);
        candidate.reset(keep ? lyd_first_sibling(keep) : nullptr);
        break;
      }
      case OpKind::kPutLookup:
        validate_lookup_record(op.record);
        overlay.edits[op.record.key] = op.record;
        break;
      case OpKind::kCreateLookup:
        validate_lookup_record(op.record);
        if (current(op.record.key)) {
          throw ConfigError(ErrorKind::kAlreadyExists, "the lookup record already exists",
                            lookup_record_path(op.record.key));
        }
        overlay.edits[op.record.key] = op.record;
        break;
      case OpKind::kRemoveLookup:
        if (!current(op.record.key)) {
          throw ConfigError(ErrorKind::kNotFound, "no such lookup record",
                            lookup_record_path(op.record.key));
        }
        overlay.edits[op.record.key] = std::nullopt;
        break;
    }
  }

  void record(EditOp&& op) {
    check_usable();
    apply(op);
    ops.push_back(std::move(op));
  }

  // Re-applies the edits on the current running configuration when other
  // commits happened since begin(). Caller holds commit_mu.
  void rebase() {
    if (base_seq == store->seq) return;
    base_seq = store->seq;
    if (replacement) return;  // a replacement does not depend on what ran before
    has_tree = false;
    {
      std::lock_guard ly(*ly_mu);
      candidate.reset();
    }
    overlay.edits.clear();
    for (const EditOp& op : ops) apply(op);
  }

  // Validates the candidate and computes what it changes. Caller holds commit_mu.
  Change prepare_change(TreePtr& diff_out) {
    Change change;
    if (has_tree) {
      std::lock_guard ly(*ly_mu);
      clear_errors(ctx());
      validate_tree(ctx(), candidate);
      refirst(candidate);
      lyd_node* diff = nullptr;
      if (lyd_diff_siblings(store->running.get(), candidate.get(), 0, &diff) != LY_SUCCESS) {
        throw_libyang(ctx(), ErrorKind::kInvalid,
                      "cannot compare the candidate with the running configuration");
      }
      diff_out.reset(diff);
      collect_changes(diff, "none", change.nodes);
    }
    if (replacement) {
      for (auto& [key, rec] : overlay.edits) {
        if (rec) {
          replacement->put(*rec);
        } else {
          replacement->erase(key);
        }
      }
      overlay.edits.clear();
    }
    const LookupTable& running = store->table;
    auto emit = [&](const LookupKey& key, std::optional<LookupRecord> before,
                    std::optional<LookupRecord> after) {
      if (!before && !after) return;
      if (before && after && *before == *after) return;
      ChangeOp op = !before ? ChangeOp::kCreate : !after ? ChangeOp::kDelete : ChangeOp::kReplace;
      change.lookups.push_back(LookupChange{op, key, std::move(before), std::move(after)});
    };
    if (replacement) {
      auto a = running.map().begin(), a_end = running.map().end();
      auto b = replacement->map().begin(), b_end = replacement->map().end();
      while (a != a_end || b != b_end) {
        if (b == b_end || (a != a_end && a->first < b->first)) {
          emit(a->first, running.expand(a->first, a->second), std::nullopt);
          ++a;
        } else if (a == a_end || b->first < a->first) {
          emit(b->first, std::nullopt, replacement->expand(b->first, b->second));
          ++b;
        } else {
          emit(a->first, running.expand(a->first, a->second),
               replacement->expand(b->first, b->second));
          ++a;
          ++b;
        }
      }
    } else {
      for (const auto& [key, rec] : overlay.edits) emit(key, running.find(key), rec);
    }
    return change;
  }
};

Transaction::Transaction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;
Transaction::~Transaction() = default;

void Transaction::set(const std::string& path, const std::string& value) {
  impl_->record(EditOp{OpKind::kSet, path, value, true, {}});
}

void Transaction::create(const std::string& path, const std::string& value) {
  impl_->record(EditOp{OpKind::kCreate, path, value, true, {}});
}

void Transaction::remove(const std::string& path, bool must_exist) {
  impl_->record(EditOp{OpKind::kRemove, path, {}, must_exist, {}});
}

void Transaction::put_lookup(const LookupRecord& record) {
  impl_->record(EditOp{OpKind::kPutLookup, {}, {}, true, record});
}

void Transaction::create_lookup(const LookupRecord& record) {
  impl_->record(EditOp{OpKind::kCreateLookup, {}, {}, true, record});
}

void Transaction::remove_lookup(const LookupKey& key) {
  LookupRecord r;
  r.key = key;
  impl_->record(EditOp{OpKind::kRemoveLookup, {}, {}, true, r});
}

void Transaction::replace_all(std::string_view text, Format format) {
  impl_->check_usable();
  auto table = std::make_unique<LookupTable>();
  // Bulk lookup records skip libyang (see json_import.h); the rest is parsed
  // and validated by libyang as usual.
  std::string rest;
  if (format == Format::kJson && split_lookup_records_json(text, rest, *table)) text = rest;
  std::lock_guard ly(*impl_->ly_mu);
  clear_errors(impl_->ctx());
  TreePtr tree = parse_config(impl_->ctx(), text, format);
  extract_lookup_records(tree, *table);
  refirst(tree);
  impl_->candidate = std::move(tree);
  impl_->has_tree = true;
  impl_->replacement = std::move(table);
  impl_->overlay.edits.clear();
  impl_->ops.clear();
}

Change Transaction::preview() {
  impl_->check_usable();
  Store::Impl& s = *impl_->store;
  std::lock_guard commit(s.commit_mu);
  impl_->rebase();
  LockedTree diff{*impl_->ly_mu, nullptr};
  return impl_->prepare_change(diff.tree);
}

Change Transaction::commit() {
  impl_->check_usable();
  Impl& tx = *impl_;
  Store::Impl& s = *tx.store;
  std::unique_lock commit(s.commit_mu);
  tx.spent = true;
  tx.rebase();
  LockedTree diff{*tx.ly_mu, nullptr};
  Change change = tx.prepare_change(diff.tree);
  if (change.empty()) return change;

  const LookupTable& cand_table = tx.replacement ? *tx.replacement : s.table;
  ConfigView candidate_view(tx.has_tree ? tx.candidate.get() : s.running.get(), &cand_table,
                            tx.replacement ? nullptr : &tx.overlay, tx.ly_mu.get());
  std::vector<Backend*> prepared;
  auto abort_prepared = [&] {
    for (auto it = prepared.rbegin(); it != prepared.rend(); ++it) (*it)->abort(change);
  };
  for (Backend* b : s.backends) {
    try {
      b->prepare(change, candidate_view);
    } catch (const ConfigError&) {
      abort_prepared();
      throw;
    } catch (const std::exception& e) {
      abort_prepared();
      throw ConfigError(ErrorKind::kRejected, e.what());
    }
    prepared.push_back(b);
  }

  const uint64_t next = s.seq + 1;
  try {
    if (tx.replacement) {
      s.snapshot_exclusive(tx.candidate.get(), *tx.replacement, next);
    } else {
      std::string payload;
      Encoder enc{payload};
      enc.u8(kJournalVersion);
      enc.u64(next);
      std::string diff_json;
      if (diff.tree && !change.nodes.empty()) {
        std::lock_guard ly(*tx.ly_mu);
        diff_json = print_tree(diff.tree.get(), Format::kJson, true);
      }
      enc.bytes(diff_json);
      enc.u32(static_cast<uint32_t>(change.lookups.size()));
      for (const LookupChange& l : change.lookups) {
        if (l.after) {
          enc.u8(kLookupPut);
          enc.record(*l.after);
        } else {
          enc.u8(kLookupDelete);
          enc.key(l.key);
        }
      }
      s.journal.append_unsynced(payload);
      std::lock_guard lock(s.sync_mu);
      s.written_seq = next;
      if (!s.opts.fsync) s.durable_seq = next;
    }
  } catch (...) {
    abort_prepared();
    throw;
  }

  for (Backend* b : s.backends) b->apply(change);
  {
    std::unique_lock lock(s.state_mu);
    if (tx.has_tree) s.running.swap(tx.candidate);
    if (tx.replacement) {
      s.table.swap(*tx.replacement);
    } else {
      for (const LookupChange& l : change.lookups) {
        if (l.after) {
          s.table.put(*l.after);
        } else {
          s.table.erase(l.key);
        }
      }
    }
    s.seq = next;
  }
  if (!tx.replacement &&
      (s.opts.snapshot_every_commit ||
       s.journal.size() > std::max(s.opts.snapshot_min_journal_bytes, s.snapshot_bytes))) {
    try {
      s.snapshot_exclusive(s.running.get(), s.table, next);
    } catch (const ConfigError&) {
      // The commit is durable in the journal; the next commit tries again.
    }
  }
  // Visible now, acknowledged only once durable: later commits build on this
  // one meanwhile and share its fdatasync.
  commit.unlock();
  s.wait_durable(next);
  // The old running tree (now in tx.candidate) and table go with the transaction.
  return change;
}

// ---------------------------------------------------------------- Store

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::unique_ptr<Store> Store::open(const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  if (impl->opts.state_dir.empty()) throw ConfigError(ErrorKind::kIo, "no state directory given");
  if (impl->opts.yang_dir.empty()) impl->opts.yang_dir = default_yang_dir();
  std::error_code ec;
  fs::create_directories(impl->opts.state_dir, ec);
  if (ec) {
    throw ConfigError(ErrorKind::kIo,
                      "cannot create " + impl->opts.state_dir.string() + ": " + ec.message());
  }
  impl->lock_directory();
  impl->ctx = make_context(impl->opts.yang_dir);
  impl->recover();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

void Store::register_backend(Backend& backend) {
  std::lock_guard commit(impl_->commit_mu);
  std::shared_lock lock(impl_->state_mu);
  backend.load(ConfigView(impl_->running.get(), &impl_->table, nullptr, impl_->ly_mu.get()));
  impl_->backends.push_back(&backend);
}

void Store::unregister_backend(Backend& backend) {
  std::lock_guard commit(impl_->commit_mu);
  std::erase(impl_->backends, &backend);
}

Transaction Store::begin() {
  auto tx = std::make_unique<Transaction::Impl>();
  tx->context_hold = impl_->ctx;
  tx->ly_mu = impl_->ly_mu;
  tx->store = impl_.get();
  std::shared_lock lock(impl_->state_mu);
  tx->base_seq = impl_->seq;
  return Transaction(std::move(tx));
}

void Store::read(const std::function<void(const ConfigView&)>& fn) const {
  std::shared_lock lock(impl_->state_mu);
  fn(ConfigView(impl_->running.get(), &impl_->table, nullptr, impl_->ly_mu.get()));
}

std::optional<std::string> Store::get(const std::string& path) const {
  std::shared_lock lock(impl_->state_mu);
  return ConfigView(impl_->running.get(), &impl_->table, nullptr, impl_->ly_mu.get()).get(path);
}

std::optional<LookupRecord> Store::find_lookup(const LookupKey& key) const {
  std::shared_lock lock(impl_->state_mu);
  return impl_->table.find(key);
}

std::size_t Store::lookup_count() const {
  std::shared_lock lock(impl_->state_mu);
  return impl_->table.size();
}

std::vector<LookupRecord> Store::lookup_page(
    const LookupKey* after, std::size_t max,
    const std::function<bool(const LookupRecord&)>& filter) const {
  std::vector<LookupRecord> out;
  std::shared_lock lock(impl_->state_mu);
  const auto& map = impl_->table.map();
  for (auto it = after ? map.upper_bound(*after) : map.begin(); it != map.end() && out.size() < max;
       ++it) {
    LookupRecord r = impl_->table.expand(it->first, it->second);
    if (!filter || filter(r)) out.push_back(std::move(r));
  }
  return out;
}

std::uint64_t Store::generation() const {
  return impl_->seq;
}

const ly_ctx* Store::context() const {
  return impl_->ctx.get();
}

void Store::export_config(std::ostream& out, Format format) const {
  std::shared_lock lock(impl_->state_mu);
  std::string tree_text;
  {
    std::lock_guard ly(*impl_->ly_mu);
    tree_text = print_tree(impl_->running.get(), format, false);
  }
  write_config(out, tree_text, impl_->table, format);
}

Change Store::import_config(std::string_view text, Format format) {
  Transaction tx = begin();
  tx.replace_all(text, format);
  return tx.commit();
}

fs::path Store::startup_path() const {
  return impl_->opts.state_dir / "startup.json";
}

void Store::save_running_to_startup() {
  std::ostringstream text;
  export_config(text, Format::kJson);
  write_file_atomically(startup_path(), text.str(), impl_->opts.fsync);
}

Change Store::restore_startup_to_running() {
  std::ifstream in(startup_path(), std::ios::binary);
  if (!in) {
    throw ConfigError(ErrorKind::kNotFound,
                      "no startup configuration was saved (" + startup_path().string() + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return import_config(text.str(), Format::kJson);
}

}  // namespace cimnet::config

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/config/error.h"
#include "cimnet/config/lookup.h"

struct lyd_node;
struct ly_ctx;

namespace cimnet::config {

// Text encodings of a whole configuration (RFC 7951 JSON or RFC 7950 XML).
enum class Format { kJson, kXml };

// "json" / "xml" -> Format; nullopt otherwise.
std::optional<Format> format_from_name(std::string_view name);

// What happened to one node or record.
enum class ChangeOp { kCreate, kReplace, kDelete };
std::string_view to_string(ChangeOp op);

// One changed data-tree node. For a created or deleted subtree the subtree's
// root is listed first, then every leaf under it with the same op, so a
// backend that watches a leaf path sees it. Paths are libyang data paths with
// module prefixes on top-level nodes and augments, e.g.
// /ietf-interfaces:interfaces/interface[name='Ethernet1']/cimnet:switchport/access-vlan.
struct NodeChange {
  ChangeOp op;
  std::string path;
  bool is_leaf = false;                  // leaf or leaf-list entry
  std::optional<std::string> old_value;  // leaves: value before (replace, delete)
  std::optional<std::string> new_value;  // leaves: value after (create, replace)
};

// One changed lookup record; before/after are set as the op implies.
struct LookupChange {
  ChangeOp op;
  LookupKey key;
  std::optional<LookupRecord> before;
  std::optional<LookupRecord> after;
};

// Everything one transaction changes: what backends prepare and apply, and
// what -WhatIf prints.
struct Change {
  std::vector<NodeChange> nodes;
  std::vector<LookupChange> lookups;

  bool empty() const { return nodes.empty() && lookups.empty(); }
  // True when a node whose path starts with `prefix` changed.
  bool touches(std::string_view prefix) const;
  // One line per change: "create /cimnet:vlans/vlan[id='10']",
  // "replace /.../access-vlan = 10 (was 1)", "delete lookup-record[...]".
  std::string describe() const;
};

class LookupOverlay;
class LookupTable;

// A read-only view of one configuration (running, or a candidate during
// prepare). Valid only while the call that handed it out is running.
// Constructed by the store.
class ConfigView {
 public:
  ConfigView(const lyd_node* tree, const LookupTable* table, const LookupOverlay* overlay,
             std::mutex* tree_mutex)
      : tree_(tree), table_(table), overlay_(overlay), tree_mutex_(tree_mutex) {}

  // Value of the leaf at `path` (as libyang canonical text); nullopt if absent.
  // Default values count as present.
  std::optional<std::string> get(const std::string& path) const;
  // True when a node exists at `path`.
  bool exists(const std::string& path) const;
  // Data paths of every node matching the XPath `xpath`, in document order.
  std::vector<std::string> select(const std::string& xpath) const;
  // The libyang tree (everything except lookup records; may be null when
  // empty), for callers that want libyang's own API: read only, and only
  // while holding lock_tree() (the store serialises all libyang work on its
  // trees, which libyang does not make safe across threads here).
  const lyd_node* tree() const { return tree_; }
  std::unique_lock<std::mutex> lock_tree() const { return std::unique_lock(*tree_mutex_); }

  std::optional<LookupRecord> find_lookup(const LookupKey& key) const;
  std::size_t lookup_count() const;
  // Calls fn on every lookup record in key order, starting after `after`
  // (from the first when null), until fn returns false.
  void for_each_lookup(const std::function<bool(const LookupRecord&)>& fn,
                       const LookupKey* after = nullptr) const;

 private:
  const lyd_node* tree_;
  const LookupTable* table_;
  const LookupOverlay* overlay_;
  std::mutex* tree_mutex_;
};

// A component that must agree to and then carry out every configuration
// change (datapath, switch driver). Modelled on FRR's northbound callbacks.
class Backend {
 public:
  virtual ~Backend() = default;
  // Called once from Store::register_backend with the running configuration,
  // so the backend starts in step with it. Must not fail.
  virtual void load(const ConfigView& running) noexcept = 0;
  // Checks that `change` can be applied and reserves whatever applying needs.
  // Throw ConfigError to veto the transaction: nothing is committed, and
  // backends that prepared before get abort(). Must not alter visible state.
  virtual void prepare(const Change& change, const ConfigView& candidate) = 0;
  // Releases what prepare reserved; the change will not happen.
  virtual void abort(const Change& change) noexcept = 0;
  // Makes the prepared change effective. Cannot fail.
  virtual void apply(const Change& change) noexcept = 0;
};

// Tuning and location of a store.
struct StoreOptions {
  std::filesystem::path state_dir;  // created if missing
  std::filesystem::path
      yang_dir;  // empty: $CIMNET_YANG_DIR, else the source tree's cim-schema/yang
  // A snapshot is taken when the journal has grown past
  // max(snapshot_min_journal_bytes, size of the last snapshot): O(1) amortised I/O per commit.
  std::uint64_t snapshot_min_journal_bytes = 4u << 20;
  bool fsync = true;  // false only for benchmarks that measure without the disk
  // Rewrites the whole store on every commit: the naive design, kept only as
  // the benchmark baseline.
  bool snapshot_every_commit = false;
};

class Store;

// A set of edits built by one writer, checked and committed as a whole.
// Edits are applied to a private candidate at once, so a bad path fails at the
// call; schema rules across nodes are checked by preview() and commit().
// Obtained from Store::begin(); do not use it after its store is destroyed
// (destroying it afterwards is safe). One thread at a time per transaction.
class Transaction {
 public:
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) noexcept;
  ~Transaction();

  // Creates or replaces the leaf at `path` (creating missing parents and list
  // entries). For a list entry or container path `value` must be empty.
  void set(const std::string& path, const std::string& value = {});
  // Like set but fails with kAlreadyExists when the node exists (New-).
  void create(const std::string& path, const std::string& value = {});
  // Deletes the node at `path` and its subtree; kNotFound when absent unless
  // must_exist is false.
  void remove(const std::string& path, bool must_exist = true);

  // Creates or replaces one lookup record.
  void put_lookup(const LookupRecord& record);
  // Creates a lookup record; commit fails with kAlreadyExists if its key exists.
  void create_lookup(const LookupRecord& record);
  // Deletes a lookup record; commit fails with kNotFound if it does not exist.
  void remove_lookup(const LookupKey& key);

  // Replaces the whole configuration with the document `text` (validated in
  // full; a kInvalid error names the offending path). Later edits apply on top.
  void replace_all(std::string_view text, Format format);

  // Validates the candidate and returns what committing it would change,
  // without changing anything (-WhatIf). Throws ConfigError like commit().
  Change preview();
  // Validates, asks every backend to prepare, persists, applies and
  // publishes. Returns the change that was committed (empty: nothing to do,
  // nothing written). On any error nothing changes and ConfigError is thrown.
  // The transaction is spent afterwards either way.
  Change commit();

 private:
  friend class Store;
  struct Impl;
  explicit Transaction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The running configuration of one agent: a libyang data tree for ports,
// VLANs, subnets, routes, addresses and adapters plus a compact table of
// lookup records, persisted in a state directory as a checksummed journal and
// periodic snapshots, and a startup configuration file beside it.
// Thread-safe: one commit at a time, readers never see a half-applied commit.
class Store {
 public:
  // Opens (or creates) the store in options.state_dir and restores the last
  // committed configuration. Throws ConfigError (kIo, kCorrupt, kInvalid).
  static std::unique_ptr<Store> open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Adds a backend (not owned; it must outlive the store or be unregistered)
  // and calls its load() with the running configuration, with no commit in
  // between. Backends prepare in registration order; apply in the same order.
  void register_backend(Backend& backend);
  void unregister_backend(Backend& backend);

  // Starts a transaction on the current running configuration.
  Transaction begin();

  // Calls fn with a consistent view of the running configuration. Commits
  // wait while fn runs: keep it short (page through lookup records with
  // lookup_page for large enumerations).
  void read(const std::function<void(const ConfigView&)>& fn) const;
  // Value of a leaf in the running configuration.
  std::optional<std::string> get(const std::string& path) const;
  std::optional<LookupRecord> find_lookup(const LookupKey& key) const;
  std::size_t lookup_count() const;
  // Up to `max` records in key order after `after` (from the first when
  // null) that pass `filter` (all when empty): one page of an enumeration.
  std::vector<LookupRecord> lookup_page(
      const LookupKey* after, std::size_t max,
      const std::function<bool(const LookupRecord&)>& filter = {}) const;

  // Number of commits since the store was created (persisted).
  std::uint64_t generation() const;

  // Writes the whole running configuration in `format` (lookup records
  // included) to `out`.
  void export_config(std::ostream& out, Format format) const;
  // Replaces running with `text` through one transaction (backends prepare,
  // all or nothing). A rejected import changes nothing.
  Change import_config(std::string_view text, Format format);

  // Saves running as the startup configuration (startup.json in the state
  // directory, written atomically).
  void save_running_to_startup();
  // Replaces running with the startup configuration through one transaction.
  // kNotFound when none was saved.
  Change restore_startup_to_running();
  // Path of the startup configuration file.
  std::filesystem::path startup_path() const;

  // The libyang context of the store's schema (read only; shared by threads).
  const ly_ctx* context() const;

  struct Impl;

 private:
  friend class Transaction;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The default YANG module folder ($CIMNET_YANG_DIR, else the source tree's).
std::filesystem::path default_yang_dir();

}  // namespace cimnet::config

#pragma once

#include <libyang/libyang.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "cimnet/config/error.h"
#include "cimnet/config/store.h"

namespace cimnet::config {

struct ContextDeleter {
  void operator()(ly_ctx* ctx) const { ly_ctx_destroy(ctx); }
};
struct TreeDeleter {
  void operator()(lyd_node* node) const { lyd_free_all(node); }
};
// Shared so that a transaction's trees can be freed after its store is gone.
using ContextPtr = std::shared_ptr<ly_ctx>;
using TreePtr = std::unique_ptr<lyd_node, TreeDeleter>;

// Builds the schema context: ietf-interfaces, iana-if-type and ietf-ip from
// Debian's libyuma-base, and the cimnet module from `yang_dir`.
ContextPtr make_context(const std::filesystem::path& yang_dir);

// Throws ConfigError(kind) from libyang's last error in `ctx`, with the data
// path it names (or `data_path` when libyang names only a schema node or
// nothing), or `fallback` as the message when libyang stored none.
[[noreturn]] void throw_libyang(const ly_ctx* ctx, ErrorKind kind, const std::string& fallback,
                                const std::string& data_path = {});

TreePtr dup_tree(const lyd_node* tree);
// Validates a configuration tree in place (adds defaults, drops when-false
// nodes). Throws ConfigError(kInvalid) naming the path.
void validate_tree(const ly_ctx* ctx, TreePtr& tree);
// Parses and validates a whole configuration document.
TreePtr parse_config(const ly_ctx* ctx, std::string_view text, Format format);
// Prints a tree (with siblings); empty string for an empty tree.
std::string print_tree(const lyd_node* tree, Format format, bool shrink);
// First top-level sibling of any node.
lyd_node* first_sibling(lyd_node* node);
// Canonical data path of a node.
std::string node_path(const lyd_node* node);

}  // namespace cimnet::config

#include "yang.h"

#include <cstdlib>
#include <mutex>

namespace cimnet::config {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

// The data path out of libyang's "Data location \"...\"" text; empty when
// libyang names a schema node only.
std::string strip_location(const char* path) {
  if (!path) return {};
  std::string p = path;
  if (p.rfind("Schema location", 0) == 0) return {};
  for (const char* prefix : {"Data location \"", "Path \""}) {
    std::string pre = prefix;
    if (p.rfind(pre, 0) == 0) {
      p = p.substr(pre.size());
      auto end = p.find("\"");
      // Data paths themselves contain quotes only as ' so the first " closes.
      if (end != std::string::npos) p = p.substr(0, end);
      break;
    }
  }
  return p;
}

}  // namespace

ContextPtr make_context(const std::filesystem::path& yang_dir) {
  static std::once_flag log_once;
  std::call_once(log_once, [] { ly_log_options(LY_LOSTORE_LAST); });
  ly_ctx* raw = nullptr;
  if (ly_ctx_new(yang_dir.c_str(), LY_CTX_DISABLE_SEARCHDIR_CWD, &raw) != LY_SUCCESS) {
    throw ConfigError(ErrorKind::kIo, "cannot create a YANG context for " + yang_dir.string());
  }
  ContextPtr ctx(raw, ContextDeleter{});
  ly_ctx_set_searchdir(raw, "/usr/share/yuma/nmda-modules/ietf");
  ly_ctx_set_searchdir(raw, "/usr/share/yuma/modules/ietf");
  const char* all[] = {"*", nullptr};
  struct Load {
    const char* name;
    const char* revision;
    const char** features;
  };
  for (const Load& m :
       {Load{"ietf-interfaces", "2018-02-20", all}, Load{"iana-if-type", nullptr, nullptr},
        Load{"ietf-ip", "2018-02-22", all}, Load{"cimnet", nullptr, nullptr}}) {
    if (!ly_ctx_load_module(raw, m.name, m.revision, m.features)) {
      const ly_err_item* e = ly_err_last(raw);
      throw ConfigError(ErrorKind::kIo,
                        std::string("cannot load YANG module ") + m.name + " (searched " +
                            yang_dir.string() +
                            " and /usr/share/yuma): " + (e && e->msg ? e->msg : "not found"));
    }
  }
  return ctx;
}

void throw_libyang(const ly_ctx* ctx, ErrorKind kind, const std::string& fallback,
                   const std::string& data_path) {
  const ly_err_item* e = ly_err_last(ctx);
  if (!e || !e->msg) throw ConfigError(kind, fallback, data_path);
  std::string msg = e->msg;
  std::string path = strip_location(e->path);
  // Some messages carry the location inside the text instead.
  auto loc = msg.find(" (Data location \"");
  if (loc != std::string::npos) {
    if (path.empty()) path = strip_location(msg.c_str() + loc + 2);
    msg = msg.substr(0, loc);
  }
  if (path.empty()) path = data_path;
  throw ConfigError(kind, msg, path);
}

TreePtr dup_tree(const lyd_node* tree) {
  if (!tree) return nullptr;
  lyd_node* dup = nullptr;
  if (lyd_dup_siblings(tree, nullptr, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup) != LY_SUCCESS) {
    throw_libyang(LYD_CTX(tree), ErrorKind::kIo, "cannot copy the configuration tree");
  }
  return TreePtr(dup);
}

namespace {

// libyang names only the schema node of a missing mandatory node; find the
// data instance that lacks it so the error names a data path.
std::string missing_node_path(const lyd_node* tree, const ly_ctx* ctx) {
  const ly_err_item* e = ly_err_last(ctx);
  if (!tree || !e || !e->path || !e->msg) return {};
  std::string loc = e->path;
  const std::string prefix = "Schema location \"";
  if (loc.rfind(prefix, 0) != 0) return {};
  std::string schema = loc.substr(prefix.size(), loc.find('"', prefix.size()) - prefix.size());
  auto slash = schema.rfind('/');
  if (slash == std::string::npos || slash == 0) return schema;
  std::string parent = schema.substr(0, slash), leaf = schema.substr(slash + 1);
  if (std::string(e->msg).rfind("Mandatory node", 0) != 0) return schema;
  ly_set* set = nullptr;
  std::string found = schema;
  if (lyd_find_xpath(tree, (parent + "[not(" + leaf + ")]").c_str(), &set) == LY_SUCCESS &&
      set->count > 0) {
    found = node_path(set->dnodes[0]) + "/" + leaf;
  }
  ly_set_free(set, nullptr);
  return found;
}

}  // namespace

void validate_tree(const ly_ctx* ctx, TreePtr& tree) {
  lyd_node* raw = tree.release();
  LY_ERR rc = lyd_validate_all(&raw, ctx, LYD_VALIDATE_NO_STATE, nullptr);
  tree.reset(raw);
  if (rc != LY_SUCCESS) {
    throw_libyang(ctx, ErrorKind::kInvalid, "the configuration is not valid",
                  missing_node_path(tree.get(), ctx));
  }
}

TreePtr parse_config(const ly_ctx* ctx, std::string_view text, Format format) {
  std::string copy(text);
  lyd_node* raw = nullptr;
  LY_ERR rc =
      lyd_parse_data_mem(ctx, copy.c_str(), format == Format::kXml ? LYD_XML : LYD_JSON,
                         LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, LYD_VALIDATE_NO_STATE, &raw);
  TreePtr tree(raw);
  if (rc != LY_SUCCESS)
    throw_libyang(ctx, ErrorKind::kInvalid, "the configuration document is not valid");
  return tree;
}

std::string print_tree(const lyd_node* tree, Format format, bool shrink) {
  if (!tree) return {};
  char* out = nullptr;
  uint32_t opts = LYD_PRINT_WITHSIBLINGS | (shrink ? LYD_PRINT_SHRINK : 0);
  if (lyd_print_mem(&out, tree, format == Format::kXml ? LYD_XML : LYD_JSON, opts) != LY_SUCCESS) {
    std::free(out);
    throw_libyang(LYD_CTX(tree), ErrorKind::kIo, "cannot print the configuration");
  }
  std::unique_ptr<char, FreeDeleter> hold(out);
  return out ? std::string(out) : std::string();
}

lyd_node* first_sibling(lyd_node* node) {
  return node ? lyd_first_sibling(node) : nullptr;
}

std::string node_path(const lyd_node* node) {
  std::unique_ptr<char, FreeDeleter> p(lyd_path(node, LYD_PATH_STD, nullptr, 0));
  return p ? std::string(p.get()) : std::string();
}

}  // namespace cimnet::config

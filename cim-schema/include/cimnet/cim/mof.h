#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/cim/error.h"
#include "cimnet/cim/instance.h"
#include "cimnet/cim/repository.h"

namespace cimnet::cim {

// Where a MOF error is: file, 1-based line and column.
struct MofLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// A MOF compile error; what() is "file:line:col: message".
class MofError : public Error {
 public:
  MofError(MofLocation where, const std::string& message);
  const MofLocation& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  MofLocation where_;
  std::string message_;
};

// An instance declared in MOF, with the namespace it was compiled into.
struct CompiledInstance {
  std::string ns;
  Instance instance;
  std::string alias;  // "$Alias" without the '$', or ""
};

// Counts of what a compile added.
struct MofStats {
  size_t classes = 0;
  size_t qualifier_types = 0;
  size_t instances = 0;
};

// Compiles DSP0221 MOF (CIM 2.x): pragmas include / locale / namespace,
// qualifier type declarations, class and association declarations, instance
// declarations with aliases. Classes and qualifier types go into the
// repository; instances are validated against it and kept in instances().
// The first error stops the compile with a MofError.
class MofCompiler {
 public:
  // Reads the text of an included file given its resolved path; nullopt when
  // it does not exist. The default reads from the file system.
  using SourceLoader = std::function<std::optional<std::string>(const std::string& path)>;

  explicit MofCompiler(Repository& repository, std::string default_namespace = "root/cimv2");

  void set_loader(SourceLoader loader) { loader_ = std::move(loader); }

  // Compiles one file; `#pragma include` paths resolve against the folder of
  // the file that includes them.
  void compile_file(const std::string& path);
  // Compiles MOF text; `name` is used in error locations and as the base for
  // includes.
  void compile_string(std::string_view text, const std::string& name);

  const MofStats& stats() const { return stats_; }
  const std::vector<CompiledInstance>& instances() const { return instances_; }
  // Non-fatal remarks (e.g. an unknown escape kept literally), "file:line:col: text".
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend class MofParser;
  Repository& repository_;
  std::string namespace_;
  SourceLoader loader_;
  MofStats stats_;
  std::vector<CompiledInstance> instances_;
  std::vector<std::string> warnings_;
  std::map<std::string, ObjectPath> aliases_;        // instance aliases, for references
  std::map<std::string, Instance> alias_instances_;  // and for embedded instances
  int include_depth_ = 0;
};

// Prints a resolved class as MOF, inherited members included, each member
// with its qualifiers (propagated ones too) and default value.
std::string class_to_mof(const Class& cls);

}  // namespace cimnet::cim

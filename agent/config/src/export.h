#pragma once

#include <libyang/libyang.h>

#include <iosfwd>

#include "cimnet/config/store.h"
#include "lookup_table.h"

namespace cimnet::config {

// Writes a whole configuration document: libyang prints the tree and the
// lookup records are streamed into the network-virtualization container in
// the same encoding (they are not a libyang tree at scale). The output parses
// with libyang and yanglint as a config datastore.
// `tree_text` is the tree as print_tree(tree, format, false) printed it.
void write_config(std::ostream& out, const std::string& tree_text, const LookupTable& table,
                  Format format);

}  // namespace cimnet::config

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
void write_config(std::ostream& out, const lyd_node* tree, const LookupTable& table, Format format);

}  // namespace cimnet::config

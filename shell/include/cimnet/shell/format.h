#pragma once
// Output formatting as PowerShell's Out-Default does it: strings as they are, objects as a
// table (few properties) or a list (many), per-type default views, tables sized to the
// terminal.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cimnet/shell/value.h"

namespace cimnet::shell {

struct TableLayout;

// One column of a table or one line of a list: a label and how to get the value.
struct Column {
  std::string label;
  std::string property;                        // used when `compute` is empty
  std::function<Value(const Value&)> compute;  // calculated column
  int width = 0;                               // 0 = automatic
  int align = 0;                               // 0 auto, -1 left, 1 right
  Value value_of(const Value& v) const;
};

// A registered default view for a type name (what format.ps1xml does in PowerShell).
struct View {
  bool list = false;
  std::vector<Column> columns;
  std::string group_by;  // property whose change starts a new group with a header
};

// Renders values to text. Out-Default feeds it a stream with write()/flush();
// Format-Table and Format-List call render_table()/render_list() directly.
class Formatter {
 public:
  Formatter();
  // Registers the default view for objects whose type names include `type_name`.
  void add_view(const std::string& type_name, View view);
  const View* find_view(const Value& v) const;

  // Out-Default: writes `v` through `emit`, keeping table state between calls.
  void write(const Value& v, int width, const std::function<void(const std::string&)>& emit);
  // Ends the current table/list (end of a pipeline).
  void flush(int width, const std::function<void(const std::string&)>& emit);

  // Whole-collection renderers.
  std::string render_table(const std::vector<Value>& items, std::vector<Column> columns,
                           bool autosize, int width, bool hide_headers = false,
                           const std::string& group_by = "") const;
  std::string render_list(const std::vector<Value>& items,
                          const std::vector<Column>& columns) const;
  // Everything Out-String would produce for `items`.
  std::string render_default(const std::vector<Value>& items, int width);
  // The columns Format-Table/Out-Default would use for `v`.
  std::vector<Column> default_columns(const Value& v, bool* list) const;
  // A property value as a table cell or list entry shows it.
  static std::string cell_text(const Value& v);

 private:
  std::map<std::string, View> views_;
  // streaming state
  std::vector<Value> pending_;
  std::vector<Column> columns_;
  std::vector<int> widths_;
  std::string shape_;  // type name of the stream's first object
  bool list_mode_ = false;
  bool header_written_ = false;
  std::string last_group_;
  std::string group_by_;
  std::chrono::steady_clock::time_point first_pending_;
  std::shared_ptr<TableLayout> layout_;  // set once a streamed table's header is out
};

}  // namespace cimnet::shell

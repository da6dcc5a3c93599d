#include "cimnet/shell/format.h"

#include <algorithm>

namespace cimnet::shell {

namespace {

bool is_numeric_value(const Value& v) {
  return v.is_number();
}

// UTF-8 aware display width (counts code points).
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string truncate_to(const std::string& s, size_t width) {
  if (display_width(s) <= width) return s;
  if (width == 0) return "";
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (n + 1 >= width) break;
      ++n;
    }
    out += s[i];
  }
  return out + "\xE2\x80\xA6";  // …
}

std::string pad(const std::string& s, size_t width, bool right) {
  size_t w = display_width(s);
  if (w >= width) return s;
  return right ? std::string(width - w, ' ') + s : s + std::string(width - w, ' ');
}

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  std::string l = nl == std::string::npos ? s : s.substr(0, nl);
  if (!l.empty() && l.back() == '\r') l.pop_back();
  return l;
}

std::string scalar_display(const Value& v) {
  if (v.is_date()) return format_date(v.as_date(), "dddd, MMMM d, yyyy h:mm:ss tt");
  if (v.is_object() && v.as_object()->display) return *v.as_object()->display;
  return to_string(v);
}

}  // namespace

Value Column::value_of(const Value& v) const {
  if (compute) return compute(v);
  return get_member(v, property);
}

Formatter::Formatter() {
  View group;
  group.columns = {
      {"Count", "Count", {}, 5, 1}, {"Name", "Name", {}, 0, -1}, {"Group", "Group", {}, 0, -1}};
  add_view("Microsoft.PowerShell.Commands.GroupInfo", group);
  group.columns.pop_back();
  add_view("Microsoft.PowerShell.Commands.GroupInfoNoElement", group);
  View member;
  member.columns = {{"Name", "Name", {}, 0, -1},
                    {"MemberType", "MemberType", {}, 0, -1},
                    {"Definition", "Definition", {}, 0, -1}};
  member.group_by = "TypeName";
  add_view("Microsoft.PowerShell.Commands.MemberDefinition", member);
  View cmd;
  cmd.columns = {{"CommandType", "CommandType", {}, 0, -1},
                 {"Name", "Name", {}, 0, -1},
                 {"Version", "Version", {}, 0, -1},
                 {"Source", "Source", {}, 0, -1}};
  add_view("System.Management.Automation.CommandInfo", cmd);
  View entry;
  entry.columns = {{"Name", "Name", {}, 0, -1}, {"Value", "Value", {}, 0, -1}};
  add_view("System.Collections.DictionaryEntry", entry);
}

void Formatter::add_view(const std::string& type_name, View view) {
  views_[to_lower(type_name)] = std::move(view);
}

const View* Formatter::find_view(const Value& v) const {
  if (!v.is_object()) return nullptr;
  for (auto& t : v.as_object()->type_names) {
    auto it = views_.find(to_lower(t));
    if (it != views_.end()) return &it->second;
  }
  return nullptr;
}

std::string Formatter::cell_text(const Value& v) {
  if (v.is_null()) return "";
  if (v.is_array()) {
    std::string s = "{";
    auto& a = *v.as_array();
    for (size_t i = 0; i < a.size(); ++i) {
      if (i == 4) {
        s += "\xE2\x80\xA6";
        break;
      }
      if (i) s += ", ";
      s += to_string(a[i]);
    }
    return s + "}";
  }
  if (v.is_date()) return format_date(v.as_date(), "M/d/yyyy h:mm:ss tt");
  if (v.is_scriptblock()) return to_string(v);
  return to_string(v);
}

std::vector<Column> Formatter::default_columns(const Value& v, bool* list) const {
  std::vector<Column> cols;
  if (auto* view = find_view(v)) {
    if (list) *list = view->list;
    return view->columns;
  }
  if (v.is_hashtable()) {
    if (list) *list = false;
    cols.push_back({"Name", "Name", {}, 0, -1});
    cols.push_back({"Value", "Value", {}, 0, -1});
    return cols;
  }
  auto names = property_names(v);
  if (list) *list = names.size() >= 5;
  for (auto& n : names) cols.push_back({n, n, {}, 0, 0});
  return cols;
}

// Column widths and alignment of a table, decided from a batch of rows and the width.
struct TableLayout {
  std::vector<size_t> widths;
  std::vector<bool> right;
  size_t visible = 0;
};

namespace {

std::vector<std::string> row_cells(const Value& item, const std::vector<Column>& cols) {
  std::vector<std::string> row;
  for (auto& c : cols) row.push_back(first_line(Formatter::cell_text(c.value_of(item))));
  return row;
}

TableLayout layout_table(const std::vector<Value>& items, const std::vector<Column>& cols,
                         const std::vector<std::vector<std::string>>& cells, int width) {
  TableLayout l;
  l.widths.resize(cols.size());
  l.right.resize(cols.size());
  for (size_t c = 0; c < cols.size(); ++c) {
    bool numeric = !items.empty();
    for (auto& item : items) {
      Value cv = cols[c].value_of(item);
      if (!cv.is_null() && !is_numeric_value(cv)) numeric = false;
    }
    l.right[c] = cols[c].align == 1 || (cols[c].align == 0 && numeric);
    size_t w = display_width(cols[c].label);
    if (cols[c].width > 0)
      w = static_cast<size_t>(cols[c].width);
    else
      for (auto& r : cells) w = std::max(w, display_width(r[c]));
    l.widths[c] = w;
  }
  // fit to the terminal: drop columns that start past the edge, shrink the last one
  l.visible = cols.size();
  size_t pos = 0;
  size_t limit = width > 0 ? static_cast<size_t>(width) : 120;
  for (size_t c = 0; c < cols.size(); ++c) {
    if (pos >= limit) {
      l.visible = c;
      break;
    }
    if (pos + l.widths[c] > limit) l.widths[c] = limit - pos;
    pos += l.widths[c] + 1;
  }
  if (l.visible == 0 && !cols.empty()) l.visible = 1;
  return l;
}

std::string table_line(const std::vector<std::string>& vals, const TableLayout& l) {
  std::string line;
  for (size_t c = 0; c < l.visible; ++c) {
    if (c) line += ' ';
    line += pad(truncate_to(vals[c], l.widths[c]), l.widths[c], l.right[c]);
  }
  return rtrim(line) + "\n";
}

std::string table_header(const std::vector<Column>& cols, const TableLayout& l) {
  std::vector<std::string> head, dashes;
  for (size_t c = 0; c < cols.size(); ++c) {
    std::string label = truncate_to(cols[c].label, l.widths[c]);
    head.push_back(label);
    dashes.push_back(std::string(display_width(label), '-'));
  }
  return table_line(head, l) + table_line(dashes, l);
}

std::vector<Value> expand_hashtables(const std::vector<Value>& items_in) {
  std::vector<Value> items;
  for (auto& v : items_in) {
    if (v.is_hashtable()) {
      for (auto& [k, x] : v.as_hashtable()->entries())
        items.push_back(Value(
            make_object({{"Name", Value(k)}, {"Value", x}}, "System.Collections.DictionaryEntry")));
    } else {
      items.push_back(v);
    }
  }
  return items;
}

}  // namespace

std::string Formatter::render_table(const std::vector<Value>& items_in, std::vector<Column> cols,
                                    bool /*autosize*/, int width, bool hide_headers,
                                    const std::string& group_by) const {
  // hashtables display one row per entry
  std::vector<Value> items = expand_hashtables(items_in);
  std::string out;
  size_t start = 0;
  while (start < items.size() || (items.empty() && start == 0)) {
    size_t end = items.size();
    if (!group_by.empty() && !items.empty()) {
      std::string group = to_string(get_member(items[start], group_by));
      end = start + 1;
      while (end < items.size() && to_string(get_member(items[end], group_by)) == group) ++end;
      out += "\n   " + group_by + ": " + group + "\n";
    }
    std::vector<Value> batch(items.begin() + static_cast<long>(start),
                             items.begin() + static_cast<long>(end));
    std::vector<std::vector<std::string>> cells;
    for (auto& item : batch) cells.push_back(row_cells(item, cols));
    TableLayout l = layout_table(batch, cols, cells, width);
    out += "\n";
    if (!hide_headers) out += table_header(cols, l);
    for (auto& r : cells) out += table_line(r, l);
    out += "\n";
    if (items.empty()) break;
    start = end;
  }
  return out;
}

std::string Formatter::render_list(const std::vector<Value>& items,
                                   const std::vector<Column>& cols_in) const {
  std::string out;
  for (auto& item : items) {
    std::vector<Column> cols = cols_in;
    if (cols.empty()) {
      for (auto& n : property_names(item)) cols.push_back({n, n, {}, 0, 0});
    }
    size_t w = 0;
    for (auto& c : cols) w = std::max(w, display_width(c.label));
    out += "\n";
    for (auto& c : cols) {
      std::string text = cell_text(c.value_of(item));
      std::string indent(w + 3, ' ');
      std::string shown;
      size_t b = 0;
      for (;;) {
        size_t nl = text.find('\n', b);
        std::string seg = text.substr(b, nl == std::string::npos ? std::string::npos : nl - b);
        if (!seg.empty() && seg.back() == '\r') seg.pop_back();
        shown += (b ? "\n" + indent : "") + seg;
        if (nl == std::string::npos) break;
        b = nl + 1;
      }
      out += rtrim(pad(c.label, w, false) + " : " + shown) + "\n";
    }
  }
  if (!items.empty()) out += "\n";
  return out;
}

std::string Formatter::render_default(const std::vector<Value>& items, int width) {
  std::string out;
  auto emit = [&](const std::string& s) { out += s; };
  for (auto& v : items) write(v, width, emit);
  flush(width, emit);
  return out;
}

static bool is_structured(const Value& v) {
  if (v.is_hashtable()) return true;
  if (!v.is_object()) return false;
  auto& o = *v.as_object();
  if (o.display) return false;  // error records, exceptions, formatted output
  return true;
}

void Formatter::write(const Value& v, int width,
                      const std::function<void(const std::string&)>& emit) {
  if (v.is_array()) {
    for (auto& x : *v.as_array()) write(x, width, emit);
    return;
  }
  if (v.is_null()) return;
  if (!is_structured(v)) {
    flush(width, emit);
    if (v.is_object() && v.as_object()->is_a("cimnet.FormatOutput")) {
      emit(*v.as_object()->display);
      return;
    }
    emit(scalar_display(v) + "\n");
    return;
  }
  std::string shape = v.is_hashtable() ? "#hashtable" : v.as_object()->type_name();
  if (!shape_.empty() && shape != shape_) flush(width, emit);
  if (shape_.empty()) {
    shape_ = shape;
    columns_ = default_columns(v, &list_mode_);
    const View* view = find_view(v);
    group_by_ = view ? view->group_by : "";
    first_pending_ = std::chrono::steady_clock::now();
  }
  if (header_written_ && !list_mode_) {
    // the table is already on screen: later rows use its column widths
    for (auto& item : expand_hashtables({v})) emit(table_line(row_cells(item, columns_), *layout_));
    return;
  }
  if (list_mode_) {
    std::string text = render_list({v}, columns_);
    text.pop_back();  // one blank line between objects; flush() writes the final one
    emit(text);
    header_written_ = true;
    return;
  }
  pending_.push_back(v);
  // Like PowerShell, wait a moment to size the columns from the first rows, then stream:
  // a long enumeration shows its rows as they arrive.
  if (group_by_.empty() &&
      std::chrono::steady_clock::now() - first_pending_ > std::chrono::milliseconds(300)) {
    std::vector<Value> items = expand_hashtables(pending_);
    std::vector<std::vector<std::string>> cells;
    for (auto& item : items) cells.push_back(row_cells(item, columns_));
    layout_ = std::make_shared<TableLayout>(layout_table(items, columns_, cells, width));
    std::string out = "\n" + table_header(columns_, *layout_);
    for (auto& r : cells) out += table_line(r, *layout_);
    emit(out);
    pending_.clear();
    header_written_ = true;
  }
}

void Formatter::flush(int width, const std::function<void(const std::string&)>& emit) {
  if (!pending_.empty()) emit(render_table(pending_, columns_, true, width, false, group_by_));
  if (header_written_) emit("\n");
  layout_.reset();
  pending_.clear();
  shape_.clear();
  columns_.clear();
  list_mode_ = false;
  header_written_ = false;
  group_by_.clear();
}

}  // namespace cimnet::shell

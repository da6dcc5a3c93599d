// JSON and CSV conversion cmdlets (nlohmann-json for JSON).

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cimnet/shell/interpreter.h"
#include "internal.h"

namespace cimnet::shell {

namespace {

using Json = nlohmann::ordered_json;

// ---------------- JSON ----------------

Json to_json(const Value& v, int depth, int max_depth, bool& truncated) {
  if (v.is_null()) return nullptr;
  if (v.is_bool()) return v.as_bool_raw();
  if (v.is_int()) return v.as_int_raw();
  if (v.is_double()) return v.as_double_raw();
  if (v.is_string()) return v.as_string_raw();
  if (v.is_date())
    return format_date(v.as_date(), "yyyy-MM-ddTHH:mm:ss.fffffff") + (v.as_date().utc ? "Z" : "");
  if (v.is_scriptblock()) return to_string(v);
  if (v.is_array()) {
    if (depth > max_depth) {
      truncated = true;
      return to_string(v);
    }
    Json a = Json::array();
    for (auto& x : *v.as_array()) a.push_back(to_json(x, depth + 1, max_depth, truncated));
    return a;
  }
  if (depth > max_depth) {
    truncated = true;
    return to_string(v);
  }
  Json o = Json::object();
  if (v.is_hashtable()) {
    for (auto& [k, x] : v.as_hashtable()->entries())
      o[k] = to_json(x, depth + 1, max_depth, truncated);
    return o;
  }
  const Object& obj = *v.as_object();
  if (obj.display && obj.properties.empty()) return *obj.display;
  for (auto& p : obj.properties) o[p.name] = to_json(p.value, depth + 1, max_depth, truncated);
  return o;
}

class ConvertToJson : public internal::CollectingCmdlet {
 public:
  void end(CommandRuntime& rt) override {
    if (items_.empty()) return;
    int depth = static_cast<int>(rt.get_int("Depth", 2));
    if (depth < 0 || depth > 100)
      rt.throw_terminating(make_error(
          "Cannot validate argument on parameter 'Depth'. The " + std::to_string(depth) +
              " argument is greater than the maximum allowed range of 100. Supply an argument that "
              "is less than or equal to 100 and then try the command again.",
          "ParameterArgumentValidationError", ErrorCategory::InvalidData));
    Value root = items_.size() == 1 && !rt.get_switch("AsArray") ? items_[0] : Value::array(items_);
    bool truncated = false;
    Json j = to_json(root, 0, depth, truncated);
    if (truncated)
      rt.write_warning(
          "Resulting JSON is truncated as serialization has exceeded the set depth of " +
          std::to_string(depth) + ".");
    std::string text = rt.get_switch("Compress")
                           ? j.dump(-1, ' ', false, Json::error_handler_t::replace)
                           : j.dump(2, ' ', false, Json::error_handler_t::replace);
    rt.write_object(Value(text));
  }

 private:
};

Value from_json(const Json& j, bool as_hashtable) {
  switch (j.type()) {
    case Json::value_t::null:
      return Value();
    case Json::value_t::boolean:
      return Value(j.get<bool>());
    case Json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX) ? Value(static_cast<double>(u))
                                                  : Value(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float:
      return Value(j.get<double>());
    case Json::value_t::string:
      return Value(j.get<std::string>());
    case Json::value_t::array: {
      Array a;
      for (auto& x : j) a.push_back(from_json(x, as_hashtable));
      return Value::array(std::move(a));
    }
    case Json::value_t::object: {
      if (as_hashtable) {
        auto h = std::make_shared<Hashtable>();
        h->ordered = true;
        for (auto& [k, x] : j.items()) h->set(k, from_json(x, true));
        return Value(h);
      }
      std::vector<Property> props;
      for (auto& [k, x] : j.items()) props.push_back({k, from_json(x, false)});
      return Value(make_object(std::move(props)));
    }
    default:
      return Value();
  }
}

class ConvertFromJson : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Value v = rt.expecting_input() ? rt.input() : rt.get("InputObject");
    for (auto& x : enumerate(v)) text_ += to_string(x) + "\n";
  }
  void end(CommandRuntime& rt) override {
    if (text_.find_first_not_of(" \t\r\n") == std::string::npos) return;
    Json j;
    try {
      j = Json::parse(text_);
    } catch (const nlohmann::json::exception& e) {
      std::string what = e.what();
      auto p = what.find("] ");
      rt.throw_terminating(make_error("Conversion from JSON failed with error: " +
                                          (p == std::string::npos ? what : what.substr(p + 2)),
                                      "System.ArgumentException", ErrorCategory::InvalidArgument,
                                      Value(text_)));
    }
    Value v = from_json(j, rt.get_switch("AsHashtable"));
    rt.write_object(v, !rt.get_switch("NoEnumerate"));
  }

 private:
  std::string text_;
};

// ---------------- CSV ----------------

std::string csv_quote(const std::string& s, char delim, const std::string& mode) {
  bool needs = s.find_first_of(std::string(1, delim) + "\"\r\n") != std::string::npos;
  if (iequals(mode, "Never") || (iequals(mode, "AsNeeded") && !needs)) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Parses CSV text into rows (quoted fields may hold delimiters, quotes and newlines).
std::vector<std::vector<std::string>> parse_csv(const std::string& text, char delim) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == delim) {
      row.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(field);
        rows.push_back(row);
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

char delimiter_of(CommandRuntime& rt) {
  std::string d = rt.get_string("Delimiter", ",");
  return d.empty() ? ',' : d[0];
}

// ConvertTo-Csv and Export-Csv: columns from the first object.
class ToCsv : public Cmdlet {
 public:
  explicit ToCsv(bool to_file) : to_file_(to_file) {}
  void begin(CommandRuntime& rt) override {
    delim_ = delimiter_of(rt);
    quotes_ = rt.get_string("UseQuotes", "Always");
    if (to_file_) {
      path_ = rt.get_string("Path");
      append_ = rt.get_switch("Append");
      if (append_) {
        std::ifstream f(path_);
        if (f) {
          std::stringstream ss;
          ss << f.rdbuf();
          auto rows = parse_csv(ss.str(), delim_);
          if (!rows.empty()) {
            columns_ = rows[0];
            header_done_ = true;
          }
        }
      }
    }
  }
  void process(CommandRuntime& rt) override {
    Value v = rt.expecting_input() ? rt.input() : rt.get("InputObject");
    if (v.is_null()) return;
    if (!header_done_) {
      columns_ = v.is_hashtable() ? std::vector<std::string>{} : property_names(v);
      if (v.is_hashtable())
        for (auto& [k, x] : v.as_hashtable()->entries()) columns_.push_back(k);
      header_done_ = true;
      if (rt.get_switch("IncludeTypeInformation")) emit(rt, "#TYPE " + type_name_of(v));
      if (!rt.get_switch("NoHeader")) {
        std::string line;
        for (size_t i = 0; i < columns_.size(); ++i)
          line += (i ? std::string(1, delim_) : "") + csv_quote(columns_[i], delim_, quotes_);
        emit(rt, line);
      }
    }
    std::string line;
    for (size_t i = 0; i < columns_.size(); ++i) {
      Value cell = get_member(v, columns_[i]);
      std::string s = cell.is_array() ? "System.Object[]" : to_string(cell);
      line += (i ? std::string(1, delim_) : "") +
              (cell.is_null() && iequals(quotes_, "AsNeeded") ? "" : csv_quote(s, delim_, quotes_));
    }
    emit(rt, line);
  }
  void end(CommandRuntime& rt) override {
    if (!to_file_) return;
    if (!rt.should_process(path_, "Export-Csv")) return;
    std::ofstream f(path_, append_ ? std::ios::app : std::ios::trunc);
    if (!f)
      rt.throw_terminating(make_error("Could not find a part of the path '" + path_ + "'.",
                                      "FileOpenFailure", ErrorCategory::OpenError, Value(path_)));
    for (auto& l : lines_) f << l << "\n";
  }

 private:
  void emit(CommandRuntime& rt, const std::string& line) {
    if (to_file_)
      lines_.push_back(line);
    else
      rt.write_object(Value(line));
  }
  bool to_file_;
  char delim_ = ',';
  std::string quotes_, path_;
  bool append_ = false, header_done_ = false;
  std::vector<std::string> columns_;
  std::vector<std::string> lines_;
};
struct ConvertToCsv : ToCsv {
  ConvertToCsv() : ToCsv(false) {}
};
struct ExportCsv : ToCsv {
  ExportCsv() : ToCsv(true) {}
};

void emit_rows(CommandRuntime& rt, const std::vector<std::vector<std::string>>& rows_in,
               std::vector<std::string> header) {
  size_t first = 0;
  std::vector<std::vector<std::string>> rows;
  for (auto& r : rows_in)
    if (!(r.size() == 1 && r[0].starts_with("#TYPE"))) rows.push_back(r);
  if (header.empty()) {
    if (rows.empty()) return;
    header = rows[0];
    first = 1;
  }
  for (size_t i = first; i < rows.size(); ++i) {
    std::vector<Property> props;
    for (size_t c = 0; c < header.size(); ++c)
      props.push_back({header[c], c < rows[i].size() ? Value(rows[i][c]) : Value()});
    rt.write_object(Value(make_object(std::move(props))), false);
  }
}

class ImportCsv : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    std::vector<std::string> header;
    for (auto& h : rt.get_array("Header")) header.push_back(to_string(h));
    for (auto& p : rt.get_array("Path")) {
      std::string path = to_string(p);
      std::ifstream f(path);
      if (!f) {
        rt.write_error(make_error("Could not find file '" + path + "'.", "FileOpenFailure",
                                  ErrorCategory::OpenError, Value(path)));
        continue;
      }
      std::stringstream ss;
      ss << f.rdbuf();
      emit_rows(rt, parse_csv(ss.str(), delimiter_of(rt)), header);
    }
  }
};

class ConvertFromCsv : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Value v = rt.expecting_input() ? rt.input() : rt.get("InputObject");
    for (auto& x : enumerate(v)) text_ += to_string(x) + "\n";
  }
  void end(CommandRuntime& rt) override {
    std::vector<std::string> header;
    for (auto& h : rt.get_array("Header")) header.push_back(to_string(h));
    emit_rows(rt, parse_csv(text_, delimiter_of(rt)), header);
  }

 private:
  std::string text_;
};

// ---------------- files ----------------

class GetContent : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    int64_t total = rt.has("TotalCount") ? rt.get_int("TotalCount") : -1;
    for (auto& p : rt.get_array("Path")) {
      std::string path = to_string(p);
      std::ifstream f(path);
      if (!f) {
        rt.write_error(make_error("Cannot find path '" + path + "' because it does not exist.",
                                  "PathNotFound", ErrorCategory::ObjectNotFound, Value(path)));
        continue;
      }
      std::string line;
      int64_t n = 0;
      if (rt.get_switch("Raw")) {
        std::stringstream ss;
        ss << f.rdbuf();
        rt.write_object(Value(ss.str()));
        continue;
      }
      while ((total < 0 || n < total) && std::getline(f, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        rt.write_object(Value(line));
        ++n;
      }
    }
  }
};

class TestPath : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    for (auto& p : rt.get_array("Path")) {
      std::ifstream f(to_string(p));
      rt.write_object(Value(static_cast<bool>(f)));
    }
  }
};

class OutFile : public internal::CollectingCmdlet {
 public:
  void end(CommandRuntime& rt) override {
    std::string path = rt.get_string("FilePath");
    if (!rt.should_process(path, "Output to File")) return;
    std::string text = rt.interpreter().formatter().render_default(
        items_, rt.has("Width") ? static_cast<int>(rt.get_int("Width")) : 120);
    std::ofstream f(path, rt.get_switch("Append") ? std::ios::app : std::ios::trunc);
    if (!f)
      rt.throw_terminating(make_error("Could not find a part of the path '" + path + "'.",
                                      "FileOpenFailure", ErrorCategory::OpenError, Value(path)));
    f << text;
  }

 private:
};

}  // namespace

void register_convert_cmdlets(CommandRegistry& r) {
  {
    CommandDef d("Get-Content");
    d.alias("gc")
        .alias("cat")
        .alias("type")
        .synopsis("Gets the content of a file, one string per line.")
        .description(
            "Get-Content outputs each line of the files as a string (-Raw: the whole file as one "
            "string).")
        .example("Get-Content ports.csv -TotalCount 2", "The first two lines.");
    d.param(Param("Path", ParamType::String)
                .array()
                .position(0)
                .mandatory()
                .pipeline_by_name()
                .alias("FullName")
                .help("The files to read."));
    d.param(Param("TotalCount", ParamType::Int)
                .alias("First")
                .alias("Head")
                .help("Reads at most this many lines."));
    d.param(Param("Raw", ParamType::Switch).help("Outputs the whole file as one string."));
    d.make<GetContent>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Test-Path");
    d.synopsis("Determines whether a file exists.")
        .description("Test-Path outputs $true for each path that can be opened, else $false.")
        .example("Test-Path ports.csv", "True when the file exists.");
    d.param(Param("Path", ParamType::String)
                .array()
                .position(0)
                .mandatory()
                .pipeline()
                .pipeline_by_name()
                .help("The paths to test."));
    d.make<TestPath>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Out-File");
    d.synopsis("Sends output to a file.")
        .description(
            "Out-File writes the input, formatted as the console would show it (120 columns unless "
            "-Width), to -FilePath.")
        .example("$ports | Out-File ports.txt", "Saves the table.")
        .should_process(ConfirmImpact::Medium);
    d.param(Param("FilePath", ParamType::String)
                .alias("Path")
                .position(0)
                .mandatory()
                .help("The file to write."));
    d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to write."));
    d.param(Param("Append", ParamType::Switch).help("Adds to the end of the file."));
    d.param(Param("Width", ParamType::Int).help("Line width for tables."));
    d.param(
        Param("Encoding", ParamType::String).help("Accepted for compatibility; files are UTF-8."));
    d.make<OutFile>();
    r.add(std::move(d));
  }
  {
    CommandDef d("ConvertTo-Json");
    d.synopsis("Converts an object to a JSON-formatted string.")
        .description(
            "ConvertTo-Json serialises the input (several pipeline objects become a JSON array). "
            "Objects nested deeper than -Depth (default 2) are written as their string form, with "
            "a warning.")
        .example("$port | ConvertTo-Json -Depth 3", "A port as JSON.");
    d.param(Param("InputObject", ParamType::Any)
                .position(0)
                .mandatory()
                .pipeline()
                .help("The objects to convert."));
    d.param(
        Param("Depth", ParamType::Int)
            .help("How many levels of contained objects are serialised (default 2, at most 100)."));
    d.param(Param("Compress", ParamType::Switch).help("Omits white space and indentation."));
    d.param(Param("AsArray", ParamType::Switch).help("Always outputs a JSON array."));
    d.param(Param("EnumsAsStrings", ParamType::Switch).help("Accepted for compatibility."));
    d.make<ConvertToJson>();
    r.add(std::move(d));
  }
  {
    CommandDef d("ConvertFrom-Json");
    d.synopsis("Converts a JSON-formatted string to a custom object or a hash table.")
        .description(
            "ConvertFrom-Json parses the input text (all pipeline strings joined) into "
            "PSCustomObjects, arrays and scalars; a top-level array is enumerated unless "
            "-NoEnumerate.")
        .example("'{\"Name\":\"p1\",\"Speed\":10}' | ConvertFrom-Json",
                 "An object with Name and Speed.");
    d.param(Param("InputObject", ParamType::String)
                .position(0)
                .mandatory()
                .pipeline()
                .help("The JSON text."));
    d.param(Param("AsHashtable", ParamType::Switch)
                .help("Produces ordered hashtables instead of objects."));
    d.param(
        Param("NoEnumerate", ParamType::Switch).help("Outputs a top-level array as one object."));
    d.param(Param("Depth", ParamType::Int).help("Accepted for compatibility."));
    d.make<ConvertFromJson>();
    r.add(std::move(d));
  }
  auto csv_params = [](CommandDef& d) {
    d.param(Param("Delimiter", ParamType::String).help("The field separator (default ',')."));
    d.param(Param("NoTypeInformation", ParamType::Switch)
                .alias("NTI")
                .help("Accepted for compatibility; no #TYPE line is written by default."));
    d.param(Param("IncludeTypeInformation", ParamType::Switch)
                .alias("ITI")
                .help("Writes a #TYPE line first."));
    d.param(Param("UseQuotes", ParamType::String)
                .validate_set({"Never", "Always", "AsNeeded"})
                .help("When to quote fields (default Always)."));
    d.param(Param("NoHeader", ParamType::Switch).help("Leaves out the header line."));
  };
  {
    CommandDef d("ConvertTo-Csv");
    d.synopsis("Converts objects into a series of character-separated value (CSV) strings.")
        .description(
            "ConvertTo-Csv writes a header from the first object's properties, then one line per "
            "object.")
        .example("$ports | ConvertTo-Csv", "CSV text of the ports.");
    d.param(Param("InputObject", ParamType::Any)
                .position(0)
                .mandatory()
                .pipeline()
                .help("The objects to convert."));
    csv_params(d);
    d.make<ConvertToCsv>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Export-Csv");
    d.alias("epcsv")
        .synopsis("Converts objects into CSV strings and saves them to a file.")
        .description(
            "Export-Csv writes what ConvertTo-Csv produces to -Path; -Append adds rows under the "
            "existing header. It supports -WhatIf and -Confirm.")
        .example("$ports | Export-Csv ports.csv", "Saves the ports.")
        .should_process(ConfirmImpact::Medium);
    d.param(Param("Path", ParamType::String).position(0).mandatory().help("The file to write."));
    d.param(
        Param("InputObject", ParamType::Any).mandatory().pipeline().help("The objects to export."));
    d.param(Param("Append", ParamType::Switch).help("Adds to the end of the file."));
    d.param(Param("Force", ParamType::Switch).help("Accepted for compatibility."));
    d.param(
        Param("Encoding", ParamType::String).help("Accepted for compatibility; files are UTF-8."));
    csv_params(d);
    d.make<ExportCsv>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Import-Csv");
    d.alias("ipcsv")
        .synopsis("Creates table-like custom objects from the items in a CSV file.")
        .description(
            "Import-Csv reads a CSV file whose first line (or -Header) names the properties; every "
            "value is a string.")
        .example("Import-Csv ports.csv | Where-Object Speed -gt 1000", "Reads the ports back.");
    d.param(Param("Path", ParamType::String)
                .array()
                .position(0)
                .mandatory()
                .pipeline()
                .pipeline_by_name()
                .help("The files to read."));
    d.param(Param("Delimiter", ParamType::String)
                .position(1)
                .help("The field separator (default ',')."));
    d.param(Param("Header", ParamType::String)
                .array()
                .help("Property names to use instead of the first line."));
    d.param(
        Param("Encoding", ParamType::String).help("Accepted for compatibility; files are UTF-8."));
    d.make<ImportCsv>();
    r.add(std::move(d));
  }
  {
    CommandDef d("ConvertFrom-Csv");
    d.synopsis("Converts CSV strings into custom objects.")
        .description(
            "ConvertFrom-Csv parses CSV text from the pipeline into objects, like Import-Csv does "
            "for files.")
        .example("'a,b','1,2' | ConvertFrom-Csv", "One object with a=1 and b=2.");
    d.param(Param("InputObject", ParamType::String)
                .array()
                .position(0)
                .mandatory()
                .pipeline()
                .help("The CSV lines."));
    d.param(Param("Delimiter", ParamType::String)
                .position(1)
                .help("The field separator (default ',')."));
    d.param(Param("Header", ParamType::String)
                .array()
                .help("Property names to use instead of the first line."));
    d.make<ConvertFromCsv>();
    r.add(std::move(d));
  }
}

}  // namespace cimnet::shell

// The utility cmdlets: filtering, projection, sorting, grouping, measuring, formatting,
// output and help. Each is registered with its parameter sets and help text beside it.

#include <time.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "cimnet/shell/interpreter.h"
#include "internal.h"

namespace cimnet::shell {

namespace {

Value single_or_array(std::vector<Value> out) {
  if (out.empty()) return Value();
  if (out.size() == 1) return out[0];
  return Value::array(std::move(out));
}

Value format_output(std::string text) {
  auto o = make_object({}, "cimnet.FormatOutput");
  o->display = std::move(text);
  return Value(o);
}

// A property selector: a name (with wildcards) or @{Name=...; Expression=...}.
struct Selector {
  std::string name;
  std::shared_ptr<ScriptBlock> expression;
  std::string expression_property;
  bool descending = false, has_direction = false;
  int width = 0;
  int align = 0;
};

std::vector<Selector> parse_selectors(CommandRuntime& rt, const std::vector<Value>& items,
                                      bool for_sort = false) {
  std::vector<Selector> out;
  for (auto& item : items) {
    Selector s;
    if (item.is_hashtable()) {
      auto& h = *item.as_hashtable();
      for (auto& [k, v] : h.entries()) {
        std::string key = to_lower(k);
        if (key == "name" || key == "n" || key == "label" || key == "l")
          s.name = to_string(v);
        else if (key == "expression" || key == "e") {
          if (v.is_scriptblock())
            s.expression = v.as_scriptblock();
          else
            s.expression_property = to_string(v);
        } else if (key == "descending" && for_sort) {
          s.descending = to_bool(v);
          s.has_direction = true;
        } else if (key == "ascending" && for_sort) {
          s.descending = !to_bool(v);
          s.has_direction = true;
        } else if (key == "width")
          s.width = static_cast<int>(to_int(v).value_or(0));
        else if (key == "alignment")
          s.align = iequals(to_string(v), "Right") ? 1 : iequals(to_string(v), "Left") ? -1 : 0;
        else if (key == "formatstring") {
        } else {
          rt.throw_terminating(make_error("The " + k + " key is not valid.",
                                          "DictionaryKeyUnknownType",
                                          ErrorCategory::InvalidArgument, item));
        }
      }
      if (!s.expression && s.expression_property.empty())
        rt.throw_terminating(
            make_error("The Expression key is missing from the property hashtable.",
                       "DictionaryKeyMissing", ErrorCategory::InvalidArgument, item));
      if (s.name.empty()) s.name = s.expression ? s.expression->text() : s.expression_property;
    } else if (item.is_scriptblock()) {
      s.expression = item.as_scriptblock();
      s.name = s.expression->text();
    } else {
      s.name = to_string(item);
      s.expression_property = s.name;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Value evaluate_selector(CommandRuntime& rt, const Selector& s, const Value& input) {
  if (s.expression)
    return single_or_array(rt.interpreter().invoke_collect(*s.expression, &input, {}, true));
  return get_member(input, s.expression_property);
}

// Expands wildcard names against an object's properties.
std::vector<std::string> expand_names(const std::string& pattern, const Value& input) {
  std::vector<std::string> out;
  if (!has_wildcard(pattern)) {
    out.push_back(pattern);
    return out;
  }
  for (auto& n : property_names(input))
    if (wildcard_match(pattern, n)) out.push_back(n);
  return out;
}

std::vector<Column> columns_from(CommandRuntime& rt, const std::vector<Value>& props,
                                 const Value& first) {
  std::vector<Column> cols;
  for (auto& s : parse_selectors(rt, props)) {
    if (s.expression) {
      auto expr = s.expression;
      CommandRuntime* r = &rt;
      cols.push_back({s.name, "",
                      [r, expr](const Value& v) {
                        return single_or_array(
                            r->interpreter().invoke_collect(*expr, &v, {}, true));
                      },
                      s.width, s.align});
    } else {
      for (auto& n : expand_names(s.expression_property, first))
        cols.push_back({n, n, {}, s.width, s.align});
    }
  }
  return cols;
}

// ---------------- Where-Object ----------------

struct WhereOp {
  const char* param;
  const char* set;
  const char* op;
};
const WhereOp kWhereOps[] = {{"EQ", "EqualSet", "-eq"},
                             {"CEQ", "CaseSensitiveEqualSet", "-ceq"},
                             {"NE", "NotEqualSet", "-ne"},
                             {"CNE", "CaseSensitiveNotEqualSet", "-cne"},
                             {"GT", "GreaterThanSet", "-gt"},
                             {"CGT", "CaseSensitiveGreaterThanSet", "-cgt"},
                             {"LT", "LessThanSet", "-lt"},
                             {"CLT", "CaseSensitiveLessThanSet", "-clt"},
                             {"GE", "GreaterOrEqualSet", "-ge"},
                             {"CGE", "CaseSensitiveGreaterOrEqualSet", "-cge"},
                             {"LE", "LessOrEqualSet", "-le"},
                             {"CLE", "CaseSensitiveLessOrEqualSet", "-cle"},
                             {"Like", "LikeSet", "-like"},
                             {"CLike", "CaseSensitiveLikeSet", "-clike"},
                             {"NotLike", "NotLikeSet", "-notlike"},
                             {"CNotLike", "CaseSensitiveNotLikeSet", "-cnotlike"},
                             {"Match", "MatchSet", "-match"},
                             {"CMatch", "CaseSensitiveMatchSet", "-cmatch"},
                             {"NotMatch", "NotMatchSet", "-notmatch"},
                             {"CNotMatch", "CaseSensitiveNotMatchSet", "-cnotmatch"},
                             {"Contains", "ContainsSet", "-contains"},
                             {"CContains", "CaseSensitiveContainsSet", "-ccontains"},
                             {"NotContains", "NotContainsSet", "-notcontains"},
                             {"CNotContains", "CaseSensitiveNotContainsSet", "-cnotcontains"},
                             {"In", "InSet", "-in"},
                             {"CIn", "CaseSensitiveInSet", "-cin"},
                             {"NotIn", "NotInSet", "-notin"},
                             {"CNotIn", "CaseSensitiveNotInSet", "-cnotin"},
                             {"Not", "NotSet", ""}};

class WhereObject : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    const Value& in = rt.input();
    if (!rt.expecting_input() && !rt.has("InputObject")) return;
    const Value& item =
        rt.has("InputObject") && !rt.expecting_input() ? *rt.parameters().find("InputObject") : in;
    if (rt.parameter_set() == "ScriptBlockSet") {
      auto sb = rt.get("FilterScript").as_scriptblock();
      auto out = rt.interpreter().invoke_collect(*sb, &item, {}, true);
      if (to_bool(single_or_array(out))) rt.write_object(item, false);
      return;
    }
    Value prop = get_member(item, rt.get_string("Property"));
    for (auto& op : kWhereOps) {
      if (rt.parameter_set() != op.set) continue;
      bool keep;
      if (std::string(op.param) == "Not")
        keep = !to_bool(prop);
      else if (!rt.has("Value") && std::string(op.param) == "EQ")
        keep = to_bool(prop);
      else
        keep =
            to_bool(internal::comparison(rt.interpreter(), op.op, prop, rt.get("Value"), Extent{}));
      if (keep) rt.write_object(item, false);
      return;
    }
  }
};

CommandDef where_object() {
  CommandDef d("Where-Object");
  d.alias("where")
      .alias("?")
      .synopsis("Selects objects from a collection based on their property values.")
      .description(
          "Where-Object keeps the pipeline objects for which a condition holds. The condition is "
          "either a script block, run with $_ (or $PSItem) set to each object, or the simplified "
          "form 'Where-Object Property -Operator Value', where -Operator is one of -EQ -NE -GT -GE "
          "-LT -LE -Like -NotLike -Match -NotMatch -Contains -NotContains -In -NotIn (with "
          "C-prefixed case-sensitive variants), or 'Where-Object Property' to keep objects whose "
          "property is true.")
      .example("Get-Process | Where-Object { $_.PortNumber -gt 4 }",
               "Keeps the objects whose PortNumber is greater than 4.")
      .example("$ports | Where-Object PortNumber -In 1,4",
               "The simplified form: keeps ports 1 and 4.")
      .default_set("EqualSet");
  Param input("InputObject", ParamType::Any);
  input.pipeline().help("The object to test. Usually it comes from the pipeline.");
  d.param(input);
  d.param(Param("FilterScript", ParamType::ScriptBlock)
              .set("ScriptBlockSet")
              .position(0)
              .mandatory()
              .help("The script block used to filter the objects; $_ is the current object."));
  Param prop("Property", ParamType::String);
  prop.position(0).mandatory().help("The name of the property to compare.");
  Param value("Value", ParamType::Any);
  value.position(1).help("The value to compare the property with.");
  bool first = true;
  for (auto& op : kWhereOps) {
    prop.set(op.set);
    if (std::string(op.param) != "Not") value.set(op.set);
    Param sw(op.param, ParamType::Switch);
    sw.set(op.set).mandatory(!(first)).help(std::string("Compares with the ") +
                                            (op.op[0] ? op.op : "-not") + " operator.");
    if (std::string(op.param) == "EQ") sw.alias("IEQ");
    d.param(sw);
    first = false;
  }
  d.param(prop).param(value);
  return d;
}

// ---------------- ForEach-Object ----------------

class ForEachObject : public Cmdlet {
 public:
  void begin(CommandRuntime& rt) override {
    if (rt.parameter_set() != "PropertyAndMethodSet" && !rt.parameters().set.empty() &&
        rt.parameter_set() != "ScriptBlockSet")
      return;
    if (rt.has("Process")) {
      for (auto& v : rt.get_array("Process"))
        blocks_.push_back(v.is_scriptblock() ? v.as_scriptblock() : nullptr);
    }
    if (rt.has("Begin")) begin_ = rt.get("Begin").as_scriptblock();
    if (rt.has("End")) end_ = rt.get("End").as_scriptblock();
    if (!rt.has("Begin") && blocks_.size() >= 2) {
      begin_ = blocks_.front();
      blocks_.erase(blocks_.begin());
    }
    if (!rt.has("End") && blocks_.size() >= 2) {
      end_ = blocks_.back();
      blocks_.pop_back();
    }
    if (begin_) run(rt, *begin_, nullptr);
  }
  void process(CommandRuntime& rt) override {
    Value item = rt.expecting_input() ? rt.input() : rt.get("InputObject");
    if (rt.has("MemberName")) {
      std::string member = rt.get_string("MemberName");
      if (item.is_null()) return;
      std::vector<Value> args = rt.get_array("ArgumentList");
      bool is_property = item.is_object() ? item.as_object()->get(member) != nullptr
                                          : !get_member(item, member).is_null();
      if (is_property && args.empty()) {
        rt.write_object(get_member(item, member));
        return;
      }
      try {
        rt.write_object(rt.interpreter().call_method(item, member, args, Extent{}));
      } catch (RuntimeError& e) {
        e.record.command = "ForEach-Object";
        e.record.target = item;
        rt.write_error(e.record);
      }
      return;
    }
    for (auto& b : blocks_)
      if (b) run(rt, *b, &item);
  }
  void end(CommandRuntime& rt) override {
    if (end_) run(rt, *end_, nullptr);
  }

 private:
  void run(CommandRuntime& rt, const ScriptBlock& sb, const Value* item) {
    rt.interpreter().invoke(
        sb, item, {}, [&](const Value& v) { rt.write_object(v); }, true);
  }
  std::vector<std::shared_ptr<ScriptBlock>> blocks_;
  std::shared_ptr<ScriptBlock> begin_, end_;
};

CommandDef foreach_object() {
  CommandDef d("ForEach-Object");
  d.alias("foreach")
      .alias("%")
      .synopsis("Performs an operation against each item in a collection of input objects.")
      .description(
          "ForEach-Object runs a script block for every pipeline object, with $_ set to the "
          "object. With two or three positional script blocks the first is the begin block and the "
          "last the end block. 'ForEach-Object Name' reads a property (or calls a method) of each "
          "object.")
      .example("1..3 | ForEach-Object { $_ * 2 }", "Doubles each number.")
      .example("$ports | ForEach-Object Name", "Outputs the Name property of each port.")
      .default_set("ScriptBlockSet");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to process."));
  d.param(Param("Process", ParamType::ScriptBlock)
              .array()
              .set("ScriptBlockSet")
              .position(0)
              .mandatory()
              .remaining()
              .help("The script block run for each object."));
  d.param(Param("Begin", ParamType::ScriptBlock)
              .set("ScriptBlockSet")
              .help("Runs before the first object."));
  d.param(Param("End", ParamType::ScriptBlock)
              .set("ScriptBlockSet")
              .help("Runs after the last object."));
  d.param(Param("MemberName", ParamType::String)
              .set("PropertyAndMethodSet")
              .position(0)
              .mandatory()
              .help("The property to read or the method to call on each object."));
  d.param(Param("ArgumentList", ParamType::Any)
              .array()
              .alias("Args")
              .set("PropertyAndMethodSet")
              .position(1)
              .remaining()
              .help("Arguments for the method named by -MemberName."));
  d.make<ForEachObject>();
  return d;
}

// ---------------- Select-Object ----------------

class SelectObject : public Cmdlet {
 public:
  void begin(CommandRuntime& rt) override {
    for (auto* name : {"First", "Last", "Skip"})
      if (rt.has(name) && rt.get_int(name) < 0)
        rt.throw_terminating(make_error(
            "Cannot validate argument on parameter '" + std::string(name) + "'. The " +
                std::to_string(rt.get_int(name)) +
                " argument is less than the minimum allowed range of 0. Supply an argument that is "
                "greater than or equal to 0 and then try the command again.",
            "ParameterArgumentValidationError", ErrorCategory::InvalidData));
    first_ = rt.has("First") ? rt.get_int("First") : -1;
    last_ = rt.has("Last") ? rt.get_int("Last") : -1;
    skip_ = rt.get_int("Skip", 0);
    unique_ = rt.get_switch("Unique");
    if (rt.has("Property")) selectors_ = parse_selectors(rt, rt.get_array("Property"));
    for (auto& e : rt.get_array("ExcludeProperty")) exclude_.push_back(to_string(e));
  }
  void process(CommandRuntime& rt) override {
    if (!rt.expecting_input()) {
      if (!rt.has("InputObject")) return;
      handle(rt, rt.get("InputObject"));
      return;
    }
    handle(rt, rt.input());
  }
  void end(CommandRuntime& rt) override {
    if (stopped_) return;
    std::vector<Value> items = std::move(buffer_);
    if (unique_) {
      // -Unique compares what is selected, not the input objects
      std::vector<Value> projected;
      for (auto& v : items)
        projected.push_back(rt.has("ExpandProperty")
                                ? get_member(v, rt.get_string("ExpandProperty"))
                                : project(rt, v));
      items = dedupe(projected);
      projected_ = true;
    }
    size_t begin = 0;
    if (last_ >= 0 && static_cast<size_t>(last_) < items.size())
      begin = items.size() - static_cast<size_t>(last_);
    std::vector<Value> out(items.begin() + static_cast<long>(begin), items.end());
    if (last_ >= 0 && first_ >= 0) {
      std::vector<Value> head(items.begin(),
                              items.begin() + static_cast<long>(std::min<size_t>(
                                                  items.size(), static_cast<size_t>(first_))));
      for (auto& v : head) emit(rt, v);
      for (auto& v : out) emit(rt, v);
      return;
    }
    if (unique_ && first_ >= 0 && static_cast<size_t>(first_) < out.size())
      out.resize(static_cast<size_t>(first_));
    for (auto& v : out) emit(rt, v);
  }

 private:
  static std::vector<Value> dedupe(const std::vector<Value>& items) {
    std::vector<Value> out;
    for (auto& v : items) {
      bool seen = false;
      for (auto& o : out)
        if (to_string(o) == to_string(v) && type_name_of(o) == type_name_of(v)) seen = true;
      if (!seen) out.push_back(v);
    }
    return out;
  }
  Value project(CommandRuntime& rt, const Value& input) {
    if (selectors_.empty() && exclude_.empty()) return input;
    std::vector<Property> props;
    auto add = [&](const std::string& name, Value v) {
      for (auto& x : exclude_)
        if (wildcard_match(x, name)) return;
      for (auto& p : props)
        if (iequals(p.name, name)) return;
      props.push_back({name, std::move(v)});
    };
    if (selectors_.empty()) {
      for (auto& n : property_names(input)) add(n, get_member(input, n));
    }
    for (auto& s : selectors_) {
      if (s.expression)
        add(s.name, evaluate_selector(rt, s, input));
      else if (!s.expression_property.empty() && s.name != s.expression_property)
        add(s.name, get_member(input, s.expression_property));
      else
        for (auto& n : expand_names(s.expression_property, input)) add(n, get_member(input, n));
    }
    std::string type = "Selected." + type_name_of(input);
    auto o = make_object(std::move(props), type);
    if (input.is_object()) o->origin = input.as_object()->origin;
    return Value(o);
  }
  void emit(CommandRuntime& rt, const Value& v) {
    if (projected_) {
      rt.write_object(v, rt.has("ExpandProperty"));
      return;
    }
    if (rt.has("ExpandProperty")) {
      std::string name = rt.get_string("ExpandProperty");
      if (v.is_object() && !v.as_object()->get(name)) {
        rt.write_error(make_error("Property \"" + name + "\" cannot be found.",
                                  "ExpandPropertyNotFound", ErrorCategory::InvalidArgument, v));
        return;
      }
      rt.write_object(get_member(v, name), true);
      return;
    }
    rt.write_object(project(rt, v), false);
  }
  void handle(CommandRuntime& rt, const Value& v) {
    if (skip_ > 0) {
      --skip_;
      return;
    }
    if (last_ >= 0 || unique_) {
      buffer_.push_back(v);
      return;
    }
    if (first_ >= 0) {
      if (emitted_ >= first_) return;
      ++emitted_;
      emit(rt, v);
      if (emitted_ >= first_) {
        stopped_ = true;
        internal::stop_upstream(rt);
      }
      return;
    }
    emit(rt, v);
  }
  int64_t first_ = -1, last_ = -1, skip_ = 0, emitted_ = 0;
  bool unique_ = false, stopped_ = false, projected_ = false;
  std::vector<Selector> selectors_;
  std::vector<std::string> exclude_;
  std::vector<Value> buffer_;
};

CommandDef select_object() {
  CommandDef d("Select-Object");
  d.alias("select")
      .synopsis("Selects objects or object properties.")
      .description(
          "Select-Object picks properties of each input object (names, wildcards, or calculated "
          "properties @{Name=...; Expression={...}}), expands one property with -ExpandProperty, "
          "and keeps the first, last or unique objects. -First stops the commands before it once "
          "enough objects have passed.")
      .example("$ports | Select-Object Name, @{Name='Speed (Mb)'; Expression={ $_.Speed / 1MB }}",
               "A calculated property.")
      .example("1..100 | Select-Object -First 3",
               "Takes the first three numbers and stops the producer.");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to select from."));
  d.param(
      Param("Property", ParamType::Any)
          .array()
          .position(0)
          .help("The properties to select: names, wildcards or calculated-property hashtables."));
  d.param(Param("ExcludeProperty", ParamType::String)
              .array()
              .help("Properties left out of the selection."));
  d.param(Param("ExpandProperty", ParamType::String)
              .help("A property whose value is output instead of the object."));
  d.param(Param("Unique", ParamType::Switch).help("Outputs each distinct object once."));
  d.param(Param("First", ParamType::Int).help("Number of objects to take from the start."));
  d.param(Param("Last", ParamType::Int).help("Number of objects to take from the end."));
  d.param(Param("Skip", ParamType::Int).help("Number of objects to skip first."));
  d.make<SelectObject>();
  return d;
}

// ---------------- Sort-Object ----------------

class SortObject : public internal::CollectingCmdlet {
 public:
  void end(CommandRuntime& rt) override {
    auto sels = parse_selectors(rt, rt.get_array("Property"), true);
    bool desc = rt.get_switch("Descending");
    bool cs = rt.get_switch("CaseSensitive");
    struct Keyed {
      Value v;
      std::vector<Value> keys;
    };
    std::vector<Keyed> keyed;
    for (auto& v : items_) {
      Keyed k{v, {}};
      if (sels.empty()) k.keys.push_back(v);
      for (auto& s : sels) k.keys.push_back(evaluate_selector(rt, s, v));
      keyed.push_back(std::move(k));
    }
    auto cmp = [&](const Keyed& a, const Keyed& b) {
      for (size_t i = 0; i < a.keys.size(); ++i) {
        int c = compare_values(a.keys[i], b.keys[i], cs)
                    .value_or(to_string(a.keys[i]).compare(to_string(b.keys[i])));
        if (c == 0) continue;
        bool d = (i < sels.size() && sels[i].has_direction) ? sels[i].descending : desc;
        return d ? c > 0 : c < 0;
      }
      return false;
    };
    std::stable_sort(keyed.begin(), keyed.end(), cmp);
    std::vector<Value> out;
    for (size_t i = 0; i < keyed.size(); ++i) {
      if (rt.get_switch("Unique") && i > 0 && !cmp(keyed[i - 1], keyed[i]) &&
          !cmp(keyed[i], keyed[i - 1]))
        continue;
      out.push_back(keyed[i].v);
    }
    if (rt.has("Top") && out.size() > static_cast<size_t>(rt.get_int("Top")))
      out.resize(static_cast<size_t>(rt.get_int("Top")));
    if (rt.has("Bottom") && out.size() > static_cast<size_t>(rt.get_int("Bottom")))
      out.erase(out.begin(), out.end() - rt.get_int("Bottom"));
    for (auto& v : out) rt.write_object(v, false);
  }

 private:
};

CommandDef sort_object() {
  CommandDef d("Sort-Object");
  d.alias("sort")
      .synopsis("Sorts objects by property values.")
      .description(
          "Sort-Object sorts the pipeline by one or more properties (names or @{Expression=...; "
          "Descending=$true} hashtables) or by the objects themselves. Numbers sort numerically, "
          "strings case-insensitively unless -CaseSensitive; the sort is stable.")
      .example("$ports | Sort-Object Speed -Descending", "Fastest ports first.");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to sort."));
  d.param(Param("Property", ParamType::Any).array().position(0).help("The properties to sort by."));
  d.param(Param("Descending", ParamType::Switch).help("Sorts in descending order."));
  d.param(Param("Unique", ParamType::Switch).help("Removes duplicates from the sorted output."));
  d.param(Param("CaseSensitive", ParamType::Switch).help("Sorts strings case-sensitively."));
  d.param(Param("Top", ParamType::Int).help("Outputs only the first N sorted objects."));
  d.param(Param("Bottom", ParamType::Int).help("Outputs only the last N sorted objects."));
  d.make<SortObject>();
  return d;
}

// ---------------- Group-Object ----------------

class GroupObject : public internal::CollectingCmdlet {
 public:
  void end(CommandRuntime& rt) override {
    auto sels = parse_selectors(rt, rt.get_array("Property"));
    bool cs = rt.get_switch("CaseSensitive");
    struct Group {
      std::string name;
      std::vector<Value> values;
      std::vector<Value> items;
    };
    std::vector<Group> groups;
    for (auto& v : items_) {
      std::vector<Value> keys;
      if (sels.empty()) keys.push_back(v);
      for (auto& s : sels) keys.push_back(evaluate_selector(rt, s, v));
      std::string name;
      for (size_t i = 0; i < keys.size(); ++i) name += (i ? ", " : "") + to_string(keys[i]);
      Group* g = nullptr;
      for (auto& x : groups)
        if (cs ? x.name == name : iequals(x.name, name)) g = &x;
      if (!g) {
        groups.push_back({name, keys, {}});
        g = &groups.back();
      }
      g->items.push_back(v);
    }
    if (rt.get_switch("AsHashTable")) {
      auto h = std::make_shared<Hashtable>();
      for (auto& g : groups) h->set(g.name, Value::array(g.items));
      rt.write_object(Value(h), false);
      return;
    }
    for (auto& g : groups) {
      std::vector<Property> props{{"Count", Value(g.items.size())}, {"Name", Value(g.name)}};
      bool no_element = rt.get_switch("NoElement");
      if (!no_element) props.push_back({"Group", Value::array(g.items)});
      props.push_back({"Values", Value::array(g.values)});
      auto o = make_object(std::move(props),
                           no_element ? "Microsoft.PowerShell.Commands.GroupInfoNoElement"
                                      : "Microsoft.PowerShell.Commands.GroupInfo");
      rt.write_object(Value(o), false);
    }
  }

 private:
};

CommandDef group_object() {
  CommandDef d("Group-Object");
  d.alias("group")
      .synopsis("Groups objects that contain the same value for specified properties.")
      .description(
          "Group-Object outputs one GroupInfo (Count, Name, Group, Values) per distinct value of "
          "the given properties, in order of first appearance.")
      .example("$ports | Group-Object VlanId", "Counts the ports per VLAN.");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to group."));
  d.param(
      Param("Property", ParamType::Any).array().position(0).help("The properties to group by."));
  d.param(
      Param("NoElement", ParamType::Switch).help("Leaves the Group property out of the result."));
  d.param(Param("AsHashTable", ParamType::Switch)
              .alias("AHT")
              .help("Returns a hashtable of name to group."));
  d.param(Param("CaseSensitive", ParamType::Switch).help("Groups case-sensitively."));
  d.make<GroupObject>();
  return d;
}

// ---------------- Measure-Object ----------------

class MeasureObject : public internal::CollectingCmdlet {
 public:
  void end(CommandRuntime& rt) override {
    std::vector<std::string> props;
    for (auto& p : rt.get_array("Property")) props.push_back(to_string(p));
    bool all = rt.get_switch("AllStats");
    bool want_sum = all || rt.get_switch("Sum"), want_avg = all || rt.get_switch("Average"),
         want_max = all || rt.get_switch("Maximum"), want_min = all || rt.get_switch("Minimum"),
         want_sd = all || rt.get_switch("StandardDeviation");
    if (props.empty()) props.push_back("");
    for (auto& prop : props) {
      int64_t count = 0;
      double sum = 0, sumsq = 0;
      Value max, min;
      bool numeric_needed = want_sum || want_avg || want_sd;
      bool found_any = false;
      for (auto& item : items_) {
        Value v = prop.empty() ? item : get_member(item, prop);
        if (!prop.empty() && item.is_object() && !item.as_object()->get(prop)) continue;
        found_any = true;
        if (v.is_null() && !prop.empty()) continue;
        ++count;
        if (numeric_needed) {
          auto d = to_double(v);
          if (!d) {
            rt.write_error(make_error("Input object \"" + to_string(v) + "\" is not numeric.",
                                      "NonNumericInputObject", ErrorCategory::InvalidType, v));
            continue;
          }
          sum += *d;
          sumsq += *d * *d;
        }
        if (want_max && (max.is_null() || compare_values(v, max).value_or(0) > 0)) max = v;
        if (want_min && (min.is_null() || compare_values(v, min).value_or(0) < 0)) min = v;
      }
      if (!prop.empty() && !found_any && !items_.empty()) {
        rt.write_error(make_error(
            "The property \"" + prop + "\" cannot be found in the input for any objects.",
            "GenericMeasurePropertyNotFound", ErrorCategory::InvalidArgument, Value(prop)));
        continue;
      }
      auto num = [](double d) {
        return d == std::floor(d) && std::fabs(d) < 9e15 ? Value(static_cast<int64_t>(d))
                                                         : Value(d);
      };
      std::vector<Property> out{{"Count", Value(count)}};
      out.push_back(
          {"Average", want_avg && count ? Value(sum / static_cast<double>(count)) : Value()});
      out.push_back({"Sum", want_sum ? num(sum) : Value()});
      out.push_back(
          {"Maximum", want_max ? (max.is_number() ? Value(*to_double(max)) : max) : Value()});
      out.push_back(
          {"Minimum", want_min ? (min.is_number() ? Value(*to_double(min)) : min) : Value()});
      Value sd;
      if (want_sd && count > 1) {
        double mean = sum / static_cast<double>(count);
        sd = Value(std::sqrt((sumsq - static_cast<double>(count) * mean * mean) /
                             static_cast<double>(count - 1)));
      }
      out.push_back({"StandardDeviation", sd});
      out.push_back({"Property", prop.empty() ? Value() : Value(prop)});
      rt.write_object(
          Value(make_object(std::move(out), "Microsoft.PowerShell.Commands.GenericMeasureInfo")),
          false);
    }
  }

 private:
};

CommandDef measure_object() {
  CommandDef d("Measure-Object");
  d.alias("measure")
      .synopsis(
          "Calculates the numeric properties of objects: count, sum, average, maximum, minimum.")
      .description(
          "Measure-Object counts the pipeline objects and, when asked, sums, averages and finds "
          "the extremes of a property (or of the objects themselves).")
      .example("$ports | Measure-Object Speed -Sum -Average", "Total and mean speed.");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to measure."));
  d.param(
      Param("Property", ParamType::String).array().position(0).help("The properties to measure."));
  for (auto* s : {"Sum", "Average", "Maximum", "Minimum", "StandardDeviation", "AllStats"})
    d.param(Param(s, ParamType::Switch).help(std::string("Computes the ") + s + "."));
  d.make<MeasureObject>();
  return d;
}

// ---------------- Format-Table / Format-List / Out-* ----------------

class FormatTable : public internal::CollectingCmdlet {
 public:
  explicit FormatTable(bool list) : list_(list) {}
  void end(CommandRuntime& rt) override {
    if (items_.empty()) return;
    Formatter& f = rt.interpreter().formatter();
    std::vector<Value> structured;
    std::string out;
    auto flush_structured = [&]() {
      if (structured.empty()) return;
      std::vector<Column> cols;
      std::string group;
      if (rt.has("Property")) {
        cols = columns_from(rt, rt.get_array("Property"), structured[0]);
      } else {
        bool is_list = false;
        cols = f.default_columns(structured[0], &is_list);
        if (const View* view = f.find_view(structured[0])) group = view->group_by;
        if (list_ && !f.find_view(structured[0])) cols.clear();  // all properties of each object
      }
      if (rt.has("GroupBy")) group = rt.get_string("GroupBy");
      if (list_)
        out += f.render_list(structured, cols);
      else
        out += f.render_table(structured, cols, rt.get_switch("AutoSize"),
                              rt.interpreter().host().width(), rt.get_switch("HideTableHeaders"),
                              group);
      structured.clear();
    };
    for (auto& v : items_) {
      if (v.is_object() && !v.as_object()->display) {
        structured.push_back(v);
      } else if (v.is_hashtable() && !list_) {
        structured.push_back(v);
      } else {
        flush_structured();
        out += to_string(v) + "\n";
      }
    }
    flush_structured();
    rt.write_object(format_output(out), false);
  }

 private:
  bool list_;
};

struct FormatTableCmdlet : FormatTable {
  FormatTableCmdlet() : FormatTable(false) {}
};
struct FormatListCmdlet : FormatTable {
  FormatListCmdlet() : FormatTable(true) {}
};

CommandDef format_table() {
  CommandDef d("Format-Table");
  d.alias("ft")
      .synopsis("Formats the output as a table.")
      .description(
          "Format-Table shows the chosen properties (names, wildcards or @{Label=...; "
          "Expression={...}; Width=n; Alignment='Right'}) as columns, sized to the content and to "
          "the terminal width. Its output is formatting data: only Out-* commands can follow it.")
      .example("$ports | Format-Table Name, Speed -AutoSize", "Two columns.");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to format."));
  d.param(Param("Property", ParamType::Any)
              .array()
              .position(0)
              .help("The properties to show as columns."));
  d.param(Param("AutoSize", ParamType::Switch).help("Sizes the columns to their content."));
  d.param(Param("HideTableHeaders", ParamType::Switch).help("Leaves out the column headers."));
  d.param(Param("GroupBy", ParamType::String)
              .help("Starts a new table whenever this property changes."));
  d.param(Param("Wrap", ParamType::Switch)
              .help("Accepted for compatibility; long values are truncated."));
  d.make<FormatTableCmdlet>();
  return d;
}

CommandDef format_list() {
  CommandDef d("Format-List");
  d.alias("fl")
      .synopsis("Formats the output as a list of properties, each on its own line.")
      .description(
          "Format-List shows each object as 'Name : Value' lines. -Property * shows every "
          "property.")
      .example("$port | Format-List *", "All properties of a port.");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to format."));
  d.param(Param("Property", ParamType::Any).array().position(0).help("The properties to show."));
  d.make<FormatListCmdlet>();
  return d;
}

class OutString : public internal::CollectingCmdlet {
 public:
  void end(CommandRuntime& rt) override {
    int width =
        rt.has("Width") ? static_cast<int>(rt.get_int("Width")) : rt.interpreter().host().width();
    std::string text = rt.interpreter().formatter().render_default(items_, width);
    if (rt.get_switch("Stream")) {
      size_t b = 0;
      while (b < text.size()) {
        size_t nl = text.find('\n', b);
        if (nl == std::string::npos) nl = text.size();
        rt.write_object(Value(text.substr(b, nl - b)));
        b = nl + 1;
      }
      return;
    }
    if (rt.get_switch("NoNewline")) {
      std::string joined;
      for (char c : text)
        if (c != '\n') joined += c;
      text = joined;
    }
    rt.write_object(Value(text));
  }

 private:
};

CommandDef out_string() {
  CommandDef d("Out-String");
  d.synopsis("Outputs input objects as a string.")
      .description(
          "Out-String renders the input the way the console would show it and outputs the text as "
          "one string, or one string per line with -Stream.")
      .example("$ports | Format-Table | Out-String", "The table as text.");
  d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to render."));
  d.param(Param("Stream", ParamType::Switch).help("Outputs one string per line."));
  d.param(Param("Width", ParamType::Int).help("The line width used for tables."));
  d.param(Param("NoNewline", ParamType::Switch).help("Removes the newlines."));
  d.make<OutString>();
  return d;
}

class OutNull : public Cmdlet {};

class OutHost : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Interpreter& in = rt.interpreter();
    Value v = rt.expecting_input() ? rt.input() : rt.get("InputObject");
    in.formatter().write(v, in.host().width(), [&](const std::string& s) { in.host().out(s); });
  }
  void end(CommandRuntime& rt) override {
    Interpreter& in = rt.interpreter();
    in.formatter().flush(in.host().width(), [&](const std::string& s) { in.host().out(s); });
  }
};

// ---------------- Write-* ----------------

class WriteOutput : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    if (rt.expecting_input()) {
      rt.write_object(rt.input(), false);
      return;
    }
    Value v = rt.get("InputObject");
    if (v.is_array() && v.as_array()->size() == 1 && !rt.get_switch("NoEnumerate"))
      v = (*v.as_array())[0];
    rt.write_object(v, !rt.get_switch("NoEnumerate"));
  }
};

CommandDef write_output() {
  CommandDef d("Write-Output");
  d.alias("echo")
      .alias("write")
      .synopsis("Writes objects to the pipeline.")
      .description(
          "Write-Output sends its arguments down the pipeline; arrays are enumerated unless "
          "-NoEnumerate.")
      .example("Write-Output 1 2 3", "Three objects.");
  d.param(Param("InputObject", ParamType::Any)
              .array()
              .position(0)
              .mandatory()
              .pipeline()
              .remaining()
              .help("The objects to send."));
  d.param(Param("NoEnumerate", ParamType::Switch).help("Sends a collection as one object."));
  d.make<WriteOutput>();
  return d;
}

class WriteHost : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    std::string sep = rt.has("Separator") ? rt.get_string("Separator") : " ";
    std::vector<Value> items =
        rt.expecting_input() ? std::vector<Value>{rt.input()} : rt.get_array("Object");
    std::string text;
    std::function<void(const Value&)> add = [&](const Value& v) {
      if (v.is_array()) {
        for (auto& x : *v.as_array()) add(x);
        return;
      }
      if (!text.empty() || added_) text += sep;
      text += to_string(v);
      added_ = true;
    };
    added_ = false;
    for (auto& v : items) add(v);
    rt.write_host(text, !rt.get_switch("NoNewline"));
  }

 private:
  bool added_ = false;
};

CommandDef write_host() {
  CommandDef d("Write-Host");
  d.synopsis("Writes text to the console (not to the pipeline).")
      .description(
          "Write-Host prints its arguments separated by spaces (or -Separator) directly to the "
          "console.")
      .example("Write-Host 'Ports:' $count", "Prints a message.");
  d.param(Param("Object", ParamType::Any)
              .array()
              .position(0)
              .pipeline()
              .remaining()
              .help("What to print."));
  d.param(Param("NoNewline", ParamType::Switch).help("Does not end the line."));
  d.param(Param("Separator", ParamType::Any).help("Placed between the printed objects."));
  d.param(Param("ForegroundColor", ParamType::String)
              .help("Accepted for compatibility; colours are not applied."));
  d.param(Param("BackgroundColor", ParamType::String)
              .help("Accepted for compatibility; colours are not applied."));
  d.make<WriteHost>();
  return d;
}

class WriteError : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    ErrorRecord r;
    if (rt.has("ErrorRecord")) {
      r = ErrorRecord::from_value(rt.get("ErrorRecord"));
    } else {
      r.message = rt.expecting_input() && !rt.has("Message") ? to_string(rt.input())
                                                             : rt.get_string("Message");
      if (rt.has("Exception")) r.message = rt.get_string("Exception");
      r.error_id = rt.has("ErrorId") ? rt.get_string("ErrorId")
                                     : "Microsoft.PowerShell.Commands.WriteErrorException";
      r.exception_type = "Microsoft.PowerShell.Commands.WriteErrorException";
      r.category = ErrorCategory::NotSpecified;
      if (rt.has("Category")) {
        std::string c = rt.get_string("Category");
        for (int i = 0; i <= static_cast<int>(ErrorCategory::NotEnabled); ++i)
          if (iequals(c, category_name(static_cast<ErrorCategory>(i))))
            r.category = static_cast<ErrorCategory>(i);
      }
      r.target = rt.get("TargetObject");
    }
    rt.write_error(std::move(r));
  }
};

std::vector<std::string> category_names() {
  std::vector<std::string> out;
  for (int i = 0; i <= static_cast<int>(ErrorCategory::NotEnabled); ++i)
    out.push_back(category_name(static_cast<ErrorCategory>(i)));
  return out;
}

CommandDef write_error() {
  CommandDef d("Write-Error");
  d.synopsis("Writes a non-terminating error to the error stream.")
      .description(
          "Write-Error reports an error without stopping the script (unless -ErrorAction Stop or "
          "$ErrorActionPreference = 'Stop'). The error is added to $Error and sets $? to false.")
      .example(
          "Write-Error -Message 'Port 9 is down' -Category ResourceUnavailable -TargetObject 9",
          "An error with a category and target.")
      .default_set("NoException");
  d.param(Param("Message", ParamType::String)
              .alias("Msg")
              .set("NoException")
              .position(0)
              .mandatory()
              .pipeline()
              .help("The error message."));
  d.param(Param("Exception", ParamType::String)
              .set("WithException")
              .mandatory()
              .help("The exception message."));
  d.param(Param("ErrorRecord", ParamType::Object)
              .set("ErrorRecord")
              .mandatory()
              .help("An existing error record to write."));
  d.param(Param("Category", ParamType::String)
              .validate_set(category_names())
              .help("The error category."));
  d.param(Param("ErrorId", ParamType::String).help("An identifier for the error."));
  d.param(Param("TargetObject", ParamType::Any).help("The object the error concerns."));
  d.make<WriteError>();
  return d;
}

class WriteStream : public Cmdlet {
 public:
  explicit WriteStream(bool warning) : warning_(warning) {}
  void process(CommandRuntime& rt) override {
    std::string m = rt.expecting_input() && !rt.has("Message") ? to_string(rt.input())
                                                               : rt.get_string("Message");
    if (warning_)
      rt.write_warning(m);
    else
      rt.write_verbose(m);
  }

 private:
  bool warning_;
};
struct WriteWarning : WriteStream {
  WriteWarning() : WriteStream(true) {}
};
struct WriteVerbose : WriteStream {
  WriteVerbose() : WriteStream(false) {}
};

// ---------------- Start-Sleep / Get-Date ----------------

class StartSleep : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    double secs = rt.parameter_set() == "Milliseconds"
                      ? static_cast<double>(rt.get_int("Milliseconds")) / 1000.0
                      : to_double(rt.get("Seconds")).value_or(0);
    if (secs < 0)
      rt.throw_terminating(make_error(
          "Cannot validate argument on parameter 'Seconds'. The argument cannot be negative.",
          "ParameterArgumentValidationError", ErrorCategory::InvalidData));
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(secs);
    ts.tv_nsec = static_cast<long>((secs - static_cast<double>(ts.tv_sec)) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) rt.interpreter().check_stop();
  }
};

CommandDef start_sleep() {
  CommandDef d("Start-Sleep");
  d.alias("sleep")
      .synopsis("Suspends the activity in a script for the specified period of time.")
      .description("Start-Sleep waits -Seconds (fractions allowed) or -Milliseconds.")
      .example("Start-Sleep -Milliseconds 250", "Waits a quarter of a second.")
      .default_set("Seconds");
  d.param(Param("Seconds", ParamType::Double)
              .set("Seconds")
              .position(0)
              .mandatory()
              .pipeline()
              .pipeline_by_name()
              .help("How long to wait, in seconds."));
  d.param(Param("Milliseconds", ParamType::Int)
              .alias("ms")
              .set("Milliseconds")
              .mandatory()
              .pipeline_by_name()
              .help("How long to wait, in milliseconds."));
  d.make<StartSleep>();
  return d;
}

std::string uformat(const DateTime& d, const std::string& f) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%' || i + 1 >= f.size()) {
      out += f[i];
      continue;
    }
    char c = f[++i];
    switch (c) {
      case 'Y':
        out += format_date(d, "yyyy");
        break;
      case 'y':
        out += format_date(d, "yy");
        break;
      case 'm':
        out += format_date(d, "MM");
        break;
      case 'd':
        out += format_date(d, "dd");
        break;
      case 'H':
        out += format_date(d, "HH");
        break;
      case 'M':
        out += format_date(d, "mm");
        break;
      case 'S':
        out += format_date(d, "ss");
        break;
      case 'A':
        out += format_date(d, "dddd");
        break;
      case 'a':
        out += format_date(d, "ddd");
        break;
      case 'B':
        out += format_date(d, "MMMM");
        break;
      case 'b':
        out += format_date(d, "MMM");
        break;
      case 'F':
        out += format_date(d, "yyyy-MM-dd");
        break;
      case 'T':
        out += format_date(d, "HH:mm:ss");
        break;
      case 's':
        out += std::to_string(d.micros / 1000000);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        out += c;
        break;
    }
  }
  return out;
}

class GetDate : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    DateTime d = rt.has("Date") ? rt.get("Date").as_date() : now_local();
    auto set_field = [&](const char* name, int which) {
      if (!rt.has(name)) return;
      int64_t v = rt.get_int(name);
      time_t secs = static_cast<time_t>(d.micros / 1000000);
      int64_t frac = d.micros % 1000000;
      struct tm tm {};
      gmtime_r(&secs, &tm);
      switch (which) {
        case 0:
          tm.tm_year = static_cast<int>(v) - 1900;
          break;
        case 1:
          tm.tm_mon = static_cast<int>(v) - 1;
          break;
        case 2:
          tm.tm_mday = static_cast<int>(v);
          break;
        case 3:
          tm.tm_hour = static_cast<int>(v);
          break;
        case 4:
          tm.tm_min = static_cast<int>(v);
          break;
        case 5:
          tm.tm_sec = static_cast<int>(v);
          break;
      }
      d.micros = static_cast<int64_t>(timegm(&tm)) * 1000000 + frac;
    };
    const char* fields[] = {"Year", "Month", "Day", "Hour", "Minute", "Second"};
    for (int i = 0; i < 6; ++i) set_field(fields[i], i);
    if (rt.has("Format")) {
      rt.write_object(Value(format_date(d, rt.get_string("Format"))));
      return;
    }
    if (rt.has("UFormat")) {
      rt.write_object(Value(uformat(d, rt.get_string("UFormat"))));
      return;
    }
    rt.write_object(Value(d));
  }
};

CommandDef get_date() {
  CommandDef d("Get-Date");
  d.synopsis("Gets the current date and time.")
      .description(
          "Get-Date returns the current local time, or -Date converted to a date; -Format uses "
          ".NET format strings (yyyy-MM-dd HH:mm:ss), -UFormat Unix ones (%Y-%m-%d).")
      .example("Get-Date -Format 'yyyy-MM-dd'", "Today's date as text.");
  d.param(Param("Date", ParamType::DateTime)
              .alias("LastWriteTime")
              .position(0)
              .pipeline()
              .pipeline_by_name()
              .help("The date to use instead of now."));
  for (auto* f : {"Year", "Month", "Day", "Hour", "Minute", "Second"})
    d.param(Param(f, ParamType::Int).help(std::string("Replaces the ") + f + "."));
  d.param(Param("Format", ParamType::String).help("A .NET format string."));
  d.param(Param("UFormat", ParamType::String).help("A Unix (strftime-like) format string."));
  d.make<GetDate>();
  return d;
}

// ---------------- New-Object ----------------

class NewObject : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    std::string type = rt.get_string("TypeName");
    std::string t = to_lower(type);
    if (t.starts_with("system.")) t = t.substr(7);
    if (t.starts_with("management.automation.")) t = t.substr(22);
    Value result;
    if (t == "psobject" || t == "pscustomobject" || t == "object") {
      result = Value(make_object({}));
    } else if (t == "collections.hashtable" || t == "hashtable") {
      result = Value(std::make_shared<Hashtable>());
    } else {
      rt.throw_terminating(
          make_error("Cannot find type [" + type +
                         "]: cimsh can create PSObject, PSCustomObject and Hashtable objects.",
                     "TypeNotFound", ErrorCategory::InvalidType, Value(type)));
    }
    if (rt.has("Property")) {
      for (auto& [k, v] : rt.get("Property").as_hashtable()->entries()) {
        if (result.is_object())
          result.as_object()->set(k, v);
        else
          result.as_hashtable()->set(k, v);
      }
    }
    rt.write_object(result, false);
  }
};

CommandDef new_object() {
  CommandDef d("New-Object");
  d.synopsis("Creates an instance of an object.")
      .description(
          "New-Object creates a PSObject (PSCustomObject) or a Hashtable, with the -Property "
          "hashtable as its properties. Other .NET types are not available in cimsh.")
      .example("New-Object PSObject -Property @{ Name = 'eth1'; Vlan = 10 }",
               "An object with two properties.");
  d.param(Param("TypeName", ParamType::String).position(0).mandatory().help("The type to create."));
  d.param(Param("ArgumentList", ParamType::Any)
              .array()
              .alias("Args")
              .position(1)
              .help("Constructor arguments (not used by the supported types)."));
  d.param(Param("Property", ParamType::Hashtable).help("Properties to set on the new object."));
  d.make<NewObject>();
  return d;
}

// ---------------- Write-Progress ----------------

class WriteProgress : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Host& host = rt.interpreter().host();
    if (rt.get_switch("Completed")) {
      host.progress("");
      return;
    }
    std::string line = rt.get_string("Activity");
    if (rt.has("Status")) line += ": " + rt.get_string("Status");
    int64_t pct = rt.get_int("PercentComplete", -1);
    int width = host.width();
    if (pct >= 0) {
      pct = std::min<int64_t>(pct, 100);
      int bar = std::max(10, std::min(40, width - static_cast<int>(line.size()) - 10));
      int filled = static_cast<int>(bar * pct / 100);
      line += " [" + std::string(static_cast<size_t>(filled), '#') +
              std::string(static_cast<size_t>(bar - filled), ' ') + "] " + std::to_string(pct) +
              "%";
    }
    if (rt.has("CurrentOperation")) line += " " + rt.get_string("CurrentOperation");
    if (static_cast<int>(line.size()) > width - 1)
      line = line.substr(0, static_cast<size_t>(std::max(0, width - 1)));
    host.progress(line);
  }
};

CommandDef write_progress() {
  CommandDef d("Write-Progress");
  d.synopsis("Displays a progress bar within a PowerShell command window.")
      .description(
          "Write-Progress shows one progress line (activity, status, a bar for -PercentComplete) "
          "on the terminal; -Completed removes it. Nothing is shown when standard error is not a "
          "terminal.")
      .example(
          "1..100 | ForEach-Object { Write-Progress -Activity 'Enumerating' -PercentComplete $_ }",
          "A bar that fills up.");
  d.param(Param("Activity", ParamType::String).position(0).help("What is in progress."));
  d.param(Param("Status", ParamType::String).position(1).help("The current state."));
  d.param(Param("Id", ParamType::Int)
              .position(2)
              .help("Accepted for compatibility (one progress line is shown)."));
  d.param(Param("PercentComplete", ParamType::Int).help("How much is done, 0 to 100."));
  d.param(Param("SecondsRemaining", ParamType::Int).help("Accepted for compatibility."));
  d.param(Param("CurrentOperation", ParamType::String).help("The current step."));
  d.param(Param("ParentId", ParamType::Int).help("Accepted for compatibility."));
  d.param(Param("Completed", ParamType::Switch).help("Removes the progress line."));
  d.make<WriteProgress>();
  return d;
}

// ---------------- Add-Member ----------------

class AddMember : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Value target = rt.expecting_input() ? rt.input() : rt.get("InputObject");
    if (!target.is_object()) {
      rt.write_error(make_error("Cannot add a member to an object of type \"" +
                                    type_name_of(target) +
                                    "\"; cimsh adds members to PSObjects only.",
                                "CannotAddMember", ErrorCategory::InvalidOperation, target));
      return;
    }
    std::vector<std::pair<std::string, Value>> members;
    const std::string& set = rt.parameter_set();
    if (set == "NotePropertyMultiMemberSet") {
      for (auto& [k, v] : rt.get("NotePropertyMembers").as_hashtable()->entries())
        members.emplace_back(k, v);
    } else if (set == "NotePropertySingleMemberSet") {
      members.emplace_back(rt.get_string("NotePropertyName"), rt.get("NotePropertyValue"));
    } else {
      std::string type = rt.get_string("MemberType");
      if (!iequals(type, "NoteProperty"))
        rt.throw_terminating(
            make_error("Add-Member in cimsh supports NoteProperty members only, not " + type + ".",
                       "MemberTypeNotSupported", ErrorCategory::NotImplemented, Value(type)));
      members.emplace_back(rt.get_string("Name"), rt.get("Value"));
    }
    auto& obj = *target.as_object();
    for (auto& [name, value] : members) {
      if (obj.get(name) && !rt.get_switch("Force")) {
        rt.write_error(
            make_error("Cannot add a member with the name \"" + name +
                           "\" because a member with that name already exists. To overwrite the "
                           "member anyway, add the Force parameter to your command.",
                       "MemberAlreadyExists", ErrorCategory::InvalidOperation, target));
        return;
      }
      obj.set(name, value);
    }
    if (rt.get_switch("PassThru")) rt.write_object(target, false);
  }
};

CommandDef add_member() {
  CommandDef d("Add-Member");
  d.synopsis("Adds custom properties to an instance of a PowerShell object.")
      .description(
          "Add-Member adds note properties to objects: -NotePropertyName/-NotePropertyValue, "
          "-NotePropertyMembers @{...}, or -MemberType NoteProperty -Name -Value. -PassThru "
          "outputs the object.")
      .example("$port | Add-Member -NotePropertyName Site -NotePropertyValue 'rack4' -PassThru",
               "Adds a Site property.");
  d.param(Param("InputObject", ParamType::Any)
              .mandatory()
              .pipeline()
              .help("The object to add members to."));
  d.param(Param("MemberType", ParamType::String)
              .alias("Type")
              .set("MemberSet")
              .position(0)
              .mandatory()
              .validate_set({"NoteProperty", "AliasProperty", "ScriptProperty", "ScriptMethod",
                             "CodeProperty", "CodeMethod"})
              .help("The kind of member (cimsh supports NoteProperty)."));
  d.param(Param("Name", ParamType::String)
              .set("MemberSet")
              .position(1)
              .mandatory()
              .help("The member's name."));
  d.param(Param("Value", ParamType::Any).set("MemberSet").position(2).help("The member's value."));
  d.param(Param("NotePropertyName", ParamType::String)
              .set("NotePropertySingleMemberSet")
              .position(0)
              .mandatory()
              .help("The new property's name."));
  d.param(Param("NotePropertyValue", ParamType::Any)
              .set("NotePropertySingleMemberSet")
              .position(1)
              .mandatory()
              .help("The new property's value."));
  d.param(Param("NotePropertyMembers", ParamType::Hashtable)
              .set("NotePropertyMultiMemberSet")
              .position(0)
              .mandatory()
              .help("Several properties as name = value."));
  d.param(Param("PassThru", ParamType::Switch).help("Outputs the object."));
  d.param(Param("Force", ParamType::Switch).help("Replaces an existing member."));
  d.default_set("MemberSet");
  d.make<AddMember>();
  return d;
}

}  // namespace

void register_convert_cmdlets(CommandRegistry& registry);
void register_info_cmdlets(CommandRegistry& registry);

void register_utility_cmdlets(CommandRegistry& r) {
  CommandDef w = where_object();
  w.make<WhereObject>();
  r.add(std::move(w));
  r.add(foreach_object());
  r.add(select_object());
  r.add(sort_object());
  r.add(group_object());
  r.add(measure_object());
  r.add(format_table());
  r.add(format_list());
  r.add(out_string());
  {
    CommandDef d("Out-Null");
    d.synopsis("Hides the output instead of sending it down the pipeline or displaying it.")
        .description("Out-Null discards its input.");
    d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to discard."));
    d.make<OutNull>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Out-Host");
    d.alias("oh")
        .synopsis("Sends output to the console.")
        .description("Out-Host formats its input and writes it to the console now.");
    d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to display."));
    d.make<OutHost>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Out-Default");
    d.synopsis("Sends the output to the default formatter and the console.")
        .description("What the shell appends to every pipeline.");
    d.param(Param("InputObject", ParamType::Any).pipeline().help("The objects to display."));
    d.make<OutHost>();
    r.add(std::move(d));
  }
  r.add(write_output());
  r.add(write_host());
  r.add(write_error());
  {
    CommandDef d("Write-Warning");
    d.synopsis("Writes a warning message.")
        .description(
            "Write-Warning prints 'WARNING: message' unless $WarningPreference or -WarningAction "
            "silence it.");
    d.param(Param("Message", ParamType::String)
                .alias("Msg")
                .position(0)
                .mandatory()
                .pipeline()
                .help("The warning."));
    d.make<WriteWarning>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Write-Verbose");
    d.synopsis("Writes text to the verbose message stream.")
        .description(
            "Write-Verbose prints 'VERBOSE: message' when -Verbose is given or $VerbosePreference "
            "is 'Continue'.");
    d.param(Param("Message", ParamType::String)
                .alias("Msg")
                .position(0)
                .mandatory()
                .pipeline()
                .help("The message."));
    d.make<WriteVerbose>();
    r.add(std::move(d));
  }
  r.add(start_sleep());
  r.add(add_member());
  r.add(write_progress());
  r.add(new_object());
  r.add(get_date());
  register_convert_cmdlets(r);
  register_info_cmdlets(r);
}

}  // namespace cimnet::shell

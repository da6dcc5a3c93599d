#include "cimnet/cim/repository.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "cimnet/cim/error.h"

namespace cimnet::cim {

struct Repository::Namespace {
  std::string name;
  std::vector<QualifierType> qualifier_types;
  std::unordered_map<std::string, size_t, IHash, IEqual> qualifier_index;
  std::vector<std::unique_ptr<Class>> classes;
  std::unordered_map<std::string, size_t, IHash, IEqual> class_index;
  std::unordered_map<std::string, std::vector<size_t>, IHash, IEqual> children;

  const Class* find(std::string_view cls) const {
    auto it = class_index.find(cls);
    return it == class_index.end() ? nullptr : classes[it->second].get();
  }
};

namespace {

[[noreturn]] void fail(Status status, const std::string& message) {
  throw Error(status, message);
}

// A string property or parameter carrying EmbeddedObject / EmbeddedInstance is
// an embedded instance in this model.
template <typename Element>
void mark_embedded(Element& e) {
  if (e.type == Type::kString &&
      (e.qualifiers.flag("EmbeddedObject") || !e.qualifiers.text("EmbeddedInstance").empty())) {
    e.type = Type::kInstance;
  }
}

// Qualifiers a subclass element inherits from `parent`: those that propagate.
QualifierList inherited(const QualifierList& parent) {
  QualifierList out;
  for (const auto& q : parent.items()) {
    if (!q.flavor.to_subclass) continue;
    Qualifier copy = q;
    copy.propagated = true;
    out.set(std::move(copy));
  }
  return out;
}

// Applies the qualifiers written on an overriding element over the inherited
// ones, refusing to change a DisableOverride qualifier.
QualifierList merge(const QualifierList& parent, const QualifierList& own,
                    const std::string& what) {
  QualifierList out = inherited(parent);
  for (const auto& q : own.items()) {
    const Qualifier* base = out.find(q.name);
    if (base && !base->flavor.overridable && base->value != q.value) {
      fail(Status::kInvalidParameter, "qualifier " + q.name + " of " + what +
                                          " is DisableOverride and cannot change from " +
                                          base->value.to_mof() + " to " + q.value.to_mof());
    }
    Qualifier copy = q;
    copy.propagated = false;
    out.set(std::move(copy));
  }
  return out;
}

std::string describe_type(Type type, bool array, const std::string& ref) {
  std::string t = type == Type::kReference ? ref + " REF" : std::string(type_name(type));
  return array ? t + "[]" : t;
}

// One allowed interval of a ValueMap over integers.
struct Range {
  __int128 lo;
  __int128 hi;
};

bool parse_number(std::string_view s, __int128& out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return false;
  __int128 v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    v = v * base + d;
    if (v > (static_cast<__int128>(1) << 80)) return false;
  }
  out = neg ? -v : v;
  return true;
}

// Builds the allowed intervals of an integer ValueMap: "n", "a..b", "a..",
// "..b" and a bare ".." (everything between its neighbours).
std::vector<Range> value_map_ranges(const Value& map, Type type) {
  IntegerLimits limits = integer_limits(type);
  __int128 tlo = limits.min, thi = limits.max;
  std::vector<Range> out;
  std::vector<size_t> gaps;  // positions in `out` of bare ".." entries
  size_t n = map.size();
  for (size_t i = 0; i < n; ++i) {
    std::string e = map.at(i).as_string();
    size_t dots = e.find("..");
    if (dots == std::string::npos) {
      __int128 v;
      if (parse_number(e, v)) out.push_back({v, v});
      continue;
    }
    std::string a = e.substr(0, dots), b = e.substr(dots + 2);
    if (a.empty() && b.empty()) {
      gaps.push_back(out.size());
      out.push_back({1, 0});  // filled below
      continue;
    }
    Range r{tlo, thi};
    if (!a.empty() && !parse_number(a, r.lo)) continue;
    if (!b.empty() && !parse_number(b, r.hi)) continue;
    out.push_back(r);
  }
  for (size_t g : gaps) {
    __int128 lo = tlo, hi = thi;
    if (g > 0) lo = out[g - 1].hi + 1;
    if (g + 1 < out.size()) hi = out[g + 1].lo - 1;
    out[g] = {lo, hi};
  }
  return out;
}

std::string int128_text(__int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u =
      neg ? static_cast<unsigned __int128>(-v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return neg ? "-" + s : s;
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xc0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

Repository::Repository() = default;
Repository::~Repository() = default;
Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;

void Repository::add_namespace(std::string_view ns) {
  std::string name = canonical_namespace(ns);
  if (name.empty()) fail(Status::kInvalidNamespace, "empty namespace name");
  if (namespaces_.count(name)) return;
  auto space = std::make_unique<Namespace>();
  space->name = name;
  namespaces_.emplace(name, std::move(space));
}

bool Repository::has_namespace(std::string_view ns) const {
  return find_ns(ns) != nullptr;
}

std::vector<std::string> Repository::namespaces() const {
  std::vector<std::string> out;
  for (const auto& [name, space] : namespaces_) out.push_back(space->name);
  return out;
}

const Repository::Namespace* Repository::find_ns(std::string_view ns) const {
  auto it = namespaces_.find(canonical_namespace(ns));
  return it == namespaces_.end() ? nullptr : it->second.get();
}

Repository::Namespace& Repository::ns_or_throw(std::string_view ns) {
  return const_cast<Namespace&>(static_cast<const Repository*>(this)->ns_or_throw(ns));
}

const Repository::Namespace& Repository::ns_or_throw(std::string_view ns) const {
  const Namespace* space = find_ns(ns);
  if (!space) fail(Status::kInvalidNamespace, "namespace " + std::string(ns) + " does not exist");
  return *space;
}

void Repository::add_qualifier_type(std::string_view ns, QualifierType type) {
  Namespace& space = ns_or_throw(ns);
  auto it = space.qualifier_index.find(type.name);
  if (it != space.qualifier_index.end()) {
    const QualifierType& old = space.qualifier_types[it->second];
    if (old.type == type.type && old.is_array == type.is_array && old.scopes == type.scopes &&
        old.flavor == type.flavor && old.default_value == type.default_value) {
      return;
    }
    fail(Status::kAlreadyExists, "qualifier type " + type.name + " is already declared in " +
                                     space.name + " with a different definition");
  }
  space.qualifier_index.emplace(type.name, space.qualifier_types.size());
  space.qualifier_types.push_back(std::move(type));
}

const QualifierType* Repository::find_qualifier_type(std::string_view ns,
                                                     std::string_view name) const {
  const Namespace* space = find_ns(ns);
  if (!space) return nullptr;
  auto it = space->qualifier_index.find(name);
  return it == space->qualifier_index.end() ? nullptr : &space->qualifier_types[it->second];
}

std::vector<const QualifierType*> Repository::qualifier_types(std::string_view ns) const {
  std::vector<const QualifierType*> out;
  for (const auto& q : ns_or_throw(ns).qualifier_types) out.push_back(&q);
  return out;
}

const Class& Repository::add_class(std::string_view ns, Class declared) {
  Namespace& space = ns_or_throw(ns);
  const std::string& name = declared.name();
  if (name.empty()) fail(Status::kInvalidParameter, "class without a name");
  if (space.find(name)) {
    fail(Status::kAlreadyExists, "class " + name + " is already defined in " + space.name);
  }
  const Class* parent = nullptr;
  if (!declared.superclass().empty()) {
    parent = space.find(declared.superclass());
    if (!parent) {
      fail(Status::kInvalidSuperclass, "superclass " + declared.superclass() + " of " + name +
                                           " is not defined in " + space.name);
    }
  }

  auto resolved = std::make_unique<Class>(name, parent ? parent->name() : std::string());
  // Class qualifiers.
  resolved->qualifiers() = parent
                               ? merge(parent->qualifiers(), declared.qualifiers(), "class " + name)
                               : declared.qualifiers();

  // Properties: inherited ones first, in their order, then new ones.
  if (parent) {
    for (const Property& p : parent->properties()) {
      Property copy = p;
      copy.qualifiers = inherited(p.qualifiers);
      copy.propagated = true;
      resolved->properties().push_back(std::move(copy));
    }
  }
  for (Property& own : declared.properties()) {
    own.class_origin = name;
    own.propagated = false;
    Property* base = resolved->find_property(own.name);
    if (!base) {
      mark_embedded(own);
      resolved->properties().push_back(std::move(own));
      continue;
    }
    if (!base->propagated) {
      fail(Status::kInvalidParameter, "property " + own.name + " is declared twice in " + name);
    }
    const Property& original =
        parent->properties()[static_cast<size_t>(base - resolved->properties().data())];
    own.qualifiers =
        merge(original.qualifiers, own.qualifiers, "property " + name + "." + own.name);
    mark_embedded(own);
    if (own.type != original.type || own.is_array != original.is_array) {
      fail(Status::kInvalidParameter,
           "property " + name + "." + own.name + " is " +
               describe_type(own.type, own.is_array, own.reference_class) + " but overrides " +
               original.class_origin + "." + original.name + " of type " +
               describe_type(original.type, original.is_array, original.reference_class));
    }
    if (own.default_value.is_null() && !original.default_value.is_null()) {
      own.default_value = original.default_value;
    }
    own.array_size = own.array_size ? own.array_size : original.array_size;
    *base = std::move(own);
  }

  // Methods, the same way; parameter qualifiers merge by parameter name.
  if (parent) {
    for (const Method& m : parent->methods()) {
      Method copy = m;
      copy.qualifiers = inherited(m.qualifiers);
      for (auto& p : copy.parameters) p.qualifiers = inherited(p.qualifiers);
      copy.propagated = true;
      resolved->methods().push_back(std::move(copy));
    }
  }
  for (Method& own : declared.methods()) {
    own.class_origin = name;
    own.propagated = false;
    for (auto& p : own.parameters) mark_embedded(p);
    Method* base = resolved->find_method(own.name);
    if (!base) {
      resolved->methods().push_back(std::move(own));
      continue;
    }
    if (!base->propagated) {
      fail(Status::kInvalidParameter, "method " + own.name + " is declared twice in " + name);
    }
    const Method& original = *parent->find_method(own.name);
    own.qualifiers = merge(original.qualifiers, own.qualifiers, "method " + name + "." + own.name);
    for (auto& p : own.parameters) {
      if (const Parameter* op = original.find_parameter(p.name)) {
        p.qualifiers = merge(op->qualifiers, p.qualifiers,
                             "parameter " + name + "." + own.name + "." + p.name);
        mark_embedded(p);
      }
    }
    if (own.return_type != original.return_type) {
      fail(Status::kInvalidParameter, "method " + name + "." + own.name +
                                          " changes the return type of the method it overrides");
    }
    *base = std::move(own);
  }

  // References belong in associations only (DSP0004).
  if (!resolved->is_association()) {
    for (const auto& p : resolved->properties()) {
      if (p.type == Type::kReference) {
        fail(Status::kInvalidParameter,
             "class " + name + " declares reference " + p.name + " but is not an association");
      }
    }
  }

  size_t index = space.classes.size();
  space.class_index.emplace(name, index);
  if (parent) space.children[parent->name()].push_back(index);
  space.classes.push_back(std::move(resolved));
  return *space.classes.back();
}

const Class* Repository::find_class(std::string_view ns, std::string_view name) const {
  const Namespace* space = find_ns(ns);
  return space ? space->find(name) : nullptr;
}

const Class& Repository::get_class(std::string_view ns, std::string_view name) const {
  const Namespace& space = ns_or_throw(ns);
  const Class* cls = space.find(name);
  if (!cls)
    fail(Status::kInvalidClass, "class " + std::string(name) + " does not exist in " + space.name);
  return *cls;
}

std::vector<const Class*> Repository::classes(std::string_view ns) const {
  std::vector<const Class*> out;
  for (const auto& c : ns_or_throw(ns).classes) out.push_back(c.get());
  return out;
}

bool Repository::is_a(std::string_view ns, std::string_view name, std::string_view ancestor) const {
  const Namespace* space = find_ns(ns);
  if (!space) return false;
  const Class* cls = space->find(name);
  while (cls) {
    if (iequals(cls->name(), ancestor)) return true;
    cls = cls->superclass().empty() ? nullptr : space->find(cls->superclass());
  }
  return false;
}

std::vector<const Class*> Repository::subclasses(std::string_view ns, std::string_view name,
                                                 bool deep) const {
  const Namespace& space = ns_or_throw(ns);
  std::vector<size_t> found;
  std::vector<std::string> pending{std::string(name)};
  while (!pending.empty()) {
    std::string next = std::move(pending.back());
    pending.pop_back();
    auto it = space.children.find(next);
    if (it == space.children.end()) continue;
    for (size_t child : it->second) {
      found.push_back(child);
      if (deep) pending.push_back(space.classes[child]->name());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<const Class*> out;
  for (size_t i : found) out.push_back(space.classes[i].get());
  return out;
}

std::vector<std::string> Repository::superclass_chain(std::string_view ns,
                                                      std::string_view name) const {
  const Namespace& space = ns_or_throw(ns);
  std::vector<std::string> out;
  const Class* cls = &get_class(ns, name);
  while (cls) {
    out.push_back(cls->name());
    cls = cls->superclass().empty() ? nullptr : space.find(cls->superclass());
  }
  return out;
}

void Repository::validate_instance(std::string_view ns, const Instance& instance,
                                   Validation mode) const {
  const Class& cls = get_class(ns, instance.class_name());
  if (cls.is_abstract()) {
    fail(Status::kInvalidClass,
         "class " + cls.name() + " is abstract; an instance must be of a concrete subclass");
  }
  for (const auto& pv : instance.properties()) {
    const Property* prop = cls.find_property(pv.name);
    if (!prop) {
      fail(Status::kNoSuchProperty, "class " + cls.name() + " has no property " + pv.name);
    }
    validate_value(ns, cls, *prop, pv.value);
  }
  if (mode == Validation::kCreate) {
    for (const auto& prop : cls.properties()) {
      if (!prop.is_key() && !prop.is_required()) continue;
      const Value* v = instance.get(prop.name);
      if (!v || v->is_null()) {
        fail(Status::kInvalidParameter, std::string(prop.is_key() ? "key" : "required") +
                                            " property " + cls.name() + "." + prop.name +
                                            " is not set");
      }
    }
  }
}

void Repository::validate_value(std::string_view ns, const Class& cls, const Property& prop,
                                const Value& value) const {
  const std::string where = cls.name() + "." + prop.name;
  if (value.is_null()) {
    if (prop.is_key()) fail(Status::kInvalidParameter, "key property " + where + " cannot be NULL");
    return;
  }
  if (value.type() != prop.type || value.is_array() != prop.is_array) {
    fail(Status::kTypeMismatch, "property " + where + " is " +
                                    describe_type(prop.type, prop.is_array, prop.reference_class) +
                                    ", not " + describe_type(value.type(), value.is_array(), ""));
  }
  std::vector<Value> elements;
  if (value.is_array()) {
    size_t n = value.size();
    if (prop.array_size && n > *prop.array_size) {
      fail(Status::kInvalidParameter, "property " + where + " holds at most " +
                                          std::to_string(*prop.array_size) + " elements, not " +
                                          std::to_string(n));
    }
    for (size_t i = 0; i < n; ++i) elements.push_back(value.at(i));
  } else {
    elements.push_back(value);
  }

  const Value* map = prop.qualifiers.value("ValueMap");
  const Value* values = prop.qualifiers.value("Values");
  bool map_usable = map && !map->is_null() && map->is_array();
  std::vector<Range> ranges;
  if (map_usable && is_integer_type(prop.type)) ranges = value_map_ranges(*map, prop.type);
  auto qualifier_int = [&](std::string_view q, __int128& out) {
    const Value* v = prop.qualifiers.value(q);
    if (!v || v->is_null() || v->is_array() || !is_integer_type(v->type())) return false;
    out = is_signed_type(v->type()) ? static_cast<__int128>(v->as_int())
                                    : static_cast<__int128>(v->as_uint());
    return true;
  };
  __int128 max_len = 0, min_len = 0, min_value = 0, max_value = 0;
  bool has_max_len = qualifier_int("MaxLen", max_len);
  bool has_min_len = qualifier_int("MinLen", min_len);
  bool has_min_value = qualifier_int("MinValue", min_value);
  bool has_max_value = qualifier_int("MaxValue", max_value);

  for (const Value& e : elements) {
    if (is_integer_type(prop.type)) {
      __int128 v = is_signed_type(prop.type) ? static_cast<__int128>(e.as_int())
                                             : static_cast<__int128>(e.as_uint());
      if (map_usable) {
        bool ok = false;
        for (const auto& r : ranges) ok = ok || (v >= r.lo && v <= r.hi);
        if (!ok) {
          fail(Status::kInvalidParameter, "value " + int128_text(v) +
                                              " is not in the ValueMap of " + where +
                                              " (allowed: " + map->to_mof() + ")");
        }
      } else if (values && !values->is_null() && values->is_array() &&
                 (v < 0 || v >= static_cast<__int128>(values->size()))) {
        fail(Status::kInvalidParameter, "value " + int128_text(v) + " of " + where +
                                            " has no entry in its Values (0.." +
                                            std::to_string(values->size() - 1) + ")");
      }
      if (has_min_value && v < min_value) {
        fail(Status::kInvalidParameter, "value " + int128_text(v) + " of " + where +
                                            " is below its MinValue " + int128_text(min_value));
      }
      if (has_max_value && v > max_value) {
        fail(Status::kInvalidParameter, "value " + int128_text(v) + " of " + where +
                                            " is above its MaxValue " + int128_text(max_value));
      }
    } else if (prop.type == Type::kString) {
      const std::string& s = e.as_string();
      if (map_usable) {
        bool ok = false;
        for (size_t i = 0; i < map->size() && !ok; ++i) ok = map->at(i).as_string() == s;
        if (!ok) {
          fail(Status::kInvalidParameter, "value \"" + s + "\" is not in the ValueMap of " + where +
                                              " (allowed: " + map->to_mof() + ")");
        }
      }
      size_t len = code_points(s);
      if (has_max_len && static_cast<__int128>(len) > max_len) {
        fail(Status::kInvalidParameter, "value of " + where + " is " + std::to_string(len) +
                                            " characters long; its MaxLen is " +
                                            int128_text(max_len));
      }
      if (has_min_len && static_cast<__int128>(len) < min_len) {
        fail(Status::kInvalidParameter, "value of " + where + " is " + std::to_string(len) +
                                            " characters long; its MinLen is " +
                                            int128_text(min_len));
      }
    } else if (is_real_type(prop.type)) {
      double d = e.as_real();
      if (has_min_value && d < static_cast<double>(min_value)) {
        fail(Status::kInvalidParameter,
             "value of " + where + " is below its MinValue " + int128_text(min_value));
      }
      if (has_max_value && d > static_cast<double>(max_value)) {
        fail(Status::kInvalidParameter,
             "value of " + where + " is above its MaxValue " + int128_text(max_value));
      }
    } else if (prop.type == Type::kInstance) {
      std::string wanted = prop.embedded_class();
      const Instance& inst = e.as_instance();
      if (!wanted.empty() && find_class(ns, wanted) && !is_a(ns, inst.class_name(), wanted)) {
        fail(Status::kTypeMismatch,
             "property " + where + " embeds " + wanted + ", not " + inst.class_name());
      }
      if (find_class(ns, inst.class_name())) {
        validate_instance(ns, inst, Validation::kModify);
      }
    } else if (prop.type == Type::kReference) {
      const ObjectPath& path = e.as_reference();
      std::string target_ns = path.ns().empty() ? std::string(ns) : path.ns();
      if (has_namespace(target_ns) && !prop.reference_class.empty()) {
        if (!find_class(target_ns, path.class_name())) {
          fail(Status::kInvalidParameter, "reference " + where + " names class " +
                                              path.class_name() + ", which does not exist in " +
                                              target_ns);
        }
        if (find_class(target_ns, prop.reference_class) &&
            !is_a(target_ns, path.class_name(), prop.reference_class)) {
          fail(Status::kTypeMismatch, "reference " + where + " must point at a " +
                                          prop.reference_class + ", not a " + path.class_name());
        }
      }
    }
  }
}

}  // namespace cimnet::cim

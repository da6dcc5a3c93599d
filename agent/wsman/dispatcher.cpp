#include "agent/wsman/dispatcher.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "agent/wsman/cim_binding.h"
#include "agent/wsman/class_xml.h"
#include "agent/wsman/names.h"
#include "agent/wsman/wql.h"
#include "agent/wsman/xml.h"
#include "cimnet/cim/names.h"

namespace cimnet::wsman {

namespace {

constexpr size_t kEnvelopeOverhead = 2048;  // headers and wrappers around the items

std::string response_action(std::string_view action) { return std::string(action) + "Response"; }

uint32_t parse_positive(pugi::xml_node e, const char* what) {
  std::string text = xml::text(e);
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) ok = ok && c >= '0' && c <= '9';
  uint64_t v = ok ? std::stoull(text) : 0;
  if (!ok || v == 0 || v > 0xffffffffu)
    throw Fault(FaultKind::kInvalidParameter,
                std::string(what) + " '" + text + "' is not a positive integer.", "InvalidValue");
  return static_cast<uint32_t>(v);
}

[[noreturn]] void rethrow_validation(const cim::Error& e, bool method) {
  if (method) throw Fault(FaultKind::kInvalidParameter, e.what(), "InvalidValue");
  throw Fault(FaultKind::kInvalidRepresentation, e.what(), "InvalidValues");
}

enum class Mode { kObject, kEpr, kObjectAndEpr };

// wsmb:PolymorphismMode: subclass instances with all their properties, with
// only the requested class's properties, or not at all.
enum class Polymorphism { kInclude, kExclude, kNone };

// A boolean wsman:Option, or `fallback` when absent.
bool option_flag(const Request& request, std::string_view name, bool fallback) {
  for (const auto& o : request.options) {
    if (!cim::iequals(o.name, name)) continue;
    std::string v = cim::to_lower(xml::trim(o.value));
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    throw Fault(FaultKind::kInvalidOptions,
                "Option " + o.name + " must be true or false, not '" + o.value + "'.",
                "InvalidValue");
  }
  return fallback;
}

ClassWriteOptions class_options(const Request& request, const cim::Repository& repo,
                                const std::string& ns, const cim::Class& cls) {
  ClassWriteOptions options;
  options.qualifiers = option_flag(request, "IncludeQualifiers", true);
  options.class_origin = option_flag(request, "IncludeClassOrigin", false);
  auto chain = repo.superclass_chain(ns, cls.name());
  for (size_t i = 1; i < chain.size(); ++i) {
    if (i > 1) options.derivation += ',';
    options.derivation += chain[i];
  }
  return options;
}

// Walks associations of one object (DSP0227 association filter): the
// instances of the association classes that reference it (references), or
// the instances at their other ends (associators), possibly in other
// namespaces. Each result is produced once.
class AssociationWalker {
 public:
  using ProviderLookup =
      std::function<provider::Provider*(const std::string& ns, const cim::Class& cls)>;
  struct Options {
    bool references = false;  // AssociationInstances instead of AssociatedInstances
    std::string role, result_class, result_role;
  };

  AssociationWalker(const cim::Repository& repo, provider::CallContext ctx, cim::ObjectPath object,
                    std::vector<std::pair<provider::Provider*, const cim::Class*>> associations,
                    ProviderLookup lookup, Options options)
      : repo_(repo), ctx_(std::move(ctx)), object_(std::move(object)),
        associations_(std::move(associations)), lookup_(std::move(lookup)),
        options_(std::move(options)) {}

  std::optional<std::pair<cim::Instance, std::string>> next() {
    while (true) {
      if (!ready_.empty()) {
        auto item = std::move(ready_.front());
        ready_.erase(ready_.begin());
        return item;
      }
      while (!stream_ && next_ < associations_.size()) {
        current_ = associations_[next_++];
        stream_ = current_.first->enumerate(ctx_, *current_.second);
      }
      if (!stream_) return std::nullopt;
      auto link = stream_->next();
      if (!link) {
        stream_.reset();
        continue;
      }
      visit(*link);
    }
  }

 private:
  // The path a reference value points at, in a canonical namespace.
  cim::ObjectPath normalised(const cim::ObjectPath& p) const {
    cim::ObjectPath out = p;
    out.set_namespace(p.ns().empty() ? ctx_.ns : cim::canonical_namespace(p.ns()));
    return out;
  }

  void visit(const cim::Instance& link) {
    const cim::Class* cls = repo_.find_class(ctx_.ns, link.class_name());
    if (!cls) return;
    std::vector<const cim::Property*> refs;
    for (const auto& p : cls->properties())
      if (p.type == cim::Type::kReference && !p.is_array) refs.push_back(&p);
    for (const cim::Property* near : refs) {
      const cim::Value* v = link.get(near->name);
      if (!v || v->is_null() || normalised(v->as_reference()) != object_) continue;
      if (!options_.role.empty() && !cim::iequals(options_.role, near->name)) continue;
      if (options_.references) {
        if (!options_.result_class.empty() &&
            !repo_.is_a(ctx_.ns, link.class_name(), options_.result_class))
          return;
        emit(link, ctx_.ns, link.path(*cls, ctx_.ns).to_string());
        return;
      }
      for (const cim::Property* far : refs) {
        if (far == near) continue;
        if (!options_.result_role.empty() && !cim::iequals(options_.result_role, far->name))
          continue;
        const cim::Value* fv = link.get(far->name);
        if (!fv || fv->is_null()) continue;
        cim::ObjectPath target = normalised(fv->as_reference());
        const cim::Class* tcls = repo_.find_class(target.ns(), target.class_name());
        if (!tcls) continue;
        if (!options_.result_class.empty() &&
            !repo_.is_a(target.ns(), tcls->name(), options_.result_class))
          continue;
        provider::Provider* provider = lookup_(target.ns(), *tcls);
        if (!provider) continue;
        provider::CallContext ctx = ctx_;
        ctx.ns = target.ns();
        try {
          emit(provider->get(ctx, *tcls, target), target.ns(), target.to_string());
        } catch (const cim::Error& e) {
          // A dangling reference: the association outlived its end.
          if (e.status() != cim::Status::kNotFound) throw;
        }
      }
    }
  }

  void emit(cim::Instance instance, const std::string& ns, const std::string& key) {
    if (!seen_.insert(cim::to_lower(key)).second) return;
    ready_.emplace_back(std::move(instance), ns);
  }

  const cim::Repository& repo_;
  provider::CallContext ctx_;
  cim::ObjectPath object_;
  std::vector<std::pair<provider::Provider*, const cim::Class*>> associations_;
  size_t next_ = 0;
  std::pair<provider::Provider*, const cim::Class*> current_{nullptr, nullptr};
  std::unique_ptr<provider::InstanceStream> stream_;
  ProviderLookup lookup_;
  Options options_;
  std::vector<std::pair<cim::Instance, std::string>> ready_;
  std::set<std::string> seen_;
};

// One open enumeration: the provider streams still to read, the filter, and
// an item that did not fit into the previous response.
class InstanceCursor : public EnumerationCursor {
 public:
  struct Source {
    provider::Provider* provider;
    const cim::Class* cls;
  };

  InstanceCursor(const cim::Repository& repo, std::string ns, provider::CallContext ctx,
                 std::vector<Source> sources, Mode mode)
      : repo_(repo), ns_(std::move(ns)), ctx_(std::move(ctx)), sources_(std::move(sources)),
        mode_(mode) {}

  void set_query(wql::Query query, bool case_sensitive) {
    query_ = std::move(query);
    case_sensitive_ = case_sensitive;
  }
  void set_selector_filter(std::vector<Selector> selectors) {
    selector_filter_ = std::move(selectors);
  }
  // Subclass instances left out (kNone) or cut down to `base` (kExclude).
  void set_polymorphism(Polymorphism mode, const cim::Class* base) {
    polymorphism_ = mode;
    base_ = base;
  }
  // Items already serialised (class declarations), handed out in order.
  void set_prepared(std::vector<std::string> items) {
    prepared_ = std::move(items);
    use_prepared_ = true;
  }
  void set_walker(std::unique_ptr<AssociationWalker> walker, std::vector<std::string> properties) {
    walker_ = std::move(walker);
    result_properties_ = std::move(properties);
  }

  // Total of the providers' estimates when all are known.
  std::optional<uint64_t> estimate() {
    uint64_t total = pending_ ? 1 : 0;
    open_next_stream();
    if (stream_) {
      auto e = stream_->estimate();
      if (!e) return std::nullopt;
      total += *e;
    }
    if (use_prepared_) return prepared_.size() - next_prepared_ + (pending_ ? 1 : 0);
    if (walker_ || next_source_ < sources_.size()) return std::nullopt;  // not opened yet
    return total;
  }

  // The next serialised item, or nullopt at the end. Stops early (returning
  // nullopt with timed_out set) when `deadline` passes while skipping
  // filtered-out instances.
  std::optional<std::string> next(std::chrono::steady_clock::time_point deadline,
                                  bool& timed_out) {
    timed_out = false;
    if (pending_) return std::exchange(pending_, std::nullopt);
    if (use_prepared_) {
      if (next_prepared_ >= prepared_.size()) return std::nullopt;
      return std::move(prepared_[next_prepared_++]);
    }
    if (walker_) {
      auto item = walker_->next();
      if (!item) return std::nullopt;
      return serialise(item->first, item->second);
    }
    size_t scanned = 0;
    while (true) {
      open_next_stream();
      if (!stream_) return std::nullopt;
      auto instance = stream_->next();
      if (!instance) {
        stream_.reset();
        continue;
      }
      if (accept(*instance)) return serialise(*instance, ns_);
      if (++scanned % 256 == 0 && std::chrono::steady_clock::now() > deadline) {
        timed_out = true;
        return std::nullopt;
      }
    }
  }

  void push_back(std::string item) { pending_ = std::move(item); }
  bool exhausted() {
    if (pending_) return false;
    if (use_prepared_) return next_prepared_ >= prepared_.size();
    if (walker_) {
      auto item = walker_->next();
      if (!item) return true;
      pending_ = serialise(item->first, item->second);
      return false;
    }
    open_next_stream();
    return !stream_;
  }

 private:
  void open_next_stream() {
    while (!stream_ && next_source_ < sources_.size()) {
      const Source& s = sources_[next_source_++];
      stream_ = s.provider->enumerate(ctx_, *s.cls);
    }
  }

  bool accept(const cim::Instance& instance) {
    if (polymorphism_ == Polymorphism::kNone && !cim::iequals(instance.class_name(), base_->name()))
      return false;
    if (query_ &&
        !wql::matches(*query_, instance,
                      [&](std::string_view c, std::string_view a) { return repo_.is_a(ns_, c, a); },
                      case_sensitive_))
      return false;
    for (const auto& s : selector_filter_) {
      if (cim::iequals(s.name, "__cimnamespace")) continue;
      const cim::Value* v = instance.get(s.name);
      if (!v || v->is_null() || v->is_array()) return false;
      try {
        if (v->type() == cim::Type::kReference) {
          if (!s.reference || path_from_epr(repo_, ns_, *s.reference) != v->as_reference())
            return false;
        } else if (cim::Value::from_text(v->type(), s.value) != *v) {
          return false;
        }
      } catch (const cim::Error&) {
        return false;
      } catch (const Fault&) {
        return false;
      }
    }
    return true;
  }

  std::string serialise(const cim::Instance& instance, const std::string& ns) {
    std::string out;
    InstanceWriteOptions options;
    if (query_) options.properties = query_->properties;
    if (!result_properties_.empty()) options.properties = result_properties_;
    auto epr = [&] {
      const cim::Class* cls = repo_.find_class(ns, instance.class_name());
      if (!cls)
        throw cim::Error(cim::Status::kFailed,
                         "provider returned an instance of unknown class " + instance.class_name());
      return epr_from_path(instance.path(*cls, ns));
    };
    // ExcludeSubClassProperties: the object as an instance of the requested class.
    std::optional<cim::Instance> cut;
    if (polymorphism_ == Polymorphism::kExclude &&
        !cim::iequals(instance.class_name(), base_->name())) {
      cut.emplace(base_->name());
      for (const auto& p : base_->properties())
        if (const cim::Value* v = instance.get(p.name)) cut->set(p.name, *v);
    }
    const cim::Instance& shown = cut ? *cut : instance;
    switch (mode_) {
      case Mode::kObject: append_instance(out, repo_, ns, shown, options); break;
      case Mode::kEpr:
        out += "<wsa:EndpointReference>";
        append_epr_content(out, epr());
        out += "</wsa:EndpointReference>";
        break;
      case Mode::kObjectAndEpr:
        out += "<wsman:Item>";
        append_instance(out, repo_, ns, shown, options);
        out += "<wsa:EndpointReference>";
        append_epr_content(out, epr());
        out += "</wsa:EndpointReference></wsman:Item>";
        break;
    }
    return out;
  }

  const cim::Repository& repo_;
  std::string ns_;
  provider::CallContext ctx_;
  std::vector<Source> sources_;
  size_t next_source_ = 0;
  std::unique_ptr<provider::InstanceStream> stream_;
  Mode mode_;
  std::optional<wql::Query> query_;
  bool case_sensitive_ = false;
  std::vector<Selector> selector_filter_;
  std::unique_ptr<AssociationWalker> walker_;
  std::vector<std::string> result_properties_;
  std::vector<std::string> prepared_;
  size_t next_prepared_ = 0;
  Polymorphism polymorphism_ = Polymorphism::kInclude;
  const cim::Class* base_ = nullptr;
  bool use_prepared_ = false;
  std::optional<std::string> pending_;
};

// Fills `items` from the cursor within the element and size budgets.
// Returns true when the enumeration has no more items.
bool fill(InstanceCursor& cursor, uint32_t max_elements, size_t budget,
          std::chrono::steady_clock::time_point deadline, std::string& items, uint32_t& count) {
  count = 0;
  while (count < max_elements) {
    bool timed_out = false;
    auto item = cursor.next(deadline, timed_out);
    if (timed_out) {
      if (count == 0)
        throw Fault(FaultKind::kTimedOut,
                    "No instance matched the filter within the operation timeout; the "
                    "enumeration context stays valid.",
                    "", wsman_code::kOperationTimedOut);
      return false;
    }
    if (!item) return true;
    if (items.size() + item->size() > budget) {
      if (count == 0)
        throw Fault(FaultKind::kEncodingLimit,
                    "One item (" + std::to_string(item->size()) +
                        " bytes) does not fit into the response envelope size limit.",
                    "MaxEnvelopeSize");
      cursor.push_back(std::move(*item));
      return false;
    }
    items += *item;
    ++count;
  }
  return cursor.exhausted();
}

}  // namespace

struct Dispatcher::Target {
  std::string ns;
  const cim::Class* cls = nullptr;
};

Dispatcher::Dispatcher(const cim::Repository& repository,
                       const provider::ProviderRegistry& providers, Config config)
    : repository_(repository), providers_(providers), config_(std::move(config)),
      enumerations_(config_.enumeration_limits) {}

Dispatcher::Target Dispatcher::resolve(const Request& request) const {
  Target t;
  t.ns = namespace_from_selectors(request.selectors, config_.default_namespace);
  if (!repository_.has_namespace(t.ns))
    throw Fault(FaultKind::kDestinationUnreachable, "No CIM namespace '" + t.ns + "'.")
        .with_cim_status(cim::Status::kInvalidNamespace);
  std::string class_name = class_from_resource_uri(request.resource_uri);
  if (!class_name.empty()) t.cls = repository_.find_class(t.ns, class_name);
  if (!t.cls)
    throw Fault(FaultKind::kDestinationUnreachable,
                "The resource URI '" + request.resource_uri + "' names no class in " + t.ns + ".",
                "InvalidResourceURI")
        .with_cim_status(cim::Status::kInvalidClass);
  return t;
}

provider::Provider* Dispatcher::provider_for(const std::string& ns, const cim::Class& cls) const {
  // The class itself, then its superclasses up to the root, stopping at the
  // first with a provider (usually the class itself: no chain is built).
  for (const cim::Class* c = &cls; c;) {
    if (auto* p = providers_.find(ns, c->name())) return p;
    c = c->superclass().empty() ? nullptr : repository_.find_class(ns, c->superclass());
  }
  return nullptr;
}

provider::CallContext Dispatcher::context(const Request& request, const Caller& caller,
                                          const std::string& ns) const {
  provider::CallContext ctx;
  ctx.ns = ns;
  ctx.user = caller.identity.user;
  ctx.admin = caller.identity.role == auth::Role::kAdmin;
  ctx.deadline = std::chrono::steady_clock::now() +
                 request.operation_timeout.value_or(config_.default_timeout);
  return ctx;
}

Reply Dispatcher::perform(const Request& request, const Caller& caller) {
  try {
    const std::string& a = request.action;
    if (a == uri::kGet) return get(request, caller);
    if (a == uri::kPut) return put(request, caller);
    if (a == uri::kCreate) return create(request, caller);
    if (a == uri::kDelete) return remove(request, caller);
    if (a == uri::kEnumerate) return enumerate(request, caller);
    if (a == uri::kPull) return pull(request, caller);
    if (a == uri::kRelease) return release(request, caller);
    std::string_view ru = request.resource_uri;
    if (!ru.empty() && a.size() > ru.size() + 1 && a.compare(0, ru.size(), ru) == 0 &&
        a[ru.size()] == '/')
      return invoke(request, caller);
    throw Fault(FaultKind::kActionNotSupported, "The action '" + a + "' is not supported.");
  } catch (const cim::Error& e) {
    throw fault_from_cim(e);
  }
}

Reply Dispatcher::get(const Request& request, const Caller& caller) {
  if (request.resource_uri == kCimXmlClassUri) {
    // GetClass: the class declaration in CIM-XML, as WinRM/OMI answer Get-CimClass.
    std::string ns = namespace_from_selectors(request.selectors, config_.default_namespace);
    if (!repository_.has_namespace(ns))
      throw Fault(FaultKind::kDestinationUnreachable, "No CIM namespace '" + ns + "'.")
          .with_cim_status(cim::Status::kInvalidNamespace);
    const Selector* name = request.selector("ClassName");
    const cim::Class* cls = name ? repository_.find_class(ns, name->value) : nullptr;
    if (!cls)
      throw Fault(FaultKind::kDestinationUnreachable,
                  name ? "No class '" + name->value + "' in " + ns + "."
                       : std::string("GetClass needs a ClassName selector."))
          .with_cim_status(cim::Status::kInvalidClass);
    Reply reply{response_action(request.action), {}, {}};
    append_class_cimxml(reply.body, *cls, class_options(request, repository_, ns, *cls));
    return reply;
  }
  Target t = resolve(request);
  cim::ObjectPath path = path_from_selectors(repository_, t.ns, *t.cls, request.selectors);
  auto* provider = provider_for(t.ns, *t.cls);
  if (!provider)
    throw cim::Error(cim::Status::kNotFound, "no instance " + path.to_string() +
                                                 " (no provider serves class " + t.cls->name() + ")");
  cim::Instance instance = provider->get(context(request, caller, t.ns), *t.cls, path);
  Reply reply{response_action(request.action), {}, {}};
  append_instance(reply.body, repository_, t.ns, instance);
  return reply;
}

Reply Dispatcher::put(const Request& request, const Caller& caller) {
  Target t = resolve(request);
  cim::ObjectPath path = path_from_selectors(repository_, t.ns, *t.cls, request.selectors);
  cim::Instance changes = parse_instance(repository_, t.ns, *t.cls, request.payload);
  try {
    repository_.validate_instance(t.ns, changes, cim::Validation::kModify);
  } catch (const cim::Error& e) {
    rethrow_validation(e, false);
  }
  std::vector<std::string> properties;
  for (const auto& pv : changes.properties()) {
    const cim::Property* p = t.cls->find_property(pv.name);
    if (p && p->is_key()) {
      const cim::Value* key = path.key(p->name);
      if (!key || pv.value.is_null() || pv.value.convert_to(key->type()) != *key)
        throw Fault(FaultKind::kInvalidRepresentation,
                    "Key property " + p->name + " in the body differs from the selectors; keys "
                    "cannot be changed.",
                    "InvalidValues");
      continue;
    }
    properties.push_back(pv.name);
  }
  auto* provider = provider_for(t.ns, *t.cls);
  if (!provider)
    throw cim::Error(cim::Status::kNotFound, "no instance " + path.to_string());
  cim::Instance updated =
      provider->modify(context(request, caller, t.ns), *t.cls, path, changes, properties);
  Reply reply{response_action(request.action), {}, {}};
  append_instance(reply.body, repository_, t.ns, updated);
  return reply;
}

Reply Dispatcher::create(const Request& request, const Caller& caller) {
  Target t = resolve(request);
  cim::Instance instance = parse_instance(repository_, t.ns, *t.cls, request.payload);
  try {
    // Type-level checks now; keys the provider fills are checked by it.
    repository_.validate_instance(t.ns, instance, cim::Validation::kModify);
  } catch (const cim::Error& e) {
    rethrow_validation(e, false);
  }
  auto* provider = provider_for(t.ns, *t.cls);
  if (!provider)
    throw cim::Error(cim::Status::kNotSupported, "no provider serves class " + t.cls->name());
  cim::ObjectPath path = provider->create(context(request, caller, t.ns), *t.cls, instance);
  if (path.ns().empty()) path.set_namespace(t.ns);
  Reply reply{response_action(request.action), {}, "<wxf:ResourceCreated>"};
  append_epr_content(reply.body, epr_from_path(path));
  reply.body += "</wxf:ResourceCreated>";
  return reply;
}

Reply Dispatcher::remove(const Request& request, const Caller& caller) {
  Target t = resolve(request);
  cim::ObjectPath path = path_from_selectors(repository_, t.ns, *t.cls, request.selectors);
  auto* provider = provider_for(t.ns, *t.cls);
  if (!provider) throw cim::Error(cim::Status::kNotFound, "no instance " + path.to_string());
  provider->remove(context(request, caller, t.ns), *t.cls, path);
  return Reply{response_action(request.action), {}, {}};
}

Reply Dispatcher::enumerate(const Request& request, const Caller& caller) {
  auto body = request.payload;
  if (!xml::is(body, uri::kEnumeration, "Enumerate"))
    throw Fault(FaultKind::kSchemaValidationError, "The body of Enumerate must be wsen:Enumerate.");
  bool optimize = false;
  std::optional<uint32_t> max_elements;
  Mode mode = Mode::kObject;
  Polymorphism polymorphism = Polymorphism::kInclude;
  pugi::xml_node filter;
  for (auto c = body.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view ns = xml::namespace_of(c), name = xml::local_name(c);
    if (ns == uri::kWsman && name == "OptimizeEnumeration") optimize = true;
    else if (ns == uri::kWsman && name == "MaxElements") max_elements = parse_positive(c, "wsman:MaxElements");
    else if (ns == uri::kWsman && name == "EnumerationMode") {
      std::string m = xml::text(c);
      if (m == "EnumerateEPR") mode = Mode::kEpr;
      else if (m == "EnumerateObjectAndEPR") mode = Mode::kObjectAndEpr;
      else
        throw Fault(FaultKind::kUnsupportedFeature, "EnumerationMode '" + m + "' is unknown.",
                    "EnumerationMode");
    } else if ((ns == uri::kWsman || ns == uri::kEnumeration) && name == "Filter") {
      filter = c;
    } else if (ns == uri::kCimBinding && name == "PolymorphismMode") {
      std::string m = xml::text(c);
      if (m == "IncludeSubClassProperties") polymorphism = Polymorphism::kInclude;
      else if (m == "ExcludeSubClassProperties") polymorphism = Polymorphism::kExclude;
      else if (m == "None") polymorphism = Polymorphism::kNone;
      else
        throw Fault(FaultKind::kPolymorphismModeNotSupported,
                    "PolymorphismMode '" + m + "' is not one of IncludeSubClassProperties, "
                    "ExcludeSubClassProperties or None.");
    } else if (ns == uri::kEnumeration && name == "Expires") {
      throw Fault(FaultKind::kUnsupportedExpirationType,
                  "wsen:Expires is not supported: contexts expire after a fixed idle time.");
    } else if (ns == uri::kEnumeration && name == "EndTo") {
      throw Fault(FaultKind::kUnsupportedFeature, "wsen:EndTo is not supported.", "AddressingMode");
    }
  }

  if (request.resource_uri == kCimXmlClassUri) {
    // EnumerateClasses: every class of the namespace, or the subclasses of ClassName.
    std::string ns = namespace_from_selectors(request.selectors, config_.default_namespace);
    if (!repository_.has_namespace(ns))
      throw Fault(FaultKind::kDestinationUnreachable, "No CIM namespace '" + ns + "'.")
          .with_cim_status(cim::Status::kInvalidNamespace);
    if (filter)
      throw Fault(FaultKind::kFilteringNotSupported, "Class enumerations take no filter.");
    std::vector<const cim::Class*> classes;
    if (const Selector* base = request.selector("ClassName")) {
      if (!repository_.find_class(ns, base->value))
        throw Fault(FaultKind::kDestinationUnreachable,
                    "No class '" + base->value + "' in " + ns + ".")
            .with_cim_status(cim::Status::kInvalidClass);
      classes = repository_.subclasses(ns, base->value, true);
    } else {
      classes = repository_.classes(ns);
    }
    std::vector<std::string> items;
    for (const cim::Class* c : classes) {
      std::string item;
      append_class_cimxml(item, *c, class_options(request, repository_, ns, *c));
      items.push_back(std::move(item));
    }
    auto cursor = std::make_unique<InstanceCursor>(repository_, ns, context(request, caller, ns),
                                                   std::vector<InstanceCursor::Source>{}, mode);
    cursor->set_prepared(std::move(items));
    return finish_enumerate(request, caller, std::move(cursor), optimize, max_elements);
  }

  // The class: from the ResourceURI, or from the query for the all-classes URI.
  std::string ns = namespace_from_selectors(request.selectors, config_.default_namespace);
  bool all_classes =
      request.resource_uri == uri::kAllClasses || request.resource_uri == uri::kAllClassesSchema2;
  auto require_namespace = [&] {
    if (!repository_.has_namespace(ns))
      throw Fault(FaultKind::kDestinationUnreachable, "No CIM namespace '" + ns + "'.")
          .with_cim_status(cim::Status::kInvalidNamespace);
  };
  // An association filter names its object's namespace in the object's EPR.
  if (!all_classes) require_namespace();
  const cim::Class* cls = nullptr;
  if (!all_classes) cls = resolve(request).cls;

  std::optional<wql::Query> query;
  bool case_sensitive = false;
  std::vector<Selector> selector_filter;
  std::unique_ptr<AssociationWalker> walker;
  std::vector<std::string> include_properties;
  if (filter) {
    std::string dialect = filter.attribute("Dialect").value();
    if (dialect.empty()) dialect = std::string(uri::kDialectWql);
    if (dialect == uri::kDialectWql || dialect == uri::kDialectCql) {
      case_sensitive = dialect == uri::kDialectCql;
      require_namespace();
      try {
        query = wql::parse(xml::text(filter));
      } catch (const wql::QueryError& e) {
        throw Fault(FaultKind::kCannotProcessFilter, std::string("Bad query: ") + e.what())
            .with_cim_status(cim::Status::kInvalidQuery);
      }
      const cim::Class* from = repository_.find_class(ns, query->class_name);
      if (!from)
        throw Fault(FaultKind::kCannotProcessFilter,
                    "The query names class '" + query->class_name + "', which is not in " + ns +
                        ".")
            .with_cim_status(cim::Status::kInvalidQuery);
      if (cls && !repository_.is_a(ns, from->name(), cls->name()))
        throw Fault(FaultKind::kCannotProcessFilter,
                    "The query's class " + from->name() + " is not the resource's class " +
                        cls->name() + " or one of its subclasses.")
            .with_cim_status(cim::Status::kInvalidQuery);
      cls = from;
      std::vector<std::string> named = query->referenced_properties();
      named.insert(named.end(), query->properties.begin(), query->properties.end());
      for (const auto& p : named)
        if (!cls->find_property(p))
          throw Fault(FaultKind::kCannotProcessFilter,
                      "Class " + cls->name() + " has no property '" + p + "'.")
              .with_cim_status(cim::Status::kInvalidQuery);
    } else if (dialect == uri::kDialectSelector) {
      require_namespace();
      auto set = xml::child(filter, uri::kWsman, "SelectorSet");
      if (!set)
        throw Fault(FaultKind::kCannotProcessFilter,
                    "A SelectorFilter needs a wsman:SelectorSet.");
      selector_filter = parse_selector_set(set);
      if (!cls)
        throw Fault(FaultKind::kCannotProcessFilter,
                    "A SelectorFilter needs a class ResourceURI.");
      for (const auto& s : selector_filter)
        if (!cim::iequals(s.name, "__cimnamespace") && !cls->find_property(s.name))
          throw Fault(FaultKind::kCannotProcessFilter,
                      "Class " + cls->name() + " has no property '" + s.name + "'.");
    } else if (dialect == uri::kDialectAssociation) {
      bool references = false;
      auto spec = xml::child(filter, uri::kCimBinding, "AssociatedInstances");
      if (!spec) {
        spec = xml::child(filter, uri::kCimBinding, "AssociationInstances");
        references = true;
      }
      if (!spec)
        throw Fault(FaultKind::kCannotProcessFilter,
                    "An association filter needs wsmb:AssociatedInstances or "
                    "wsmb:AssociationInstances.");
      auto object = xml::child(spec, uri::kCimBinding, "Object");
      if (!object)
        throw Fault(FaultKind::kCannotProcessFilter, "An association filter needs wsmb:Object.");
      cim::ObjectPath path = path_from_epr(repository_, ns, parse_endpoint_reference(object));
      AssociationWalker::Options options;
      options.references = references;
      std::string association_class =
          xml::text(xml::child(spec, uri::kCimBinding, "AssociationClassName"));
      options.role = xml::text(xml::child(spec, uri::kCimBinding, "Role"));
      options.result_class = xml::text(xml::child(spec, uri::kCimBinding, "ResultClassName"));
      options.result_role = xml::text(xml::child(spec, uri::kCimBinding, "ResultRole"));
      for (auto c = spec.first_child(); c; c = c.next_sibling())
        if (xml::is(c, uri::kCimBinding, "IncludeResultProperty"))
          include_properties.push_back(xml::text(c));
      const std::string& object_ns = path.ns();
      if (!association_class.empty() && !repository_.find_class(object_ns, association_class))
        throw Fault(FaultKind::kCannotProcessFilter,
                    "No class '" + association_class + "' in " + object_ns + ".");
      // The result class may live only in another namespace: a profile in
      // root/interop conforms to a CIM_ComputerSystem in root/cimv2
      // (NetworkSwitchManager's discovery asks exactly that).
      if (!options.result_class.empty()) {
        bool known = false;
        for (const auto& ns_name : repository_.namespaces())
          known = known || repository_.find_class(ns_name, options.result_class);
        if (!known)
          throw Fault(FaultKind::kCannotProcessFilter,
                      "No class '" + options.result_class + "' in any namespace.");
      }
      std::vector<std::pair<provider::Provider*, const cim::Class*>> associations;
      for (const auto& registered : providers_.classes(object_ns)) {
        const cim::Class* rc = repository_.find_class(object_ns, registered);
        if (!rc || !rc->is_association()) continue;
        if (!association_class.empty() && !references &&
            !repository_.is_a(object_ns, rc->name(), association_class))
          continue;
        associations.emplace_back(providers_.find(object_ns, registered), rc);
      }
      provider::CallContext walk_ctx = context(request, caller, object_ns);
      walker = std::make_unique<AssociationWalker>(
          repository_, walk_ctx, path, std::move(associations),
          [this](const std::string& target_ns, const cim::Class& target) {
            return provider_for(target_ns, target);
          },
          std::move(options));
    } else {
      throw Fault(FaultKind::kFilterDialectRequestedUnavailable,
                  "The filter dialect '" + dialect + "' is not supported.");
    }
  }
  if (!walker) require_namespace();
  if (!cls && !walker)
    throw Fault(FaultKind::kCannotProcessFilter,
                "Enumerating all classes needs a WQL, CQL or association filter.");

  // Sources: providers of the class and its subclasses; else an ancestor's.
  std::vector<InstanceCursor::Source> sources;
  if (!walker) {
    for (const auto& registered : providers_.classes(ns)) {
      const cim::Class* rc = repository_.find_class(ns, registered);
      if (rc && repository_.is_a(ns, rc->name(), cls->name()))
        sources.push_back({providers_.find(ns, registered), rc});
    }
    if (sources.empty())
      if (auto* p = provider_for(ns, *cls)) sources.push_back({p, cls});
  }

  auto cursor = std::make_unique<InstanceCursor>(repository_, ns, context(request, caller, ns),
                                                 std::move(sources), mode);
  if (query) cursor->set_query(std::move(*query), case_sensitive);
  if (!selector_filter.empty()) cursor->set_selector_filter(std::move(selector_filter));
  if (walker) cursor->set_walker(std::move(walker), std::move(include_properties));
  if (cls && !walker && polymorphism != Polymorphism::kInclude)
    cursor->set_polymorphism(polymorphism, cls);

  return finish_enumerate(request, caller, std::move(cursor), optimize, max_elements);
}

Reply Dispatcher::finish_enumerate(const Request& request, const Caller& caller,
                                   std::unique_ptr<EnumerationCursor> owned, bool optimize,
                                   std::optional<uint32_t> max_elements) {
  auto cursor = std::unique_ptr<InstanceCursor>(static_cast<InstanceCursor*>(owned.release()));
  std::string ns = namespace_from_selectors(request.selectors, config_.default_namespace);
  Reply reply{response_action(request.action), {}, {}};
  if (request.request_total_items_count_estimate) {
    auto estimate = cursor->estimate();
    reply.headers = estimate ? "<wsman:TotalItemsCountEstimate>" + std::to_string(*estimate) +
                                   "</wsman:TotalItemsCountEstimate>"
                             : "<wsman:TotalItemsCountEstimate xsi:nil=\"true\"/>";
  }
  std::string items;
  bool done = false;
  uint32_t count = 0;
  if (optimize) {
    uint64_t envelope = request.max_envelope_size.value_or(config_.default_max_envelope);
    if (request.response_utf16) envelope /= 2;
    size_t budget = envelope > kEnvelopeOverhead ? envelope - kEnvelopeOverhead : 0;
    done = fill(*cursor, std::min(max_elements.value_or(1), config_.max_elements), budget,
                context(request, caller, ns).deadline, items, count);
  }
  reply.body = "<wsen:EnumerateResponse>";
  if (done) {
    reply.body += "<wsen:EnumerationContext/>";
  } else {
    std::string id = enumerations_.add(caller.identity.user, std::move(cursor));
    reply.body += "<wsen:EnumerationContext>" + id + "</wsen:EnumerationContext>";
  }
  if (optimize) {
    reply.body += "<wsman:Items>" + items + "</wsman:Items>";
    if (done) reply.body += "<wsman:EndOfSequence/>";
  }
  reply.body += "</wsen:EnumerateResponse>";
  return reply;
}

Reply Dispatcher::pull(const Request& request, const Caller& caller) {
  auto body = request.payload;
  if (!xml::is(body, uri::kEnumeration, "Pull"))
    throw Fault(FaultKind::kSchemaValidationError, "The body of Pull must be wsen:Pull.");
  std::string id = xml::text(xml::child(body, uri::kEnumeration, "EnumerationContext"));
  uint32_t max_elements = 1;
  std::optional<uint64_t> max_characters;
  if (auto m = xml::child(body, uri::kEnumeration, "MaxElements"))
    max_elements = parse_positive(m, "wsen:MaxElements");
  if (auto m = xml::child(body, uri::kEnumeration, "MaxCharacters"))
    max_characters = parse_positive(m, "wsen:MaxCharacters");
  auto deadline = std::chrono::steady_clock::now() +
                  request.operation_timeout.value_or(config_.default_timeout);
  if (auto m = xml::child(body, uri::kEnumeration, "MaxTime")) {
    auto max_time = parse_duration(xml::text(m));
    if (!max_time)
      throw Fault(FaultKind::kInvalidParameter,
                  "wsen:MaxTime '" + xml::text(m) + "' is not an xs:duration.", "InvalidValue");
    deadline = std::min(deadline, std::chrono::steady_clock::now() + *max_time);
  }
  auto owned = enumerations_.checkout(id, caller.identity.user);
  auto* cursor = static_cast<InstanceCursor*>(owned.get());

  uint64_t envelope = request.max_envelope_size.value_or(config_.default_max_envelope);
  if (request.response_utf16) envelope /= 2;
  size_t budget = envelope > kEnvelopeOverhead ? envelope - kEnvelopeOverhead : 0;
  if (max_characters) budget = std::min<uint64_t>(budget, *max_characters);
  std::string items;
  uint32_t count = 0;
  bool done = false;
  try {
    done = fill(*cursor, std::min(max_elements, config_.max_elements), budget, deadline, items,
                count);
  } catch (...) {
    enumerations_.checkin(id, std::move(owned));  // the context stays valid after a fault
    throw;
  }
  Reply reply{response_action(request.action), {}, "<wsen:PullResponse>"};
  if (done) {
    enumerations_.finish(id);
  } else {
    enumerations_.checkin(id, std::move(owned));
    reply.body += "<wsen:EnumerationContext>" + id + "</wsen:EnumerationContext>";
  }
  reply.body += "<wsen:Items>" + items + "</wsen:Items>";
  if (done) reply.body += "<wsen:EndOfSequence/>";
  reply.body += "</wsen:PullResponse>";
  return reply;
}

Reply Dispatcher::release(const Request& request, const Caller& caller) {
  auto body = request.payload;
  if (!xml::is(body, uri::kEnumeration, "Release"))
    throw Fault(FaultKind::kSchemaValidationError, "The body of Release must be wsen:Release.");
  std::string id = xml::text(xml::child(body, uri::kEnumeration, "EnumerationContext"));
  enumerations_.release(id, caller.identity.user);
  return Reply{response_action(request.action), {}, {}};
}

Reply Dispatcher::invoke(const Request& request, const Caller& caller) {
  Target t = resolve(request);
  std::string method_name = request.action.substr(request.resource_uri.size() + 1);
  const cim::Method* method = t.cls->find_method(method_name);
  if (!method)
    throw Fault(FaultKind::kActionNotSupported,
                "Class " + t.cls->name() + " has no method '" + method_name + "'.");
  std::optional<cim::ObjectPath> target;
  if (!method->is_static()) {
    target = path_from_selectors(repository_, t.ns, *t.cls, request.selectors);
  } else {
    for (const auto& s : request.selectors)
      if (!cim::iequals(s.name, "__cimnamespace"))
        throw Fault(FaultKind::kInvalidSelectors,
                    "Static method " + method->name + " takes no selectors.",
                    "UnexpectedSelectors", wsman_code::kUnexpectedSelectors);
  }
  std::string class_uri = class_resource_uri(t.cls->name());
  auto input = request.payload;
  if (!input || !cim::iequals(xml::local_name(input), method->name + "_INPUT") ||
      xml::namespace_of(input) != class_uri)
    throw Fault(FaultKind::kInvalidParameter,
                "The body must be {" + class_uri + "}" + method->name + "_INPUT.",
                "MissingValues");
  std::map<std::string, std::vector<pugi::xml_node>, cim::ILess> groups;
  for (auto c = input.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) groups[std::string(xml::local_name(c))].push_back(c);
  std::vector<cim::PropertyValue> in;
  for (const auto& group : groups) {
    const std::string& name = group.first;
    const std::vector<pugi::xml_node>& elements = group.second;
    const cim::Parameter* p = method->find_parameter(name);
    if (!p || !p->is_in())
      throw Fault(FaultKind::kInvalidParameter,
                  "Method " + method->name + " has no input parameter '" + name + "'.",
                  "InvalidValue");
    cim::Value value = [&] {
      try {
        return parse_value(repository_, t.ns, p->type, p->is_array, p->embedded_class(), elements,
                           method->name + "." + p->name);
      } catch (const Fault& f) {
        throw Fault(FaultKind::kInvalidParameter, f.reason(), "InvalidValue");
      }
    }();
    cim::Property as_property;
    as_property.name = p->name;
    as_property.type = p->type;
    as_property.is_array = p->is_array;
    as_property.array_size = p->array_size;
    as_property.reference_class = p->reference_class;
    as_property.qualifiers = p->qualifiers;
    try {
      repository_.validate_value(t.ns, *t.cls, as_property, value);
    } catch (const cim::Error& e) {
      rethrow_validation(e, true);
    }
    in.push_back({p->name, std::move(value)});
  }
  for (const auto& p : method->parameters)
    if (p.is_in() && p.qualifiers.flag("Required") && !groups.count(p.name))
      throw Fault(FaultKind::kInvalidParameter,
                  "Method " + method->name + " needs parameter '" + p.name + "'.",
                  "MissingValues");
  auto* provider = provider_for(t.ns, *t.cls);
  if (!provider)
    throw cim::Error(cim::Status::kMethodNotAvailable,
                     "no provider serves class " + t.cls->name());
  provider::MethodResult result =
      provider->invoke(context(request, caller, t.ns), *t.cls, *method, target, in);
  Reply reply{response_action(request.action), {}, {}};
  std::string& out = reply.body;
  out += "<p:" + method->name + "_OUTPUT xmlns:p=\"";
  xml::append_attribute_escaped(out, class_uri);
  out += "\" xmlns:cim=\"";
  out += uri::kCimCommon;
  out += "\">";
  for (const auto& pv : result.out) {
    const cim::Parameter* p = method->find_parameter(pv.name);
    if (!p || !p->is_out())
      throw cim::Error(cim::Status::kFailed, "provider returned unknown OUT parameter " + pv.name);
    append_value(out, repository_, t.ns, "p:" + p->name, pv.value);
  }
  append_value(out, repository_, t.ns, "p:ReturnValue", result.return_value);
  out += "</p:" + method->name + "_OUTPUT>";
  return reply;
}

}  // namespace cimnet::wsman

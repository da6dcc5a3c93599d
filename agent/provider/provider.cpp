#include "agent/provider/provider.h"

namespace cimnet::provider {

namespace {
[[noreturn]] void unsupported(const cim::Class& cls, const char* what) {
  throw cim::Error(cim::Status::kNotSupported,
                   std::string(what) + " is not supported for class " + cls.name());
}
}  // namespace

cim::Instance Provider::get(const CallContext& ctx, const cim::Class& cls,
                            const cim::ObjectPath& path) {
  auto stream = enumerate(ctx, cls);
  while (auto instance = stream->next())
    if (matches_path(*instance, path)) return std::move(*instance);
  throw cim::Error(cim::Status::kNotFound, "no instance " + path.to_string());
}

cim::ObjectPath Provider::create(const CallContext&, const cim::Class& cls,
                                 const cim::Instance&) {
  unsupported(cls, "Create");
}

cim::Instance Provider::modify(const CallContext&, const cim::Class& cls, const cim::ObjectPath&,
                               const cim::Instance&, const std::vector<std::string>&) {
  unsupported(cls, "Modify");
}

void Provider::remove(const CallContext&, const cim::Class& cls, const cim::ObjectPath&) {
  unsupported(cls, "Delete");
}

MethodResult Provider::invoke(const CallContext&, const cim::Class& cls,
                              const cim::Method& method, const std::optional<cim::ObjectPath>&,
                              const std::vector<cim::PropertyValue>&) {
  throw cim::Error(cim::Status::kMethodNotAvailable,
                   "method " + method.name + " of class " + cls.name() + " is not implemented");
}

void ProviderRegistry::add(std::string_view ns, std::string_view class_name,
                           std::shared_ptr<Provider> provider) {
  if (find(ns, class_name))
    throw cim::Error(cim::Status::kAlreadyExists,
                     "a provider for " + std::string(class_name) + " in " + std::string(ns) +
                         " is already registered");
  entries_.push_back({cim::canonical_namespace(ns), std::string(class_name), std::move(provider)});
}

Provider* ProviderRegistry::find(std::string_view ns, std::string_view class_name) const {
  std::string canonical = cim::canonical_namespace(ns);
  for (const auto& e : entries_)
    if (cim::iequals(e.class_name, class_name) && cim::iequals(e.ns, canonical))
      return e.provider.get();
  return nullptr;
}

std::vector<std::string> ProviderRegistry::classes(std::string_view ns) const {
  std::string canonical = cim::canonical_namespace(ns);
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (cim::iequals(e.ns, canonical)) out.push_back(e.class_name);
  return out;
}

bool matches_path(const cim::Instance& instance, const cim::ObjectPath& path) {
  for (const auto& key : path.keys()) {
    const cim::Value* value = instance.get(key.name);
    if (!value || value->is_null()) return false;
    try {
      cim::Value wanted = key.value.type() == value->type() ? key.value
                                                            : key.value.convert_to(value->type());
      if (wanted != *value) return false;
    } catch (const cim::Error&) {
      return false;
    }
  }
  return true;
}

}  // namespace cimnet::provider

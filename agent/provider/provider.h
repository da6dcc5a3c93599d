#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cimnet/cim/class.h"
#include "cimnet/cim/error.h"
#include "cimnet/cim/instance.h"
#include "cimnet/cim/names.h"
#include "cimnet/cim/value.h"

// The provider API: how a CIM class gets its behaviour. A provider
// implements Provider for one or more classes and is registered in a
// ProviderRegistry by namespace and class name. The WS-Man dispatcher (and
// every other front end) reaches providers only through this interface, and
// checks every incoming instance and method argument against the class
// repository before a provider sees it.
namespace cimnet::provider {

// Who is calling and in which CIM namespace.
struct CallContext {
  std::string ns;  // canonical, "root/cimv2"
  std::string user;
  bool admin = false;
  // Providers that may block should give up (Error kFailed) after this.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// A lazy, forward-only sequence of instances: enumerations pull from it as
// the client pulls, so a provider never has to hold all its instances.
class InstanceStream {
 public:
  virtual ~InstanceStream() = default;
  // The next instance, or nullopt at the end. May throw cim::Error.
  virtual std::optional<cim::Instance> next() = 0;
  // How many instances remain in total, when known cheaply.
  virtual std::optional<uint64_t> estimate() const { return std::nullopt; }
};

// A stream over instances already in memory (for small classes).
class VectorStream : public InstanceStream {
 public:
  explicit VectorStream(std::vector<cim::Instance> items) : items_(std::move(items)) {}
  std::optional<cim::Instance> next() override {
    if (pos_ >= items_.size()) return std::nullopt;
    return std::move(items_[pos_++]);
  }
  std::optional<uint64_t> estimate() const override { return items_.size() - pos_; }

 private:
  std::vector<cim::Instance> items_;
  size_t pos_ = 0;
};

// The result of an extrinsic method: its return value and OUT parameters.
struct MethodResult {
  cim::Value return_value;
  std::vector<cim::PropertyValue> out;
};

// The behaviour of one or more CIM classes. `cls` is always the resolved
// class from the repository that the request named (the registered class or
// one of its subclasses). Every operation reports failure with cim::Error;
// the defaults refuse with kNotSupported. The agent calls providers from
// several worker threads at once, so a provider guards its own state; a
// stream returned by enumerate() is used by one thread at a time but may move
// between threads from one Pull to the next.
class Provider {
 public:
  virtual ~Provider() = default;

  // All instances of `cls` (subclass instances included when the provider
  // serves subclasses).
  virtual std::unique_ptr<InstanceStream> enumerate(const CallContext& ctx,
                                                    const cim::Class& cls) = 0;

  // The instance named by `path` (its keys are complete and typed per the
  // class). The default scans enumerate(); throws Error(kNotFound).
  virtual cim::Instance get(const CallContext& ctx, const cim::Class& cls,
                            const cim::ObjectPath& path);

  // Creates an instance. `instance` has been type-checked against the class;
  // keys the client may leave out (InstanceID and the like) are the
  // provider's to fill, after which it must be complete. Returns its path.
  virtual cim::ObjectPath create(const CallContext& ctx, const cim::Class& cls,
                                 const cim::Instance& instance);

  // Changes the properties named in `properties` (all present in `changes`,
  // type-checked) of the instance at `path`; returns the updated instance.
  virtual cim::Instance modify(const CallContext& ctx, const cim::Class& cls,
                               const cim::ObjectPath& path, const cim::Instance& changes,
                               const std::vector<std::string>& properties);

  virtual void remove(const CallContext& ctx, const cim::Class& cls, const cim::ObjectPath& path);

  // Runs an extrinsic method; `target` is empty for static methods. IN
  // parameters have been checked against the method's declaration.
  virtual MethodResult invoke(const CallContext& ctx, const cim::Class& cls,
                              const cim::Method& method,
                              const std::optional<cim::ObjectPath>& target,
                              const std::vector<cim::PropertyValue>& in);
};

// Providers by CIM namespace and class name (names without case).
class ProviderRegistry {
 public:
  // Registers `provider` for `class_name` in `ns`; Error(kAlreadyExists)
  // when that class already has one.
  void add(std::string_view ns, std::string_view class_name, std::shared_ptr<Provider> provider);
  // The provider registered for exactly this class, or nullptr.
  Provider* find(std::string_view ns, std::string_view class_name) const;
  // The classes with a provider in `ns`, in registration order.
  std::vector<std::string> classes(std::string_view ns) const;

 private:
  struct Entry {
    std::string ns;
    std::string class_name;
    std::shared_ptr<Provider> provider;
  };
  std::vector<Entry> entries_;
};

// True when `instance` has these key values (names without case, values
// compared after converting the path's value to the instance's type).
bool matches_path(const cim::Instance& instance, const cim::ObjectPath& path);

}  // namespace cimnet::provider

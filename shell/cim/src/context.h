#pragma once
// Internal to shell/cim: sessions, the instance <-> shell object mapping and helpers the
// cmdlets share.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cimnet/shell/cim/cim_cmdlets.h"
#include "cimnet/shell/client/wsman_client.h"
#include "cimnet/shell/command.h"

namespace cimnet::shell::cim {

inline constexpr const char* kCimInstanceType = "Microsoft.Management.Infrastructure.CimInstance";
inline constexpr const char* kCimSessionType = "Microsoft.Management.Infrastructure.CimSession";
inline constexpr const char* kCimClassType = "Microsoft.Management.Infrastructure.CimClass";
inline constexpr const char* kDefaultNamespace = "root/cimv2";

// One CIM session: a WS-Man client plus a cache of class declarations.
class CimSession : public ObjectOrigin, public std::enable_shared_from_this<CimSession> {
 public:
  CimSession(uint32_t id, std::string name, std::string computer, bool explicit_computer,
             client::ClientOptions options);
  std::string describe() const override { return computer_; }

  uint32_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& computer() const { return computer_; }
  // Whether instances carry PSComputerName (sessions made for a named computer).
  bool explicit_computer() const { return explicit_computer_; }
  std::string instance_id() const { return instance_id_; }
  client::WsmanClient& client() { return *client_; }
  // The class declaration (cached); nullptr when the service does not serve classes.
  std::shared_ptr<const client::ClassDecl> find_class(const std::string& ns, const std::string& cls);
  // Superclass chain of `cls` (itself first).
  std::vector<std::string> lineage(const std::string& ns, const std::string& cls);
  // Class names of a namespace (cached).
  const std::vector<std::string>& class_names(const std::string& ns);
  // Switch discovery result (NetworkSwitchManager): the implementation namespace.
  std::string switch_namespace;
  // The shell object that stands for this session.
  Value object();

 private:
  uint32_t id_;
  std::string name_, computer_;
  bool explicit_computer_;
  std::string instance_id_;
  std::unique_ptr<client::WsmanClient> client_;
  std::map<std::string, std::shared_ptr<const client::ClassDecl>> classes_;  // key: ns:lowercase class
  std::map<std::string, std::vector<std::string>> class_names_;
};

// Where a CIM instance object came from: its session, namespace, path and class.
class CimInstanceOrigin : public ObjectOrigin {
 public:
  std::string describe() const override { return session ? session->computer() : ""; }
  std::shared_ptr<CimSession> session;  // null for client-only instances
  std::string ns;
  std::string class_name;
  std::optional<client::Epr> epr;
  std::shared_ptr<const client::ClassDecl> cls;
  // Property values as read (to send only what a script changed).
  std::vector<Property> original;
};

class CimContext {
 public:
  explicit CimContext(Interpreter& in) : in_(in) {}
  Interpreter& interpreter() { return in_; }
  // Opens a session (Identify first unless `skip_test`); throws client errors.
  std::shared_ptr<CimSession> open(const std::string& computer, bool explicit_computer, client::ClientOptions options,
                                   std::string name, bool skip_test);
  std::vector<std::shared_ptr<CimSession>>& sessions() { return sessions_; }
  void remove(const std::shared_ptr<CimSession>& s);
  // The local agent (CIMNET_URL, credentials from the state directory); created on first use.
  std::shared_ptr<CimSession> local();
  // The sessions a cmdlet should use: -CimSession values, else -ComputerName, else the
  // input object's session, else the local agent.
  std::vector<std::shared_ptr<CimSession>> targets(CommandRuntime& rt, const Value* input_object = nullptr);
  // A session from a CimSession object; nullptr otherwise.
  static std::shared_ptr<CimSession> session_of(const Value& v);

 private:
  Interpreter& in_;
  std::vector<std::shared_ptr<CimSession>> sessions_;
  std::shared_ptr<CimSession> local_;
  uint32_t next_id_ = 1;
};

// The origin of a CIM instance object, or nullptr.
std::shared_ptr<CimInstanceOrigin> instance_origin(const Value& v);

// Wire instance -> shell object typed by the class declaration.
Value to_shell(const client::Instance& inst, const std::shared_ptr<CimSession>& session, const std::string& ns);
// A shell value for one property given its declaration (nullptr: untyped).
Value wire_to_value(const client::WireProperty& p, const client::PropertyDecl* decl,
                    const std::shared_ptr<CimSession>& session, const std::string& ns);
// Shell value -> wire property of `name` typed by `type`/`is_array` (type "" = guess).
client::WireProperty value_to_wire(const std::string& name, const Value& v, const std::string& type, bool is_array,
                                   const std::string& embedded_class);
// An instance object as a wire instance (only `names` when not empty).
client::Instance object_to_wire(const Object& o, const CimInstanceOrigin* origin, const std::vector<std::string>& names);
// The EPR of an instance object (from its origin, else from its key properties); throws
// RuntimeError when the object is not a CIM instance with a path.
client::Epr epr_of(CommandRuntime& rt, const Value& v);

// "Class (Key = "value", ...)" as CimInstance.ToString() shows an instance.
std::string instance_label(const Value& v);

// Reports a client exception as an error record for the running command (non-terminating
// unless `terminating`).
void report(CommandRuntime& rt, const std::exception& e, const Value& target, bool terminating = false);
ErrorRecord to_record(const std::exception& e, const Value& target);

// Enumerates with Ctrl-C checks and a progress line on a terminal; calls `each` per
// instance, which returns false to stop early.
void enumerate_each(CommandRuntime& rt, const std::shared_ptr<CimSession>& session, client::EnumerateRequest request,
                    const std::function<bool(const client::Instance&)>& each, const std::string& activity);
// Enumerates a class fully into shell objects.
std::vector<Value> enumerate_objects(CommandRuntime& rt, const std::shared_ptr<CimSession>& session,
                                     const std::string& ns, const std::string& class_name);
// Associated instances of `object` (a CIM instance object) as shell objects.
std::vector<Value> associators(CommandRuntime& rt, const std::shared_ptr<CimSession>& session, const Value& object,
                               const std::string& result_class, const std::string& association = "");

// Invokes `method` on `target` (an instance path, or a class path for static methods);
// arguments typed from the method declaration; returns a CimMethodResult object.
Value invoke_method(CommandRuntime& rt, const std::shared_ptr<CimSession>& session, const std::string& ns,
                    const std::string& class_name, const client::Epr& target, const std::string& method,
                    const Value& arguments);

// Registers the NetworkSwitchManager cmdlets (switch_cmdlets.cpp).
void register_switch_cmdlets(Interpreter& in, const std::shared_ptr<CimContext>& ctx);
// Registers the NetWNV cmdlets and the virtual subnet / VM adapter ones (netwnv_cmdlets.cpp).
void register_netwnv_cmdlets(Interpreter& in, const std::shared_ptr<CimContext>& ctx);

// Makes a CommandDef factory that passes the context to the cmdlet's constructor.
template <class T>
void bind_factory(CommandDef& d, const std::shared_ptr<CimContext>& ctx) {
  d.factory = [ctx] { return std::make_unique<T>(ctx); };
}

}  // namespace cimnet::shell::cim

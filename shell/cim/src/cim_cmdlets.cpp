// The CimCmdlets: sessions, instances, associations, methods and classes, plus the
// credential helpers scripts use to open sessions (PSCredential, SecureString).

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "context.h"
#include "cimnet/shell/interpreter.h"

namespace cimnet::shell::cim {

namespace {

constexpr const char* kCredentialType = "System.Management.Automation.PSCredential";
constexpr const char* kSecureStringType = "System.Security.SecureString";
constexpr const char* kSessionOptionType = "Microsoft.Management.Infrastructure.Options.WSManSessionOptions";
constexpr const char* kMethodResultType = "Microsoft.Management.Infrastructure.CimMethodResult";

// The secret behind a SecureString object (never a property, so never displayed).
class Secret : public ObjectOrigin {
 public:
  explicit Secret(std::string text) : text(std::move(text)) {}
  std::string describe() const override { return kSecureStringType; }
  std::string text;
};

Value make_secure_string(std::string text) {
  auto o = make_object({{"Length", Value(static_cast<int64_t>(text.size()))}}, kSecureStringType);
  o->display = kSecureStringType;
  o->origin = std::make_shared<Secret>(std::move(text));
  return Value(o);
}

Value make_credential(const std::string& user, Value secure) {
  auto o = make_object({{"UserName", Value(user)}, {"Password", std::move(secure)}}, kCredentialType);
  return Value(o);
}

// user and password of a PSCredential; false when `v` is none.
bool credential_parts(const Value& v, std::string& user, std::string& password) {
  if (!v.is_object() || !v.as_object()->is_a(kCredentialType)) return false;
  const Value* u = v.as_object()->get("UserName");
  const Value* p = v.as_object()->get("Password");
  user = u ? to_string(*u) : "";
  auto secret = p && p->is_object() ? std::dynamic_pointer_cast<Secret>(p->as_object()->origin) : nullptr;
  password = secret ? secret->text : (p ? to_string(*p) : "");
  return true;
}

std::string namespace_param(CommandRuntime& rt) {
  std::string ns = rt.has("Namespace") ? rt.get_string("Namespace") : kDefaultNamespace;
  std::replace(ns.begin(), ns.end(), '\\', '/');
  return ns;
}

// ---------------------------------------------------------------- credential helpers

class ConvertToSecureString : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Value s = rt.expecting_input() ? rt.input() : rt.get("String");
    if (!rt.get_switch("AsPlainText"))
      rt.throw_terminating(make_error("ConvertTo-SecureString in cimsh converts plain text only: use -AsPlainText -Force "
                                      "(encrypted standard strings are not supported).",
                                      "NotSupported", ErrorCategory::NotImplemented, s));
    if (!rt.get_switch("Force"))
      rt.throw_terminating(make_error("The system cannot protect plain text input. To suppress this warning and convert "
                                      "the plain text to a SecureString, reissue the command specifying the Force parameter.",
                                      "ImportSecureString_InvalidArgument", ErrorCategory::InvalidArgument, s));
    rt.write_object(make_secure_string(to_string(s)));
  }
};

std::string read_secret(Interpreter& in, const std::string& prompt) {
  bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  } else {
    tty = false;
  }
  auto line = in.host().read_line(prompt);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    in.host().out("\n");
  }
  return line ? *line : "";
}

class GetCredential : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    Interpreter& in = rt.interpreter();
    std::string user = rt.get_string("UserName");
    if (rt.has("Credential")) user = rt.get_string("Credential");
    if (rt.has("Message")) in.host().out(rt.get_string("Message") + "\n");
    if (user.empty()) {
      auto line = in.host().read_line("User: ");
      if (!line) rt.throw_terminating(make_error("No user name was entered.", "NoUserName", ErrorCategory::InvalidArgument));
      user = *line;
    }
    std::string password = read_secret(in, "Password for user " + user + ": ");
    rt.write_object(make_credential(user, make_secure_string(password)));
  }
};

class NewObject : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    std::string type = rt.get_string("TypeName");
    std::string l = to_lower(type);
    auto args = rt.get_array("ArgumentList");
    if (l == "pscredential" || l == "system.management.automation.pscredential") {
      if (args.size() != 2)
        rt.throw_terminating(make_error("A constructor was not found. Cannot find an appropriate constructor for type " +
                                            type + ": it takes a user name and a SecureString.",
                                        "CannotFindAppropriateCtor", ErrorCategory::ObjectNotFound));
      Value pw = args[1];
      if (!pw.is_object() || !pw.as_object()->is_a(kSecureStringType))
        rt.throw_terminating(make_error("Cannot convert argument \"password\" to type \"System.Security.SecureString\"; "
                                        "use ConvertTo-SecureString -AsPlainText -Force.",
                                        "MethodArgumentConversionInvalidCastArgument", ErrorCategory::InvalidArgument, pw));
      rt.write_object(make_credential(to_string(args[0]), pw));
      return;
    }
    if (l == "psobject" || l == "pscustomobject" || l == "system.management.automation.psobject") {
      auto o = make_object({});
      if (rt.has("Property")) {
        Value h = rt.get("Property");
        if (h.is_hashtable())
          for (const auto& [k, v] : h.as_hashtable()->entries()) o->set(k, v);
      }
      rt.write_object(Value(o));
      return;
    }
    rt.throw_terminating(make_error("Cannot find type [" + type + "]: cimsh's New-Object creates PSCredential and "
                                    "PSObject only.",
                                    "TypeNotFound", ErrorCategory::InvalidType, Value(type)));
  }
};

// The language's New-Object extended with PSCredential: PSCredential here, anything else
// goes to the wrapped cmdlet.
class NewObjectWithCredential : public Cmdlet {
 public:
  explicit NewObjectWithCredential(std::unique_ptr<Cmdlet> inner) : inner_(std::move(inner)) {}
  void begin(CommandRuntime& rt) override { inner_->begin(rt); }
  void process(CommandRuntime& rt) override {
    std::string l = to_lower(rt.get_string("TypeName"));
    if (l == "pscredential" || l == "system.management.automation.pscredential") {
      NewObject credential;
      credential.process(rt);
      return;
    }
    inner_->process(rt);
  }
  void end(CommandRuntime& rt) override { inner_->end(rt); }

 private:
  std::unique_ptr<Cmdlet> inner_;
};

// ---------------------------------------------------------------- sessions

class NewCimSessionOption : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    if (rt.has("Protocol") && !iequals(rt.get_string("Protocol"), "Wsman"))
      rt.throw_terminating(make_error("cimsh speaks WS-Management only; the DCOM protocol is not available.",
                                      "NotSupported", ErrorCategory::NotImplemented, rt.get("Protocol")));
    auto o = make_object({{"UseSsl", Value(rt.get_switch("UseSsl"))},
                          {"SkipCACheck", Value(rt.get_switch("SkipCACheck"))},
                          {"SkipCNCheck", Value(rt.get_switch("SkipCNCheck"))},
                          {"SkipRevocationCheck", Value(rt.get_switch("SkipRevocationCheck"))},
                          {"Timeout", rt.has("OperationTimeoutSec") ? rt.get("OperationTimeoutSec") : Value()}},
                         kSessionOptionType);
    rt.write_object(Value(o));
  }
};

class NewCimSession : public Cmdlet {
 public:
  explicit NewCimSession(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    std::vector<Value> computers = rt.get_array("ComputerName");
    if (computers.empty()) computers.push_back(Value("localhost"));
    std::string auth = rt.has("Authentication") ? rt.get_string("Authentication") : "Default";
    if (!iequals(auth, "Default") && !iequals(auth, "Basic"))
      rt.throw_terminating(make_error("The authentication mechanism " + auth +
                                          " is not available in cimsh; use -Authentication Basic (over -UseSsl on untrusted networks).",
                                      "NotSupported", ErrorCategory::NotImplemented, rt.get("Authentication")));
    bool ssl = false, skip_ca = false, skip_cn = false;
    if (rt.has("SessionOption")) {
      Value opt = rt.get("SessionOption");
      if (!opt.is_object() || !opt.as_object()->is_a(kSessionOptionType))
        rt.throw_terminating(make_error("-SessionOption takes the object New-CimSessionOption returns.",
                                        "CannotConvertArgument", ErrorCategory::InvalidArgument, opt));
      auto flag = [&](const char* n) {
        const Value* v = opt.as_object()->get(n);
        return v && to_bool(*v);
      };
      ssl = flag("UseSsl");
      skip_ca = flag("SkipCACheck");
      skip_cn = flag("SkipCNCheck");
    }
    std::string user, password;
    bool have_credential = false;
    if (rt.has("Credential")) {
      Value c = rt.get("Credential");
      if (c.is_string()) {
        user = c.as_string_raw();
        password = read_secret(rt.interpreter(), "Password for user " + user + ": ");
        have_credential = true;
      } else if (!credential_parts(c, user, password)) {
        rt.throw_terminating(make_error("-Credential takes a PSCredential (New-Object PSCredential or Get-Credential).",
                                        "CannotConvertArgument", ErrorCategory::InvalidArgument, c));
      } else {
        have_credential = true;
      }
    }
    for (const auto& cv : computers) {
      std::string computer = to_string(cv);
      client::ClientOptions o;
      o.target.host = computer == "localhost" || computer == "." ? "127.0.0.1" : computer;
      o.target.tls = ssl;
      o.target.skip_ca_check = skip_ca;
      o.target.skip_cn_check = skip_cn;
      o.target.port = static_cast<uint16_t>(rt.has("Port") ? rt.get_int("Port") : (ssl ? 5986 : 5985));
      if (rt.has("OperationTimeoutSec")) o.operation_timeout = std::chrono::seconds(rt.get_int("OperationTimeoutSec"));
      if (have_credential) {
        o.user = user;
        o.password = password;
      } else if (o.target.host == "127.0.0.1" || o.target.host == "::1") {
        // The local agent's admin credentials, when readable.
        const auto& local = ctx_->local()->client().options();
        o.user = local.user;
        o.password = local.password;
      }
      try {
        auto s = ctx_->open(computer, true, o, rt.get_string("Name"), rt.get_switch("SkipTestConnection"));
        rt.write_object(s->object());
      } catch (const std::exception& e) {
        report(rt, e, cv);
      }
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

class GetCimSession : public Cmdlet {
 public:
  explicit GetCimSession(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    for (const auto& s : ctx_->sessions()) {
      if (rt.has("Id")) {
        bool hit = false;
        for (auto& v : rt.get_array("Id")) hit = hit || to_int(v) == static_cast<int64_t>(s->id());
        if (!hit) continue;
      }
      if (rt.has("Name")) {
        bool hit = false;
        for (auto& v : rt.get_array("Name")) hit = hit || wildcard_match(to_string(v), s->name());
        if (!hit) continue;
      }
      if (rt.has("ComputerName")) {
        bool hit = false;
        for (auto& v : rt.get_array("ComputerName")) hit = hit || wildcard_match(to_string(v), s->computer());
        if (!hit) continue;
      }
      if (rt.has("InstanceId")) {
        bool hit = false;
        for (auto& v : rt.get_array("InstanceId")) hit = hit || iequals(to_string(v), s->instance_id());
        if (!hit) continue;
      }
      rt.write_object(s->object());
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

class RemoveCimSession : public Cmdlet {
 public:
  explicit RemoveCimSession(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    std::vector<std::shared_ptr<CimSession>> victims;
    if (rt.parameter_set() == "CimSessionSet") {
      std::vector<Value> items = rt.expecting_input() && !rt.has("CimSession") ? std::vector<Value>{rt.input()}
                                                                               : rt.get_array("CimSession");
      for (const auto& v : items) {
        auto s = CimContext::session_of(v);
        if (!s) {
          rt.write_error(make_error("The input object is not a CimSession.", "NotACimSession", ErrorCategory::InvalidArgument, v));
          continue;
        }
        victims.push_back(s);
      }
    } else {
      for (const auto& s : ctx_->sessions()) {
        bool hit = false;
        for (auto& v : rt.get_array("Id")) hit = hit || to_int(v) == static_cast<int64_t>(s->id());
        for (auto& v : rt.get_array("Name")) hit = hit || wildcard_match(to_string(v), s->name());
        for (auto& v : rt.get_array("ComputerName")) hit = hit || wildcard_match(to_string(v), s->computer());
        for (auto& v : rt.get_array("InstanceId")) hit = hit || iequals(to_string(v), s->instance_id());
        if (hit) victims.push_back(s);
      }
      if (victims.empty())
        rt.write_error(make_error("No CIM session matches the given criteria.", "CimSessionNotFound",
                                  ErrorCategory::ObjectNotFound));
    }
    for (const auto& s : victims)
      if (rt.should_process(s->name() + " (" + s->computer() + ")", "Remove-CimSession")) ctx_->remove(s);
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

// ---------------------------------------------------------------- instances

// Nulls every property not named (keys stay), as Get-CimInstance -Property shows it.
void keep_properties(Value& v, const std::vector<Value>& names) {
  auto origin = instance_origin(v);
  for (auto& p : v.as_object()->properties) {
    if (iequals(p.name, "PSComputerName")) continue;
    bool keep = false;
    for (const auto& n : names) keep = keep || wildcard_match(to_string(n), p.name);
    if (!keep && origin && origin->cls)
      if (const auto* d = origin->cls->find_property(p.name)) keep = d->is_key;
    if (!keep) p.value = Value();
  }
}

class GetCimInstance : public Cmdlet {
 public:
  explicit GetCimInstance(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    const std::string& set = rt.parameter_set();
    if (set.rfind("CimInstance", 0) == 0) {
      Value in = rt.get("InputObject");
      for (const auto& item : enumerate(in)) {
        try {
          auto origin = instance_origin(item);
          auto sessions = ctx_->targets(rt, &item);
          client::Instance got = sessions.front()->client().get(epr_of(rt, item));
          rt.write_object(to_shell(got, sessions.front(), origin ? origin->ns : kDefaultNamespace));
        } catch (const RuntimeError&) {
          throw;
        } catch (const std::exception& e) {
          report(rt, e, item);
        }
      }
      return;
    }
    std::string ns = namespace_param(rt);
    client::EnumerateRequest req;
    req.ns = ns;
    req.shallow = rt.get_switch("Shallow");
    req.keys_only = rt.get_switch("KeyOnly");
    if (rt.has("QueryDialect")) {
      std::string d = rt.get_string("QueryDialect");
      if (iequals(d, "WQL")) req.query_dialect = "http://schemas.microsoft.com/wbem/wsman/1/WQL";
      else if (iequals(d, "CQL")) req.query_dialect = "http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf";
      else req.query_dialect = d;
    }
    std::string label;
    if (set.rfind("Query", 0) == 0) {
      req.wql = rt.get_string("Query");
      label = "Query";
    } else {
      req.class_name = rt.get_string("ClassName");
      label = req.class_name;
      if (rt.has("Filter")) req.wql = "SELECT * FROM " + req.class_name + " WHERE " + rt.get_string("Filter");
    }
    std::vector<Value> props = rt.get_array("Property");
    for (const auto& session : ctx_->targets(rt)) {
      try {
        enumerate_each(
            rt, session, req,
            [&](const client::Instance& i) {
              Value v = to_shell(i, session, ns);
              if (!props.empty()) keep_properties(v, props);
              rt.write_object(v);
              return true;
            },
            "Get-CimInstance " + label);
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, Value(label));
      }
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

class GetCimAssociatedInstance : public Cmdlet {
 public:
  explicit GetCimAssociatedInstance(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    Value item = rt.get("InputObject");
    if (item.is_array() && item.as_array()->size() == 1) item = item.as_array()->front();
    auto origin = instance_origin(item);
    if (!origin)
      rt.throw_terminating(make_error("The input object is not a CIM instance.", "NotACimInstance",
                                      ErrorCategory::InvalidArgument, item));
    client::EnumerateRequest req;
    req.ns = rt.has("Namespace") ? namespace_param(rt) : origin->ns;
    req.keys_only = rt.get_switch("KeyOnly");
    client::AssociationFilter f;
    f.object = epr_of(rt, item);
    f.association_class = rt.get_string("Association");
    f.result_class = rt.get_string("ResultClassName");
    f.role = rt.get_string("Role");
    f.result_role = rt.get_string("ResultRole");
    req.association = f;
    for (const auto& session : ctx_->targets(rt, &item)) {
      try {
        enumerate_each(
            rt, session, req,
            [&](const client::Instance& i) {
              std::string ins = i.epr ? i.epr->cim_namespace() : "";
              rt.write_object(to_shell(i, session, ins.empty() ? req.ns : ins));
              return true;
            },
            "Get-CimAssociatedInstance");
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, item);
      }
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

// Applies the changes of `obj` (or `props`) to the service; updates the object in place.
void put_changes(CommandRuntime& rt, CimContext& ctx, Value& obj, const Value& props, bool pass_thru) {
  auto origin = instance_origin(obj);
  if (!origin)
    rt.throw_terminating(make_error("The input object is not a CIM instance.", "NotACimInstance",
                                    ErrorCategory::InvalidArgument, obj));
  std::vector<std::string> changed;
  Object& o = *obj.as_object();
  if (props.is_hashtable()) {
    for (const auto& [k, v] : props.as_hashtable()->entries()) {
      const client::PropertyDecl* d = origin->cls ? origin->cls->find_property(k) : nullptr;
      if (origin->cls && !d)
        rt.throw_terminating(make_error("The class " + origin->class_name + " has no property '" + k + "'.",
                                        "NoSuchProperty", ErrorCategory::InvalidArgument, Value(k)));
      changed.push_back(d ? d->name : k);
    }
  } else {
    for (const auto& p : o.properties) {
      const Value* before = nullptr;
      for (const auto& q : origin->original)
        if (q.name == p.name) before = &q.value;
      bool same = before && (p.value.is_array() || before->is_array()
                                 ? to_string(p.value) == to_string(*before) && p.value.is_array() == before->is_array()
                                 : values_equal(p.value, *before, true) && p.value.is_null() == before->is_null());
      if (!same) changed.push_back(p.name);
    }
  }
  std::string target = instance_label(obj);
  if (!rt.should_process(target, "Set-CimInstance")) return;
  if (props.is_hashtable())
    for (const auto& [k, v] : props.as_hashtable()->entries()) {
      const client::PropertyDecl* d = origin->cls ? origin->cls->find_property(k) : nullptr;
      o.set(d ? d->name : k, v);
    }
  if (!changed.empty()) {
    auto sessions = ctx.targets(rt, &obj);
    auto session = sessions.front();
    client::Instance body = object_to_wire(o, origin.get(), changed);
    client::Instance got = session->client().put(epr_of(rt, obj), body);
    Value fresh = to_shell(got, session, origin->ns);
    // Keep the same object (scripts hold references to it): copy the answer in.
    for (const auto& p : fresh.as_object()->properties)
      if (got.find(p.name)) o.set(p.name, p.value);
    origin->original = o.properties;
  }
  if (pass_thru) rt.write_object(obj);
}

// The -Query parameter set of Set- and Remove-CimInstance: runs the query on
// every target session and calls `act` on each instance found, after that
// session's enumeration has ended so acting cannot disturb it.
void for_each_query_result(CommandRuntime& rt, CimContext& ctx, const char* cmdlet,
                           const std::function<void(Value&)>& act) {
  std::string ns = namespace_param(rt);
  for (const auto& session : ctx.targets(rt)) {
    client::EnumerateRequest req;
    req.ns = ns;
    req.wql = rt.get_string("Query");
    std::vector<Value> found;
    try {
      enumerate_each(
          rt, session, req,
          [&](const client::Instance& i) {
            found.push_back(to_shell(i, session, ns));
            return true;
          },
          cmdlet);
    } catch (const std::exception& e) {
      report(rt, e, rt.get("Query"));
      continue;
    }
    for (auto& v : found) act(v);
  }
}

class SetCimInstance : public Cmdlet {
 public:
  explicit SetCimInstance(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    Value props = rt.get("Property");
    if (rt.parameter_set().rfind("Query", 0) == 0) {
      for_each_query_result(rt, *ctx_, "Set-CimInstance", [&](Value& v) { apply(rt, v, props); });
      return;
    }
    std::vector<Value> items = rt.expecting_input() && !rt.has("InputObject") ? std::vector<Value>{rt.input()}
                                                                              : rt.get_array("InputObject");
    if (rt.expecting_input() && rt.has("InputObject")) items = enumerate(rt.get("InputObject"));
    for (auto& v : items) apply(rt, v, props);
  }

 private:
  void apply(CommandRuntime& rt, Value& v, const Value& props) {
    try {
      put_changes(rt, *ctx_, v, props, rt.get_switch("PassThru"));
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, v);
    }
  }
  std::shared_ptr<CimContext> ctx_;
};

class NewCimInstance : public Cmdlet {
 public:
  explicit NewCimInstance(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    std::string ns = namespace_param(rt);
    std::string cls = rt.get_string("ClassName");
    if (rt.has("CimClass")) {
      Value c = rt.get("CimClass");
      if (c.is_object())
        if (const Value* n = c.as_object()->get("CimClassName")) cls = to_string(*n);
    }
    Value props = rt.get("Property");
    if (rt.get_switch("ClientOnly")) {
      auto origin = std::make_shared<CimInstanceOrigin>();
      origin->ns = ns;
      origin->class_name = cls;
      auto o = std::make_shared<Object>();
      o->type_names = {std::string(kCimInstanceType) + "#" + ns + "/" + cls, std::string(kCimInstanceType) + "#" + cls,
                       kCimInstanceType};
      if (props.is_hashtable())
        for (const auto& [k, v] : props.as_hashtable()->entries()) o->set(k, v);
      o->origin = origin;
      rt.write_object(Value(o));
      return;
    }
    for (const auto& session : ctx_->targets(rt)) {
      try {
        auto decl = session->find_class(ns, cls);
        client::Instance inst;
        inst.class_name = decl ? decl->name : cls;
        if (props.is_hashtable())
          for (const auto& [k, v] : props.as_hashtable()->entries()) {
            const client::PropertyDecl* d = decl ? decl->find_property(k) : nullptr;
            if (decl && !d)
              rt.throw_terminating(make_error("The class " + inst.class_name + " has no property '" + k + "'.",
                                              "NoSuchProperty", ErrorCategory::InvalidArgument, Value(k)));
            inst.properties.push_back(value_to_wire(d ? d->name : k, v, d ? d->type : "", d ? d->is_array : v.is_array(),
                                                    d ? d->embedded_class : ""));
          }
        if (!rt.should_process(inst.class_name, "New-CimInstance")) continue;
        client::Epr epr = session->client().create(ns, inst);
        try {
          client::Instance got = session->client().get(epr);
          rt.write_object(to_shell(got, session, ns));
        } catch (const client::WsmanError&) {
          inst.epr = epr;
          rt.write_object(to_shell(inst, session, ns));
        }
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, Value(cls));
      }
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

class RemoveCimInstance : public Cmdlet {
 public:
  explicit RemoveCimInstance(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    if (rt.parameter_set().rfind("Query", 0) == 0) {
      for_each_query_result(rt, *ctx_, "Remove-CimInstance", [&](Value& v) { remove(rt, v); });
      return;
    }
    std::vector<Value> items = rt.expecting_input() && !rt.has("InputObject") ? std::vector<Value>{rt.input()}
                                                                              : rt.get_array("InputObject");
    for (auto& v : items) remove(rt, v);
  }

 private:
  void remove(CommandRuntime& rt, const Value& v) {
    try {
      auto origin = instance_origin(v);
      std::string target = instance_label(v);
      client::Epr epr = epr_of(rt, v);
      if (!rt.should_process(target, "Remove-CimInstance")) return;
      ctx_->targets(rt, &v).front()->client().remove(epr);
    } catch (const RuntimeError&) {
      throw;
    } catch (const std::exception& e) {
      report(rt, e, v);
    }
  }
  std::shared_ptr<CimContext> ctx_;
};

}  // namespace

// Invokes `method` on an instance object or a class; returns the CimMethodResult object.
Value invoke_method(CommandRuntime& rt, const std::shared_ptr<CimSession>& session, const std::string& ns,
                    const std::string& class_name, const client::Epr& target, const std::string& method,
                    const Value& arguments) {
  auto decl = session->find_class(ns, class_name);
  const client::MethodDecl* m = decl ? decl->find_method(method) : nullptr;
  if (decl && !m)
    rt.throw_terminating(make_error("The class " + decl->name + " has no method '" + method + "'.", "MethodNotFound",
                                    ErrorCategory::ObjectNotFound, Value(method)));
  client::Instance in;
  in.class_name = method + "_INPUT";
  if (arguments.is_hashtable()) {
    for (const auto& [k, v] : arguments.as_hashtable()->entries()) {
      const client::ParameterDecl* p = nullptr;
      if (m)
        for (const auto& q : m->parameters)
          if (iequals(q.name, k)) p = &q;
      if (m && (!p || !p->in))
        rt.throw_terminating(make_error("The method " + method + " has no input parameter '" + k + "'.",
                                        "InvalidParameter", ErrorCategory::InvalidArgument, Value(k)));
      in.properties.push_back(value_to_wire(p ? p->name : k, v, p ? p->type : "", p ? p->is_array : v.is_array(),
                                            p ? p->embedded_class : ""));
    }
  }
  client::Instance out = session->client().invoke(target, m ? m->name : method, in);
  auto o = make_object({}, kMethodResultType);
  const client::WireProperty* rv = out.find("ReturnValue");
  client::PropertyDecl rvd;
  rvd.name = "ReturnValue";
  rvd.type = m ? m->return_type : "uint32";
  o->set("ReturnValue", rv ? wire_to_value(*rv, &rvd, session, ns) : Value());
  for (const auto& p : out.properties) {
    if (iequals(p.name, "ReturnValue")) continue;
    client::PropertyDecl pd;
    pd.name = p.name;
    if (m)
      for (const auto& q : m->parameters)
        if (iequals(q.name, p.name)) {
          pd.type = q.type;
          pd.is_array = q.is_array;
          pd.name = q.name;
        }
    o->set(pd.name, wire_to_value(p, m ? &pd : nullptr, session, ns));
  }
  if (session->explicit_computer()) o->set("PSComputerName", Value(session->computer()));
  return Value(o);
}

namespace {

class InvokeCimMethod : public Cmdlet {
 public:
  explicit InvokeCimMethod(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    std::string method = rt.get_string("MethodName");
    Value args = rt.get("Arguments");
    const std::string& set = rt.parameter_set();
    std::vector<Value> targets;
    std::string class_name;
    std::string ns = namespace_param(rt);
    if (set.rfind("ClassName", 0) == 0 || set.rfind("CimClass", 0) == 0) {
      class_name = rt.get_string("ClassName");
      if (set.rfind("CimClass", 0) == 0) {
        Value c = rt.get("CimClass");
        if (c.is_object())
          if (const Value* n = c.as_object()->get("CimClassName")) class_name = to_string(*n);
      }
      for (const auto& session : ctx_->targets(rt)) {
        try {
          if (!rt.should_process(class_name, "Invoke-CimMethod: " + method)) continue;
          rt.write_object(invoke_method(rt, session, ns, class_name, client::WsmanClient::class_epr(ns, class_name), method, args));
        } catch (const RuntimeError&) {
          throw;
        } catch (const std::exception& e) {
          report(rt, e, Value(class_name));
        }
      }
      return;
    }
    std::vector<Value> items;
    if (set.rfind("Query", 0) == 0) {
      for (const auto& session : ctx_->targets(rt)) {
        client::EnumerateRequest req;
        req.ns = ns;
        req.wql = rt.get_string("Query");
        try {
          enumerate_each(
              rt, session, req,
              [&](const client::Instance& i) {
                items.push_back(to_shell(i, session, ns));
                return true;
              },
              "Invoke-CimMethod");
        } catch (const std::exception& e) {
          report(rt, e, rt.get("Query"));
        }
      }
    } else {
      items = enumerate(rt.get("InputObject"));
    }
    for (const auto& item : items) {
      try {
        auto origin = instance_origin(item);
        if (!origin)
          rt.throw_terminating(make_error("The input object is not a CIM instance.", "NotACimInstance",
                                          ErrorCategory::InvalidArgument, item));
        client::Epr epr = epr_of(rt, item);
        std::string target = instance_label(item);
        if (!rt.should_process(target, "Invoke-CimMethod: " + method)) continue;
        auto session = ctx_->targets(rt, &item).front();
        rt.write_object(invoke_method(rt, session, origin->ns, origin->class_name, epr, method, args));
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, item);
      }
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

Value class_object(const client::ClassDecl& d, const std::string& server) {
  Array props, methods, quals;
  for (const auto& p : d.properties) {
    std::string t = p.type;
    if (!t.empty()) t[0] = static_cast<char>(std::toupper(t[0]));
    auto po = make_object({{"Name", Value(p.name)},
                           {"CimType", Value(t + (p.is_array ? "Array" : ""))},
                           {"Flags", Value(std::string("Property") + (p.is_key ? ", Key" : "") + (p.is_write ? "" : ", ReadOnly"))},
                           {"ReferenceClassName", p.reference_class.empty() ? Value() : Value(p.reference_class)}},
                          "Microsoft.Management.Infrastructure.CimPropertyDeclaration");
    po->display = p.name;
    props.push_back(Value(po));
  }
  for (const auto& m : d.methods) {
    Array params;
    for (const auto& p : m.parameters) {
      auto pp = make_object({{"Name", Value(p.name)}, {"CimType", Value(p.type + (p.is_array ? "[]" : ""))},
                             {"In", Value(p.in)}, {"Out", Value(p.out)}},
                            "Microsoft.Management.Infrastructure.CimMethodParameterDeclaration");
      pp->display = p.name;
      params.push_back(Value(pp));
    }
    auto mo = make_object({{"Name", Value(m.name)}, {"ReturnType", Value(m.return_type)},
                           {"Parameters", Value::array(std::move(params))}},
                          "Microsoft.Management.Infrastructure.CimMethodDeclaration");
    mo->display = m.name;
    methods.push_back(Value(mo));
  }
  for (const auto& [n, v] : d.qualifiers) {
    auto q = make_object({{"Name", Value(n)}, {"Value", Value(v)}}, "Microsoft.Management.Infrastructure.CimQualifier");
    q->display = n;
    quals.push_back(Value(q));
  }
  auto sys = make_object({{"Namespace", Value(d.ns)}, {"ServerName", Value(server)}, {"ClassName", Value(d.name)}},
                         "Microsoft.Management.Infrastructure.CimSystemProperties");
  auto o = make_object({{"CimSuperClassName", d.superclass.empty() ? Value() : Value(d.superclass)},
                        {"CimClassName", Value(d.name)},
                        {"CimClassMethods", Value::array(std::move(methods))},
                        {"CimClassProperties", Value::array(std::move(props))},
                        {"CimClassQualifiers", Value::array(std::move(quals))},
                        {"CimSystemProperties", Value(sys)}},
                       kCimClassType);
  return Value(o);
}

class GetCimClass : public Cmdlet {
 public:
  explicit GetCimClass(std::shared_ptr<CimContext> ctx) : ctx_(std::move(ctx)) {}
  void process(CommandRuntime& rt) override {
    std::string ns = namespace_param(rt);
    std::string pattern = rt.has("ClassName") ? rt.get_string("ClassName") : "*";
    for (const auto& session : ctx_->targets(rt)) {
      try {
        std::vector<std::string> names;
        if (has_wildcard(pattern)) {
          for (const auto& n : session->class_names(ns))
            if (wildcard_match(pattern, n)) names.push_back(n);
        } else {
          names.push_back(pattern);
        }
        bool any = false;
        for (const auto& n : names) {
          rt.interpreter().check_stop();
          auto d = has_wildcard(pattern) ? session->find_class(ns, n)
                                         : std::make_shared<const client::ClassDecl>(session->client().get_class(ns, n));
          if (!d) continue;
          if (rt.has("MethodName")) {
            bool hit = false;
            for (const auto& m : d->methods) hit = hit || wildcard_match(rt.get_string("MethodName"), m.name);
            if (!hit) continue;
          }
          if (rt.has("PropertyName")) {
            bool hit = false;
            for (const auto& p : d->properties) hit = hit || wildcard_match(rt.get_string("PropertyName"), p.name);
            if (!hit) continue;
          }
          if (rt.has("QualifierName")) {
            bool hit = false;
            for (const auto& q : d->qualifiers) hit = hit || wildcard_match(rt.get_string("QualifierName"), q.first);
            if (!hit) continue;
          }
          any = true;
          rt.write_object(class_object(*d, session->computer()));
        }
        if (!any && !has_wildcard(pattern))
          rt.write_error(make_error("Not found: class " + pattern + " in " + ns + ".", "HRESULT 0x80041002",
                                    ErrorCategory::ObjectNotFound, Value(pattern)));
      } catch (const RuntimeError&) {
        throw;
      } catch (const std::exception& e) {
        report(rt, e, Value(pattern));
      }
    }
  }

 private:
  std::shared_ptr<CimContext> ctx_;
};

// Parameters every CIM cmdlet has for choosing where to go.
void session_params(CommandDef& d) {
  d.param(Param("CimSession", ParamType::Object).object_type(kCimSessionType).array().help("The CIM sessions to use (default: the local agent, or the session the input instance came from)."));
  d.param(Param("OperationTimeoutSec", ParamType::Int).alias("OT").help("How long the service may take for an operation."));
}

void computer_param(CommandDef& d) {
  d.param(Param("ComputerName", ParamType::String).array().alias("CN").alias("ServerName").help("Computers to contact over WS-Man (HTTP port 5985) without a session."));
}

}  // namespace

std::shared_ptr<CimContext> register_cim_cmdlets(Interpreter& in) {
  auto ctx = std::make_shared<CimContext>(in);
  CommandRegistry& r = in.commands();
  {
    CommandDef d("ConvertTo-SecureString");
    d.synopsis("Converts plain text to a SecureString (for PSCredential).")
        .description("With -AsPlainText -Force, makes a SecureString from the text. The secret is never displayed.")
        .example("$pw = ConvertTo-SecureString 'secret' -AsPlainText -Force", "Makes a password for New-Object PSCredential.");
    d.param(Param("String", ParamType::String).position(0).mandatory().pipeline().help("The text to protect."));
    d.param(Param("AsPlainText", ParamType::Switch).help("The input is plain text."));
    d.param(Param("Force", ParamType::Switch).help("Confirms that plain text is acceptable."));
    d.output_type(kSecureStringType);
    d.make<ConvertToSecureString>();
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-Credential");
    d.synopsis("Asks for a user name and password and returns a PSCredential.")
        .description("Reads the user name (unless given) and the password (without echo on a terminal).")
        .example("$c = Get-Credential admin", "Asks for admin's password.");
    d.param(Param("UserName", ParamType::String).position(0).help("The user name."));
    d.param(Param("Credential", ParamType::String).help("The user name (older parameter name)."));
    d.param(Param("Message", ParamType::String).help("A message shown before the prompt."));
    d.output_type(kCredentialType);
    d.make<GetCredential>();
    r.add(std::move(d));
  }
  if (const CommandDef* existing = r.find("New-Object"); existing && existing->factory) {
    CommandDef d = *existing;
    auto inner = existing->factory;
    d.description(d.description_text + " With cimsh's CIM cmdlets it also creates PSCredential from a user name and "
                                       "a SecureString.");
    d.example("New-Object PSCredential -ArgumentList 'admin', (ConvertTo-SecureString 'pw' -AsPlainText -Force)",
              "A credential for New-CimSession.");
    d.factory = [inner] { return std::make_unique<NewObjectWithCredential>(inner()); };
    r.add(std::move(d));
  } else {
    CommandDef d("New-Object");
    d.synopsis("Creates a PSCredential or PSObject.")
        .description("cimsh creates PSCredential (from a user name and a SecureString) and PSObject (-Property) only; "
                     "other .NET types are not available.")
        .example("New-Object PSCredential -ArgumentList 'admin', $pw", "A credential for New-CimSession.");
    d.param(Param("TypeName", ParamType::String).position(0).mandatory().help("PSCredential or PSObject."));
    d.param(Param("ArgumentList", ParamType::Any).array().position(1).alias("Args").help("Constructor arguments."));
    d.param(Param("Property", ParamType::Hashtable).help("Properties of a PSObject."));
    d.make<NewObject>();
    r.add(std::move(d));
  }
  {
    CommandDef d("New-CimSessionOption");
    d.synopsis("Makes options for New-CimSession (TLS and certificate checks).")
        .description("-UseSsl selects HTTPS (port 5986); -SkipCACheck accepts certificates no trusted CA signed; "
                     "-SkipCNCheck accepts a certificate issued for another host name.")
        .example("New-CimSessionOption -UseSsl -SkipCACheck -SkipCNCheck", "HTTPS to an agent with a self-signed certificate.");
    d.param(Param("UseSsl", ParamType::Switch).help("Use HTTPS."));
    d.param(Param("SkipCACheck", ParamType::Switch).help("Do not check who signed the certificate."));
    d.param(Param("SkipCNCheck", ParamType::Switch).help("Do not check the certificate's host name."));
    d.param(Param("SkipRevocationCheck", ParamType::Switch).help("Accepted; revocation is not checked."));
    d.param(Param("Protocol", ParamType::String).validate_set({"Wsman", "Dcom", "Default"}).help("Wsman only."));
    d.param(Param("OperationTimeoutSec", ParamType::Int).help("Default operation timeout."));
    d.output_type(kSessionOptionType);
    d.make<NewCimSessionOption>();
    r.add(std::move(d));
  }
  {
    CommandDef d("New-CimSession");
    d.alias("ncms")
        .synopsis("Opens a WS-Management CIM session to a computer.")
        .description("Checks the connection with WS-Identify unless -SkipTestConnection. Basic authentication; "
                     "HTTPS with -SessionOption (New-CimSessionOption -UseSsl). Without -Credential, a session to "
                     "localhost uses the local agent's admin credentials when readable.")
        .example("$s = New-CimSession -ComputerName sw1 -Port 5986 -Credential $c -Authentication Basic -SessionOption (New-CimSessionOption -UseSsl -SkipCACheck -SkipCNCheck)",
                 "An HTTPS session to a switch with a self-signed certificate.");
    d.param(Param("ComputerName", ParamType::String).array().position(0).alias("CN").alias("ServerName").pipeline_by_name().help("The computers."));
    d.param(Param("Credential", ParamType::Any).position(1).help("A PSCredential, or a user name to ask the password for."));
    d.param(Param("Authentication", ParamType::String).validate_set({"Default", "Digest", "Negotiate", "Basic", "Kerberos", "NtlmDomain", "CredSsp"}).help("Default or Basic."));
    d.param(Param("Port", ParamType::Int).help("TCP port (5985 HTTP, 5986 HTTPS)."));
    d.param(Param("SessionOption", ParamType::Object).help("From New-CimSessionOption."));
    d.param(Param("Name", ParamType::String).help("A name for the session."));
    d.param(Param("SkipTestConnection", ParamType::Switch).help("Do not send WS-Identify first."));
    d.param(Param("OperationTimeoutSec", ParamType::Int).alias("OT").help("Operation timeout."));
    d.output_type(kCimSessionType);
    bind_factory<NewCimSession>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-CimSession");
    d.alias("gcms").synopsis("Lists the open CIM sessions.").description("Filters by -Id, -Name, -ComputerName (wildcards) or -InstanceId.")
        .example("Get-CimSession -ComputerName sw*", "Sessions to the sw switches.");
    d.param(Param("ComputerName", ParamType::String).array().position(0).set("ComputerNameSet").help("Computer names (wildcards)."));
    d.param(Param("Id", ParamType::Int).array().position(0).mandatory().set("SessionIdSet").help("Session ids."));
    d.param(Param("InstanceId", ParamType::String).array().mandatory().set("InstanceIdSet").help("Instance ids."));
    d.param(Param("Name", ParamType::String).array().mandatory().set("NameSet").help("Session names (wildcards)."));
    d.default_set("ComputerNameSet");
    d.output_type(kCimSessionType);
    bind_factory<GetCimSession>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Remove-CimSession");
    d.alias("rcms").synopsis("Closes CIM sessions.").description("Closes the given sessions (or those matching -Id, -Name, -ComputerName, -InstanceId).")
        .example("Get-CimSession | Remove-CimSession", "Closes every session.");
    d.param(Param("CimSession", ParamType::Object).object_type(kCimSessionType).array().position(0).mandatory().pipeline().set("CimSessionSet").help("Sessions to close."));
    d.param(Param("ComputerName", ParamType::String).array().position(0).mandatory().set("ComputerNameSet").help("Computer names."));
    d.param(Param("Id", ParamType::Int).array().position(0).mandatory().set("SessionIdSet").help("Session ids."));
    d.param(Param("InstanceId", ParamType::String).array().mandatory().set("InstanceIdSet").help("Instance ids."));
    d.param(Param("Name", ParamType::String).array().mandatory().set("NameSet").help("Session names."));
    d.default_set("CimSessionSet");
    d.should_process(ConfirmImpact::Low);
    bind_factory<RemoveCimSession>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-CimInstance");
    d.alias("gcim")
        .synopsis("Gets CIM instances of a class (or by query) from a CIM server.")
        .description("Enumerates with WS-Man Enumerate/Pull (optimized, streamed; Ctrl-C stops). -Filter is a WQL "
                     "condition, -Query a WQL query; -KeyOnly returns only keys; -Shallow leaves out subclasses; "
                     "-Property keeps only the named properties (and the keys). -InputObject re-reads an instance.")
        .example("Get-CimInstance CIM_EthernetPort -Filter 'PortNumber < 4'", "The first three ports.")
        .example("Get-CimInstance -Query 'SELECT * FROM MSFT_NetworkVLAN'", "Every VLAN.");
    d.param(Param("ClassName", ParamType::String).position(0).mandatory().set("ClassNameSessionSet").pipeline_by_name().help("The class."));
    d.param(Param("Query", ParamType::String).mandatory().set("QuerySessionSet").help("A WQL query."));
    d.param(Param("InputObject", ParamType::Object).object_type(kCimInstanceType).alias("CimInstance").position(0).mandatory().pipeline().set("CimInstanceSessionSet").help("An instance to read again."));
    d.param(Param("Filter", ParamType::String).set("ClassNameSessionSet").help("A WQL WHERE condition."));
    d.param(Param("KeyOnly", ParamType::Switch).set("ClassNameSessionSet").set("QuerySessionSet").help("Only key properties."));
    d.param(Param("Property", ParamType::String).array().alias("SelectProperties").set("ClassNameSessionSet").help("Properties to keep."));
    d.param(Param("Shallow", ParamType::Switch).set("ClassNameSessionSet").set("QuerySessionSet").help("No instances of subclasses."));
    d.param(Param("QueryDialect", ParamType::String).set("ClassNameSessionSet").set("QuerySessionSet").help("WQL (default) or CQL."));
    d.param(Param("Namespace", ParamType::String).set("ClassNameSessionSet").set("QuerySessionSet").pipeline_by_name().help("The namespace (default root/cimv2)."));
    session_params(d);
    computer_param(d);
    d.default_set("ClassNameSessionSet");
    d.output_type(kCimInstanceType);
    bind_factory<GetCimInstance>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-CimAssociatedInstance");
    d.synopsis("Gets the instances associated with an instance.")
        .description("WS-Man Enumerate with an association filter (DSP0227 AssociatedInstances). -Association names "
                     "the association class, -ResultClassName the class of the results.")
        .example("Get-CimInstance CIM_EthernetPort | Select-Object -First 1 | Get-CimAssociatedInstance -ResultClassName CIM_LANEndpoint",
                 "The LAN endpoint of the first port.");
    d.param(Param("InputObject", ParamType::Object).object_type(kCimInstanceType).alias("CimInstance").position(0).mandatory().pipeline().help("The source instance."));
    d.param(Param("Association", ParamType::String).position(1).help("The association class."));
    d.param(Param("ResultClassName", ParamType::String).help("The class of the associated instances."));
    d.param(Param("Role", ParamType::String).help("The source's role in the association."));
    d.param(Param("ResultRole", ParamType::String).help("The results' role in the association."));
    d.param(Param("KeyOnly", ParamType::Switch).help("Only key properties."));
    d.param(Param("Namespace", ParamType::String).help("The namespace."));
    session_params(d);
    computer_param(d);
    d.output_type(kCimInstanceType);
    bind_factory<GetCimAssociatedInstance>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Set-CimInstance");
    d.alias("scim")
        .synopsis("Changes properties of a CIM instance on the server (WS-Man Put).")
        .description("Sends only the properties a script changed on the instance, or those in -Property. The instance "
                     "goes back to the session it came from.")
        .example("Get-CimInstance MSFT_NetworkVLAN | Where-Object VLANId -eq 10 | Set-CimInstance -Property @{ElementName='web'}",
                 "Renames VLAN 10.");
    d.param(Param("InputObject", ParamType::Object).object_type(kCimInstanceType).alias("CimInstance").array().position(0).mandatory().pipeline().set("CimInstanceSessionSet").help("The instances."));
    d.param(Param("Query", ParamType::String).position(0).mandatory().set("QuerySessionSet").help("A WQL query selecting the instances."));
    d.param(Param("Property", ParamType::Hashtable).alias("Arguments").position(1).set("CimInstanceSessionSet").set("QuerySessionSet").mandatory().help("New values."));
    d.param(Param("Namespace", ParamType::String).set("QuerySessionSet").help("Namespace of -Query."));
    d.param(Param("QueryDialect", ParamType::String).set("QuerySessionSet").help("WQL."));
    d.param(Param("PassThru", ParamType::Switch).help("Writes the changed instance."));
    session_params(d);
    computer_param(d);
    d.default_set("CimInstanceSessionSet");
    d.should_process(ConfirmImpact::Medium);
    bind_factory<SetCimInstance>(d, ctx);
    // -Property is optional with -InputObject (changes made on the object are sent).
    for (auto& p : d.params)
      if (p.name == "Property")
        for (auto& s : p.sets)
          if (s.set == "CimInstanceSessionSet") s.mandatory = false;
    r.add(std::move(d));
  }
  {
    CommandDef d("New-CimInstance");
    d.alias("ncim")
        .synopsis("Creates a CIM instance on the server (WS-Man Create), or only in the shell with -ClientOnly.")
        .description("The properties come from -Property. -ClientOnly makes an instance for method arguments without contacting a server.")
        .example("New-CimInstance -ClassName CIM_IPProtocolEndpoint -Property @{IPv4Address='10.0.0.1'} -ClientOnly", "An embedded-instance argument.");
    d.param(Param("ClassName", ParamType::String).position(0).mandatory().set("ClassNameSessionSet").help("The class."));
    d.param(Param("CimClass", ParamType::Object).object_type(kCimClassType).position(0).mandatory().set("CimClassSessionSet").help("The class from Get-CimClass."));
    d.param(Param("Property", ParamType::Hashtable).alias("Arguments").position(1).help("Property values."));
    d.param(Param("Key", ParamType::String).array().help("Names of the key properties (client-only instances)."));
    d.param(Param("ClientOnly", ParamType::Switch).alias("Local").help("Do not create it on a server."));
    d.param(Param("Namespace", ParamType::String).help("The namespace."));
    session_params(d);
    computer_param(d);
    d.default_set("ClassNameSessionSet");
    d.should_process(ConfirmImpact::Medium);
    d.output_type(kCimInstanceType);
    bind_factory<NewCimInstance>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Remove-CimInstance");
    d.alias("rcim").synopsis("Deletes CIM instances on the server (WS-Man Delete).")
        .description("Deletes the piped instances, or those a WQL -Query selects.")
        .example("Get-CimInstance MSFT_NetworkVLAN -Filter 'VLANId = 30' | Remove-CimInstance -WhatIf", "What deleting VLAN 30 would do.");
    d.param(Param("InputObject", ParamType::Object).object_type(kCimInstanceType).alias("CimInstance").array().position(0).mandatory().pipeline().set("CimInstanceSessionSet").help("The instances."));
    d.param(Param("Query", ParamType::String).position(0).mandatory().set("QuerySessionSet").help("A WQL query."));
    d.param(Param("Namespace", ParamType::String).position(1).set("QuerySessionSet").help("Namespace of -Query."));
    d.param(Param("QueryDialect", ParamType::String).set("QuerySessionSet").help("WQL."));
    session_params(d);
    computer_param(d);
    d.default_set("CimInstanceSessionSet");
    d.should_process(ConfirmImpact::Medium);
    bind_factory<RemoveCimInstance>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Invoke-CimMethod");
    d.alias("icim").synopsis("Invokes a method of a CIM instance or class.")
        .description("Arguments are typed from the class declaration: numbers, strings, references (pass an instance "
                     "object) and embedded instances (pass New-CimInstance -ClientOnly objects).")
        .example("Get-CimInstance CIM_EthernetPort -Filter 'PortNumber = 1' | Invoke-CimMethod -MethodName RequestStateChange -Arguments @{RequestedState=3}",
                 "Disables port 1.");
    d.param(Param("ClassName", ParamType::String).position(0).mandatory().set("ClassNameSessionSet").help("The class (static methods)."));
    d.param(Param("CimClass", ParamType::Object).object_type(kCimClassType).position(0).mandatory().pipeline().set("CimClassSessionSet").help("The class from Get-CimClass."));
    d.param(Param("InputObject", ParamType::Object).object_type(kCimInstanceType).alias("CimInstance").position(0).mandatory().pipeline().set("CimInstanceSessionSet").help("The instance."));
    d.param(Param("Query", ParamType::String).position(0).mandatory().set("QuerySessionSet").help("A WQL query selecting instances."));
    d.param(Param("Arguments", ParamType::Hashtable).position(1).help("Method arguments by name."));
    d.param(Param("MethodName", ParamType::String).alias("Name").position(2).mandatory().help("The method."));
    d.param(Param("Namespace", ParamType::String).help("The namespace (class and query forms)."));
    d.param(Param("QueryDialect", ParamType::String).help("WQL."));
    session_params(d);
    computer_param(d);
    d.default_set("ClassNameSessionSet");
    d.should_process(ConfirmImpact::Medium);
    d.output_type(kMethodResultType);
    bind_factory<InvokeCimMethod>(d, ctx);
    r.add(std::move(d));
  }
  {
    CommandDef d("Get-CimClass");
    d.synopsis("Gets CIM class declarations from a CIM server.")
        .description("Reads CIM-XML class declarations (WS-Man Get/Enumerate on the cim-xml resource URI, as WinRM and "
                     "OMI serve them). -ClassName takes wildcards; -MethodName, -PropertyName and -QualifierName filter.")
        .example("Get-CimClass CIM_Ethernet*", "The Ethernet classes of root/cimv2.");
    d.param(Param("ClassName", ParamType::String).position(0).help("Class name (wildcards)."));
    d.param(Param("Namespace", ParamType::String).position(1).help("The namespace (default root/cimv2)."));
    d.param(Param("MethodName", ParamType::String).help("Only classes with a matching method."));
    d.param(Param("PropertyName", ParamType::String).help("Only classes with a matching property."));
    d.param(Param("QualifierName", ParamType::String).help("Only classes with a matching qualifier."));
    session_params(d);
    computer_param(d);
    d.output_type(kCimClassType);
    bind_factory<GetCimClass>(d, ctx);
    r.add(std::move(d));
  }
  {
    View v;
    v.columns = {{"CimClassName", "CimClassName", {}, 0, -1},
                 {"CimClassMethods", "CimClassMethods", {}, 0, -1},
                 {"CimClassProperties", "CimClassProperties", {}, 0, -1}};
    in.formatter().add_view(kCimClassType, v);
    View s;
    s.list = true;
    s.columns = {{"Id", "Id", {}, 0, 0}, {"Name", "Name", {}, 0, 0}, {"InstanceId", "InstanceId", {}, 0, 0},
                 {"ComputerName", "ComputerName", {}, 0, 0}, {"Protocol", "Protocol", {}, 0, 0}};
    in.formatter().add_view(kCimSessionType, s);
  }
  register_switch_cmdlets(in, ctx);
  register_netwnv_cmdlets(in, ctx);
  return ctx;
}

std::vector<std::string> complete_class_name(CimContext& cim, const std::string& line, size_t word_start,
                                             const std::string& prefix) {
  // The previous word must be -ClassName / -ResultClassName (or a prefix of them), or the
  // word is the first positional argument of a *-CimInstance / Get-CimClass command.
  std::string before = line.substr(0, std::min(word_start, line.size()));
  size_t seg = before.find_last_of("|;({");
  std::string cmd = seg == std::string::npos ? before : before.substr(seg + 1);
  std::vector<std::string> words;
  {
    std::string cur;
    for (char c : cmd) {
      if (c == ' ' || c == '\t') {
        if (!cur.empty()) words.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) words.push_back(cur);
  }
  if (words.empty()) return {};
  std::string prev = to_lower(words.back());
  bool wants = false;
  if (prev.size() > 2 && prev[0] == '-' &&
      (std::string("-classname").rfind(prev, 0) == 0 || std::string("-resultclassname").rfind(prev, 0) == 0))
    wants = true;
  std::string c0 = to_lower(words.front());
  if (words.size() == 1 && (c0 == "get-ciminstance" || c0 == "gcim" || c0 == "get-cimclass" || c0 == "new-ciminstance"))
    wants = true;
  if (!wants) return {};
  std::string ns = kDefaultNamespace;
  for (size_t i = 0; i + 1 < words.size(); ++i)
    if (to_lower(words[i]).rfind("-names", 0) == 0) ns = words[i + 1];
  std::shared_ptr<CimSession> s = cim.sessions().empty() ? cim.local() : cim.sessions().front();
  std::vector<std::string> out;
  try {
    for (const auto& n : s->class_names(ns))
      if (istarts_with(n, prefix)) out.push_back(n);
  } catch (const std::exception&) {
    return {};
  }
  return out;
}

}  // namespace cimnet::shell::cim

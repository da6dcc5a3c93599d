#include "context.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "agent/wsman/envelope.h"
#include "cimnet/shell/interpreter.h"

namespace cimnet::shell::cim {

namespace {

std::string lower(std::string s) { return to_lower(s); }

bool is_integer_type(const std::string& t) {
  return t == "uint8" || t == "sint8" || t == "uint16" || t == "sint16" || t == "uint32" || t == "sint32" ||
         t == "uint64" || t == "sint64";
}

Value scalar_from_wire(const client::WireValue& w, const std::string& type, const std::shared_ptr<CimSession>& session,
                       const std::string& ns) {
  using K = client::WireValue::Kind;
  switch (w.kind) {
    case K::Nil: return Value();
    case K::Datetime:
    case K::Interval: {
      if (w.kind == K::Datetime)
        if (auto d = parse_date(w.text)) return Value(*d);
      return Value(w.text);
    }
    case K::Reference: {
      client::Instance ref;
      ref.class_name = w.reference->class_name();
      for (const auto& s : w.reference->selectors) {
        if (s.name == "__cimnamespace") continue;
        client::WireValue v;
        if (s.reference) {
          v.kind = K::Reference;
          v.reference = s.reference;
        } else {
          v.kind = K::Text;
          v.text = s.value;
        }
        ref.properties.push_back({s.name, {v}});
      }
      ref.epr = *w.reference;
      std::string rns = w.reference->cim_namespace();
      return to_shell(ref, session, rns.empty() ? ns : rns);
    }
    case K::Embedded: return to_shell(*w.embedded, session, ns);
    case K::Text: break;
  }
  const std::string& t = w.text;
  if (type == "boolean") {
    std::string l = lower(std::string(t));
    if (l == "true" || l == "1") return Value(true);
    if (l == "false" || l == "0") return Value(false);
    return Value(t);
  }
  if (is_integer_type(type)) {
    try {
      size_t used = 0;
      long long v = std::stoll(t, &used, 10);
      if (used == t.size()) return Value(static_cast<int64_t>(v));
    } catch (const std::exception&) {
    }
    return Value(t);
  }
  if (type == "real32" || type == "real64") {
    try {
      return Value(std::stod(t));
    } catch (const std::exception&) {
      return Value(t);
    }
  }
  return Value(t);
}

}  // namespace

// ---------------------------------------------------------------- sessions

CimSession::CimSession(uint32_t id, std::string name, std::string computer, bool explicit_computer,
                       client::ClientOptions options)
    : id_(id), name_(std::move(name)), computer_(std::move(computer)), explicit_computer_(explicit_computer),
      client_(std::make_unique<client::WsmanClient>(std::move(options))) {
  std::string u = cimnet::wsman::new_uuid();
  instance_id_ = u.rfind("uuid:", 0) == 0 ? u.substr(5) : u;
}

std::shared_ptr<const client::ClassDecl> CimSession::find_class(const std::string& ns, const std::string& cls) {
  std::string key = lower(ns) + ":" + lower(cls);
  auto it = classes_.find(key);
  if (it != classes_.end()) return it->second;
  std::shared_ptr<const client::ClassDecl> decl;
  try {
    decl = std::make_shared<const client::ClassDecl>(client_->get_class(ns, cls));
  } catch (const client::WsmanError&) {
    // A service without class retrieval: instances stay untyped.
  }
  classes_[key] = decl;
  return decl;
}

std::vector<std::string> CimSession::lineage(const std::string& ns, const std::string& cls) {
  std::vector<std::string> out{cls};
  auto decl = find_class(ns, cls);
  if (decl) out[0] = decl->name;
  for (int guard = 0; decl && !decl->superclass.empty() && guard < 32; ++guard) {
    out.push_back(decl->superclass);
    decl = find_class(ns, decl->superclass);
  }
  return out;
}

const std::vector<std::string>& CimSession::class_names(const std::string& ns) {
  auto it = class_names_.find(lower(ns));
  if (it != class_names_.end()) return it->second;
  return class_names_[lower(ns)] = client_->class_names(ns);
}

Value CimSession::object() {
  // A fresh object per call: caching it here would make a reference cycle (its origin is us).
  std::shared_ptr<Object> object_;
  {
    const auto& t = client_->options().target;
    object_ = make_object({{"Id", Value(static_cast<int64_t>(id_))},
                           {"Name", Value(name_)},
                           {"InstanceId", Value(instance_id_)},
                           {"ComputerName", Value(computer_)},
                           {"Protocol", Value("WSMAN")},
                           {"Port", Value(static_cast<int64_t>(t.port))},
                           {"UseSsl", Value(t.tls)}},
                          kCimSessionType);
    object_->origin = shared_from_this();
  }
  return Value(object_);
}

std::shared_ptr<CimSession> CimContext::open(const std::string& computer, bool explicit_computer,
                                             client::ClientOptions options, std::string name, bool skip_test) {
  uint32_t id = next_id_;
  if (name.empty()) name = "CimSession" + std::to_string(id);
  auto s = std::make_shared<CimSession>(id, std::move(name), computer, explicit_computer, std::move(options));
  if (!skip_test) s->client().identify();
  ++next_id_;
  sessions_.push_back(s);
  return s;
}

void CimContext::remove(const std::shared_ptr<CimSession>& s) {
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
    if (*it == s) {
      sessions_.erase(it);
      return;
    }
}

std::shared_ptr<CimSession> CimContext::local() {
  if (local_) return local_;
  client::ClientOptions o;
  std::string url = "http://127.0.0.1:5985/wsman";
  if (const char* e = std::getenv("CIMNET_URL"); e && *e) url = e;
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    o.target.tls = true;
    o.target.port = 5986;
    // The local agent's certificate is usually self-signed.
    o.target.skip_ca_check = true;
    o.target.skip_cn_check = true;
    rest = rest.substr(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  }
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) o.target.path = rest.substr(slash);
  auto colon = hostport.rfind(':');
  auto bracket = hostport.find(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    o.target.port = static_cast<uint16_t>(std::atoi(hostport.substr(colon + 1).c_str()));
    hostport = hostport.substr(0, colon);
  }
  if (hostport.size() > 2 && hostport.front() == '[') hostport = hostport.substr(1, hostport.size() - 2);
  o.target.host = hostport.empty() ? "127.0.0.1" : hostport;
  std::string dir = "./var/cimnetd";
  if (const char* d = std::getenv("CIMNET_STATE_DIR"); d && *d) dir = d;
  std::ifstream f(dir + "/admin.password");
  std::string user, password;
  if (f >> user >> password) {
    o.user = user;
    o.password = password;
  }
  local_ = std::make_shared<CimSession>(0, "local", o.target.host, false, o);
  return local_;
}

std::shared_ptr<CimSession> CimContext::session_of(const Value& v) {
  if (!v.is_object()) return nullptr;
  return std::dynamic_pointer_cast<CimSession>(v.as_object()->origin);
}

std::vector<std::shared_ptr<CimSession>> CimContext::targets(CommandRuntime& rt, const Value* input_object) {
  std::vector<std::shared_ptr<CimSession>> out;
  if (rt.has("CimSession")) {
    for (const auto& v : rt.get_array("CimSession")) {
      auto s = session_of(v);
      if (!s)
        rt.throw_terminating(make_error("Cannot bind parameter 'CimSession': the value is not a CimSession.",
                                        "CannotConvertArgument", ErrorCategory::InvalidArgument, v));
      out.push_back(s);
    }
    return out;
  }
  if (rt.has("ComputerName")) {
    for (const auto& v : rt.get_array("ComputerName")) {
      client::ClientOptions o = local()->client().options();
      o.target.host = to_string(v);
      o.target.port = 5985;
      o.target.tls = false;
      o.user.clear();
      o.password.clear();
      out.push_back(std::make_shared<CimSession>(0, "temporary", o.target.host, true, o));
    }
    return out;
  }
  if (input_object) {
    if (auto o = instance_origin(*input_object); o && o->session) return {o->session};
  }
  return {local()};
}

// ---------------------------------------------------------------- conversion

std::shared_ptr<CimInstanceOrigin> instance_origin(const Value& v) {
  if (!v.is_object()) return nullptr;
  return std::dynamic_pointer_cast<CimInstanceOrigin>(v.as_object()->origin);
}

Value wire_to_value(const client::WireProperty& p, const client::PropertyDecl* decl,
                    const std::shared_ptr<CimSession>& session, const std::string& ns) {
  std::string type = decl ? decl->type : "";
  bool array = decl ? decl->is_array : p.values.size() > 1;
  if (array) {
    Array items;
    for (const auto& w : p.values) {
      if (w.kind == client::WireValue::Kind::Nil && p.values.size() == 1) return Value();
      items.push_back(scalar_from_wire(w, type, session, ns));
    }
    return Value::array(std::move(items));
  }
  if (p.values.empty()) return Value();
  return scalar_from_wire(p.values.front(), type, session, ns);
}

Value to_shell(const client::Instance& inst, const std::shared_ptr<CimSession>& session, const std::string& ns) {
  auto origin = std::make_shared<CimInstanceOrigin>();
  origin->session = session;
  origin->ns = ns;
  origin->class_name = inst.class_name;
  origin->epr = inst.epr;
  if (session && !inst.class_name.empty()) origin->cls = session->find_class(ns, inst.class_name);
  if (origin->cls) origin->class_name = origin->cls->name;
  auto obj = std::make_shared<Object>();
  obj->type_names.clear();
  std::vector<std::string> lineage{origin->class_name};
  if (session && origin->cls) lineage = session->lineage(ns, origin->class_name);
  obj->type_names.push_back(std::string(kCimInstanceType) + "#" + ns + "/" + origin->class_name);
  for (const auto& c : lineage) obj->type_names.push_back(std::string(kCimInstanceType) + "#" + c);
  obj->type_names.push_back(kCimInstanceType);
  if (origin->cls) {
    // Declaration order, every property (absent ones are null), as PowerShell shows them.
    for (const auto& d : origin->cls->properties) {
      const client::WireProperty* p = inst.find(d.name);
      obj->properties.push_back({d.name, p ? wire_to_value(*p, &d, session, ns) : Value()});
    }
    for (const auto& p : inst.properties)
      if (!origin->cls->find_property(p.name)) obj->properties.push_back({p.name, wire_to_value(p, nullptr, session, ns)});
  } else {
    for (const auto& p : inst.properties) obj->properties.push_back({p.name, wire_to_value(p, nullptr, session, ns)});
  }
  if (session && session->explicit_computer()) obj->properties.push_back({"PSComputerName", Value(session->computer())});
  origin->original = obj->properties;
  obj->origin = origin;
  return Value(obj);
}

client::WireProperty value_to_wire(const std::string& name, const Value& v, const std::string& type, bool is_array,
                                   const std::string& embedded_class) {
  client::WireProperty p{name, {}};
  auto one = [&](const Value& x) {
    client::WireValue w;
    if (x.is_null()) return w;
    if (x.is_object()) {
      auto origin = instance_origin(x);
      if (type == "reference" || (type.empty() && origin && origin->epr && embedded_class.empty())) {
        if (origin && origin->epr) {
          w.kind = client::WireValue::Kind::Reference;
          w.reference = std::make_shared<client::Epr>(*origin->epr);
          return w;
        }
      }
      w.kind = client::WireValue::Kind::Embedded;
      w.embedded = std::make_shared<client::Instance>(object_to_wire(*x.as_object(), origin.get(), {}));
      if (w.embedded->class_name.empty()) w.embedded->class_name = embedded_class;
      return w;
    }
    if (x.is_date()) {
      w.kind = client::WireValue::Kind::Datetime;
      w.text = format_date(x.as_date(), "yyyy-MM-ddTHH:mm:ss") + (x.as_date().utc ? "Z" : "");
      return w;
    }
    w.kind = client::WireValue::Kind::Text;
    if (x.is_bool() || type == "boolean") w.text = to_bool(x) ? "true" : "false";
    else w.text = to_string(x);
    return w;
  };
  if (v.is_array()) {
    for (const auto& x : *v.as_array()) p.values.push_back(one(x));
    if (!is_array && p.values.size() > 1) p.values.resize(p.values.size());
  } else if (v.is_null()) {
    p.values.push_back(client::WireValue{});
  } else {
    p.values.push_back(one(v));
  }
  return p;
}

client::Instance object_to_wire(const Object& o, const CimInstanceOrigin* origin, const std::vector<std::string>& names) {
  client::Instance inst;
  if (origin) inst.class_name = origin->class_name;
  else {
    for (const auto& t : o.type_names) {
      auto hash = t.find('#');
      if (hash != std::string::npos && t.find('/', hash) == std::string::npos) {
        inst.class_name = t.substr(hash + 1);
        break;
      }
    }
  }
  for (const auto& p : o.properties) {
    if (iequals(p.name, "PSComputerName")) continue;
    if (!names.empty()) {
      bool wanted = false;
      for (const auto& n : names) wanted = wanted || iequals(n, p.name);
      if (!wanted) continue;
    }
    const client::PropertyDecl* d = origin && origin->cls ? origin->cls->find_property(p.name) : nullptr;
    if (!d && origin && origin->cls) continue;
    if (names.empty() && p.value.is_null()) continue;
    inst.properties.push_back(value_to_wire(d ? d->name : p.name, p.value, d ? d->type : "", d ? d->is_array : p.value.is_array(),
                                            d ? d->embedded_class : ""));
  }
  return inst;
}

client::Epr epr_of(CommandRuntime& rt, const Value& v) {
  auto origin = instance_origin(v);
  if (origin && origin->epr) return *origin->epr;
  if (origin && origin->cls) {
    // Build the path from the key properties.
    client::Epr e = client::WsmanClient::class_epr(origin->ns, origin->class_name);
    for (const auto& d : origin->cls->properties) {
      if (!d.is_key) continue;
      const Value* kv = v.as_object()->get(d.name);
      if (!kv || kv->is_null())
        rt.throw_terminating(make_error("The instance of " + origin->class_name + " has no value for its key property " +
                                            d.name + ".",
                                        "MissingKey", ErrorCategory::InvalidArgument, v));
      e.selectors.push_back({d.name, to_string(*kv), nullptr});
    }
    return e;
  }
  rt.throw_terminating(make_error("The input object is not a CIM instance read from a CIM session.",
                                  "NotACimInstance", ErrorCategory::InvalidArgument, v));
  return {};  // not reached: throw_terminating throws
}

std::string instance_label(const Value& v) {
  auto origin = instance_origin(v);
  if (!origin) return to_string(v);
  std::string keys;
  if (origin->epr) {
    for (const auto& s : origin->epr->selectors)
      if (s.name != "__cimnamespace" && !s.reference) keys += (keys.empty() ? "" : ", ") + s.name + " = \"" + s.value + "\"";
  } else if (origin->cls) {
    for (const auto& d : origin->cls->properties)
      if (const Value* kv = d.is_key ? v.as_object()->get(d.name) : nullptr)
        keys += (keys.empty() ? "" : ", ") + d.name + " = \"" + to_string(*kv) + "\"";
  }
  return keys.empty() ? origin->class_name : origin->class_name + " (" + keys + ")";
}

// ---------------------------------------------------------------- errors

ErrorRecord to_record(const std::exception& e, const Value& target) {
  if (auto* w = dynamic_cast<const client::WsmanError*>(&e)) {
    ErrorCategory cat = ErrorCategory::NotSpecified;
    const std::string& sc = w->subcode;
    if (w->http_status == 401 || sc == "AccessDenied") cat = ErrorCategory::PermissionDenied;
    else if (w->cim_status == 6 || sc == "DestinationUnreachable") cat = ErrorCategory::ObjectNotFound;
    else if (w->cim_status == 4 || sc == "InvalidParameter" || sc == "InvalidRepresentation" || sc == "InvalidSelectors")
      cat = ErrorCategory::InvalidArgument;
    else if (w->cim_status == 7 || sc == "ActionNotSupported" || sc == "UnsupportedFeature")
      cat = ErrorCategory::NotImplemented;
    else if (w->cim_status == 11 || sc == "AlreadyExists") cat = ErrorCategory::ResourceExists;
    else if (sc == "CannotProcessFilter") cat = ErrorCategory::InvalidArgument;
    else if (sc == "TimedOut") cat = ErrorCategory::OperationTimeout;
    ErrorRecord r = make_error(w->what(), sc.empty() ? "CimException" : "WsManFault." + sc, cat, target);
    r.exception_type = "Microsoft.Management.Infrastructure.CimException";
    return r;
  }
  if (dynamic_cast<const client::TransportError*>(&e)) {
    ErrorRecord r = make_error(e.what(), "CimSessionConnection", ErrorCategory::ConnectionError, target);
    r.exception_type = "Microsoft.Management.Infrastructure.CimException";
    return r;
  }
  return make_error(e.what(), "CimException", ErrorCategory::NotSpecified, target);
}

void report(CommandRuntime& rt, const std::exception& e, const Value& target, bool terminating) {
  if (auto* re = dynamic_cast<const RuntimeError*>(&e)) throw *re;
  ErrorRecord r = to_record(e, target);
  if (terminating) rt.throw_terminating(r);
  rt.write_error(r);
}

// ---------------------------------------------------------------- enumeration

void enumerate_each(CommandRuntime& rt, const std::shared_ptr<CimSession>& session, client::EnumerateRequest request,
                    const std::function<bool(const client::Instance&)>& each, const std::string& activity) {
  auto en = session->client().enumerate(std::move(request));
  bool tty = isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  bool shown = false;
  int64_t count = 0;
  client::Instance inst;
  auto clear = [&] {
    if (shown) rt.interpreter().host().err("\r\033[K");
    shown = false;
  };
  try {
    for (;;) {
      rt.interpreter().check_stop();
      if (!en->next(inst)) break;
      ++count;
      if (tty) {
        auto now = std::chrono::steady_clock::now();
        if (now - start > std::chrono::milliseconds(500) && now - last > std::chrono::milliseconds(100)) {
          last = now;
          std::string line = activity + ": " + std::to_string(count) +
                             (en->estimate() > 0 ? " of " + std::to_string(en->estimate()) : std::string()) +
                             " instances (Ctrl-C stops)";
          if (en->estimate() > 0) {
            int width = 30, done = static_cast<int>(width * std::min<int64_t>(count, en->estimate()) / en->estimate());
            line += " [" + std::string(static_cast<size_t>(done), '#') + std::string(static_cast<size_t>(width - done), ' ') + "]";
          }
          rt.interpreter().host().err("\r\033[K" + line);
          shown = true;
        }
      }
      bool more;
      {
        // Output may be written below the progress line: clear it first.
        clear();
        more = each(inst);
      }
      if (!more) break;
    }
  } catch (...) {
    clear();
    en->release();
    throw;
  }
  clear();
  en->release();
}

std::vector<Value> enumerate_objects(CommandRuntime& rt, const std::shared_ptr<CimSession>& session,
                                     const std::string& ns, const std::string& class_name) {
  std::vector<Value> out;
  client::EnumerateRequest req;
  req.ns = ns;
  req.class_name = class_name;
  enumerate_each(
      rt, session, req,
      [&](const client::Instance& i) {
        out.push_back(to_shell(i, session, ns));
        return true;
      },
      "Enumerating " + class_name);
  return out;
}

std::vector<Value> associators(CommandRuntime& rt, const std::shared_ptr<CimSession>& session, const Value& object,
                               const std::string& result_class, const std::string& association) {
  auto origin = instance_origin(object);
  std::string ns = origin ? origin->ns : kDefaultNamespace;
  client::EnumerateRequest req;
  req.ns = ns;
  client::AssociationFilter f;
  f.object = epr_of(rt, object);
  f.result_class = result_class;
  f.association_class = association;
  req.association = f;
  std::vector<Value> out;
  enumerate_each(
      rt, session, req,
      [&](const client::Instance& i) {
        std::string ins = i.epr ? i.epr->cim_namespace() : "";
        out.push_back(to_shell(i, session, ins.empty() ? ns : ins));
        return true;
      },
      "Associations of " + (origin ? origin->class_name : std::string("instance")));
  return out;
}

}  // namespace cimnet::shell::cim

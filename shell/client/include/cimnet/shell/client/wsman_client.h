#pragma once
// A standards-only WS-Management (DSP0226/DSP0227/DSP0230) CIM client: Identify, Get, Put,
// Create, Delete, Enumerate/Pull/Release (optimized, streaming), association filters,
// Invoke with embedded instances and references, and GetClass (CIM-XML class declarations
// on the cim-xml resource URI, as WinRM and OMI serve them).
//
// The client knows no schema: instances come back as property elements in document order;
// cimnet::shell::cim types them with the class declaration.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cimnet/shell/client/http.h"

namespace cimnet::shell::client {

struct Epr;
struct Instance;

// One wsman:Selector (text, or an EPR for a reference key).
struct Selector {
  std::string name;
  std::string value;
  std::shared_ptr<Epr> reference;
};

// An endpoint reference: a resource URI plus selectors (keys and __cimnamespace).
struct Epr {
  std::string address;
  std::string resource_uri;
  std::vector<Selector> selectors;
  // The value of selector `name` (case-insensitive) or nullptr.
  const Selector* find(std::string_view name) const;
  // The class named by the resource URI (its last path segment).
  std::string class_name() const;
  // The __cimnamespace selector, or "".
  std::string cim_namespace() const;
};

// One element of a property or parameter as it was on the wire.
struct WireValue {
  enum class Kind { Nil, Text, Datetime, Interval, Reference, Embedded };
  Kind kind = Kind::Nil;
  std::string text;                    // Text, Datetime, Interval
  std::shared_ptr<Epr> reference;      // Reference
  std::shared_ptr<Instance> embedded;  // Embedded
};

// One named property (or method parameter): one element for a scalar, one per item for
// an array (empty for an empty array).
struct WireProperty {
  std::string name;
  std::vector<WireValue> values;
};

// An instance as the service sent it (or as the shell will send it).
struct Instance {
  std::string class_name;
  std::vector<WireProperty> properties;
  std::optional<Epr> epr;  // from EnumerateObjectAndEPR or the Get request
  const WireProperty* find(std::string_view name) const;
};

// A property of a class declaration (from CIM-XML).
struct PropertyDecl {
  std::string name;
  std::string type;  // CIM type name: "string", "uint16", "boolean", "datetime", "reference", ...
  bool is_array = false;
  bool is_key = false;
  bool is_read = true;
  bool is_write = false;
  std::string reference_class;
  std::string embedded_class;  // EmbeddedInstance qualifier
  std::vector<std::string> value_map, values;
};

// A parameter of a method declaration.
struct ParameterDecl {
  std::string name;
  std::string type;
  bool is_array = false;
  bool in = true;
  bool out = false;
  std::string reference_class;
  std::string embedded_class;
};

struct MethodDecl {
  std::string name;
  std::string return_type;
  bool is_static = false;
  std::vector<ParameterDecl> parameters;
};

// A class declaration: own and inherited properties in declaration order.
struct ClassDecl {
  std::string name;
  std::string superclass;
  std::vector<std::string> derivation;  // superclasses, nearest first (when the service says)
  std::string ns;
  std::vector<std::pair<std::string, std::string>> qualifiers;  // name, value text
  std::vector<PropertyDecl> properties;
  std::vector<MethodDecl> methods;
  const PropertyDecl* find_property(std::string_view name) const;
  const MethodDecl* find_method(std::string_view name) const;
};

// A SOAP fault or an HTTP error from the service.
class WsmanError : public std::runtime_error {
 public:
  WsmanError(std::string message, std::string code, std::string subcode, int http_status)
      : std::runtime_error(std::move(message)), code(std::move(code)), subcode(std::move(subcode)),
        http_status(http_status) {}
  std::string code;     // s:Value, e.g. "s:Sender"
  std::string subcode;  // local name of s:Subcode/s:Value, e.g. "DestinationUnreachable"
  int http_status;
  std::string detail;   // fault detail URI when present
  int cim_status = 0;   // CIM status code when the service gave one (0 unknown)
};

// What Identify returned.
struct IdentifyResult {
  std::string protocol_version, product_vendor, product_version;
  std::vector<std::string> security_profiles;
};

// Association traversal (the DSP0227 association filter).
struct AssociationFilter {
  Epr object;
  bool references = false;  // AssociationInstances (references) instead of AssociatedInstances
  std::string association_class, role, result_class, result_role;
};

// What to enumerate.
struct EnumerateRequest {
  std::string ns;
  std::string class_name;                  // ignored with an association filter
  std::optional<std::string> wql;          // WQL filter (Windows' -Query/-Filter)
  std::string query_dialect = "http://schemas.microsoft.com/wbem/wsman/1/WQL";
  std::optional<AssociationFilter> association;
  bool shallow = false;                    // PolymorphismMode None
  bool keys_only = false;                  // EnumerateEPR
  uint32_t max_elements = 100;             // per Enumerate/Pull message
};

class WsmanClient;

// A running enumeration: items arrive per Pull as next() asks for them. Destroying it
// before the end releases the server's context.
class Enumeration {
 public:
  ~Enumeration();
  Enumeration(const Enumeration&) = delete;
  Enumeration& operator=(const Enumeration&) = delete;
  // The next instance; false at the end. Throws WsmanError / TransportError.
  bool next(Instance& out);
  // Sends Release for an unfinished enumeration (errors ignored).
  void release();
  // TotalItemsCountEstimate when the service sent one, else -1.
  int64_t estimate() const { return estimate_; }

 private:
  friend class WsmanClient;
  Enumeration(WsmanClient& client, EnumerateRequest request) : client_(client), request_(std::move(request)) {}
  void pull();
  WsmanClient& client_;
  EnumerateRequest request_;
  std::string context_;
  bool end_ = false;
  std::vector<Instance> batch_;
  size_t pos_ = 0;
  int64_t estimate_ = -1;
};

// Connection settings.
struct ClientOptions {
  HttpTarget target;
  std::string user, password;       // Basic when user is not empty
  uint32_t max_envelope_size = 512000;
  std::chrono::milliseconds operation_timeout{60000};
  std::string locale = "en-US";
};

// One WS-Man service. Not thread-safe; one request at a time on a kept-alive connection.
class WsmanClient {
 public:
  explicit WsmanClient(ClientOptions options);
  ~WsmanClient();
  const ClientOptions& options() const { return options_; }

  IdentifyResult identify();
  // Get: the instance the EPR names (its epr set to the request EPR).
  Instance get(const Epr& epr);
  // Put: replaces the instance (only the properties in `instance` are sent); returns the
  // service's answer (the updated instance, or `instance` when the body was empty).
  Instance put(const Epr& epr, const Instance& instance);
  // Create: the EPR of the created instance.
  Epr create(const std::string& ns, const Instance& instance);
  void remove(const Epr& epr);
  // Starts an optimized enumeration (the first items come with the Enumerate response).
  std::unique_ptr<Enumeration> enumerate(EnumerateRequest request);
  // Invokes `method` on the instance (selectors given) or class (no selectors) `target`;
  // returns the _OUTPUT element's parameters (ReturnValue among them).
  Instance invoke(const Epr& target, const std::string& method, const Instance& input);
  // The class declaration (CIM-XML) from the cim-xml resource URI.
  ClassDecl get_class(const std::string& ns, const std::string& class_name);
  // Names of the classes of a namespace (Enumerate on the cim-xml resource URI).
  std::vector<std::string> class_names(const std::string& ns);

  // The class resource URI ("http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/<Class>").
  static std::string resource_uri(const std::string& class_name);
  // An EPR for a class in a namespace with no key selectors.
  static Epr class_epr(const std::string& ns, const std::string& class_name);

 private:
  friend class Enumeration;
  struct Reply;
  // Sends one request; returns the parsed body element's first child; throws on fault.
  std::shared_ptr<Reply> call(const std::string& action, const std::string& resource_uri,
                              const std::vector<Selector>& selectors, const std::string& body,
                              const std::string& extra_headers = "");
  ClientOptions options_;
  std::unique_ptr<HttpConnection> http_;
};

// Appends the DSP0230 element `<prefix:name>` for every value of `p` (xsi:nil for Nil).
void append_wire_property(std::string& out, const std::string& prefix, const WireProperty& p, int depth = 0);

}  // namespace cimnet::shell::client

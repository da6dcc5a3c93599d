// libFuzzer target: the WQL/CQL parser and evaluator on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/wsman/wql.h"
#include "cimnet/cim/value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const cimnet::cim::Instance instance = [] {
    cimnet::cim::Instance i("CIM_EthernetPort");
    i.set("Name", cimnet::cim::Value::string("eth1"));
    i.set("Speed", cimnet::cim::Value::uint64(1000));
    i.set("Offset", cimnet::cim::Value::sint32(-3));
    i.set("Ratio", cimnet::cim::Value::real64(0.5));
    i.set("Enabled", cimnet::cim::Value::boolean(true));
    return i;
  }();
  try {
    auto query = cimnet::wsman::wql::parse(text);
    auto is_a = [](std::string_view c, std::string_view a) { return c == a; };
    (void)cimnet::wsman::wql::matches(query, instance, is_a, false);
    (void)cimnet::wsman::wql::matches(query, instance, is_a, true);
    (void)query.referenced_properties();
  } catch (const cimnet::wsman::wql::QueryError&) {
  }
  if (size < 256) {
    size_t half = size / 2;
    (void)cimnet::wsman::wql::like(text.substr(0, half), text.substr(half), false);
  }
  return 0;
}

// libFuzzer target: the SOAP/WS-Management request parser must turn any
// bytes into either a Request or a Fault, never crash or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/wsman/envelope.h"
#include "agent/wsman/fault.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    cimnet::wsman::Request r = cimnet::wsman::parse_request(bytes);
    (void)r.is_identify();
    for (const auto& s : r.selectors) (void)r.selector(s.name);
  } catch (const cimnet::wsman::Fault& f) {
    (void)cimnet::wsman::fault_envelope(f, "uuid:x", true);
  }
  (void)cimnet::wsman::parse_duration(bytes.substr(0, 64));
  return 0;
}

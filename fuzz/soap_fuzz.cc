// Fuzzes the lenient SOAP reader and the UPnP actions it feeds: the first line of the input is
// the SOAPAction header, the rest the envelope.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sensor/persona/test_persona.h"
#include "sensor/protocols/upnp/soap_envelope.h"
#include "sensor/protocols/upnp/upnp_device.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  static const DevicePersona persona = test_gateway();
  static upnp::PortMappingTable mappings;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t eol = input.find('\n');
  std::string_view header = eol == std::string_view::npos ? input : input.substr(0, eol);
  std::string_view body = eol == std::string_view::npos ? "" : input.substr(eol + 1);
  if (auto call = upnp::parse_soap(header, body)) {
    if (call->arguments.size() > upnp::kMaxArguments) {
      __builtin_trap();
    }
    (void)upnp::control(persona, mappings, *call, "198.51.100.7");
  }
  (void)upnp::xml_unescape(input);
  return 0;
}

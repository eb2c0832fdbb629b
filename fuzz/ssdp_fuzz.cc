// Fuzzes SSDP datagram parsing and the answers an M-SEARCH draws: whatever a datagram says,
// parsing ends and replies name only the persona's own targets.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/persona/test_persona.h"
#include "sensor/protocols/upnp/ssdp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  static const DevicePersona persona = test_gateway();
  auto request = upnp::parse_ssdp(std::as_bytes(std::span(data, size)));
  if (request) {
    auto replies = upnp::search_responses(persona, request->header("ST"), "http://x/", true);
    if (replies.size() > 4) {
      __builtin_trap();  // one per root, uuid, device type and service at most
    }
  }
  return 0;
}

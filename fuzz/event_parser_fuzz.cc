// Fuzzes event validation: any bytes give an Event or a Rejection with a reason, never a crash.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/event_parser.h"
#include "sensor/registry/protocol_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The protocols' kinds too, so their field checks are fuzzed.
  static const bool registered = (mitsu::sensor::register_builtin_protocols(), true);
  (void)registered;
  static mitsu::EventParser parser;
  mitsu::Event event;
  mitsu::Rejection why;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (parser.parse(text, event, why)) {
    if (event.body != text || event.id.size() != 36) {
      __builtin_trap();
    }
  } else if (why.detail.empty()) {
    __builtin_trap();  // a rejection always says why
  }
  return 0;
}

// Attacker bytes through the text guards: whatever the input, escaped text is valid UTF-8 with no
// terminal control left in it, base64 round-trips, and a JSON document holding the bytes as a
// value and as a key serialises to valid JSON from which the exact bytes come back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/safe_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!is_valid_utf8(escape_invalid_utf8(bytes))) {
    __builtin_trap();
  }
  std::string shown = terminal_safe(bytes);
  if (!is_valid_utf8(shown)) {
    __builtin_trap();
  }
  for (unsigned char c : shown) {
    if (c < 0x20 || c == 0x7f) {
      __builtin_trap();
    }
  }
  std::string decoded;
  if (!base64_decode(base64_encode(bytes), decoded) || decoded != bytes) {
    __builtin_trap();
  }
  nlohmann::json doc = {{"value", bytes}, {bytes, 1}, {"list", {bytes, "ok"}}};
  std::string text = dump_json(doc);
  if (!is_valid_utf8(text)) {
    __builtin_trap();
  }
  nlohmann::json back = nlohmann::json::parse(text, nullptr, false);
  if (back.is_discarded()) {
    __builtin_trap();
  }
  std::string value = back["value"].get<std::string>();
  if (is_valid_utf8(bytes)) {
    if (value != bytes) {
      __builtin_trap();
    }
  } else if (!base64_decode(back["raw_bytes"]["/value"].get<std::string>(), decoded) ||
             decoded != bytes) {
    __builtin_trap();
  }
  return 0;
}

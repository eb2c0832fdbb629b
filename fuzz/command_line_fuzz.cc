// Fuzzes the busybox command-line parser with arbitrary attacker lines.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sensor/shell/command_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  ParsedLine parsed = parse_command_line(line);
  std::size_t words = 0;
  for (const Pipeline& p : parsed.pipelines) {
    if (p.commands.empty()) {
      __builtin_trap();  // an empty pipeline is a syntax error, never a result
    }
    for (const SimpleCommand& c : p.commands) {
      words += c.argv.size();
    }
  }
  if (words > kMaxWords) {
    __builtin_trap();
  }
  return 0;
}

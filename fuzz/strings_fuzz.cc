// Fuzzes string, XOR-key and indicator extraction over arbitrary sample bytes.

#include <cstddef>
#include <cstdint>
#include <span>

#include "analysis/static/strings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::analysis;
  StringsReport report = analyze_strings(std::as_bytes(std::span(data, size)));
  for (const ExtractedString& s : report.strings) {
    if (s.text.size() < kMinStringLength || s.offset >= size) {
      __builtin_trap();
    }
  }
  if (report.iocs.urls.size() > kMaxIocsPerKind) {
    __builtin_trap();
  }
  return 0;
}

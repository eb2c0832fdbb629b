// Fuzzes the PROXY protocol v1/v2 header parser.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/protocols/proxy/proxy_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor::proxy;
  Header h = parse(std::as_bytes(std::span(data, size)));
  if (h.status == Header::Status::kComplete && (h.consumed == 0 || h.consumed > size)) {
    __builtin_trap();
  }
  if (h.source_port < 0 || h.source_port > 65535) {
    __builtin_trap();
  }
  return 0;
}

// Fuzzes the passive Telnet decoder of relayed sessions: the input alternates device and client
// pieces (each piece's first byte says its length), so prompts, logins and commands interleave
// with arbitrary option negotiation from both sides.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/protocols/telnet/telnet_observer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  telnet::TelnetObserver observer;
  SessionActions out;
  bool from_device = true;
  for (std::size_t at = 0; at < size;) {
    std::size_t piece = std::min<std::size_t>(1 + data[at] % 48, size - at);
    auto bytes = std::as_bytes(std::span(data + at, piece));
    from_device ? observer.from_server(bytes, out) : observer.from_client(bytes, out);
    from_device = !from_device;
    at += piece;
  }
  observer.finish(out);
  return 0;
}

// Fuzzes a whole Telnet session — option decoding, line assembly, login, the emulated shell —
// with arbitrary bytes from the client, fed in pieces whose sizes the input also chooses.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/persona/test_persona.h"
#include "sensor/protocols/telnet/telnet_session.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  static const DevicePersona persona = test_persona("camera", "mipsel", "fuzz");
  static const auto filesystem = persona_filesystem(persona);
  SecondTryGate gate;
  telnet::TelnetSession session(persona, filesystem, gate, 0);
  (void)session.open();
  std::size_t at = 0;
  while (at < size) {
    std::size_t piece = 1 + data[at] % 64;  // the first byte of each piece sets its length
    piece = std::min(piece, size - at);
    SessionActions actions = session.receive(std::as_bytes(std::span(data + at, piece)));
    for (const DownloadRequest& d : actions.downloads) {
      session.downloaded(d, "#!/bin/sh\necho fetched\n");
    }
    at += piece;
    if (actions.close) {
      break;
    }
  }
  (void)session.finish();
  return 0;
}

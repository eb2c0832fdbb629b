// Fuzzes a whole Telnet session — option decoding, line assembly, login, the emulated shell —
// with arbitrary bytes from the client, fed in pieces whose sizes the input also chooses.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/persona/test_persona.h"
#include "sensor/protocols/telnet/telnet_session.h"

namespace {

class AcceptSecondTry : public mitsu::sensor::LoginGate {
 public:
  bool accept(std::string_view, std::string_view) override { return ++tries_ >= 2; }

 private:
  int tries_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  static const DevicePersona persona = test_persona("camera", "mipsel", "fuzz");
  static const auto filesystem = persona_filesystem(persona);
  AcceptSecondTry gate;
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

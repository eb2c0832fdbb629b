// Fuzzes a whole FTP control session — line splitting, PORT/EPRT parsing, login, listing,
// uploads into the session's filesystem — with bytes from the client in pieces the input sizes.
// Data connections are simulated: passive ports open, uploads carry a slice of the input.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/persona/test_persona.h"
#include "sensor/protocols/ftp/ftp_session.h"
#include "sensor/shell/emulated_shell.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  static const DevicePersona persona = [] {
    DevicePersona p = test_persona("nas", "aarch64", "fuzz");
    p.ftp_anonymous = true;
    p.directories = {"/mnt"};
    p.files = {{"/mnt/a.txt", "a", 0644}};
    return p;
  }();
  static const auto filesystem = persona_filesystem(persona);
  SecondTryGate gate;
  ftp::FtpSession session(persona, filesystem, gate, "127.0.0.1");
  (void)session.open();
  std::size_t at = 0;
  bool closed = false;
  while (at < size && !closed) {
    std::size_t piece = std::min<std::size_t>(1 + data[at] % 64, size - at);
    std::string_view bytes(reinterpret_cast<const char*>(data + at), piece);
    closed = session.receive(std::as_bytes(std::span(bytes.data(), bytes.size()))).close;
    at += piece;
    while (!closed) {
      if (session.passive_requested()) {
        closed = session.passive_opened("127.0.0.1", piece % 2 == 0 ? 40000 : 0).close;
      } else if (auto transfer = session.take_transfer()) {
        closed = session.transfer_done(std::string(bytes), piece % 3 != 0).close;
      } else {
        break;
      }
    }
  }
  (void)session.finish();
  return 0;
}

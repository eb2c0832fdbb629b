// Fuzzes TFTP packet parsing and a whole transfer: the input's first piece is the request, the
// rest are datagrams from the client (sizes chosen by the input), with retransmits between.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/persona/test_persona.h"
#include "sensor/protocols/tftp/tftp_session.h"
#include "sensor/shell/emulated_shell.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  static const auto filesystem = [] {
    DevicePersona p = test_persona("router", "mips", "fuzz");
    p.directories = {"/tftpboot"};
    p.files = {{"/tftpboot/a", std::string(1500, 'a'), 0644}};
    return persona_filesystem(p);
  }();
  if (size == 0) {
    return 0;
  }
  std::size_t first = std::min<std::size_t>(1 + data[0] % 96, size);
  (void)tftp::parse(std::as_bytes(std::span(data, first)));
  tftp::TftpSession session(filesystem, std::string(reinterpret_cast<const char*>(data), first));
  bool closed = session.open().close;
  std::size_t at = first;
  while (at < size && !closed) {
    std::size_t piece = std::min<std::size_t>(1 + data[at] % 128, size - at);
    closed = session.receive(std::as_bytes(std::span(data + at, piece))).close;
    if (!closed && piece % 5 == 0) {
      closed = session.retransmit().close;
    }
    at += piece;
  }
  (void)session.finish();
  return 0;
}

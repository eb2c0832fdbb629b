// Fuzzes the passive SMB decoder over a relayed session. The input is a transcript — records
// of a direction byte ('C' or 'S'), a little-endian u32 length and that many bytes — as
// fuzz/pcapng_to_transcript.py makes from a relay recording; each record is fed in pieces
// whose size its first byte picks, so reassembly across reads is exercised too.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/protocols/smb/smb_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor;
  smb::SmbDecoder decoder("/srv/share");
  SessionActions out;
  std::size_t at = 0;
  while (at + 5 <= size) {
    bool client = data[at] != 'S';
    std::size_t length =
        static_cast<std::size_t>(data[at + 1]) | static_cast<std::size_t>(data[at + 2]) << 8 |
        static_cast<std::size_t>(data[at + 3]) << 16 | static_cast<std::size_t>(data[at + 4]) << 24;
    at += 5;
    length = std::min(length, size - at);
    std::size_t piece = 1 + (length > 0 ? data[at] % 97 : 0);
    for (std::size_t done = 0; done < length; done += piece) {
      auto bytes = std::as_bytes(std::span(data + at + done, std::min(piece, length - done)));
      client ? decoder.from_client(bytes, out) : decoder.from_server(bytes, out);
    }
    at += length;
  }
  decoder.finish(out);
  return 0;
}

// The sandbox's fake internet over attacker-chosen packets: IPv4/TCP/UDP/DNS parsing and the
// answers built from them. Input: packets, each prefixed with a 2-byte big-endian length.
#include <cstddef>
#include <cstdint>
#include <span>

#include "analysis/sandbox/fake_internet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mitsu::analysis::sandbox::FakeInternet net;
  std::span<const std::uint8_t> rest(data, size);
  while (rest.size() >= 2) {
    std::size_t length = static_cast<std::size_t>(rest[0] << 8 | rest[1]);
    rest = rest.subspan(2);
    length = std::min(length, rest.size());
    for (const auto& answer : net.on_packet(rest.first(length))) {
      (void)net.on_packet(answer);  // our own answers read back must not upset it either
    }
    rest = rest.subspan(length);
  }
  (void)net.endpoints();
  return 0;
}

#pragma once
// RFC 854 framing of a Telnet stream: separates the user's data from IAC commands (WILL, WONT,
// DO, DONT) and subnegotiations (SB … SE), unescapes IAC IAC. Lenient as an attacker's client
// needs: any byte sequence decodes, oversized subnegotiations are cut, nothing throws.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mitsu::sensor::telnet {

inline constexpr std::uint8_t kIac = 255, kDont = 254, kDo = 253, kWont = 252, kWill = 251,
                              kSb = 250, kSe = 240;
inline constexpr std::uint8_t kOptEcho = 1, kOptSuppressGoAhead = 3, kOptTerminalType = 24,
                              kOptNaws = 31, kOptLinemode = 34;
inline constexpr std::size_t kMaxSubnegotiationBytes = 1024;

struct Negotiation {
  std::uint8_t verb = 0;  // kWill, kWont, kDo, kDont
  std::uint8_t option = 0;
};

struct Subnegotiation {
  std::uint8_t option = 0;
  std::string data;
};

struct Decoded {
  std::string data;  // the user's bytes, in order
  std::vector<Negotiation> negotiations;
  std::vector<Subnegotiation> subnegotiations;
};

class Decoder {
 public:
  // Appends what these bytes complete; a sequence cut between calls is finished by the next.
  void feed(std::span<const std::byte> bytes, Decoded& out);

 private:
  enum class State { kData, kIac, kOption, kSbOption, kSbData, kSbIac };
  State state_ = State::kData;
  std::uint8_t verb_ = 0;
  Subnegotiation sb_;
};

// The bytes busybox telnetd sends first, which Mirai's loader expects to answer.
std::string busybox_greeting();

// An answer to the client's negotiation, as busybox telnetd gives it ("" when none is due).
std::string answer(const Negotiation& n);

}  // namespace mitsu::sensor::telnet

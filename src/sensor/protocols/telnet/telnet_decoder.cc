#include "sensor/protocols/telnet/telnet_decoder.h"

#include <cstring>

namespace mitsu::sensor::telnet {

void Decoder::feed(std::span<const std::byte> bytes, Decoded& out) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    // Plain data up to the next IAC goes over in one piece (relayed sessions are mostly data).
    if (state_ == State::kData) {
      const auto* begin = reinterpret_cast<const char*>(bytes.data()) + i;
      const auto* iac = static_cast<const char*>(std::memchr(begin, kIac, bytes.size() - i));
      std::size_t run = iac == nullptr ? bytes.size() - i : static_cast<std::size_t>(iac - begin);
      out.data.append(begin, run);
      i += run;
      if (i == bytes.size()) {
        break;
      }
    }
    auto b = static_cast<std::uint8_t>(bytes[i]);
    switch (state_) {
      case State::kData:
        if (b == kIac) {
          state_ = State::kIac;
        } else {
          out.data += static_cast<char>(b);
        }
        break;
      case State::kIac:
        if (b == kIac) {
          out.data += static_cast<char>(b);  // an escaped 255
          state_ = State::kData;
        } else if (b == kWill || b == kWont || b == kDo || b == kDont) {
          verb_ = b;
          state_ = State::kOption;
        } else if (b == kSb) {
          state_ = State::kSbOption;
        } else {
          state_ = State::kData;  // NOP, GA, AYT, BRK, …: nothing to keep
        }
        break;
      case State::kOption:
        out.negotiations.push_back({verb_, b});
        state_ = State::kData;
        break;
      case State::kSbOption:
        sb_ = Subnegotiation{b, {}};
        state_ = State::kSbData;
        break;
      case State::kSbData:
        if (b == kIac) {
          state_ = State::kSbIac;
        } else if (sb_.data.size() < kMaxSubnegotiationBytes) {
          sb_.data += static_cast<char>(b);
        }
        break;
      case State::kSbIac:
        if (b == kSe) {
          out.subnegotiations.push_back(std::move(sb_));
          sb_ = {};
          state_ = State::kData;
        } else {
          if (b == kIac && sb_.data.size() < kMaxSubnegotiationBytes) {
            sb_.data += static_cast<char>(b);
          }
          state_ = State::kSbData;
        }
        break;
    }
  }
}

std::string busybox_greeting() {
  // busybox telnetd's make_new_session(): DO ECHO, DO NAWS, WILL ECHO, WILL SGA.
  return std::string{
      static_cast<char>(kIac), static_cast<char>(kDo),   static_cast<char>(kOptEcho),
      static_cast<char>(kIac), static_cast<char>(kDo),   static_cast<char>(kOptNaws),
      static_cast<char>(kIac), static_cast<char>(kWill), static_cast<char>(kOptEcho),
      static_cast<char>(kIac), static_cast<char>(kWill), static_cast<char>(kOptSuppressGoAhead)};
}

std::string answer(const Negotiation& n) {
  // busybox telnetd answers nothing: it has stated what it does and ignores the rest. A client
  // asking for an option it never offered (DO LINEMODE, DO TTYPE) gets WONT, as RFC 854 wants a
  // refusal rather than silence for those.
  if (n.verb == kDo && n.option != kOptEcho && n.option != kOptSuppressGoAhead) {
    return std::string{static_cast<char>(kIac), static_cast<char>(kWont),
                       static_cast<char>(n.option)};
  }
  return {};
}

}  // namespace mitsu::sensor::telnet

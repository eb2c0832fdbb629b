#pragma once
// FTP control-channel parsing (RFC 959, RFC 2428): command lines split from the byte stream, and
// the PORT/EPRT data addresses. Lenient the way real device daemons are — bare LF ends a line,
// Telnet IAC bytes are dropped — with a cap on line length so a client cannot grow a buffer.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sensor/session/data_channel.h"

namespace mitsu::sensor::ftp {

inline constexpr std::size_t kMaxCommandLine = 4096;

struct Command {
  std::string verb;      // upper-cased: "STOR"
  std::string argument;  // as sent, without the separating space
};

class CommandReader {
 public:
  void feed(std::span<const std::byte> bytes);
  // The next complete line; nullopt when more bytes are needed.
  std::optional<Command> next();
  // A line grew past kMaxCommandLine without ending: the client is not speaking FTP.
  bool overflowed() const { return overflowed_; }
  bool has_pending() const;

 private:
  std::string buffer_;
  std::size_t scanned_ = 0;
  bool overflowed_ = false;
};

using DataEndpoint = sensor::DataEndpoint;

// "h1,h2,h3,h4,p1,p2" (PORT).
std::optional<DataEndpoint> parse_port(std::string_view argument);
// "|1|192.0.2.1|6275|" or "|2|::1|6275|" (EPRT); any delimiter character, as RFC 2428 allows.
std::optional<DataEndpoint> parse_eprt(std::string_view argument);

}  // namespace mitsu::sensor::ftp

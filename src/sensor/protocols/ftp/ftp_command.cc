#include "sensor/protocols/ftp/ftp_command.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace mitsu::sensor::ftp {
namespace {

std::optional<int> number(std::string_view text, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

void CommandReader::feed(std::span<const std::byte> bytes) {
  if (overflowed_) {
    return;
  }
  for (std::byte b : bytes) {
    auto c = static_cast<unsigned char>(b);
    // Telnet commands (IAC IP, IAC DM before ABOR) carry nothing a command needs.
    if (c == 0xff || c == 0xf2 || c == 0xf4) {
      continue;
    }
    buffer_ += static_cast<char>(c);
  }
  // Without a line end the whole buffer is one unfinished line.
  if (buffer_.size() > kMaxCommandLine && buffer_.find('\n', scanned_) == std::string::npos) {
    overflowed_ = true;
  }
}

bool CommandReader::has_pending() const {
  return buffer_.find('\n') != std::string::npos;
}

std::optional<Command> CommandReader::next() {
  std::size_t eol = buffer_.find('\n');
  if (eol == std::string::npos) {
    scanned_ = buffer_.size();
    return std::nullopt;
  }
  std::string_view line = trim(std::string_view(buffer_).substr(0, eol));
  if (line.size() > kMaxCommandLine) {
    line = line.substr(0, kMaxCommandLine);
  }
  Command command;
  std::size_t space = line.find(' ');
  std::string_view verb = line.substr(0, space);
  command.verb.reserve(verb.size());
  for (char c : verb.substr(0, 16)) {
    command.verb += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (space != std::string_view::npos) {
    command.argument = std::string(trim(line.substr(space + 1)));
  }
  buffer_.erase(0, eol + 1);
  scanned_ = 0;
  return command;
}

std::optional<DataEndpoint> parse_port(std::string_view argument) {
  std::vector<int> parts;
  argument = trim(argument);
  while (!argument.empty() && parts.size() < 7) {
    std::size_t comma = argument.find(',');
    auto value = number(trim(argument.substr(0, comma)), 255);
    if (!value) {
      return std::nullopt;
    }
    parts.push_back(*value);
    argument = comma == std::string_view::npos ? std::string_view() : argument.substr(comma + 1);
  }
  if (parts.size() != 6) {
    return std::nullopt;
  }
  DataEndpoint e;
  e.address = std::to_string(parts[0]) + "." + std::to_string(parts[1]) + "." +
              std::to_string(parts[2]) + "." + std::to_string(parts[3]);
  e.port = parts[4] * 256 + parts[5];
  if (e.port == 0) {
    return std::nullopt;
  }
  return e;
}

std::optional<DataEndpoint> parse_eprt(std::string_view argument) {
  argument = trim(argument);
  if (argument.size() < 8) {
    return std::nullopt;
  }
  char delimiter = argument.front();
  if (delimiter < 33 || delimiter > 126) {
    return std::nullopt;
  }
  std::vector<std::string_view> fields;
  std::size_t pos = 1;
  while (fields.size() < 4) {
    std::size_t end = argument.find(delimiter, pos);
    if (end == std::string_view::npos) {
      break;
    }
    fields.push_back(argument.substr(pos, end - pos));
    pos = end + 1;
  }
  if (fields.size() != 3 || pos != argument.size()) {
    return std::nullopt;
  }
  auto family = number(fields[0], 2);
  auto port = number(fields[2], 65535);
  if (!family || *family == 0 || !port || *port == 0 || fields[1].size() > 45) {
    return std::nullopt;
  }
  // The address must be a literal of the family named: no host names to resolve.
  std::string address(fields[1]);
  unsigned char scratch[16];
  if (inet_pton(*family == 1 ? AF_INET : AF_INET6, address.c_str(), scratch) != 1) {
    return std::nullopt;
  }
  return DataEndpoint{address, *port};
}

}  // namespace mitsu::sensor::ftp

#pragma once
// TFTP packets (RFC 1350) with option negotiation (RFC 2347: blksize RFC 2348, timeout and
// tsize RFC 2349). Parsing is strict about structure and lenient about case: a malformed
// datagram is reported, never trusted.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mitsu::sensor::tftp {

enum class Opcode : std::uint16_t {
  kRrq = 1,
  kWrq = 2,
  kData = 3,
  kAck = 4,
  kError = 5,
  kOack = 6
};

struct Packet {
  Opcode opcode{};
  // RRQ/WRQ
  std::string filename;
  std::string mode;                                          // lower-cased: octet, netascii
  std::vector<std::pair<std::string, std::string>> options;  // names lower-cased, in order
  // DATA/ACK
  std::uint16_t block = 0;
  std::string data;
  // ERROR
  std::uint16_t error_code = 0;
  std::string error_message;
};

// nullopt when the datagram is not a well-formed TFTP packet.
std::optional<Packet> parse(std::span<const std::byte> datagram);

std::string data_packet(std::uint16_t block, std::string_view bytes);
std::string ack_packet(std::uint16_t block);
std::string error_packet(std::uint16_t code, std::string_view message);
std::string oack_packet(const std::vector<std::pair<std::string, std::string>>& options);

}  // namespace mitsu::sensor::tftp

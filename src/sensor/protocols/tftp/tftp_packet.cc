#include "sensor/protocols/tftp/tftp_packet.h"

#include <algorithm>

#include "core/byte_reader.h"

namespace mitsu::sensor::tftp {
namespace {

constexpr std::size_t kMaxField = 512;  // a file name or option longer than this is not TFTP
constexpr std::size_t kMaxOptions = 16;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string u16(std::uint16_t value) {
  return {static_cast<char>(value >> 8), static_cast<char>(value & 0xff)};
}

}  // namespace

std::optional<Packet> parse(std::span<const std::byte> datagram) {
  ByteReader r(datagram, /*big_endian=*/true);
  auto opcode = r.u16(0);
  auto word = r.u16(2);  // block number or error code; every packet is at least 4 bytes
  if (!opcode || !word || *opcode < 1 || *opcode > 6) {
    return std::nullopt;
  }
  Packet p;
  p.opcode = static_cast<Opcode>(*opcode);
  // What follows the block number or error code.
  std::string_view tail = r.text(4, r.size() - 4).value_or("");
  // NUL-terminated strings after the opcode: filename, mode, then option name/value pairs.
  auto strings = [&](std::vector<std::string_view>& out) {
    for (std::uint64_t at = 2; at < r.size();) {
      auto field = r.c_string(at, kMaxField);
      if (!field) {
        return false;
      }
      out.push_back(*field);
      at += field->size() + 1;
      if (out.size() > 2 + 2 * kMaxOptions) {
        return false;
      }
    }
    return true;
  };
  switch (p.opcode) {
    case Opcode::kRrq:
    case Opcode::kWrq: {
      std::vector<std::string_view> fields;
      bool ok = strings(fields);
      while (fields.size() > 2 && fields.back().empty()) {
        fields.pop_back();  // NUL padding some clients add
      }
      if (!ok || fields.size() < 2 || fields.size() % 2 != 0 || fields[0].empty()) {
        return std::nullopt;
      }
      p.filename = std::string(fields[0]);
      p.mode = lower(fields[1]);
      if (p.mode != "octet" && p.mode != "netascii" && p.mode != "mail") {
        return std::nullopt;
      }
      for (std::size_t i = 2; i + 1 < fields.size(); i += 2) {
        p.options.emplace_back(lower(fields[i]), std::string(fields[i + 1]));
      }
      return p;
    }
    case Opcode::kData:
      p.block = *word;
      p.data = std::string(tail);
      return p;
    case Opcode::kAck:
      if (r.size() != 4) {
        return std::nullopt;
      }
      p.block = *word;
      return p;
    case Opcode::kError: {
      p.error_code = *word;
      std::string_view message = tail;
      p.error_message = std::string(message.substr(0, std::min(message.find('\0'), kMaxField)));
      return p;
    }
    case Opcode::kOack: {
      std::vector<std::string_view> fields;
      if (!strings(fields) || fields.size() % 2 != 0) {
        return std::nullopt;
      }
      for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        p.options.emplace_back(lower(fields[i]), std::string(fields[i + 1]));
      }
      return p;
    }
  }
  return std::nullopt;
}

std::string data_packet(std::uint16_t block, std::string_view bytes) {
  return u16(3) + u16(block) + std::string(bytes);
}

std::string ack_packet(std::uint16_t block) {
  return u16(4) + u16(block);
}

std::string error_packet(std::uint16_t code, std::string_view message) {
  return u16(5) + u16(code) + std::string(message) + '\0';
}

std::string oack_packet(const std::vector<std::pair<std::string, std::string>>& options) {
  std::string out = u16(6);
  for (const auto& [name, value] : options) {
    out += name + '\0' + value + '\0';
  }
  return out;
}

}  // namespace mitsu::sensor::tftp

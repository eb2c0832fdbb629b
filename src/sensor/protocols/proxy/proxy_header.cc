#include "sensor/protocols/proxy/proxy_header.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <string_view>

#include "core/byte_reader.h"

namespace mitsu::sensor::proxy {
namespace {

constexpr std::array<std::uint8_t, 12> kV2Signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

Header invalid(std::string why) {
  Header h;
  h.status = Header::Status::kInvalid;
  h.error = std::move(why);
  return h;
}

bool valid_ip(std::string_view text, int family) {
  std::string s(text);
  unsigned char buffer[16];
  return inet_pton(family, s.c_str(), buffer) == 1;
}

bool parse_port(std::string_view text, int& out) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0 && out <= 65535;
}

Header parse_v1(std::string_view text) {
  std::size_t end = text.find("\r\n");
  if (end == std::string_view::npos) {
    if (text.size() >= kMaxV1Bytes) {
      return invalid("v1 header longer than 107 bytes");
    }
    return {};
  }
  if (end + 2 > kMaxV1Bytes) {
    return invalid("v1 header longer than 107 bytes");
  }
  std::string_view line = text.substr(0, end);
  std::array<std::string_view, 6> parts{};
  std::size_t n = 0;
  for (std::size_t pos = 0; pos <= line.size() && n < parts.size();) {
    std::size_t space = line.find(' ', pos);
    parts[n++] = line.substr(pos, space == std::string_view::npos ? space : space - pos);
    if (space == std::string_view::npos) {
      break;
    }
    pos = space + 1;
    if (n == parts.size() && pos <= line.size()) {
      return invalid("v1 header has too many fields");
    }
  }
  Header h;
  h.version = 1;
  h.consumed = end + 2;
  if (n >= 2 && parts[1] == "UNKNOWN") {
    h.status = Header::Status::kComplete;
    h.local = true;
    return h;
  }
  if (n != 6 || (parts[1] != "TCP4" && parts[1] != "TCP6")) {
    return invalid("v1 header is not PROXY TCP4|TCP6 src dst sport dport");
  }
  int family = parts[1] == "TCP4" ? AF_INET : AF_INET6;
  if (!valid_ip(parts[2], family) || !valid_ip(parts[3], family) ||
      !parse_port(parts[4], h.source_port) || !parse_port(parts[5], h.destination_port)) {
    return invalid("v1 header has a bad address or port");
  }
  h.source_ip = std::string(parts[2]);
  h.destination_ip = std::string(parts[3]);
  h.status = Header::Status::kComplete;
  return h;
}

std::string ip_text(std::span<const std::byte> address, int family) {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, address.data(), out, sizeof(out));
  return out;
}

// A TCP address block: source and destination addresses of `size` bytes, then the two ports.
bool read_addresses(const ByteReader& a, std::size_t size, int family, Header& h) {
  auto source = a.bytes(0, size);
  auto destination = a.bytes(size, size);
  auto source_port = a.u16(2 * size);
  auto destination_port = a.u16(2 * size + 2);
  if (!source || !destination || !source_port || !destination_port) {
    return false;
  }
  h.source_ip = ip_text(*source, family);
  h.destination_ip = ip_text(*destination, family);
  h.source_port = *source_port;
  h.destination_port = *destination_port;
  return true;
}

Header parse_v2(const ByteReader& r) {
  auto version_command = r.u8(12);
  auto family_transport = r.u8(13);
  auto length = r.u16(14);
  if (!version_command || !family_transport || !length) {
    return {};
  }
  if ((*version_command >> 4) != 2) {
    return invalid("v2 header has a version other than 2");
  }
  std::uint8_t command = *version_command & 0x0F;
  if (command > 1) {
    return invalid("v2 header has an unknown command");
  }
  // The addresses: as long as the header says, so none of their reads can run past it.
  auto addresses = r.subreader(16, *length);
  if (!addresses) {
    return {};
  }
  Header h;
  h.version = 2;
  h.consumed = 16 + *length;
  h.status = Header::Status::kComplete;
  if (command == 0) {
    h.local = true;  // LOCAL: health checks from the balancer itself
    return h;
  }
  std::uint8_t family = *family_transport >> 4;
  std::uint8_t transport = *family_transport & 0x0F;
  if (family == 1 && transport == 1) {
    if (!read_addresses(*addresses, 4, AF_INET, h)) {
      return invalid("v2 TCP4 addresses are truncated");
    }
  } else if (family == 2 && transport == 1) {
    if (!read_addresses(*addresses, 16, AF_INET6, h)) {
      return invalid("v2 TCP6 addresses are truncated");
    }
  } else {
    h.local = true;  // UNSPEC, UDP or unix sockets: nothing to record, keep the peer address
  }
  return h;
}

}  // namespace

Header parse(std::span<const std::byte> bytes) {
  auto b = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  std::size_t prefix = std::min(b.size(), kV2Signature.size());
  if (std::memcmp(b.data(), kV2Signature.data(), prefix) == 0) {
    return b.size() < kV2Signature.size() ? Header{}
                                          : parse_v2(ByteReader(bytes, /*big_endian=*/true));
  }
  std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
  constexpr std::string_view kV1 = "PROXY ";
  if (text.substr(0, std::min(text.size(), kV1.size())) !=
      kV1.substr(0, std::min(text.size(), kV1.size()))) {
    return invalid("no PROXY protocol header");
  }
  if (text.size() < kV1.size()) {
    return {};
  }
  return parse_v1(text);
}

}  // namespace mitsu::sensor::proxy

#include "analysis/sandbox/net_packet.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include "core/byte_reader.h"

namespace mitsu::analysis::sandbox {
namespace {

// The checksum's 16-bit words (callers stay inside b).
std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  }
}

std::uint32_t sum16(std::span<const std::uint8_t> b, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) {
    sum += be16(b, i);
  }
  if (b.size() % 2 != 0) {
    sum += static_cast<std::uint32_t>(b.back()) << 8;
  }
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum);
}

// An IPv4 header around a transport payload whose checksum needs the pseudo-header.
Bytes wrap(std::uint32_t src, std::uint32_t dst, std::uint8_t protocol, Bytes transport,
           std::size_t checksum_at) {
  std::uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + protocol +
                         static_cast<std::uint32_t>(transport.size());
  put16(transport, checksum_at, 0);
  std::uint16_t c = fold(sum16(transport, pseudo));
  if (protocol == 17 && c == 0) {
    c = 0xffff;
  }
  put16(transport, checksum_at, c);
  Bytes packet(20);
  packet[0] = 0x45;
  put16(packet, 2, static_cast<std::uint16_t>(20 + transport.size()));
  packet[6] = 0x40;  // don't fragment
  packet[8] = 64;
  packet[9] = protocol;
  put32(packet, 12, src);
  put32(packet, 16, dst);
  put16(packet, 10, fold(sum16(std::span(packet).first(20))));
  packet.insert(packet.end(), transport.begin(), transport.end());
  return packet;
}

}  // namespace

// Packets come from the sample: every read goes through the one bounds-checked reader.
std::optional<Ipv4View> parse_ipv4(std::span<const std::uint8_t> p) {
  ByteReader r(std::as_bytes(p), /*big_endian=*/true);
  auto version = r.u8(0);
  auto total = r.u16(2);
  auto flags = r.u16(6);
  auto protocol = r.u8(9);
  auto src = r.u32(12);
  auto dst = r.u32(16);
  if (!version || !total || !flags || !protocol || !src || !dst || (*version >> 4) != 4) {
    return std::nullopt;
  }
  std::size_t header = static_cast<std::size_t>(*version & 0x0f) * 4;
  if (header < 20 || *total < header || !r.contains(0, *total)) {
    return std::nullopt;
  }
  Ipv4View v;
  v.protocol = *protocol;
  v.src = *src;
  v.dst = *dst;
  bool fragment = (*flags & 0x3fff) != 0;
  v.payload = fragment ? std::span<const std::uint8_t>() : p.subspan(header, *total - header);
  return v;
}

std::optional<TcpView> parse_tcp(std::span<const std::uint8_t> s) {
  ByteReader r(std::as_bytes(s), /*big_endian=*/true);
  auto src = r.u16(0);
  auto dst = r.u16(2);
  auto seq = r.u32(4);
  auto ack = r.u32(8);
  auto offset = r.u8(12);
  auto flags = r.u8(13);
  if (!src || !dst || !seq || !ack || !offset || !flags || !r.contains(0, 20)) {
    return std::nullopt;
  }
  std::size_t header = static_cast<std::size_t>(*offset >> 4) * 4;
  if (header < 20 || !r.contains(0, header)) {
    return std::nullopt;
  }
  return TcpView{*src, *dst, *seq, *ack, *flags, s.subspan(header)};
}

std::optional<UdpView> parse_udp(std::span<const std::uint8_t> d) {
  ByteReader r(std::as_bytes(d), /*big_endian=*/true);
  auto src = r.u16(0);
  auto dst = r.u16(2);
  auto length = r.u16(4);
  if (!src || !dst || !length || *length < 8 || !r.contains(0, *length)) {
    return std::nullopt;
  }
  return UdpView{*src, *dst, d.subspan(8, *length - 8u)};
}

Bytes build_tcp(std::uint32_t src, std::uint32_t dst, const TcpView& tcp) {
  Bytes t(20);
  put16(t, 0, tcp.src_port);
  put16(t, 2, tcp.dst_port);
  put32(t, 4, tcp.seq);
  put32(t, 8, tcp.ack);
  t[12] = 5 << 4;
  t[13] = tcp.flags;
  put16(t, 14, 65535);  // window
  t.insert(t.end(), tcp.payload.begin(), tcp.payload.end());
  return wrap(src, dst, 6, std::move(t), 16);
}

Bytes build_udp(std::uint32_t src, std::uint32_t dst, std::uint16_t src_port,
                std::uint16_t dst_port, std::span<const std::uint8_t> payload) {
  Bytes u(8);
  put16(u, 0, src_port);
  put16(u, 2, dst_port);
  put16(u, 4, static_cast<std::uint16_t>(8 + payload.size()));
  u.insert(u.end(), payload.begin(), payload.end());
  return wrap(src, dst, 17, std::move(u), 6);
}

std::string ipv4_text(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

std::optional<std::uint32_t> parse_ipv4_text(const std::string& text) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) {
    return std::nullopt;
  }
  return ntohl(address.s_addr);
}

}  // namespace mitsu::analysis::sandbox

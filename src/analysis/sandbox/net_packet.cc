#include "analysis/sandbox/net_packet.h"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace mitsu::analysis::sandbox {
namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) << 24 | static_cast<std::uint32_t>(b[at + 1]) << 16 |
         static_cast<std::uint32_t>(b[at + 2]) << 8 | b[at + 3];
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

std::optional<Ipv4View> parse_ipv4(std::span<const std::uint8_t> p) {
  if (p.size() < 20 || (p[0] >> 4) != 4) {
    return std::nullopt;
  }
  std::size_t header = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  std::size_t total = be16(p, 2);
  if (header < 20 || total < header || total > p.size()) {
    return std::nullopt;
  }
  Ipv4View v;
  v.protocol = p[9];
  v.src = be32(p, 12);
  v.dst = be32(p, 16);
  bool fragment = (be16(p, 6) & 0x3fff) != 0;
  v.payload = fragment ? std::span<const std::uint8_t>() : p.subspan(header, total - header);
  return v;
}

std::optional<TcpView> parse_tcp(std::span<const std::uint8_t> s) {
  if (s.size() < 20) {
    return std::nullopt;
  }
  std::size_t header = static_cast<std::size_t>(s[12] >> 4) * 4;
  if (header < 20 || header > s.size()) {
    return std::nullopt;
  }
  return TcpView{be16(s, 0), be16(s, 2), be32(s, 4), be32(s, 8), s[13], s.subspan(header)};
}

std::optional<UdpView> parse_udp(std::span<const std::uint8_t> d) {
  if (d.size() < 8) {
    return std::nullopt;
  }
  std::size_t length = be16(d, 4);
  if (length < 8 || length > d.size()) {
    return std::nullopt;
  }
  return UdpView{be16(d, 0), be16(d, 2), d.subspan(8, length - 8)};
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

#pragma once
// IPv4, TCP and UDP as the sandbox's fake internet reads them from its TUN device and writes its
// answers: pure code over byte spans (fuzzed), lenient on options, strict on lengths.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mitsu::analysis::sandbox {

using Bytes = std::vector<std::uint8_t>;

struct Ipv4View {
  std::uint8_t protocol = 0;  // 6 TCP, 17 UDP, 1 ICMP
  std::uint32_t src = 0;      // host byte order
  std::uint32_t dst = 0;
  std::span<const std::uint8_t> payload;
};

struct TcpView {
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::span<const std::uint8_t> payload;
};

struct UdpView {
  std::uint16_t src_port = 0, dst_port = 0;
  std::span<const std::uint8_t> payload;
};

inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// IPv4 only; fragments are returned with an empty payload (the sandbox records, never reassembles).
std::optional<Ipv4View> parse_ipv4(std::span<const std::uint8_t> packet);
std::optional<TcpView> parse_tcp(std::span<const std::uint8_t> segment);
std::optional<UdpView> parse_udp(std::span<const std::uint8_t> datagram);

Bytes build_tcp(std::uint32_t src, std::uint32_t dst, const TcpView& tcp);
Bytes build_udp(std::uint32_t src, std::uint32_t dst, std::uint16_t src_port,
                std::uint16_t dst_port, std::span<const std::uint8_t> payload);

std::string ipv4_text(std::uint32_t address);
std::optional<std::uint32_t> parse_ipv4_text(const std::string& text);

}  // namespace mitsu::analysis::sandbox

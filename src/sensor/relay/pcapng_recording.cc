#include "sensor/relay/pcapng_recording.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>

namespace mitsu::sensor::relay {
namespace {

constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescription = 1;
constexpr std::uint32_t kEnhancedPacket = 6;
constexpr std::uint16_t kLinktypeRaw = 101;  // packets start with the IP header, v4 or v6
constexpr std::size_t kMaxSegment = 65000;   // payload per synthetic segment
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;

void put16(std::string& s, std::uint16_t v) {  // network order
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v & 0xff);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, static_cast<std::uint16_t>(v >> 16));
  put16(s, static_cast<std::uint16_t>(v & 0xffff));
}
// PCAP-NG block fields are in the writer's byte order (the SHB's magic tells readers which).
template <typename T>
void host(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// RFC 1071 one's-complement sum, folded.
std::uint32_t sum16(const unsigned char* data, std::size_t size, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  }
  if (size % 2 == 1) {
    sum += static_cast<std::uint32_t>(data[size - 1] << 8);
  }
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

// A stable initial sequence number per connection, as a real stack would pick one.
std::uint32_t initial_sequence(const Endpoint& a, const Endpoint& b) {
  std::uint32_t h = 2166136261u;
  for (char c :
       a.address + ":" + std::to_string(a.port) + ">" + b.address + ":" + std::to_string(b.port)) {
    h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  return h;
}

}  // namespace

Result<PcapngRecording> PcapngRecording::create(const std::filesystem::path& path,
                                                const Endpoint& client, const Endpoint& server,
                                                std::int64_t time_us) {
  PcapngRecording r;
  r.path_ = path;
  r.v6_ = client.address.find(':') != std::string::npos;
  int family = r.v6_ ? AF_INET6 : AF_INET;
  if (inet_pton(family, client.address.c_str(), r.client_ip_) != 1 ||
      inet_pton(family, server.address.c_str(), r.server_ip_) != 1) {
    return Error{fmt::format("recording {}: addresses {} and {} are not of one IP family",
                             path.string(), client.address, server.address)};
  }
  r.client_port_ = static_cast<std::uint16_t>(client.port);
  r.server_port_ = static_cast<std::uint16_t>(server.port);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  r.out_.open(path, std::ios::binary | std::ios::trunc);
  if (!r.out_) {
    return Error{fmt::format("cannot create recording {}", path.string())};
  }
  std::string shb;
  host<std::uint32_t>(shb, 0x1A2B3C4D);  // byte-order magic
  host<std::uint16_t>(shb, 1);
  host<std::uint16_t>(shb, 0);
  host<std::int64_t>(shb, -1);  // section length unknown
  r.block(kSectionHeader, shb);
  std::string idb;
  host<std::uint16_t>(idb, kLinktypeRaw);
  host<std::uint16_t>(idb, 0);
  host<std::uint32_t>(idb, 0);  // no snap length
  r.block(kInterfaceDescription, idb);

  r.client_seq_ = initial_sequence(client, server);
  r.server_seq_ = initial_sequence(server, client);
  r.segment(true, kSyn, {}, time_us);
  ++r.client_seq_;
  r.segment(false, kSyn | kAck, {}, time_us);
  ++r.server_seq_;
  r.segment(true, kAck, {}, time_us);
  return r;
}

void PcapngRecording::block(std::uint32_t type, const std::string& body) {
  std::string padded = body;
  padded.resize((body.size() + 3) / 4 * 4, '\0');
  auto total = static_cast<std::uint32_t>(12 + padded.size());
  std::string b;
  host<std::uint32_t>(b, type);
  host<std::uint32_t>(b, total);
  b += padded;
  host<std::uint32_t>(b, total);
  out_.write(b.data(), static_cast<std::streamsize>(b.size()));
  bytes_written_ += b.size();
}

void PcapngRecording::segment(bool from_client, std::uint8_t flags,
                              std::span<const std::byte> payload, std::int64_t time_us) {
  const unsigned char* src = from_client ? client_ip_ : server_ip_;
  const unsigned char* dst = from_client ? server_ip_ : client_ip_;
  std::uint16_t sport = from_client ? client_port_ : server_port_;
  std::uint16_t dport = from_client ? server_port_ : client_port_;
  std::uint32_t seq = from_client ? client_seq_ : server_seq_;
  std::uint32_t ack = (flags & kAck) ? (from_client ? server_seq_ : client_seq_) : 0;
  const auto* data = reinterpret_cast<const unsigned char*>(payload.data());

  // Headers are built here; the payload is written from where it is, never copied.
  std::string tcp;
  put16(tcp, sport);
  put16(tcp, dport);
  put32(tcp, seq);
  put32(tcp, ack);
  tcp += static_cast<char>(5 << 4);
  tcp += static_cast<char>(flags);
  put16(tcp, 65535);
  put16(tcp, 0);  // checksum, below
  put16(tcp, 0);
  std::size_t tcp_length = tcp.size() + payload.size();
  std::size_t address_size = v6_ ? 16 : 4;
  // Pseudo-header (addresses, protocol, TCP length), TCP header, payload (even-aligned after
  // the 20-byte header, so one sum runs on).
  std::uint32_t sum = sum16(src, address_size);
  sum = sum16(dst, address_size, sum);
  sum += 6 + static_cast<std::uint32_t>(tcp_length);
  sum = sum16(reinterpret_cast<const unsigned char*>(tcp.data()), tcp.size(), sum);
  std::uint64_t wide = sum;
  std::size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    // Eight bytes as four big-endian 16-bit words, summed without carries lost (64-bit).
    std::uint64_t w = 0;
    std::memcpy(&w, data + i, 8);
    w = __builtin_bswap64(w);
    wide += (w >> 48) + ((w >> 32) & 0xffff) + ((w >> 16) & 0xffff) + (w & 0xffff);
  }
  while (wide >> 32) {
    wide = (wide & 0xffffffff) + (wide >> 32);
  }
  std::uint16_t tcp_checksum = fold(
      sum16(data + i, payload.size() - i,
            static_cast<std::uint32_t>(wide & 0xffff) + static_cast<std::uint32_t>(wide >> 16)));
  tcp[16] = static_cast<char>(tcp_checksum >> 8);
  tcp[17] = static_cast<char>(tcp_checksum & 0xff);

  std::string ip;
  if (v6_) {
    put32(ip, 0x60000000);
    put16(ip, static_cast<std::uint16_t>(tcp_length));
    ip += static_cast<char>(6);   // next header: TCP
    ip += static_cast<char>(64);  // hop limit
    ip.append(reinterpret_cast<const char*>(src), 16);
    ip.append(reinterpret_cast<const char*>(dst), 16);
  } else {
    ip += static_cast<char>(0x45);
    ip += '\0';
    put16(ip, static_cast<std::uint16_t>(20 + tcp_length));
    put16(ip, ip_id_++);
    put16(ip, 0x4000);  // don't fragment
    ip += static_cast<char>(64);
    ip += static_cast<char>(6);
    put16(ip, 0);
    ip.append(reinterpret_cast<const char*>(src), 4);
    ip.append(reinterpret_cast<const char*>(dst), 4);
    std::uint16_t ip_checksum =
        fold(sum16(reinterpret_cast<const unsigned char*>(ip.data()), ip.size()));
    ip[10] = static_cast<char>(ip_checksum >> 8);
    ip[11] = static_cast<char>(ip_checksum & 0xff);
  }
  std::size_t packet = ip.size() + tcp.size() + payload.size();
  std::size_t padding = (4 - packet % 4) % 4;
  auto total = static_cast<std::uint32_t>(12 + 20 + packet + padding);
  std::string head;
  auto ts = static_cast<std::uint64_t>(time_us);
  host<std::uint32_t>(head, kEnhancedPacket);
  host<std::uint32_t>(head, total);
  host<std::uint32_t>(head, 0);  // interface 0
  host<std::uint32_t>(head, static_cast<std::uint32_t>(ts >> 32));
  host<std::uint32_t>(head, static_cast<std::uint32_t>(ts & 0xffffffff));
  host<std::uint32_t>(head, static_cast<std::uint32_t>(packet));
  host<std::uint32_t>(head, static_cast<std::uint32_t>(packet));
  head += ip;
  head += tcp;
  out_.write(head.data(), static_cast<std::streamsize>(head.size()));
  out_.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(payload.size()));
  std::string tail(padding, '\0');
  host<std::uint32_t>(tail, total);
  out_.write(tail.data(), static_cast<std::streamsize>(tail.size()));
  bytes_written_ += total;

  std::uint32_t advance = static_cast<std::uint32_t>(payload.size()) + ((flags & kFin) ? 1 : 0);
  (from_client ? client_seq_ : server_seq_) += advance;
}

void PcapngRecording::client_data(std::span<const std::byte> bytes, std::int64_t time_us) {
  for (std::size_t at = 0; at < bytes.size() && !closed_; at += kMaxSegment) {
    segment(true, kPsh | kAck, bytes.subspan(at, std::min(kMaxSegment, bytes.size() - at)),
            time_us);
  }
}

void PcapngRecording::server_data(std::span<const std::byte> bytes, std::int64_t time_us) {
  for (std::size_t at = 0; at < bytes.size() && !closed_; at += kMaxSegment) {
    segment(false, kPsh | kAck, bytes.subspan(at, std::min(kMaxSegment, bytes.size() - at)),
            time_us);
  }
}

void PcapngRecording::close(std::int64_t time_us) {
  if (closed_) {
    return;
  }
  segment(true, kFin | kAck, {}, time_us);
  segment(false, kFin | kAck, {}, time_us);
  segment(true, kAck, {}, time_us);
  closed_ = true;
  out_.close();
}

}  // namespace mitsu::sensor::relay

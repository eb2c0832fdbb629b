#pragma once
// One relayed TCP session as a PCAP-NG file Wireshark and tcpdump open: the bytes each side sent,
// in order, inside synthetic but consistent IPv4/IPv6 and TCP headers (handshake, sequence and
// acknowledgement numbers, checksums, FINs), so stream-following tools reassemble it exactly.
// The headers are made up — the relay sees a byte stream, not packets — the payload is not.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "core/result.h"

namespace mitsu::sensor::relay {

struct Endpoint {
  std::string address;  // IPv4 or IPv6 text
  int port = 0;
};

class PcapngRecording {
 public:
  // Creates the file and writes the handshake at `time_us`.
  static Result<PcapngRecording> create(const std::filesystem::path& path, const Endpoint& client,
                                        const Endpoint& server, std::int64_t time_us);

  void client_data(std::span<const std::byte> bytes, std::int64_t time_us);
  void server_data(std::span<const std::byte> bytes, std::int64_t time_us);
  // FIN from both sides, then the file is flushed and closed.
  void close(std::int64_t time_us);

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  PcapngRecording() = default;
  void segment(bool from_client, std::uint8_t flags, std::span<const std::byte> payload,
               std::int64_t time_us);
  void block(std::uint32_t type, const std::string& body);

  std::filesystem::path path_;
  std::ofstream out_;
  bool v6_ = false;
  unsigned char client_ip_[16]{};
  unsigned char server_ip_[16]{};
  std::uint16_t client_port_ = 0;
  std::uint16_t server_port_ = 0;
  std::uint32_t client_seq_ = 0;  // next sequence number each side sends
  std::uint32_t server_seq_ = 0;
  std::uint16_t ip_id_ = 1;
  std::uint64_t bytes_written_ = 0;
  bool closed_ = false;
};

}  // namespace mitsu::sensor::relay

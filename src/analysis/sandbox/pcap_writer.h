#pragma once
// A classic PCAP file of raw IPv4/IPv6 packets (LINKTYPE_RAW): the TUN device has no link layer.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>

namespace mitsu::analysis::sandbox {

class PcapWriter {
 public:
  explicit PcapWriter(const std::filesystem::path& path)
      : out_(path, std::ios::binary | std::ios::trunc) {
    const std::uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101};
    out_.write(reinterpret_cast<const char*>(header), sizeof header);
  }
  void write(std::span<const std::uint8_t> packet) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    const std::uint32_t record[4] = {
        static_cast<std::uint32_t>(us / 1'000'000), static_cast<std::uint32_t>(us % 1'000'000),
        static_cast<std::uint32_t>(packet.size()), static_cast<std::uint32_t>(packet.size())};
    out_.write(reinterpret_cast<const char*>(record), sizeof record);
    out_.write(reinterpret_cast<const char*>(packet.data()),
               static_cast<std::streamsize>(packet.size()));
  }

 private:
  std::ofstream out_;
};

}  // namespace mitsu::analysis::sandbox

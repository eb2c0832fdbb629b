#pragma once
// Synthetic samples for analysis tests: a minimal ELF header for a chosen CPU followed by the
// strings a family is known to carry, in clear or single-byte-XOR encoded. They imitate the
// indicators malware has, not its code; nothing here can run.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mitsu::testing {

struct FakeElf {
  std::uint16_t machine = 40;  // ARM
  bool elf64 = false;
  bool big_endian = false;
  std::uint32_t flags = 0x05000200;  // EABI5 soft-float
};

// A 32/64-bit ELF header with one PT_LOAD segment covering the file, then the payload.
std::vector<std::byte> fake_elf(const FakeElf& header, std::string_view payload);

// The strings, each NUL-terminated, XOR-encoded with key (0: in clear), between filler bytes.
std::string string_table(const std::vector<std::string>& strings, std::uint8_t key = 0);

}  // namespace mitsu::testing

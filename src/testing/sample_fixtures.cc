#include "testing/sample_fixtures.h"

#include <cstring>

namespace mitsu::testing {
namespace {

class Writer {
 public:
  explicit Writer(bool big_endian) : big_endian_(big_endian) {}
  void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void word(std::uint64_t v, bool wide) { put(v, wide ? 8 : 4); }
  void raw(std::string_view s) {
    for (char c : s)
      out_.push_back(static_cast<std::byte>(c));
  }
  std::vector<std::byte>& bytes() { return out_; }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      int shift = big_endian_ ? 8 * (n - 1 - i) : 8 * i;
      out_.push_back(static_cast<std::byte>((v >> shift) & 0xFF));
    }
  }
  bool big_endian_;
  std::vector<std::byte> out_;
};

}  // namespace

std::vector<std::byte> fake_elf(const FakeElf& h, std::string_view payload) {
  const bool w = h.elf64;
  const std::uint16_t ehsize = w ? 64 : 52;
  const std::uint16_t phentsize = w ? 56 : 32;
  const std::uint64_t total = ehsize + phentsize + payload.size();
  Writer out(h.big_endian);
  out.raw(
      "\x7f"
      "ELF");
  out.u8(w ? 2 : 1);
  out.u8(h.big_endian ? 2 : 1);
  out.u8(1);
  for (int i = 0; i < 9; ++i)
    out.u8(0);
  out.u16(2);  // EXEC
  out.u16(h.machine);
  out.u32(1);
  out.word(0x10000 + ehsize + phentsize, w);  // entry
  out.word(ehsize, w);                        // phoff
  out.word(0, w);                             // shoff: none, as stripped bots often have
  out.u32(h.flags);
  out.u16(ehsize);
  out.u16(phentsize);
  out.u16(1);
  out.u16(w ? 64 : 40);
  out.u16(0);
  out.u16(0);
  // PT_LOAD covering the whole file.
  out.u32(1);
  if (w) {
    out.u32(5);
    out.u64(0);
    out.u64(0x10000);
    out.u64(0x10000);
    out.u64(total);
    out.u64(total);
    out.u64(0x1000);
  } else {
    out.u32(0);
    out.u32(0x10000);
    out.u32(0x10000);
    out.u32(static_cast<std::uint32_t>(total));
    out.u32(static_cast<std::uint32_t>(total));
    out.u32(5);
    out.u32(0x1000);
  }
  out.raw(payload);
  return std::move(out.bytes());
}

std::string string_table(const std::vector<std::string>& strings, std::uint8_t key) {
  std::string out(32, '\x01');
  for (const std::string& s : strings) {
    for (char c : s) {
      out.push_back(static_cast<char>(static_cast<std::uint8_t>(c) ^ key));
    }
    out.push_back(static_cast<char>(key));  // the encoded NUL
    out.append(8, '\x01');
  }
  return out;
}

}  // namespace mitsu::testing

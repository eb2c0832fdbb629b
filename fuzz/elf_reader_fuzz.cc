// Fuzzes the ELF reader: any bytes give an ElfInfo (partial, with anomalies), never a crash,
// a read out of bounds or a hang, whatever offsets and counts the headers claim.

#include <cstddef>
#include <cstdint>
#include <span>

#include "analysis/static/elf_info.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mitsu::analysis::ElfInfo info = mitsu::analysis::read_elf(std::as_bytes(std::span(data, size)));
  if (info.is_elf && info.elf_class != 0 && info.arch.empty()) {
    __builtin_trap();  // every readable header names an architecture, if only "unknown"
  }
  if (info.section_names.size() > mitsu::analysis::kMaxSectionNames) {
    __builtin_trap();
  }
  return 0;
}

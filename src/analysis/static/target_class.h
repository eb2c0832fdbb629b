#pragma once
// IoT or PC/server: which kind of machine a sample is built to attack. Documented rules
// (docs/analysis.md), so the same sample always gets the same answer and an analyst can see why.

#include <string>
#include <vector>

#include "analysis/static/elf_info.h"
#include "analysis/static/strings.h"

namespace mitsu::analysis {

struct TargetClass {
  std::string target = "unknown";    // "iot", "pc", or "unknown"
  int score = 0;                     // > 0 leans IoT, < 0 leans PC/server
  std::vector<std::string> reasons;  // one per rule that fired, with its weight
};

TargetClass classify_target(const ElfInfo& elf, const StringsReport& strings);

}  // namespace mitsu::analysis

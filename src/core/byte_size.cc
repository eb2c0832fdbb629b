#include "core/byte_size.h"

#include <map>

namespace mitsu {

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  std::uint64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (value > (UINT64_MAX - 9) / 10) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint64_t>(text[digits] - '0');
    ++digits;
  }
  if (digits == 0) {
    return std::nullopt;
  }
  std::string_view unit = text.substr(digits);
  static const std::map<std::string_view, std::uint64_t> kUnits{
      {"", 1},      {"B", 1},         {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30},
      {"KB", 1000}, {"MB", 1000'000}, {"GB", 1000'000'000}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end() || value > UINT64_MAX / it->second) {
    return std::nullopt;
  }
  return value * it->second;
}

}  // namespace mitsu

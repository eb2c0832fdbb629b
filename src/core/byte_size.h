#pragma once
// Sizes as people write them in configuration: "64MiB", "512KiB", "1GB", "100" (bytes).

#include <cstdint>
#include <optional>
#include <string_view>

namespace mitsu {

// Bytes, or nothing for text that is not a size or overflows 64 bits.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace mitsu

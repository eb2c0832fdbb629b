#pragma once
// What every benchmark shares: failing loudly with one line.

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace mitsu::bench {

[[noreturn]] inline void die(const std::string& message) {
  fmt::print(stderr, "bench: {}\n", message);
  std::exit(1);
}

}  // namespace mitsu::bench

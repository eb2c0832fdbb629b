#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace mitsu::cli {

Progress::Progress(std::string label, std::string unit, std::uint64_t total, bool every_step)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      every_step_(every_step),
      terminal_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (drawn_) {
    // The final figure, not the last one the half-second limit let through, left standing.
    std::fprintf(stderr, "\r\033[K%s\n", line(done_).c_str());
  }
}

std::string Progress::line(std::uint64_t done) const {
  if (total_ == 0) {
    return fmt::format("{}: {} {}", label_, done, unit_);
  }
  return fmt::format("{}: {} of {} {} ({:.0f}%)", label_, done, total_, unit_,
                     100.0 * static_cast<double>(done) / static_cast<double>(total_));
}

void Progress::update(std::uint64_t done) {
  done_ = done;
  if (every_step_) {
    std::fprintf(stderr, "%s\n", line(done).c_str());
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (!terminal_ || now - last_ < std::chrono::milliseconds(500)) {
    return;
  }
  last_ = now;
  drawn_ = true;
  std::fprintf(stderr, "\r\033[K%s", line(done).c_str());  // the line, redrawn in place
  std::fflush(stderr);
}

}  // namespace mitsu::cli

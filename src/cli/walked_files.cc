#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/safe_text.h"

namespace mitsu::cli {

bool log_skipped(const WalkedFiles& walked) {
  bool given_skipped = false;
  for (const SkippedPath& s : walked.skipped) {
    if (s.given) {
      spdlog::error("{}: {}", terminal_safe(s.path.string()), s.why);
      given_skipped = true;
    } else {
      spdlog::warn("{}: skipped: {}", terminal_safe(s.path.string()), s.why);
    }
  }
  return given_skipped;
}

}  // namespace mitsu::cli

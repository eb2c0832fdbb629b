#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "core/safe_text.h"

namespace mitsu::cli {

void report_failures(store::Catalog& catalog, const analysis::WorkerTally& tally,
                     std::string_view kind) {
  constexpr std::size_t kShown = 10;
  std::map<std::string, std::size_t> by_reason;
  for (std::size_t i = 0; i < tally.failures.size(); ++i) {
    const auto& f = tally.failures[i];
    std::string why = f.why;
    if (why.empty()) {
      // The newest failed job of this kind holds the reason its worker gave.
      if (auto jobs = catalog.jobs(f.sha256); jobs) {
        for (const store::JobRecord& j : *jobs) {
          if (j.kind == kind && j.state == "failed") {
            why = j.error;
          }
        }
      }
      why = why.empty() ? "no reason recorded" : why;
    }
    if (i < kShown) {
      std::fprintf(stderr, "%s: %.*s failed: %s\n", f.sha256.c_str(), static_cast<int>(kind.size()),
                   kind.data(), terminal_safe(why).c_str());
    }
    // Kinds of reason: the text before its first ':' (e.g. "sample not in the artifact store").
    ++by_reason[why.substr(0, why.find(':'))];
  }
  if (tally.failures.size() > kShown) {
    std::fprintf(stderr, "… and %zu more failed (mitsu sample SHA256 shows each)\n",
                 tally.failures.size() - kShown);
  }
  for (const auto& [reason, n] : by_reason) {
    std::fprintf(stderr, "  %zu failed: %s\n", n, terminal_safe(reason).c_str());
  }
}

}  // namespace mitsu::cli

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/analysis_worker.h"
#include "analysis/known/known_hash_list.h"
#include "app/platform.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/safe_text.h"

namespace mitsu::cli {

int known_import_command(const Config& config, const KnownImportOptions& options) {
  auto platform = app::Platform::open(config, /*with_spool=*/false);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return kExitFailure;
  }
  int status = kExitOk;
  for (const std::string& file : options.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      spdlog::error("{}: cannot open for reading", file);
      status = kExitFailure;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string source =
        options.source.empty() ? std::filesystem::path(file).filename().string() : options.source;
    analysis::KnownHashList list = analysis::parse_known_hashes(text.str(), source);
    std::string shown = terminal_safe(file);
    if (list.hashes.empty() && !list.problems.empty()) {
      // A PNG or a log given by mistake: one error for the file, not one per line.
      spdlog::error(
          "{}: not a hash list: none of its {} lines is an MD5, SHA-1 or SHA-256 hash "
          "or a MalwareBazaar CSV row; nothing imported",
          shown, list.problems.size());
      status = kExitFailure;
      continue;
    }
    constexpr std::size_t kShown = 20;
    for (std::size_t i = 0; i < list.problems.size() && i < kShown; ++i) {
      std::fprintf(stderr, "%s:%s\n", shown.c_str(), list.problems[i].c_str());
    }
    if (list.problems.size() > kShown) {
      std::fprintf(stderr, "%s: … and %zu more lines skipped\n", shown.c_str(),
                   list.problems.size() - kShown);
    }
    auto added = (*platform)->store.catalog->import_known_hashes(list.hashes);
    if (!added) {
      spdlog::error("{}: {}", shown, added.error());
      return kExitFailure;
    }
    std::fprintf(stderr, "%s: %s, %zu hashes (%zu new), %zu lines skipped\n", shown.c_str(),
                 list.format.c_str(), list.hashes.size(), *added, list.problems.size());
    if (!list.problems.empty()) {
      status = kExitRejected;
    }
  }
  return status;
}

int reanalyze_command(const Config& config, const ReanalyzeOptions& options) {
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  app::Platform& p = *platform;
  auto rules = app::load_rules(p.config);
  if (!rules) {
    spdlog::error("{}", rules.error());
    return kExitFailure;
  }
  if (Status s = p.open_artifacts(); !s) {
    spdlog::error("{}", s.error());
    return kExitFailure;
  }
  auto queued = p.store.catalog->requeue_all("static");
  if (!queued) {
    spdlog::error("{}", queued.error());
    return kExitFailure;
  }
  spdlog::info("queued {} samples for static analysis", *queued);
  auto watchlist = app::load_watchlist(p.config);
  if (!watchlist) {
    spdlog::error("{}", watchlist.error());
    return kExitFailure;
  }
  analysis::AnalysisWorker worker(*p.store.catalog, *p.artifacts, *rules, p.config.analysis,
                                  *watchlist);
  Result<analysis::WorkerTally> done = analysis::WorkerTally{};
  {
    Progress progress("reanalyze", "samples", *queued, options.progress);
    done = worker.run_until_idle([&](const analysis::WorkerTally& so_far) {
      progress.update(so_far.analysed + so_far.failed);
    });
  }
  if (!done) {
    spdlog::error("{}", done.error());
    return kExitFailure;
  }
  std::fprintf(stderr, "re-analysed %zu samples, %zu failed\n", done->analysed, done->failed);
  report_failures(*p.store.catalog, *done, "static");
  return done->failed > 0 ? kExitFailure : kExitOk;
}

}  // namespace mitsu::cli

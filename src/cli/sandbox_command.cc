// `mitsu sandbox FILE`: one sample through the multi-architecture sandbox, by hand.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "analysis/sandbox/sandbox_runner.h"
#include "cli/commands.h"

namespace mitsu::cli {

int sandbox_command(const Config& config, const SandboxCommandOptions& options) {
  analysis::sandbox::SandboxOptions sandbox;
  sandbox.time_limit = std::chrono::milliseconds(static_cast<std::int64_t>(options.seconds * 1000));
  sandbox.work_dir = config.data_dir / "sandbox" / "work";
  sandbox.keep_files = options.keep;
  std::filesystem::path output =
      options.output.empty()
          ? config.data_dir / "sandbox" / std::filesystem::path(options.file).filename()
          : std::filesystem::path(options.output);
  auto run = analysis::sandbox::run_in_sandbox(options.file, output, sandbox);
  if (!run) {
    spdlog::error("{}", run.error());
    return kExitFailure;
  }
  std::ofstream(output / "report.json") << run->report.dump(2) << "\n";
  if (options.json) {
    fmt::print("{}\n", run->report.dump());
    return kExitOk;
  }
  const auto& r = run->report;
  fmt::print("{} ({}), {}: {}\n", options.file, r["arch"].get<std::string>(),
             r["emulator"].get<std::string>(), r["exit"]["reason"].get<std::string>());
  for (const auto& b : r["behaviours"]) {
    std::string attack = b["attack"].get<std::string>();
    fmt::print("  {:<26} {:<10} {}\n", b["tag"].get<std::string>(), attack.empty() ? "-" : attack,
               b["summary"].get<std::string>());
  }
  fmt::print("report {}, capture {}, trace {}\n", (output / "report.json").string(),
             run->pcap.string(), (output / "trace.txt").string());
  return kExitOk;
}

}  // namespace mitsu::cli

// `mitsu sandbox FILE`: one sample through the multi-architecture sandbox, by hand. Only the
// report is printed, and everything in it that came from the sample is escaped for the terminal;
// what the sample itself printed stays in output.txt in the run's directory.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "analysis/sandbox/sandbox_runner.h"
#include "cli/commands.h"
#include "core/safe_text.h"

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
  std::ofstream(output / "report.json") << dump_json(run->report, 2) << "\n";
  if (options.json) {
    // ASCII-only JSON: parses to the same report, and no byte of it can drive a terminal.
    fmt::print("{}\n", dump_json(run->report, -1, "/raw_bytes", /*ascii=*/true));
    return kExitOk;
  }
  const auto& r = run->report;
  auto text = [](const nlohmann::json& value) {
    return terminal_safe(value.is_string() ? value.get<std::string>() : dump_json(value));
  };
  fmt::print("{} ({}), {}: {}\n", terminal_safe(options.file), text(r["arch"]), text(r["emulator"]),
             text(r["exit"]["reason"]));
  for (const auto& b : r["behaviours"]) {
    std::string attack = b["attack"].get<std::string>();
    fmt::print("  {:<26} {:<10} {}\n", text(b["tag"]), attack.empty() ? "-" : attack,
               text(b["summary"]));
  }
  const auto& printed = r["output"]["stdout"];
  if (printed["bytes"].get<std::uint64_t>() > 0) {
    fmt::print("  the sample printed {} bytes (escaped{}): {}\n",
               printed["bytes"].get<std::uint64_t>(),
               printed["truncated"].get<bool>() ? ", cut" : "", text(printed["text"]));
  }
  fmt::print("report {}, capture {}, trace {}, output {}\n",
             terminal_safe((output / "report.json").string()), terminal_safe(run->pcap.string()),
             terminal_safe((output / "trace.txt").string()),
             terminal_safe((output / "output.txt").string()));
  return kExitOk;
}

}  // namespace mitsu::cli

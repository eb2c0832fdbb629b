#include "analysis/sandbox_worker.h"

#include <fmt/format.h>

#include <fstream>
#include <set>

#include "analysis/sandbox/behaviour.h"
#include "core/clock.h"
#include "core/safe_text.h"

namespace mitsu::analysis {

SandboxWorker::SandboxWorker(store::Catalog& catalog, artifacts::ArtifactStore& artifacts,
                             SandboxWorkerOptions options)
    : catalog_(catalog), artifacts_(artifacts), options_(std::move(options)) {}

Result<JobOutcome> SandboxWorker::run_once(int slot) {
  auto taken = catalog_.take_job(
      now_unix_us(), std::chrono::duration_cast<std::chrono::microseconds>(options_.lease).count(),
      "sandbox");
  if (!taken) {
    return taken.failure();
  }
  if (!taken->has_value()) {
    return JobOutcome::kIdle;
  }
  const store::AnalysisJob& job = **taken;
  auto give_up = [&](const std::string& why) -> Result<JobOutcome> {
    if (Status s = catalog_.fail_job(job, why); !s) {
      return s.failure();
    }
    return JobOutcome::kFailed;
  };
  if (job.attempts > options_.max_attempts) {
    return give_up(gave_up_reason(job));
  }
  if (on_taken_) {
    on_taken_(job);
  }
  std::vector<std::byte> bytes;
  if (Status read = artifacts_.read(job.sha256, bytes); !read) {
    return give_up(fmt::format("sample not in the artifact store: {}", read.error()));
  }
  // The sample leaves the artifact store only as a file the jail copies from.
  std::filesystem::path staged = options_.sandbox.work_dir / "staged" / job.sha256;
  std::filesystem::create_directories(staged.parent_path());
  {
    std::ofstream out(staged, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  std::filesystem::path output = options_.reports_dir / job.sha256;
  auto run = sandbox::run_in_sandbox(staged, output, options_.sandbox, slot);
  std::error_code ec;
  std::filesystem::remove(staged, ec);
  if (!run) {
    return give_up(run.error());
  }
  std::ofstream(output / "report.json") << dump_json(run->report, 2) << "\n";

  auto current = catalog_.verdict(job.sha256);
  auto first = catalog_.first_sight(job.sha256);
  if (!current || !first) {
    return Error{!current ? current.error() : first.error()};
  }
  nlohmann::json verdict = current->has_value() ? nlohmann::json::parse(**current, nullptr, false)
                                                : nlohmann::json::object();
  if (verdict.is_discarded()) {
    verdict = nlohmann::json::object();
  }
  verdict["sandbox"] = run->report;
  // Contacted domains are IOCs; those not belonging to public resolvers are malicious.
  std::set<std::string> domains;
  if (verdict.contains("iocs") && verdict["iocs"].contains("domains")) {
    for (const auto& d : verdict["iocs"]["domains"]) {
      if (d.is_string()) {
        domains.insert(d.get<std::string>());
      }
    }
  }
  nlohmann::json malicious = nlohmann::json::array();
  for (const auto& d : run->report["network"]["dns"]) {
    domains.insert(d["name"].get<std::string>());
    if (!sandbox::is_public_resolver_name(d["name"].get<std::string>())) {
      malicious.push_back(d["name"]);
    }
  }
  verdict["iocs"]["domains"] = domains;
  verdict["iocs"]["malicious_domains"] = malicious;
  int version = verdict.contains("analyzer") ? verdict["analyzer"].value("version", 1) : 1;
  store::KnownCheck known = first->value_or(store::KnownCheck{});
  if (Status s = catalog_.finish_job(job, version, dump_json(verdict), known); !s) {
    return s.failure();
  }
  return JobOutcome::kAnalysed;
}

}  // namespace mitsu::analysis

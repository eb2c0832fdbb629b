#include "app/analysis_workers.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

namespace mitsu::app {
namespace {

using std::chrono::milliseconds;

// A worker's lease outlasts the supervisor's deadline, so a job is never taken by a second worker
// while the first still runs it.
constexpr std::chrono::seconds kLeaseMargin{60};

}  // namespace

bool sandbox_available(const Config& config) {
  return config.sandbox.enabled && ::geteuid() == 0;
}

milliseconds job_deadline(const Config& config, std::string_view kind) {
  if (kind == "sandbox") {
    return milliseconds(static_cast<std::int64_t>(config.sandbox.time_limit_seconds * 1000)) +
           std::chrono::seconds(60);
  }
  return config.workers.job_timeout;
}

analysis::AnalysisWorkerOptions analysis_worker_options(const Config& config) {
  analysis::AnalysisWorkerOptions options = config.analysis;
  options.sandbox = sandbox_available(config);
  options.lease =
      std::max(options.lease,
               std::chrono::duration_cast<std::chrono::seconds>(job_deadline(config, "static")) +
                   kLeaseMargin);
  return options;
}

analysis::SandboxWorkerOptions sandbox_worker_options(const Config& config) {
  analysis::SandboxWorkerOptions options;
  options.sandbox.time_limit =
      milliseconds(static_cast<std::int64_t>(config.sandbox.time_limit_seconds * 1000));
  options.sandbox.work_dir = config.data_dir / "sandbox" / "work";
  options.reports_dir = config.data_dir / "sandbox" / "reports";
  options.parallel = config.sandbox.parallel;
  options.lease =
      std::max(options.lease,
               std::chrono::duration_cast<std::chrono::seconds>(job_deadline(config, "sandbox")) +
                   kLeaseMargin);
  return options;
}

std::vector<WorkerSpec> worker_specs(const Config& config, std::string_view kind) {
  std::vector<WorkerSpec> specs;
  unsigned count = kind == "sandbox" ? config.sandbox.parallel : 1;
  for (unsigned slot = 0; slot < count; ++slot) {
    specs.push_back({std::string(kind), static_cast<int>(slot), job_deadline(config, kind)});
  }
  return specs;
}

SupervisorOptions supervisor_options(const Config& config, std::vector<std::string> command) {
  SupervisorOptions options;
  options.command = std::move(command);
  options.backoff = config.workers.restart_backoff;
  options.max_backoff = std::max(options.backoff, options.max_backoff);
  return options;
}

}  // namespace mitsu::app

#pragma once
// What `mitsu run` and `mitsu worker` agree on about the analysis worker processes: which run,
// with which options, and how long a job may take before its worker is taken as hung.

#include <chrono>
#include <string_view>
#include <vector>

#include "analysis/sandbox_worker.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/worker_supervisor.h"

namespace mitsu::cli {

// Whether samples also go to the sandbox: it is enabled, and this process may make namespaces.
bool sandbox_available(const Config& config);

// How long one job of `kind` may run: [analysis] job_timeout_s for static triage, the sandbox's
// time limit and a margin (staging, report) for a sandbox run.
std::chrono::milliseconds job_deadline(const Config& config, std::string_view kind);

analysis::AnalysisWorkerOptions analysis_worker_options(const Config& config);
analysis::SandboxWorkerOptions sandbox_worker_options(const Config& config);

// One static worker; with "sandbox", one per `[sandbox] parallel` slot.
std::vector<WorkerSpec> worker_specs(const Config& config, std::string_view kind);
SupervisorOptions supervisor_options(const Config& config, const GlobalOptions& global);

}  // namespace mitsu::cli

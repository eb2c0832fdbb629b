#pragma once
// What the host of the platform (`mitsu run`) and its worker processes (`mitsu worker`) agree on
// about analysis workers: which run, with which options, and how long a job may take before its
// worker is taken as hung.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analysis_worker.h"
#include "analysis/sandbox_worker.h"
#include "app/config.h"
#include "app/worker_supervisor.h"

namespace mitsu::app {

// Whether samples also go to the sandbox: it is enabled, and this process may make namespaces.
bool sandbox_available(const Config& config);

// How long one job of `kind` may run: [analysis] job_timeout_s for static triage, the sandbox's
// time limit and a margin (staging, report) for a sandbox run.
std::chrono::milliseconds job_deadline(const Config& config, std::string_view kind);

analysis::AnalysisWorkerOptions analysis_worker_options(const Config& config);
analysis::SandboxWorkerOptions sandbox_worker_options(const Config& config);

// One static worker; with "sandbox", one per `[sandbox] parallel` slot.
std::vector<WorkerSpec> worker_specs(const Config& config, std::string_view kind);
// `command` starts this program again as a worker, up to the subcommand (executable and global
// options); the host knows its own command line, the wiring does not.
SupervisorOptions supervisor_options(const Config& config, std::vector<std::string> command);

}  // namespace mitsu::app

#pragma once
// Takes "sandbox" jobs (queued after static triage for ELF and script samples), runs each sample
// in the sandbox and merges the behaviour report into the sample's verdict: contacted domains
// join its IOCs and, unless they are public resolvers' names, are marked malicious.

#include <filesystem>

#include "analysis/analysis_worker.h"
#include "analysis/sandbox/sandbox_runner.h"

namespace mitsu::analysis {

struct SandboxWorkerOptions {
  sandbox::SandboxOptions sandbox;
  std::filesystem::path reports_dir;  // <reports_dir>/<sha256>/{report.json,sandbox.pcap,trace.txt}
  unsigned parallel = 2;              // runs at once (`mitsu run` starts this many workers)
  std::chrono::seconds lease{600};
  int max_attempts = 3;  // a sample that kills the worker this often is given up on
};

class SandboxWorker {
 public:
  SandboxWorker(store::Catalog& catalog, artifacts::ArtifactStore& artifacts,
                SandboxWorkerOptions options);

  // Takes one sandbox job and finishes it; `slot` tells parallel runs apart.
  Result<JobOutcome> run_once(int slot);
  void on_taken(JobTakenHook hook) { on_taken_ = std::move(hook); }

 private:
  store::Catalog& catalog_;
  artifacts::ArtifactStore& artifacts_;
  SandboxWorkerOptions options_;
  JobTakenHook on_taken_;
};

}  // namespace mitsu::analysis

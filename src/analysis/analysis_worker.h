#pragma once
// Takes analysis jobs from the catalog's durable queue, reads each sample from the artifact
// store, runs static triage and stores a versioned verdict with its known/never-seen check.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/cluster/tlsh_index.h"
#include "analysis/static/static_analyzer.h"
#include "artifacts/artifact_store.h"
#include "store/catalog.h"

namespace mitsu::analysis {

struct AnalysisWorkerOptions {
  std::chrono::seconds lease{300};  // a job not finished by then is taken again
  int max_attempts = 3;             // a sample that crashes the worker this often is given up on
  int relative_distance = 100;      // TLSH distance within which a sample counts as a relative
  std::size_t relatives = 5;
  bool sandbox = false;  // queue ELF and script samples for the sandbox after static triage
};

enum class JobOutcome {
  kIdle,      // the queue was empty
  kAnalysed,  // a verdict was stored
  kFailed,    // the job was given up on, with the reason stored
};

// Called with a job the worker is about to analyse (after the attempt limit was checked), so a
// supervising process knows which job a crash or hang belongs to.
using JobTakenHook = std::function<void(const store::AnalysisJob&)>;

// "gave up after N attempts", followed by the reason the last attempt ended when one is known.
std::string gave_up_reason(const store::AnalysisJob& job);

struct WorkerTally {
  std::size_t analysed = 0;
  std::size_t failed = 0;
  struct Failure {
    std::string sha256;
    std::string why;
  };
  std::vector<Failure> failures;  // one per failed job, so no failure goes unexplained
};

class AnalysisWorker {
 public:
  AnalysisWorker(store::Catalog& catalog, artifacts::ArtifactStore& artifacts,
                 std::shared_ptr<const FamilyClassifier> rules, AnalysisWorkerOptions options = {},
                 std::shared_ptr<const VendorProfile> watchlist = nullptr);

  // Takes one job and finishes it.
  Result<JobOutcome> run_once();
  // Runs jobs until none is left.
  // `progress` (when set) is called after each job with the tally so far.
  Result<WorkerTally> run_until_idle(const std::function<void(const WorkerTally&)>& progress = {});
  void on_taken(JobTakenHook hook) { on_taken_ = std::move(hook); }

 private:
  // Adds the sample to the variant index and returns its closest analysed relatives.
  Result<nlohmann::json> relatives(const store::Catalog::Fingerprint& sample);

  store::Catalog& catalog_;
  artifacts::ArtifactStore& artifacts_;
  StaticAnalyzer analyzer_;
  std::vector<std::byte> sample_;  // the sample being analysed, its buffer reused
  AnalysisWorkerOptions options_;
  JobTakenHook on_taken_;
  WorkerTally::Failure last_failure_;  // the job run_once() last gave up on, and why
  // Every analysed sample by TLSH, loaded from the catalog on first use.
  std::optional<TlshIndex> variants_;
  std::vector<store::Catalog::Fingerprint> indexed_;       // by index position
  std::unordered_map<std::string, std::size_t> position_;  // sha256 -> index position
};

}  // namespace mitsu::analysis

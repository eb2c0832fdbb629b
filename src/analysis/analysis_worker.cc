#include "analysis/analysis_worker.h"

#include <fmt/format.h>

#include "core/clock.h"
#include "core/safe_text.h"

namespace mitsu::analysis {

std::string gave_up_reason(const store::AnalysisJob& job) {
  std::string reason = fmt::format("gave up after {} attempts", job.attempts - 1);
  if (!job.last_error.empty()) {
    reason += ": " + job.last_error;
  }
  return reason;
}

AnalysisWorker::AnalysisWorker(store::Catalog& catalog, artifacts::ArtifactStore& artifacts,
                               std::shared_ptr<const FamilyClassifier> rules,
                               AnalysisWorkerOptions options,
                               std::shared_ptr<const VendorProfile> watchlist)
    : catalog_(catalog),
      artifacts_(artifacts),
      analyzer_(std::move(rules), std::move(watchlist)),
      options_(options) {}

Result<JobOutcome> AnalysisWorker::run_once() {
  std::int64_t now = now_unix_us();
  auto taken = catalog_.take_job(
      now, std::chrono::duration_cast<std::chrono::microseconds>(options_.lease).count());
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
    last_failure_ = {job.sha256, why};
    return JobOutcome::kFailed;
  };
  if (job.attempts > options_.max_attempts) {
    return give_up(gave_up_reason(job));
  }
  if (on_taken_) {
    on_taken_(job);
  }
  if (Status read = artifacts_.read(job.sha256, sample_); !read) {
    return give_up(fmt::format("sample not in the artifact store: {}", read.error()));
  }
  auto verdict = analyzer_.analyze(sample_);
  if (!verdict) {
    return give_up(verdict.error());
  }
  if (verdict->hashes.sha256 != job.sha256) {
    return give_up("stored file does not match its SHA-256: artifact store damaged");
  }

  // Known or never seen is decided at first sight and kept; re-analysis reports the original.
  store::KnownCheck check;
  auto first = catalog_.first_sight(job.sha256);
  if (!first) {
    return first.failure();
  }
  if (first->has_value()) {
    check = **first;
  } else {
    std::vector<std::string> hashes{verdict->hashes.sha256, verdict->hashes.md5,
                                    verdict->hashes.sha1};
    auto known = catalog_.find_known(hashes);
    auto against = catalog_.known_sources_summary();
    if (!known || !against) {
      return Error{known ? against.error() : known.error()};
    }
    check.known = known->has_value();
    check.source = check.known ? (*known)->source : "";
    check.checked_us = now;
    check.checked_against = *against;
  }
  nlohmann::json json = verdict->to_json();
  auto related =
      relatives({job.sha256, verdict->hashes.tlsh, verdict->hashes.ssdeep, verdict->family.family});
  if (!related) {
    return related.failure();
  }
  json["relatives"] = std::move(*related);
  json["known"] = {{"known", check.known},
                   {"source", check.source},
                   {"checked_at", format_timestamp_us(check.checked_us)},
                   {"checked_against", check.checked_against}};
  if (Status s = catalog_.finish_job(job, kStaticAnalyzerVersion, dump_json(json), check); !s) {
    return s.failure();
  }
  FileCategory category = verdict->file_type.category;
  if (options_.sandbox && (category == FileCategory::kElf || category == FileCategory::kScript)) {
    if (Status s = catalog_.enqueue_job(job.sha256, "sandbox", now); !s) {
      return s.failure();
    }
  }
  return JobOutcome::kAnalysed;
}

Result<nlohmann::json> AnalysisWorker::relatives(const store::Catalog::Fingerprint& sample) {
  if (!variants_) {
    auto known = catalog_.fingerprints();
    if (!known) {
      return known.failure();
    }
    variants_.emplace();
    for (store::Catalog::Fingerprint& f : *known) {
      if (auto at = variants_->add(f.tlsh)) {
        position_[f.sha256] = *at;
        indexed_.push_back(std::move(f));
      }
    }
  }
  nlohmann::json out = nlohmann::json::array();
  auto existing = position_.find(sample.sha256);
  std::optional<std::size_t> at;
  if (existing != position_.end()) {
    at = existing->second;
  } else if ((at = variants_->add(sample.tlsh))) {
    position_[sample.sha256] = *at;
    indexed_.push_back(sample);
  }
  if (!at) {
    return out;  // too small or too uniform for TLSH
  }
  for (const Neighbour& n :
       variants_->nearest(*at, options_.relatives, options_.relative_distance)) {
    const store::Catalog::Fingerprint& relative = indexed_[n.index];
    out.push_back({{"sha256", relative.sha256},
                   {"family", relative.family},
                   {"distance", n.distance},
                   {"ssdeep_similarity", ssdeep_similarity(sample.ssdeep, relative.ssdeep)}});
  }
  return out;
}

Result<WorkerTally> AnalysisWorker::run_until_idle(
    const std::function<void(const WorkerTally&)>& progress) {
  WorkerTally tally;
  while (true) {
    auto ran = run_once();
    if (!ran) {
      return ran.failure();
    }
    switch (*ran) {
      case JobOutcome::kIdle:
        return tally;
      case JobOutcome::kAnalysed:
        ++tally.analysed;
        break;
      case JobOutcome::kFailed:
        ++tally.failed;
        tally.failures.push_back(last_failure_);
        break;
    }
    if (progress) {
      progress(tally);
    }
  }
}

}  // namespace mitsu::analysis

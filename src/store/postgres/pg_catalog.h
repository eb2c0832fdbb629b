#pragma once
// Catalog on PostgreSQL: shared by every collector and worker of a scale-out deployment, so
// claims, upserts and job leases are safe under concurrent writers on other machines.

#include <map>
#include <string>

#include "store/catalog.h"
#include "store/postgres/pg_database.h"

namespace mitsu::store::postgres {

class PgCatalog : public Catalog {
 public:
  // Applies the "catalog" migrations.
  static Result<std::unique_ptr<PgCatalog>> open(PgDatabase& db);

  void set_verdict_observer(std::string_view slot, VerdictObserver observer) override {
    std::lock_guard lock(db_.mutex());  // finish_job calls them under it
    if (observer) {
      verdict_observers_[std::string(slot)] = std::move(observer);
    } else {
      verdict_observers_.erase(std::string(slot));
    }
  }

  Result<std::vector<bool>> claim_events(std::span<const std::string_view> ids) override;
  Status apply(std::span<const Event* const> fresh_events) override;
  Result<std::optional<SessionRecord>> session(std::string_view id) override;
  Result<std::vector<SessionRecord>> recent_sessions(std::size_t limit) override;
  Result<std::vector<SampleRecord>> recent_samples(std::size_t limit) override;
  Result<std::vector<SensorRecord>> sensors() override;
  Result<std::optional<SampleRecord>> sample(std::string_view sha256) override;
  Result<std::uint64_t> queued_jobs() override;
  Result<std::vector<JobCount>> job_counts() override;
  Result<std::vector<FinishedJob>> finished_jobs(std::int64_t since_us) override;
  Result<std::vector<JobRecord>> jobs(std::string_view sha256) override;
  Result<std::size_t> import_known_hashes(std::span<const KnownHash> hashes) override;
  Result<std::optional<KnownHash>> find_known(std::span<const std::string> hashes) override;
  Result<std::string> known_sources_summary() override;
  Result<std::vector<KnownSource>> known_sources() override;
  Result<std::map<std::uint32_t, std::string>> as_names(
      std::span<const std::uint32_t> asns) override;
  Result<std::optional<AnalysisJob>> take_job(std::int64_t now_us, std::int64_t lease_us,
                                              std::string_view kind = "static") override;
  Status enqueue_job(std::string_view sha256, std::string_view kind, std::int64_t now_us) override;
  Status finish_job(const AnalysisJob& job, int analyzer_version, const std::string& verdict_json,
                    const KnownCheck& known) override;
  Status fail_job(const AnalysisJob& job, std::string_view error) override;
  Status release_job(std::int64_t job_id, std::string_view reason, bool count_attempt) override;
  Result<std::size_t> requeue_all(std::string_view kind) override;
  Result<std::optional<std::string>> verdict(std::string_view sha256) override;
  Result<std::optional<KnownCheck>> first_sight(std::string_view sha256) override;
  Result<std::vector<Fingerprint>> fingerprints() override;

 private:
  explicit PgCatalog(PgDatabase& db) : db_(db) {}
  Status upsert_sessions(const std::map<std::string_view, SessionRecord>& sessions);
  Result<std::vector<SessionRecord>> select_sessions(std::string_view where_and_order,
                                                     std::optional<std::string_view> argument);
  Result<std::vector<SampleRecord>> select_samples(std::string_view where_order,
                                                   std::optional<std::string_view> key);

  PgDatabase& db_;
  std::map<std::string, VerdictObserver> verdict_observers_;
};

}  // namespace mitsu::store::postgres

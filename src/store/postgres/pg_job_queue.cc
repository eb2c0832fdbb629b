#include "core/clock.h"
#include "store/postgres/pg_catalog.h"

// The catalog's analysis queue, shared by any number of workers on any machines: a worker takes
// the oldest free job with FOR UPDATE SKIP LOCKED (never waiting on another worker's pick),
// leases it, writes a verdict and marks it done; a dead worker's lease runs out.

namespace mitsu::store::postgres {

Result<std::uint64_t> PgCatalog::queued_jobs() {
  auto count = db_.query_int("SELECT count(*) FROM analysis_jobs WHERE state = 'queued'");
  if (!count) {
    return count.failure();
  }
  return static_cast<std::uint64_t>(*count);
}

Result<std::vector<JobCount>> PgCatalog::job_counts() {
  auto select = db_.prepare(
      "SELECT kind, state, count(*) FROM analysis_jobs GROUP BY kind, state ORDER BY kind, state");
  std::vector<JobCount> counts;
  Status s = select->each_row([&](const Row& row) {
    counts.push_back(
        {std::string(row.column_text(0)), std::string(row.column_text(1)), row.column_int(2)});
  });
  if (!s) {
    return s.failure();
  }
  return counts;
}

Result<std::vector<FinishedJob>> PgCatalog::finished_jobs(std::int64_t since_us) {
  auto select = db_.prepare(
      "SELECT kind, state, queued_us, finished_us FROM analysis_jobs"
      " WHERE finished_us >= $1 AND queued_us IS NOT NULL ORDER BY finished_us, id");
  select->bind(1, since_us);
  std::vector<FinishedJob> jobs;
  Status s = select->each_row([&](const Row& row) {
    jobs.push_back({std::string(row.column_text(0)), std::string(row.column_text(1)),
                    row.column_int(2), row.column_int(3)});
  });
  if (!s) {
    return s.failure();
  }
  return jobs;
}

Result<std::vector<JobRecord>> PgCatalog::jobs(std::string_view sha256) {
  auto select = db_.prepare(
      "SELECT id, sha256, kind, state, attempts, coalesce(error, '') FROM analysis_jobs"
      " WHERE sha256 = $1 ORDER BY id");
  select->bind(1, sha256);
  std::vector<JobRecord> jobs;
  Status s = select->each_row([&](const Row& row) {
    jobs.push_back({row.column_int(0), std::string(row.column_text(1)),
                    std::string(row.column_text(2)), std::string(row.column_text(3)),
                    row.column_int(4), std::string(row.column_text(5))});
  });
  if (!s) {
    return s.failure();
  }
  return jobs;
}

Status PgCatalog::enqueue_job(std::string_view sha256, std::string_view kind, std::int64_t now_us) {
  auto enqueue = db_.prepare(
      "INSERT INTO analysis_jobs (sha256, kind, created_us, queued_us) VALUES ($1, $2, $3, $4)"
      " ON CONFLICT (sha256, kind) DO UPDATE SET state = 'queued', attempts = 0,"
      " lease_until_us = NULL, error = NULL, queued_us = $4, finished_us = NULL");
  enqueue->bind(1, sha256).bind(2, kind).bind(3, now_us).bind(4, now_unix_us());
  return enqueue->run();
}

Result<std::optional<AnalysisJob>> PgCatalog::take_job(std::int64_t now_us, std::int64_t lease_us,
                                                       std::string_view kind) {
  // The row lock is re-checked against the committed row, so a job another worker took a moment
  // ago (now running, lease current) is not taken again.
  auto take = db_.prepare(
      "UPDATE analysis_jobs SET state = 'running', attempts = attempts + 1,"
      " lease_until_us = $1 + $2"
      " WHERE id = (SELECT id FROM analysis_jobs WHERE kind = $3 AND (state = 'queued'"
      "             OR (state = 'running' AND lease_until_us < $1)) ORDER BY id LIMIT 1"
      "             FOR UPDATE SKIP LOCKED)"
      " RETURNING id, sha256, kind, attempts, coalesce(error, '')");
  take->bind(1, now_us).bind(2, lease_us).bind(3, kind);
  std::optional<AnalysisJob> job;
  Status status = take->each_row([&](const Row& row) {
    job = AnalysisJob{row.column_int(0), std::string(row.column_text(1)),
                      std::string(row.column_text(2)), row.column_int(3),
                      std::string(row.column_text(4))};
  });
  if (!status) {
    return status.failure();
  }
  return job;
}

Status PgCatalog::finish_job(const AnalysisJob& job, int analyzer_version,
                             const std::string& verdict_json, const KnownCheck& known) {
  return db_.run([&]() -> Status {
    auto verdict = db_.prepare(
        "INSERT INTO verdicts (sha256, analyzer_version, created_us, body) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (sha256, analyzer_version) DO UPDATE SET created_us = excluded.created_us,"
        " body = excluded.body");
    auto done = db_.prepare(
        "UPDATE analysis_jobs SET state = 'done', lease_until_us = NULL, error = NULL,"
        " finished_us = $2 WHERE id = $1");
    // Only the first analysis decides "known at first sight"; re-analysis keeps it.
    auto sighted = db_.prepare(
        "UPDATE samples SET known_at_first_sight = $2, known_source = $3, checked_us = $4,"
        " checked_against = $5 WHERE sha256 = $1 AND known_at_first_sight IS NULL");
    verdict->bind(1, job.sha256).bind(2, std::int64_t{analyzer_version});
    verdict->bind(3, known.checked_us).bind(4, verdict_json);
    done->bind(1, job.id).bind(2, now_unix_us());
    sighted->bind(1, job.sha256).bind(2, std::int64_t{known.known ? 1 : 0});
    sighted->bind_optional(3, known.source).bind(4, known.checked_us);
    sighted->bind(5, known.checked_against);
    for (Statement* q : {&*verdict, &*done, &*sighted}) {
      if (Status s = q->run(); !s) {
        return s;
      }
    }
    for (const auto& [slot, observer] : verdict_observers_) {
      if (Status s = observer(job.sha256); !s) {
        return s;
      }
    }
    return Status{};
  });
}

Status PgCatalog::fail_job(const AnalysisJob& job, std::string_view error) {
  auto fail = db_.prepare(
      "UPDATE analysis_jobs SET state = 'failed', lease_until_us = NULL, error = $2,"
      " finished_us = $3 WHERE id = $1");
  fail->bind(1, job.id).bind(2, error).bind(3, now_unix_us());
  return fail->run();
}

Status PgCatalog::release_job(std::int64_t job_id, std::string_view reason, bool count_attempt) {
  // An uncounted stop (shutdown) keeps the reason an earlier crash left, if any.
  auto release = db_.prepare(
      "UPDATE analysis_jobs SET state = 'queued', lease_until_us = NULL,"
      " error = CASE WHEN $3 <> 0 OR error IS NULL THEN $2 ELSE error END,"
      " attempts = CASE WHEN $3 <> 0 THEN attempts ELSE GREATEST(attempts - 1, 0) END"
      " WHERE id = $1 AND state = 'running'");
  release->bind(1, job_id).bind(2, reason).bind(3, std::int64_t{count_attempt ? 1 : 0});
  return release->run();
}

Result<std::size_t> PgCatalog::requeue_all(std::string_view kind) {
  auto requeue = db_.prepare(
      "INSERT INTO analysis_jobs (sha256, kind, created_us, queued_us)"
      " SELECT sha256, $1, $2, $2 FROM samples"
      " ON CONFLICT (sha256, kind) DO UPDATE SET state = 'queued', attempts = 0,"
      " lease_until_us = NULL, error = NULL, queued_us = excluded.queued_us, finished_us = NULL");
  requeue->bind(1, kind).bind(2, now_unix_us());
  auto queued = requeue->affected();
  if (!queued) {
    return queued.failure();
  }
  return static_cast<std::size_t>(*queued);
}

}  // namespace mitsu::store::postgres

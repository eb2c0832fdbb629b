#pragma once
// The catalog: transactional records about sessions, sensors, samples, verdicts and analysis
// jobs, and the claims that make ingest exactly-once. Engines are opened by store_factory.h.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/result.h"

namespace mitsu::store {

struct SessionRecord {
  std::string id;
  std::string sensor;
  std::string site;
  std::string protocol;
  std::string src_ip;
  int src_port = 0;
  int dst_port = 0;
  std::string device_type;
  std::string vendor;
  std::string model;
  std::int64_t started_us = 0;
  std::int64_t last_seen_us = 0;
  std::optional<std::int64_t> ended_us;
  std::int64_t events = 0;
  std::int64_t login_attempts = 0;
  std::int64_t logins_succeeded = 0;
  std::int64_t commands = 0;
  std::int64_t exploits = 0;
  std::int64_t downloads = 0;
  std::int64_t uploads = 0;
};

struct SensorRecord {
  std::string id;
  std::string site;
  std::int64_t first_seen_us = 0;
  std::int64_t last_seen_us = 0;
  std::int64_t events = 0;
};

struct SampleRecord {
  std::string sha256;
  std::int64_t size = -1;
  std::int64_t first_seen_us = 0;
  std::int64_t last_seen_us = 0;
  std::int64_t sightings = 0;
};

// A hash some other source already knew (a feed dump, a list), imported by the operator.
struct KnownHash {
  std::string hash;  // lower-case hex: MD5, SHA-1 or SHA-256
  std::string source;
  std::string signature;  // the source's family name, when it gives one
  std::optional<std::int64_t> first_seen_us;
};

// One source of the known-hash corpus, as imported.
struct KnownSource {
  std::string source;
  std::int64_t hashes = 0;
  std::int64_t with_signature = 0;  // hashes the source names a family for
  std::int64_t imported_us = 0;     // the latest import
};

struct AnalysisJob {
  std::int64_t id = 0;
  std::string sha256;
  std::string kind;           // "static", then "sandbox" for ELF and script samples
  std::int64_t attempts = 0;  // including this one
  std::string last_error;     // why the previous attempt ended (release_job), if it did
};

// A job as it stands, for an analyst (why did this sample get no verdict?) and for tests.
struct JobRecord {
  std::int64_t id = 0;
  std::string sha256;
  std::string kind;
  std::string state;  // "queued", "running", "done" or "failed"
  std::int64_t attempts = 0;
  std::string error;  // why it failed, or why its last attempt ended
};

// How many jobs of a kind are in a state, for the metrics.
struct JobCount {
  std::string kind;
  std::string state;
  std::int64_t count = 0;
};

// A job that ended (done or failed): when it was last queued and when it ended (wall clock), for
// the analysis latency metric.
struct FinishedJob {
  std::string kind;
  std::string state;
  std::int64_t queued_us = 0;
  std::int64_t finished_us = 0;
};

// What "known" meant when a sample was first analysed.
struct KnownCheck {
  bool known = false;
  std::string source;  // the first source that knew it, if any
  std::int64_t checked_us = 0;
  std::string checked_against;  // e.g. "3 imported sources (120034 hashes)"
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // Claims event ids for ingest (docs/ingest.md): returns, per id in order, whether it is claimed
  // now (fresh) rather than by an earlier batch or earlier in this one. Idempotent: a replayed id
  // is never fresh again. The claims commit or roll back with the unit of work around them, so
  // only events whose catalog updates committed stay claimed.
  virtual Result<std::vector<bool>> claim_events(std::span<const std::string_view> ids) = 0;
  // Bookkeeping for freshly claimed events: sessions, sensors, samples and their analysis jobs.
  // Runs in the unit of work that claimed them, so each event is counted once.
  virtual Status apply(std::span<const Event* const> fresh_events) = 0;

  virtual Result<std::optional<SessionRecord>> session(std::string_view id) = 0;
  virtual Result<std::vector<SessionRecord>> recent_sessions(std::size_t limit) = 0;
  virtual Result<std::vector<SensorRecord>> sensors() = 0;
  virtual Result<std::optional<SampleRecord>> sample(std::string_view sha256) = 0;
  // The most recently seen samples, newest first, at most `limit`.
  virtual Result<std::vector<SampleRecord>> recent_samples(std::size_t limit) = 0;
  virtual Result<std::uint64_t> queued_jobs() = 0;
  virtual Result<std::vector<JobCount>> job_counts() = 0;  // by kind, then state
  // Jobs that ended at or after `since_us`, oldest end first (those ended before the schema
  // kept the time are not among them).
  virtual Result<std::vector<FinishedJob>> finished_jobs(std::int64_t since_us) = 0;
  // Every job of one sample, oldest first.
  virtual Result<std::vector<JobRecord>> jobs(std::string_view sha256) = 0;

  // Known-hash corpus.
  virtual Result<std::size_t> import_known_hashes(std::span<const KnownHash> hashes) = 0;
  virtual Result<std::optional<KnownHash>> find_known(std::span<const std::string> hashes) = 0;
  virtual Result<std::string> known_sources_summary() = 0;
  // Every imported source, by name.
  virtual Result<std::vector<KnownSource>> known_sources() = 0;
  // The names the GeoIP data gave these autonomous systems at ingest (the newest name each);
  // an AS never seen with a name is left out.
  virtual Result<std::map<std::uint32_t, std::string>> as_names(
      std::span<const std::uint32_t> asns) = 0;

  // Analysis queue. A job is leased: a worker that dies mid-job loses its lease and the job is
  // taken again, so it is never lost; verdicts are keyed by (sample, analyzer version), so a
  // retried job replaces its verdict instead of adding a second one.
  virtual Result<std::optional<AnalysisJob>> take_job(std::int64_t now_us, std::int64_t lease_us,
                                                      std::string_view kind = "static") = 0;
  // Queues a job of another kind for a sample (again, when it ran before).
  virtual Status enqueue_job(std::string_view sha256, std::string_view kind,
                             std::int64_t now_us) = 0;
  virtual Status finish_job(const AnalysisJob& job, int analyzer_version,
                            const std::string& verdict_json, const KnownCheck& known) = 0;
  // Gives up on a job for good (the sample is missing, or it failed too often).
  virtual Status fail_job(const AnalysisJob& job, std::string_view error) = 0;
  // Puts a running job back in the queue at once (its worker crashed, hung or was stopped),
  // keeping `reason` as its last error. Without count_attempt the attempt it was on is not
  // counted (a shutdown is not the sample's fault). A job no longer running is left alone.
  virtual Status release_job(std::int64_t job_id, std::string_view reason, bool count_attempt) = 0;
  // Queues every sample again (after a rules update); returns how many.
  virtual Result<std::size_t> requeue_all(std::string_view kind) = 0;
  // The newest verdict of a sample, as stored.
  virtual Result<std::optional<std::string>> verdict(std::string_view sha256) = 0;
  // (sha256, TLSH, ssdeep, family) of every analysed sample, for finding a new sample's relatives.
  struct Fingerprint {
    std::string sha256;
    std::string tlsh;
    std::string ssdeep;
    std::string family;
  };
  virtual Result<std::vector<Fingerprint>> fingerprints() = 0;
  // The known-at-first-sight record of a sample, once analysed.
  virtual Result<std::optional<KnownCheck>> first_sight(std::string_view sha256) = 0;

  // Called in the unit of work that writes a verdict (finish_job), once it is written: the
  // rollups move the sample to its family and arch there, and alerts are raised (a never-seen
  // sample). One observer per slot ("rollups", "alerts"), called in slot order; empty removes.
  using VerdictObserver = std::function<Status(std::string_view sha256)>;
  virtual void set_verdict_observer(std::string_view slot, VerdictObserver observer) = 0;
};

// Runs a body atomically in the catalog (claims, catalog updates, rollup deltas): all of it
// commits or none. Ingest does not need it to span the event store (docs/ingest.md).
class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;
  virtual Status run(const std::function<Status()>& body) = 0;
  // True when event store writes made inside run() commit with it too (one SQLite file): ingest
  // then saves a commit per batch. An optimisation only; correctness never depends on it.
  virtual bool covers_event_store() const { return false; }
};

}  // namespace mitsu::store

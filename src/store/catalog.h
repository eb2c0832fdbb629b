#pragma once
// The catalog: transactional records about sessions, sensors, samples, verdicts and analysis
// jobs. SQLite is the embedded engine (store/sqlite); PostgreSQL comes for scale-out.

#include <cstdint>
#include <functional>
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

class Catalog {
 public:
  virtual ~Catalog() = default;

  // Bookkeeping for newly stored events: sessions, sensors, samples and their analysis jobs.
  // Runs inside the same unit of work as EventStore::insert, so it counts each event once.
  virtual Status apply(std::span<const Event* const> fresh_events) = 0;

  virtual Result<std::optional<SessionRecord>> session(std::string_view id) = 0;
  virtual Result<std::vector<SessionRecord>> recent_sessions(std::size_t limit) = 0;
  virtual Result<std::vector<SensorRecord>> sensors() = 0;
  virtual Result<std::optional<SampleRecord>> sample(std::string_view sha256) = 0;
  virtual Result<std::uint64_t> queued_jobs() = 0;
};

// Runs a body atomically across the event store and the catalog. The embedded engine shares one
// SQLite transaction; scale-out engines make catalog updates idempotent instead.
class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;
  virtual Status run(const std::function<Status()>& body) = 0;
};

}  // namespace mitsu::store

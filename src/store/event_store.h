#pragma once
// The event store: every accepted event, append-heavy and analytical. SQLite is the embedded
// engine (store/sqlite); a ClickHouse engine implements the same interface for scale-out.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/event_parser.h"
#include "core/result.h"

namespace mitsu::store {

struct EventQuery {
  std::optional<std::string> action;
  std::optional<std::string> session_id;
  std::optional<std::string> src_ip;
  std::optional<std::string> sensor;
  std::optional<std::string> site;
  std::optional<std::string> protocol;
  std::optional<std::int64_t> since_us;  // inclusive
  std::optional<std::int64_t> until_us;  // exclusive
  std::size_t limit = 100;
};

struct InsertOutcome {
  std::size_t inserted = 0;
  std::size_t duplicates = 0;
  std::vector<bool> fresh;  // per input event: stored now (true) or already present (false)
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Stores events not stored before (by event.id). Runs inside the caller's unit of work.
  virtual Result<InsertOutcome> insert(std::span<const Event> events) = 0;
  // Keeps an event that failed validation, with the reason, so nothing is dropped silently.
  virtual Status quarantine(std::string_view raw, const Rejection& why,
                            std::int64_t received_us) = 0;

  // Newest first.
  virtual Result<std::vector<Event>> query(const EventQuery& query) = 0;
  virtual Result<std::uint64_t> count() = 0;
  virtual Result<std::uint64_t> quarantined_count() = 0;
};

}  // namespace mitsu::store

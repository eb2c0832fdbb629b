#pragma once
// The event store: every accepted event, append-heavy and analytical. SQLite is the embedded
// engine, ClickHouse the scale-out one; both are opened by store_factory.h.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/event_parser.h"
#include "core/result.h"

namespace mitsu::store {

// Where a page of events ended: the next page starts strictly after it, in the query's order.
struct EventCursor {
  std::int64_t ts_us = 0;
  std::string id;
};

struct EventQuery {
  std::optional<std::string> action;
  std::optional<std::string> session_id;
  std::optional<std::string> src_ip;
  std::optional<std::string> sensor;
  std::optional<std::string> site;
  std::optional<std::string> protocol;
  std::optional<std::string> sha256;     // file.hash.sha256: a sample's sightings
  std::optional<std::int64_t> since_us;  // inclusive
  std::optional<std::int64_t> until_us;  // exclusive
  std::size_t limit = 100;
  bool oldest_first = false;         // a session's transcript reads in time order
  std::optional<EventCursor> after;  // paging; count() ignores it
};

// A record that failed validation, as quarantine() kept it.
struct QuarantinedRecord {
  std::int64_t received_us = 0;
  std::string code;    // reject_code_name(), e.g. "bad_json"
  std::string reason;  // Rejection::detail
  std::string raw;     // the bytes as received
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Stores events, idempotently per event.id: inserting an event again stores nothing twice.
  // It does not say which events were new; the catalog's claims do (docs/ingest.md).
  virtual Status insert(std::span<const Event> events) = 0;
  // Keeps a record that failed validation, with the reason, so nothing is dropped silently.
  // Idempotent per record content: the same bytes quarantined again are kept once.
  virtual Status quarantine(std::string_view raw, const Rejection& why,
                            std::int64_t received_us) = 0;

  // Newest first (or oldest first), at most query.limit events.
  virtual Result<std::vector<Event>> query(const EventQuery& query) = 0;
  // How many events match the query's filters, whatever its limit ("50 of 105036").
  virtual Result<std::uint64_t> count(const EventQuery& query) = 0;
  virtual Result<std::uint64_t> count() = 0;
  virtual Result<std::uint64_t> quarantined_count() = 0;
  // The newest quarantined records, at most `limit`.
  virtual Result<std::vector<QuarantinedRecord>> quarantined(std::size_t limit) = 0;

  // Every stored event, with its enrichment and kind-specific fields, `batch_size` at a time, in
  // an order the engine pages through stably (SQLite: arrival). For recomputing what is derived
  // from events (mitsu rollups rebuild); stops at the first error `visit` returns.
  virtual Status scan(std::size_t batch_size,
                      const std::function<Status(std::span<const Event>)>& visit) = 0;
};

}  // namespace mitsu::store

#pragma once
// EventStore on PostgreSQL (the "postgres" engine): one row per event with the indexed columns
// and the JSON body, written a batch per statement through array parameters.

#include <memory>

#include "store/event_store.h"
#include "store/postgres/pg_database.h"

namespace mitsu::store::postgres {

class PgEventStore : public EventStore {
 public:
  // Applies the "events" migrations.
  static Result<std::unique_ptr<PgEventStore>> open(PgDatabase& db);

  Status insert(std::span<const Event> events) override;
  Status quarantine(std::string_view raw, const Rejection& why, std::int64_t received_us) override;
  Result<std::vector<Event>> query(const EventQuery& query) override;
  Result<std::uint64_t> count(const EventQuery& query) override;
  Result<std::uint64_t> count() override;
  Result<std::uint64_t> quarantined_count() override;
  Result<std::vector<QuarantinedRecord>> quarantined(std::size_t limit) override;
  // In insertion order (seq), each batch in id order.
  Status scan(std::size_t batch_size,
              const std::function<Status(std::span<const Event>)>& visit) override;

 private:
  explicit PgEventStore(PgDatabase& db) : db_(db) {}
  Status insert_chunk(std::span<const Event> events);
  Result<std::uint64_t> scalar(std::string_view sql);

  PgDatabase& db_;
};

}  // namespace mitsu::store::postgres

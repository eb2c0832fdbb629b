#pragma once
// EventStore on SQLite: one row per event with the indexed columns and the JSON body.

#include "store/event_store.h"
#include "store/sqlite/sqlite_database.h"

namespace mitsu::store::sqlite {

class SqliteEventStore : public EventStore {
 public:
  // Applies the "events" migrations.
  static Result<std::unique_ptr<SqliteEventStore>> open(SqliteDatabase& db);

  Status insert(std::span<const Event> events) override;
  Status quarantine(std::string_view raw, const Rejection& why, std::int64_t received_us) override;
  Result<std::vector<Event>> query(const EventQuery& query) override;
  Result<std::uint64_t> count(const EventQuery& query) override;
  Result<std::uint64_t> count() override;
  Result<std::uint64_t> quarantined_count() override;
  Result<std::vector<QuarantinedRecord>> quarantined(std::size_t limit) override;
  Status scan(std::size_t batch_size,
              const std::function<Status(std::span<const Event>)>& visit) override;

 private:
  explicit SqliteEventStore(SqliteDatabase& db) : db_(db) {}
  Status insert_rows(std::span<const Event> events);
  Result<std::uint64_t> scalar(std::string_view sql);

  SqliteDatabase& db_;
  Statement insert_;
  Statement quarantine_;
};

}  // namespace mitsu::store::sqlite

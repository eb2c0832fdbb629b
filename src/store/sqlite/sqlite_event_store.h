#pragma once
// EventStore on SQLite: one row per event with the indexed columns and the JSON body.

#include "store/event_store.h"
#include "store/sqlite/sqlite_database.h"

namespace mitsu::store::sqlite {

class SqliteEventStore : public EventStore {
 public:
  // Applies the "events" migrations.
  static Result<std::unique_ptr<SqliteEventStore>> open(SqliteDatabase& db);

  Result<InsertOutcome> insert(std::span<const Event> events) override;
  Status quarantine(std::string_view raw, const Rejection& why, std::int64_t received_us) override;
  Result<std::vector<Event>> query(const EventQuery& query) override;
  Result<std::uint64_t> count() override;
  Result<std::uint64_t> quarantined_count() override;

 private:
  explicit SqliteEventStore(SqliteDatabase& db) : db_(db) {}
  Result<std::uint64_t> scalar(std::string_view sql);

  SqliteDatabase& db_;
  Statement insert_;
  Statement quarantine_;
};

}  // namespace mitsu::store::sqlite

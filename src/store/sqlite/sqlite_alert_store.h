#pragma once
// AlertStore on the embedded database, in the catalog's file (so one transaction covers ingest,
// the alert and its outbox rows).

#include <memory>

#include "store/alert_store.h"
#include "store/sqlite/sqlite_database.h"

namespace mitsu::store::sqlite {

class SqliteAlertStore : public AlertStore {
 public:
  static Result<std::unique_ptr<SqliteAlertStore>> open(SqliteDatabase& db);

  Result<RaiseResult> raise(const AlertDraft& draft, std::span<const std::string> sinks) override;
  Result<std::uint64_t> raised_since(std::string_view rule, std::int64_t since_us) override;
  Result<std::vector<AlertRecord>> alerts(std::size_t limit, bool include_acked) override;
  Result<std::optional<AlertRecord>> alert(std::int64_t id) override;
  Status acknowledge(std::int64_t id, std::string_view user, std::int64_t now_us) override;
  Result<std::vector<OutboxItem>> due(std::string_view sink, std::int64_t now_us,
                                      std::size_t limit) override;
  Status delivered(std::int64_t item_id, std::int64_t now_us) override;
  Status retry_later(std::int64_t item_id, std::int64_t next_us, std::string_view error) override;
  Result<std::uint64_t> undelivered(std::string_view sink) override;

 private:
  explicit SqliteAlertStore(SqliteDatabase& db) : db_(db) {}
  Result<std::vector<AlertRecord>> select(std::string_view where_and_order, std::int64_t parameter);

  SqliteDatabase& db_;
};

}  // namespace mitsu::store::sqlite

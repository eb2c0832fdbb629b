#pragma once
// AlertStore on PostgreSQL, in the database the catalog uses (so one transaction covers ingest,
// the alert and its outbox rows). Several processes raise and deliver at once: raising
// serialises per rule and key, and due() claims the rows it returns.

#include <memory>

#include "store/alert_store.h"
#include "store/postgres/pg_database.h"

namespace mitsu::store::postgres {

class PgAlertStore : public AlertStore {
 public:
  static Result<std::unique_ptr<PgAlertStore>> open(PgDatabase& db);

  Result<RaiseResult> raise(const AlertDraft& draft, std::span<const std::string> sinks) override;
  Result<std::uint64_t> raised_since(std::string_view rule, std::int64_t since_us) override;
  Result<std::vector<AlertRecord>> alerts(std::size_t limit, bool include_acked) override;
  Result<std::optional<AlertRecord>> alert(std::int64_t id) override;
  Status acknowledge(std::int64_t id, std::string_view user, std::int64_t now_us) override;
  // Claims what it returns for a lease (kClaimLeaseUs past `now_us`), so another process's
  // delivery does not send the same items; delivered() or retry_later() then settles each one,
  // and what a crashed deliverer held is due again when the lease runs out.
  Result<std::vector<OutboxItem>> due(std::string_view sink, std::int64_t now_us,
                                      std::size_t limit) override;
  Status delivered(std::int64_t item_id, std::int64_t now_us) override;
  Status retry_later(std::int64_t item_id, std::int64_t next_us, std::string_view error) override;
  Result<std::uint64_t> undelivered(std::string_view sink) override;

  // Longer than one delivery pass over a claimed batch takes (AlertDelivery: 100 items, 5 s
  // timeout each).
  static constexpr std::int64_t kClaimLeaseUs = 10LL * 60 * 1'000'000;

 private:
  explicit PgAlertStore(PgDatabase& db) : db_(db) {}
  Result<std::vector<AlertRecord>> select(std::string_view where_and_order, std::int64_t parameter);

  PgDatabase& db_;
};

}  // namespace mitsu::store::postgres

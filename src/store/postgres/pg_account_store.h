#pragma once
// AccountStore on PostgreSQL: the same tables as the embedded engine's, in the shared database,
// so every API process sees the same users, tokens and browser sessions.

#include <memory>
#include <optional>
#include <string_view>

#include "store/account_store.h"
#include "store/postgres/pg_database.h"

namespace mitsu::store::postgres {

class PgAccountStore : public AccountStore {
 public:
  static Result<std::unique_ptr<PgAccountStore>> open(PgDatabase& db);

  Status add_user(const UserRecord& user) override;
  Result<std::optional<UserRecord>> user(std::string_view name) override;
  Result<std::vector<UserRecord>> users() override;
  Result<std::uint64_t> count_users(std::string_view role) override;
  Status set_password(std::string_view name, std::string_view password_hash) override;
  Status set_role(std::string_view name, std::string_view role) override;
  Status remove_user(std::string_view name) override;

  Status add_token(const TokenRecord& token, std::string_view secret_hash) override;
  Result<std::optional<TokenRecord>> token_by_secret(std::string_view secret_hash) override;
  Result<std::vector<TokenRecord>> tokens() override;
  Status touch_token(std::string_view id, std::int64_t now_us) override;
  Status revoke_token(std::string_view id) override;

  Status add_web_session(const WebSessionRecord& session) override;
  Result<std::optional<WebSessionRecord>> web_session(std::string_view id_hash,
                                                      std::int64_t now_us) override;
  Status remove_web_session(std::string_view id_hash) override;
  Result<std::size_t> purge_web_sessions(std::int64_t now_us) override;

  Status audit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> audit_log(std::size_t limit) override;

 private:
  explicit PgAccountStore(PgDatabase& db) : db_(db) {}
  // Runs `sql` with $1 = key (and $2 = value); not_found (naming `what`) when it changed no row.
  Status change_one(std::string_view sql, std::string_view key, std::string_view what,
                    std::optional<std::string_view> value = std::nullopt);
  // Runs `sql` with $1 = key.
  Status run_keyed(std::string_view sql, std::string_view key);

  PgDatabase& db_;
};

}  // namespace mitsu::store::postgres

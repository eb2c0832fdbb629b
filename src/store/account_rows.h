#pragma once
// How every engine reads account rows back into records: the column lists their SELECTs name and
// the mapping of a row in that order, so the engines cannot drift apart. `user` is quoted because
// PostgreSQL reserves the word; SQLite reads the quoted name as the same column.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/account_store.h"

namespace mitsu::store {

inline constexpr std::string_view kUserColumns = "name, role, password_hash, created_us";
inline constexpr std::string_view kTokenColumns =
    R"(id, "user", role, label, created_us, expires_us, last_used_us)";
inline constexpr std::string_view kWebSessionColumns =
    R"(id_hash, "user", csrf_token, created_us, expires_us)";
inline constexpr std::string_view kAuditColumns = "ts_us, actor, action, target, detail";

// Row is any engine's row (column_text/column_int/column_is_null).
template <typename Row>
std::optional<std::int64_t> optional_int_column(const Row& row, int index) {
  if (row.column_is_null(index)) {
    return std::nullopt;
  }
  return row.column_int(index);
}

// A user from a row of kUserColumns.
template <typename Row>
UserRecord user_from_row(const Row& row) {
  return UserRecord{std::string(row.column_text(0)), std::string(row.column_text(1)),
                    std::string(row.column_text(2)), row.column_int(3)};
}

// A token from a row of kTokenColumns.
template <typename Row>
TokenRecord token_from_row(const Row& row) {
  return TokenRecord{std::string(row.column_text(0)),
                     std::string(row.column_text(1)),
                     std::string(row.column_text(2)),
                     std::string(row.column_text(3)),
                     row.column_int(4),
                     optional_int_column(row, 5),
                     optional_int_column(row, 6)};
}

// A browser session from a row of kWebSessionColumns.
template <typename Row>
WebSessionRecord web_session_from_row(const Row& row) {
  return WebSessionRecord{std::string(row.column_text(0)), std::string(row.column_text(1)),
                          std::string(row.column_text(2)), row.column_int(3), row.column_int(4)};
}

// An audit entry from a row of kAuditColumns.
template <typename Row>
AuditEntry audit_entry_from_row(const Row& row) {
  return AuditEntry{row.column_int(0), std::string(row.column_text(1)),
                    std::string(row.column_text(2)), std::string(row.column_text(3)),
                    std::string(row.column_text(4))};
}

}  // namespace mitsu::store

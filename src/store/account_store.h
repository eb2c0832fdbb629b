#pragma once
// Who may use the API: accounts with a role, API tokens, browser sessions and the audit log of
// admin actions. Part of the catalog (transactional, small); SQLite keeps it in the catalog's file.
// Secrets are never stored: passwords as a KDF hash the caller made, tokens and session ids as
// their SHA-256, so a copy of the database lets nobody log in.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mitsu::store {

struct UserRecord {
  std::string name;
  std::string role;           // "sensor", "analyst" or "admin" (the API decides what each may do)
  std::string password_hash;  // PHC string of a memory-hard KDF; empty: no password login
  std::int64_t created_us = 0;
};

struct TokenRecord {
  std::string id;  // public handle, shown in listings and the audit log
  std::string user;
  std::string role;  // may be lower than the user's
  std::string label;
  std::int64_t created_us = 0;
  std::optional<std::int64_t> expires_us;
  std::optional<std::int64_t> last_used_us;
};

// A logged-in browser: the cookie's SHA-256 is the key; the CSRF token is sent back in a header.
struct WebSessionRecord {
  std::string id_hash;
  std::string user;
  std::string csrf_token;
  std::int64_t created_us = 0;
  std::int64_t expires_us = 0;
};

struct AuditEntry {
  std::int64_t ts_us = 0;
  std::string actor;   // user name, "cli" for the command line
  std::string action;  // e.g. "user.create"
  std::string target;
  std::string detail;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // Fails with conflict when the name is taken.
  virtual Status add_user(const UserRecord& user) = 0;
  virtual Result<std::optional<UserRecord>> user(std::string_view name) = 0;
  virtual Result<std::vector<UserRecord>> users() = 0;
  virtual Result<std::uint64_t> count_users(std::string_view role) = 0;
  // not_found when there is no such user. Ends the user's browser sessions (a password is
  // changed because it may be known).
  virtual Status set_password(std::string_view name, std::string_view password_hash) = 0;
  virtual Status set_role(std::string_view name, std::string_view role) = 0;
  // Also removes the user's tokens and browser sessions. Never the last user with the role
  // "admin" (conflict), checked atomically with the removal.
  virtual Status remove_user(std::string_view name) = 0;

  // `secret_hash` is the SHA-256 (hex) of the token the user holds; conflict when the id exists.
  virtual Status add_token(const TokenRecord& token, std::string_view secret_hash) = 0;
  virtual Result<std::optional<TokenRecord>> token_by_secret(std::string_view secret_hash) = 0;
  virtual Result<std::vector<TokenRecord>> tokens() = 0;
  virtual Status touch_token(std::string_view id, std::int64_t now_us) = 0;
  virtual Status revoke_token(std::string_view id) = 0;  // not_found when unknown

  virtual Status add_web_session(const WebSessionRecord& session) = 0;
  // nullopt when unknown or expired at `now_us`.
  virtual Result<std::optional<WebSessionRecord>> web_session(std::string_view id_hash,
                                                              std::int64_t now_us) = 0;
  virtual Status remove_web_session(std::string_view id_hash) = 0;
  virtual Result<std::size_t> purge_web_sessions(std::int64_t now_us) = 0;  // expired ones

  virtual Status audit(const AuditEntry& entry) = 0;
  // Newest first.
  virtual Result<std::vector<AuditEntry>> audit_log(std::size_t limit) = 0;
};

}  // namespace mitsu::store

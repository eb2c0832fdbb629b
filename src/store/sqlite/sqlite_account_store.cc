#include "store/sqlite/sqlite_account_store.h"

#include <fmt/format.h>

#include <array>

#include "store/account_rows.h"

namespace mitsu::store::sqlite {
namespace {

constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE users (
  name          TEXT PRIMARY KEY,
  role          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_us    INTEGER NOT NULL
);
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  secret_hash  TEXT NOT NULL UNIQUE,
  user         TEXT NOT NULL REFERENCES users(name),
  role         TEXT NOT NULL,
  label        TEXT NOT NULL,
  created_us   INTEGER NOT NULL,
  expires_us   INTEGER,
  last_used_us INTEGER
);
CREATE TABLE web_sessions (
  id_hash    TEXT PRIMARY KEY,
  user       TEXT NOT NULL REFERENCES users(name),
  csrf_token TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL
);
CREATE TABLE audit_log (
  seq    INTEGER PRIMARY KEY,
  ts_us  INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
)sql"},
};

}  // namespace

Result<std::unique_ptr<SqliteAccountStore>> SqliteAccountStore::open(SqliteDatabase& db) {
  if (Status status = db.migrate("accounts", kMigrations); !status) {
    return status.failure();
  }
  return std::unique_ptr<SqliteAccountStore>(new SqliteAccountStore(db));
}

Status SqliteAccountStore::change_one(std::string_view sql, std::string_view key,
                                      std::string_view what,
                                      std::optional<std::string_view> value) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(sql);
  if (!q) {
    return q.failure();
  }
  q->bind(1, key);
  if (value) {
    q->bind(2, *value);
  }
  if (Status status = q->run(); !status) {
    return status;
  }
  if (sqlite3_changes(db_.handle()) == 0) {
    return Error::not_found(fmt::format("no {} \"{}\"", what, key));
  }
  return Status::success();
}

Status SqliteAccountStore::add_user(const UserRecord& user) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "INSERT INTO users (name, role, password_hash, created_us) VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT(name) DO NOTHING");
  if (!q) {
    return q.failure();
  }
  q->bind(1, user.name).bind(2, user.role).bind(3, user.password_hash).bind(4, user.created_us);
  if (Status status = q->run(); !status) {
    return status;
  }
  if (sqlite3_changes(db_.handle()) == 0) {
    return Error::conflict(fmt::format("user \"{}\" exists", user.name));
  }
  return Status::success();
}

Result<std::optional<UserRecord>> SqliteAccountStore::user(std::string_view name) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(fmt::format("SELECT {} FROM users WHERE name = ?1", kUserColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, name);
  std::optional<UserRecord> found;
  if (Status s = q->each_row([&](const Statement& row) { found = user_from_row(row); }); !s) {
    return s.failure();
  }
  return found;
}

Result<std::vector<UserRecord>> SqliteAccountStore::users() {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(fmt::format("SELECT {} FROM users ORDER BY name", kUserColumns));
  if (!q) {
    return q.failure();
  }
  std::vector<UserRecord> all;
  if (Status s = q->each_row([&](const Statement& row) { all.push_back(user_from_row(row)); });
      !s) {
    return s.failure();
  }
  return all;
}

Result<std::uint64_t> SqliteAccountStore::count_users(std::string_view role) {
  auto n = db_.query_int("SELECT count(*) FROM users WHERE role = ?1",
                         [&](Statement& q) { q.bind(1, role); });
  return n ? Result<std::uint64_t>(static_cast<std::uint64_t>(*n)) : n.failure();
}

Status SqliteAccountStore::set_password(std::string_view name, std::string_view password_hash) {
  return db_.run([&]() -> Status {
    if (Status changed = change_one("UPDATE users SET password_hash = ?2 WHERE name = ?1", name,
                                    "user", password_hash);
        !changed) {
      return changed;
    }
    std::lock_guard lock(db_.mutex());
    auto q = db_.prepare("DELETE FROM web_sessions WHERE user = ?1");
    if (!q) {
      return q.failure();
    }
    q->bind(1, name);
    return q->run();
  });
}

Status SqliteAccountStore::set_role(std::string_view name, std::string_view role) {
  return change_one("UPDATE users SET role = ?2 WHERE name = ?1", name, "user", role);
}

Status SqliteAccountStore::remove_user(std::string_view name) {
  return db_.run([&]() -> Status {
    // Checked in the transaction that deletes, so two admins removing each other at once
    // cannot leave none.
    auto last_admin = db_.query_int(
        "SELECT (SELECT role FROM users WHERE name = ?1) = 'admin'"
        " AND (SELECT count(*) FROM users WHERE role = 'admin') <= 1",
        [&](Statement& q) { q.bind(1, name); });
    if (!last_admin) {
      return last_admin.failure();
    }
    if (*last_admin == 1) {
      return Error::conflict(fmt::format("\"{}\" is the last admin", name));
    }
    for (std::string_view sql :
         {"DELETE FROM api_tokens WHERE user = ?1", "DELETE FROM web_sessions WHERE user = ?1"}) {
      std::lock_guard lock(db_.mutex());
      auto q = db_.prepare(sql);
      if (!q) {
        return q.failure();
      }
      q->bind(1, name);
      if (Status status = q->run(); !status) {
        return status;
      }
    }
    return change_one("DELETE FROM users WHERE name = ?1", name, "user");
  });
}

Status SqliteAccountStore::add_token(const TokenRecord& token, std::string_view secret_hash) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(fmt::format(
      "INSERT INTO api_tokens ({}, secret_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      kTokenColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, token.id).bind(2, token.user).bind(3, token.role).bind(4, token.label);
  q->bind(5, token.created_us);
  token.expires_us ? q->bind(6, *token.expires_us) : q->bind_null(6);
  token.last_used_us ? q->bind(7, *token.last_used_us) : q->bind_null(7);
  q->bind(8, secret_hash);
  return q->run();
}

Result<std::optional<TokenRecord>> SqliteAccountStore::token_by_secret(
    std::string_view secret_hash) {
  std::lock_guard lock(db_.mutex());
  auto q =
      db_.prepare(fmt::format("SELECT {} FROM api_tokens WHERE secret_hash = ?1", kTokenColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, secret_hash);
  std::optional<TokenRecord> found;
  if (Status s = q->each_row([&](const Statement& row) { found = token_from_row(row); }); !s) {
    return s.failure();
  }
  return found;
}

Result<std::vector<TokenRecord>> SqliteAccountStore::tokens() {
  std::lock_guard lock(db_.mutex());
  auto q =
      db_.prepare(fmt::format("SELECT {} FROM api_tokens ORDER BY created_us, id", kTokenColumns));
  if (!q) {
    return q.failure();
  }
  std::vector<TokenRecord> all;
  if (Status s = q->each_row([&](const Statement& row) { all.push_back(token_from_row(row)); });
      !s) {
    return s.failure();
  }
  return all;
}

Status SqliteAccountStore::touch_token(std::string_view id, std::int64_t now_us) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare("UPDATE api_tokens SET last_used_us = ?2 WHERE id = ?1");
  if (!q) {
    return q.failure();
  }
  q->bind(1, id).bind(2, now_us);
  return q->run();
}

Status SqliteAccountStore::revoke_token(std::string_view id) {
  return change_one("DELETE FROM api_tokens WHERE id = ?1", id, "token");
}

Status SqliteAccountStore::add_web_session(const WebSessionRecord& session) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      fmt::format("INSERT INTO web_sessions ({}) VALUES (?1, ?2, ?3, ?4, ?5)", kWebSessionColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, session.id_hash).bind(2, session.user).bind(3, session.csrf_token);
  q->bind(4, session.created_us).bind(5, session.expires_us);
  return q->run();
}

Result<std::optional<WebSessionRecord>> SqliteAccountStore::web_session(std::string_view id_hash,
                                                                        std::int64_t now_us) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(fmt::format(
      "SELECT {} FROM web_sessions WHERE id_hash = ?1 AND expires_us > ?2", kWebSessionColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, id_hash).bind(2, now_us);
  std::optional<WebSessionRecord> found;
  if (Status s = q->each_row([&](const Statement& row) { found = web_session_from_row(row); });
      !s) {
    return s.failure();
  }
  return found;
}

Status SqliteAccountStore::remove_web_session(std::string_view id_hash) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare("DELETE FROM web_sessions WHERE id_hash = ?1");
  if (!q) {
    return q.failure();
  }
  q->bind(1, id_hash);
  return q->run();
}

Result<std::size_t> SqliteAccountStore::purge_web_sessions(std::int64_t now_us) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare("DELETE FROM web_sessions WHERE expires_us <= ?1");
  if (!q) {
    return q.failure();
  }
  q->bind(1, now_us);
  if (Status status = q->run(); !status) {
    return status.failure();
  }
  return static_cast<std::size_t>(sqlite3_changes(db_.handle()));
}

Status SqliteAccountStore::audit(const AuditEntry& entry) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      fmt::format("INSERT INTO audit_log ({}) VALUES (?1, ?2, ?3, ?4, ?5)", kAuditColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, entry.ts_us).bind(2, entry.actor).bind(3, entry.action).bind(4, entry.target);
  q->bind(5, entry.detail);
  return q->run();
}

Result<std::vector<AuditEntry>> SqliteAccountStore::audit_log(std::size_t limit) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      fmt::format("SELECT {} FROM audit_log ORDER BY seq DESC LIMIT ?1", kAuditColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, static_cast<std::int64_t>(limit));
  std::vector<AuditEntry> entries;
  if (Status s =
          q->each_row([&](const Statement& row) { entries.push_back(audit_entry_from_row(row)); });
      !s) {
    return s.failure();
  }
  return entries;
}

}  // namespace mitsu::store::sqlite

#include "store/sqlite/sqlite_alert_store.h"

#include <fmt/format.h>

#include <array>

#include "store/alert_rows.h"

namespace mitsu::store::sqlite {
namespace {

constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE alerts (
  id        INTEGER PRIMARY KEY,
  rule      TEXT NOT NULL,
  severity  TEXT NOT NULL,
  key       TEXT NOT NULL,
  title     TEXT NOT NULL,
  detail    TEXT NOT NULL,
  first_us  INTEGER NOT NULL,
  last_us   INTEGER NOT NULL,
  count     INTEGER NOT NULL,
  acked_by  TEXT,
  acked_us  INTEGER
);
CREATE INDEX alerts_rule_key ON alerts(rule, key);
CREATE INDEX alerts_rule_first ON alerts(rule, first_us);
CREATE TABLE alert_outbox (
  id           INTEGER PRIMARY KEY,
  alert_id     INTEGER NOT NULL REFERENCES alerts(id),
  sink         TEXT NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_us      INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  delivered_us INTEGER
);
CREATE INDEX alert_outbox_due ON alert_outbox(sink, next_us) WHERE delivered_us IS NULL;
)sql"},
};

}  // namespace

Result<std::unique_ptr<SqliteAlertStore>> SqliteAlertStore::open(SqliteDatabase& db) {
  if (Status status = db.migrate("alerts", kMigrations); !status) {
    return status.failure();
  }
  return std::unique_ptr<SqliteAlertStore>(new SqliteAlertStore(db));
}

Result<RaiseResult> SqliteAlertStore::raise(const AlertDraft& draft,
                                            std::span<const std::string> sinks) {
  RaiseResult result;
  Status status = db_.run([&]() -> Status {
    std::lock_guard lock(db_.mutex());
    auto existing = db_.prepare(
        draft.once ? "SELECT id FROM alerts WHERE rule = ?1 AND key = ?2 ORDER BY id LIMIT 1"
                   : "SELECT id FROM alerts WHERE rule = ?1 AND key = ?2 AND acked_by IS NULL"
                     " ORDER BY id DESC LIMIT 1");
    if (!existing) {
      return existing.failure();
    }
    existing->bind(1, draft.rule).bind(2, draft.key);
    std::optional<std::int64_t> id;
    if (Status s = existing->each_row([&](const Statement& row) { id = row.column_int(0); }); !s) {
      return s;
    }
    if (id) {
      auto fold = db_.prepare(
          "UPDATE alerts SET count = count + 1, last_us = max(last_us, ?2) WHERE id = ?1");
      if (!fold) {
        return fold.failure();
      }
      fold->bind(1, *id).bind(2, draft.ts_us);
      result = RaiseResult{*id, false};
      return fold->run();
    }
    if (draft.fold_only) {
      result = RaiseResult{0, false};
      return Status::success();
    }
    auto insert = db_.prepare(
        "INSERT INTO alerts (rule, severity, key, title, detail, first_us, last_us, count)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1)");
    if (!insert) {
      return insert.failure();
    }
    insert->bind(1, draft.rule).bind(2, draft.severity).bind(3, draft.key).bind(4, draft.title);
    insert->bind(5, draft.detail).bind(6, draft.ts_us);
    if (Status s = insert->run(); !s) {
      return s;
    }
    result = RaiseResult{sqlite3_last_insert_rowid(db_.handle()), true};
    auto queue = db_.prepare("INSERT INTO alert_outbox (alert_id, sink) VALUES (?1, ?2)");
    if (!queue) {
      return queue.failure();
    }
    for (const std::string& sink : sinks) {
      queue->bind(1, result.id).bind(2, sink);
      if (Status s = queue->run(); !s) {
        return s;
      }
    }
    return Status::success();
  });
  if (!status) {
    return status.failure();
  }
  return result;
}

Result<std::uint64_t> SqliteAlertStore::raised_since(std::string_view rule, std::int64_t since_us) {
  auto n = db_.query_int("SELECT count(*) FROM alerts WHERE rule = ?1 AND first_us >= ?2",
                         [&](Statement& q) { q.bind(1, rule).bind(2, since_us); });
  return n ? Result<std::uint64_t>(static_cast<std::uint64_t>(*n)) : n.failure();
}

Result<std::vector<AlertRecord>> SqliteAlertStore::select(std::string_view where_and_order,
                                                          std::int64_t parameter) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(fmt::format("SELECT {} FROM alerts {}", kAlertColumns, where_and_order));
  if (!q) {
    return q.failure();
  }
  q->bind(1, parameter);
  std::vector<AlertRecord> out;
  if (Status s = q->each_row([&](const Statement& row) { out.push_back(alert_from_row(row)); });
      !s) {
    return s.failure();
  }
  return out;
}

Result<std::vector<AlertRecord>> SqliteAlertStore::alerts(std::size_t limit, bool include_acked) {
  return select(include_acked ? "ORDER BY id DESC LIMIT ?1"
                              : "WHERE acked_by IS NULL ORDER BY id DESC LIMIT ?1",
                static_cast<std::int64_t>(limit));
}

Result<std::optional<AlertRecord>> SqliteAlertStore::alert(std::int64_t id) {
  auto found = select("WHERE id = ?1", id);
  if (!found) {
    return found.failure();
  }
  if (found->empty()) {
    return std::optional<AlertRecord>{};
  }
  return std::optional<AlertRecord>(std::move(found->front()));
}

Status SqliteAlertStore::acknowledge(std::int64_t id, std::string_view user, std::int64_t now_us) {
  auto found = alert(id);
  if (!found) {
    return found.failure();
  }
  if (!found->has_value()) {
    return Error::not_found(fmt::format("no alert {}", id));
  }
  if (!(*found)->acked_by.empty()) {
    return Error::conflict(fmt::format("alert {} was acknowledged by {}", id, (*found)->acked_by));
  }
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "UPDATE alerts SET acked_by = ?2, acked_us = ?3 WHERE id = ?1 AND acked_by IS NULL");
  if (!q) {
    return q.failure();
  }
  q->bind(1, id).bind(2, user).bind(3, now_us);
  return q->run();
}

Result<std::vector<OutboxItem>> SqliteAlertStore::due(std::string_view sink, std::int64_t now_us,
                                                      std::size_t limit) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(fmt::format(
      "SELECT {} FROM alert_outbox"
      " WHERE sink = ?1 AND delivered_us IS NULL AND next_us <= ?2 ORDER BY id LIMIT ?3",
      kOutboxColumns));
  if (!q) {
    return q.failure();
  }
  q->bind(1, sink).bind(2, now_us).bind(3, static_cast<std::int64_t>(limit));
  std::vector<OutboxItem> out;
  if (Status s =
          q->each_row([&](const Statement& row) { out.push_back(outbox_item_from_row(row)); });
      !s) {
    return s.failure();
  }
  return out;
}

Status SqliteAlertStore::delivered(std::int64_t item_id, std::int64_t now_us) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "UPDATE alert_outbox SET delivered_us = ?2, attempts = attempts + 1 WHERE id = ?1");
  if (!q) {
    return q.failure();
  }
  q->bind(1, item_id).bind(2, now_us);
  return q->run();
}

Status SqliteAlertStore::retry_later(std::int64_t item_id, std::int64_t next_us,
                                     std::string_view error) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "UPDATE alert_outbox SET next_us = ?2, last_error = ?3, attempts = attempts + 1"
      " WHERE id = ?1");
  if (!q) {
    return q.failure();
  }
  q->bind(1, item_id).bind(2, next_us).bind(3, error);
  return q->run();
}

Result<std::uint64_t> SqliteAlertStore::undelivered(std::string_view sink) {
  auto n =
      db_.query_int("SELECT count(*) FROM alert_outbox WHERE sink = ?1 AND delivered_us IS NULL",
                    [&](Statement& q) { q.bind(1, sink); });
  return n ? Result<std::uint64_t>(static_cast<std::uint64_t>(*n)) : n.failure();
}

}  // namespace mitsu::store::sqlite

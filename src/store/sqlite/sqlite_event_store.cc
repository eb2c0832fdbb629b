#include "store/sqlite/sqlite_event_store.h"

#include <fmt/format.h>

#include <array>

#include "store/event_rows.h"

namespace mitsu::store::sqlite {
namespace {

constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY,  -- arrival order; rows are appended
  id          TEXT NOT NULL UNIQUE, -- event.id (UUIDv7): the de-duplication key
  ts_us       INTEGER NOT NULL,
  action      TEXT NOT NULL,
  sensor      TEXT NOT NULL,
  site        TEXT NOT NULL,
  session_id  TEXT,
  protocol    TEXT,
  src_ip      TEXT,
  src_port    INTEGER,
  dst_port    INTEGER,
  device_type TEXT,
  body        TEXT NOT NULL         -- the validated JSON event
);
CREATE INDEX events_ts ON events(ts_us);
CREATE INDEX events_action_ts ON events(action, ts_us);
CREATE INDEX events_session ON events(session_id) WHERE session_id IS NOT NULL;
CREATE TABLE rejected_events (
  seq         INTEGER PRIMARY KEY,
  received_us INTEGER NOT NULL,
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  raw         BLOB NOT NULL
);
)sql"},
    // Enrichment at ingest (intel/geo): where the source address is.
    Migration{2, R"sql(
ALTER TABLE events ADD COLUMN country TEXT;
ALTER TABLE events ADD COLUMN asn INTEGER;
)sql"},
    // Quarantine made idempotent (docs/ingest.md): a replayed record is found by its digest and
    // bytes and kept once.
    Migration{3, R"sql(
ALTER TABLE rejected_events ADD COLUMN digest INTEGER;
CREATE INDEX rejected_events_digest ON rejected_events(digest);
)sql"},
    // A sample's sightings (mitsu sample): the events that carried its hash, found by index.
    Migration{4, R"sql(
ALTER TABLE events ADD COLUMN sha256 TEXT;
UPDATE events SET sha256 = json_extract(body, '$.file.hash.sha256')
  WHERE body LIKE '%"sha256"%';
CREATE INDEX events_sha256 ON events(sha256) WHERE sha256 IS NOT NULL;
)sql"},
};

// FNV-1a: only narrows the search for an identical record; the bytes themselves are compared.
std::int64_t digest_of(std::string_view raw) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : raw) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}

}  // namespace

Result<std::unique_ptr<SqliteEventStore>> SqliteEventStore::open(SqliteDatabase& db) {
  if (Status status = db.migrate("events", kMigrations); !status) {
    return status.failure();
  }
  std::unique_ptr<SqliteEventStore> store(new SqliteEventStore(db));
  auto insert =
      db.prepare(fmt::format("INSERT OR IGNORE INTO events ({}) VALUES (?1, ?2, ?3, "
                             "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                             kEventColumns));
  auto quarantine = db.prepare(
      "INSERT INTO rejected_events (received_us, code, reason, raw, digest)"
      " SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS"
      " (SELECT 1 FROM rejected_events WHERE digest = ?5 AND raw = ?4)");
  if (!insert || !quarantine) {
    return Error{insert ? quarantine.error() : insert.error()};
  }
  store->insert_ = std::move(*insert);
  store->quarantine_ = std::move(*quarantine);
  return store;
}

Status SqliteEventStore::insert(std::span<const Event> events) {
  // One transaction per call (or the caller's): row-by-row autocommit would sync every row.
  return db_.run([&] { return insert_rows(events); });
}

Status SqliteEventStore::insert_rows(std::span<const Event> events) {
  for (const Event& event : events) {
    insert_.bind(1, event.id)
        .bind(2, event.ts_us)
        .bind(3, event.action)
        .bind(4, event.sensor)
        .bind(5, event.site)
        .bind_optional(6, event.session_id)
        .bind_optional(7, event.protocol)
        .bind_optional(8, event.src_ip)
        .bind_optional(11, event.device_type)
        .bind(12, event.body)
        .bind_optional(13, event.country)
        .bind_optional(15, event.sha256);
    if (event.asn != 0) {
      insert_.bind(14, std::int64_t{event.asn});
    }
    if (event.src_port >= 0) {
      insert_.bind(9, std::int64_t{event.src_port});
    }
    if (event.dst_port >= 0) {
      insert_.bind(10, std::int64_t{event.dst_port});
    }
    if (Status status = insert_.run(); !status) {  // OR IGNORE: a stored id stays as it was
      return status;
    }
  }
  return {};
}

Status SqliteEventStore::quarantine(std::string_view raw, const Rejection& why,
                                    std::int64_t received_us) {
  std::lock_guard lock(db_.mutex());
  quarantine_.bind(1, received_us)
      .bind(2, reject_code_name(why.code))
      .bind(3, why.detail)
      .bind(4, raw)
      .bind(5, digest_of(raw));
  return quarantine_.run();
}

Result<std::vector<Event>> SqliteEventStore::query(const EventQuery& query) {
  EventFilter filter(query, "?");
  std::string sql = filter.page_sql(query);
  std::lock_guard lock(db_.mutex());
  auto statement = db_.prepare(sql);
  if (!statement) {
    return statement.failure();
  }
  filter.bind(*statement);
  std::vector<Event> events;
  if (Status status =
          statement->each_row([&](const Statement& row) { events.push_back(event_from_row(row)); });
      !status) {
    return status.failure();
  }
  return events;
}

Result<std::uint64_t> SqliteEventStore::count(const EventQuery& query) {
  EventFilter filter(query, "?");
  std::lock_guard lock(db_.mutex());
  auto statement = db_.prepare(fmt::format("SELECT count(*) FROM events{}", filter.where()));
  if (!statement) {
    return statement.failure();
  }
  filter.bind(*statement);
  std::uint64_t n = 0;
  if (Status status = statement->each_row(
          [&](const Statement& row) { n = static_cast<std::uint64_t>(row.column_int(0)); });
      !status) {
    return status.failure();
  }
  return n;
}

Result<std::vector<QuarantinedRecord>> SqliteEventStore::quarantined(std::size_t limit) {
  std::lock_guard lock(db_.mutex());
  auto statement = db_.prepare(
      "SELECT received_us, code, reason, raw FROM rejected_events ORDER BY seq DESC LIMIT ?1");
  if (!statement) {
    return statement.failure();
  }
  statement->bind(1, static_cast<std::int64_t>(limit));
  std::vector<QuarantinedRecord> records;
  if (Status status = statement->each_row([&](const Statement& row) {
        records.push_back(QuarantinedRecord{row.column_int(0), std::string(row.column_text(1)),
                                            std::string(row.column_text(2)),
                                            std::string(row.column_text(3))});
      });
      !status) {
    return status.failure();
  }
  return records;
}

Result<std::uint64_t> SqliteEventStore::scalar(std::string_view sql) {
  auto value = db_.query_int(sql);
  if (!value) {
    return value.failure();
  }
  return static_cast<std::uint64_t>(*value);
}

Result<std::uint64_t> SqliteEventStore::count() {
  return scalar("SELECT count(*) FROM events");
}

Result<std::uint64_t> SqliteEventStore::quarantined_count() {
  return scalar("SELECT count(*) FROM rejected_events");
}

Status SqliteEventStore::scan(std::size_t batch_size,
                              const std::function<Status(std::span<const Event>)>& visit) {
  std::lock_guard lock(db_.mutex());
  auto select = db_.prepare(
      "SELECT seq, body, country, asn FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!select) {
    return select.failure();
  }
  EventParser parser;
  std::int64_t after = 0;
  while (true) {
    std::vector<Event> events;
    std::string parse_error;
    select->bind(1, after).bind(2, static_cast<std::int64_t>(batch_size));
    Status status = select->each_row([&](const Statement& r) {
      after = r.column_int(0);
      Event e;
      if (scanned_event_from_row(parser, r, e, parse_error)) {
        events.push_back(std::move(e));
      }
    });
    if (!status) {
      return status;
    }
    if (!parse_error.empty()) {
      return Error{fmt::format("a stored event no longer parses: {}", parse_error)};
    }
    if (events.empty()) {
      return {};
    }
    if (Status s = visit(events); !s) {
      return s;
    }
  }
}

}  // namespace mitsu::store::sqlite

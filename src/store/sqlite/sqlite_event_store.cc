#include "store/sqlite/sqlite_event_store.h"

#include <fmt/format.h>

#include <array>
#include <variant>

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

constexpr std::string_view kColumns =
    "id, ts_us, action, sensor, site, session_id, protocol, src_ip, src_port, dst_port, "
    "device_type, body, country, asn, sha256";

// Columns not kept in the table (vendor, model, outcome, file fields) live in the body; a query
// result carries the body for them.
Event event_from_row(const Statement& row) {
  Event event;
  event.id = row.column_text(0);
  event.ts_us = row.column_int(1);
  event.action = row.column_text(2);
  event.sensor = row.column_text(3);
  event.site = row.column_text(4);
  event.session_id = row.column_text(5);
  event.protocol = row.column_text(6);
  event.src_ip = row.column_text(7);
  event.src_port = row.column_is_null(8) ? -1 : static_cast<int>(row.column_int(8));
  event.dst_port = row.column_is_null(9) ? -1 : static_cast<int>(row.column_int(9));
  event.device_type = row.column_text(10);
  event.body = row.column_text(11);
  event.country = row.column_text(12);
  event.asn = static_cast<std::uint32_t>(row.column_int(13));
  event.sha256 = row.column_text(14);
  return event;
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
                             kColumns));
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

namespace {

// The WHERE clause of an event query, with its values in parameter order.
struct EventFilter {
  std::string sql = " WHERE 1";
  std::vector<std::variant<std::string, std::int64_t>> values;

  explicit EventFilter(const EventQuery& query) {
    auto add = [&](std::string_view condition, auto value) {
      values.emplace_back(value);
      sql += fmt::format(" AND {} ?{}", condition, values.size());
    };
    auto text = [&](const std::optional<std::string>& value, std::string_view column) {
      if (value) {
        add(fmt::format("{} =", column), *value);
      }
    };
    text(query.action, "action");
    text(query.session_id, "session_id");
    text(query.src_ip, "src_ip");
    text(query.sensor, "sensor");
    text(query.site, "site");
    text(query.protocol, "protocol");
    text(query.sha256, "sha256");
    if (query.since_us) {
      add("ts_us >=", *query.since_us);
    }
    if (query.until_us) {
      add("ts_us <", *query.until_us);
    }
  }

  void bind(Statement& statement) const {
    int index = 0;
    for (const auto& value : values) {
      std::visit([&](const auto& v) { statement.bind(++index, v); }, value);
    }
  }
};

}  // namespace

Result<std::vector<Event>> SqliteEventStore::query(const EventQuery& query) {
  EventFilter filter(query);
  std::string_view order = query.oldest_first ? "ASC" : "DESC";
  if (query.after) {  // the same order as ORDER BY, so pages neither overlap nor skip
    filter.values.emplace_back(query.after->ts_us);
    filter.values.emplace_back(query.after->id);
    filter.sql += fmt::format(" AND (ts_us, id) {} (?{}, ?{})", query.oldest_first ? ">" : "<",
                              filter.values.size() - 1, filter.values.size());
  }
  std::string sql = fmt::format("SELECT {} FROM events{} ORDER BY ts_us {}, id {} LIMIT {}",
                                kColumns, filter.sql, order, order, query.limit);
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
  EventFilter filter(query);
  std::lock_guard lock(db_.mutex());
  auto statement = db_.prepare(fmt::format("SELECT count(*) FROM events{}", filter.sql));
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
  // The body has every field; the enrichment lives in columns beside it.
  EventParser parser;
  std::int64_t after = 0;
  while (true) {
    std::vector<Event> events;
    std::string parse_error;
    select->bind(1, after).bind(2, static_cast<std::int64_t>(batch_size));
    Status status = select->each_row([&](const Statement& r) {
      after = r.column_int(0);
      Event e;
      Rejection why;
      if (!parser.parse(r.column_text(1), e, why)) {
        parse_error = why.detail;
        return;
      }
      e.country = r.column_text(2);
      e.asn = static_cast<std::uint32_t>(r.column_int(3));
      events.push_back(std::move(e));
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

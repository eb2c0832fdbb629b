#include "store/postgres/pg_event_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "store/event_rows.h"
#include "store/postgres/pg_bytes.h"

namespace mitsu::store::postgres {
namespace {

// The embedded engine's schema in PostgreSQL's types. id sorts bytewise (COLLATE "C") as in
// SQLite, so cursor pages follow the same order whatever the database's collation. A quarantined
// record is found again by its SHA-256, which a unique index makes safe across processes.
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE events (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id          TEXT COLLATE "C" NOT NULL UNIQUE,
  ts_us       BIGINT NOT NULL,
  action      TEXT NOT NULL,
  sensor      TEXT NOT NULL,
  site        TEXT NOT NULL,
  session_id  TEXT,
  protocol    TEXT,
  src_ip      TEXT,
  src_port    BIGINT,
  dst_port    BIGINT,
  device_type TEXT,
  body        TEXT NOT NULL,
  country     TEXT,
  asn         BIGINT,
  sha256      TEXT
);
CREATE INDEX events_ts ON events (ts_us, id);
CREATE INDEX events_action_ts ON events (action, ts_us);
CREATE INDEX events_session ON events (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX events_sha256 ON events (sha256) WHERE sha256 IS NOT NULL;
CREATE TABLE rejected_events (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_us BIGINT NOT NULL,
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  raw         BYTEA NOT NULL,
  digest      BYTEA NOT NULL UNIQUE
);
)sql"},
};

// One statement per chunk: the arrays are unnested into rows; empty text and negative ports
// become NULL as the embedded engine stores them. Rows go in id order, so concurrent writers of
// overlapping batches wait on each other in one order instead of deadlocking. An id stored
// already, or twice in the batch, is kept once.
constexpr std::string_view kInsert = R"sql(
INSERT INTO events (id, ts_us, action, sensor, site, session_id, protocol, src_ip, src_port,
  dst_port, device_type, body, country, asn, sha256)
SELECT id, ts_us, action, sensor, site, NULLIF(session_id, ''), NULLIF(protocol, ''),
  NULLIF(src_ip, ''), CASE WHEN src_port >= 0 THEN src_port END,
  CASE WHEN dst_port >= 0 THEN dst_port END, NULLIF(device_type, ''), body,
  NULLIF(country, ''), NULLIF(asn, 0), NULLIF(sha256, '')
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[],
  $14::bigint[], $15::text[])
  AS u (id, ts_us, action, sensor, site, session_id, protocol, src_ip, src_port, dst_port,
    device_type, body, country, asn, sha256)
ORDER BY id COLLATE "C"
ON CONFLICT (id) DO NOTHING)sql";

// Bounds one statement's parameters (bodies are up to kMaxEventBytes each).
constexpr std::size_t kInsertChunk = 1000;

// A LIMIT parameter: PostgreSQL refuses a negative one where SQLite reads it as "no limit".
std::int64_t as_limit(std::size_t n) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(n, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

}  // namespace

Result<std::unique_ptr<PgEventStore>> PgEventStore::open(PgDatabase& db) {
  if (Status status = db.migrate("events", kMigrations); !status) {
    return status.failure();
  }
  return std::unique_ptr<PgEventStore>(new PgEventStore(db));
}

Status PgEventStore::insert(std::span<const Event> events) {
  if (events.size() <= kInsertChunk) {
    return insert_chunk(events);  // one statement is atomic on its own
  }
  return db_.run([&]() -> Status {
    for (std::size_t i = 0; i < events.size(); i += kInsertChunk) {
      if (Status s = insert_chunk(events.subspan(i, std::min(kInsertChunk, events.size() - i)));
          !s) {
        return s;
      }
    }
    return {};
  });
}

Status PgEventStore::insert_chunk(std::span<const Event> events) {
  if (events.empty()) {
    return {};
  }
  constexpr std::size_t kText = 11, kInt = 4;
  std::array<std::vector<std::string_view>, kText> text;
  std::array<std::vector<std::int64_t>, kInt> ints;
  for (auto& column : text) {
    column.reserve(events.size());
  }
  for (const Event& e : events) {
    std::size_t t = 0, n = 0;
    for (std::string_view value :
         {std::string_view(e.id), std::string_view(e.action), std::string_view(e.sensor),
          std::string_view(e.site), std::string_view(e.session_id), std::string_view(e.protocol),
          std::string_view(e.src_ip), std::string_view(e.device_type), std::string_view(e.body),
          std::string_view(e.country), std::string_view(e.sha256)}) {
      text[t++].push_back(value);
    }
    for (std::int64_t value :
         {e.ts_us, std::int64_t{e.src_port}, std::int64_t{e.dst_port}, std::int64_t{e.asn}}) {
      ints[n++].push_back(value);
    }
  }
  std::lock_guard lock(db_.mutex());
  auto insert = db_.prepare(kInsert);
  if (!insert) {
    return insert.failure();
  }
  // Parameter numbers in kInsert's order.
  constexpr std::array<int, kText> kTextParams{1, 3, 4, 5, 6, 7, 8, 11, 12, 13, 15};
  constexpr std::array<int, kInt> kIntParams{2, 9, 10, 14};
  for (std::size_t i = 0; i < kText; ++i) {
    insert->bind_array(kTextParams[i], std::span<const std::string_view>(text[i]));
  }
  for (std::size_t i = 0; i < kInt; ++i) {
    insert->bind_array(kIntParams[i], std::span<const std::int64_t>(ints[i]));
  }
  return insert->run();
}

Status PgEventStore::quarantine(std::string_view raw, const Rejection& why,
                                std::int64_t received_us) {
  std::lock_guard lock(db_.mutex());
  auto insert = db_.prepare(
      "INSERT INTO rejected_events (received_us, code, reason, raw, digest)"
      " VALUES ($1, $2, $3, decode($4, 'hex'), sha256(decode($4, 'hex')))"
      " ON CONFLICT (digest) DO NOTHING");
  if (!insert) {
    return insert.failure();
  }
  insert->bind(1, received_us)
      .bind(2, reject_code_name(why.code))
      .bind(3, why.detail)
      .bind(4, bytes_to_hex(raw));
  return insert->run();
}

Result<std::vector<Event>> PgEventStore::query(const EventQuery& query) {
  EventFilter filter(query, "$");
  std::string sql = filter.page_sql(query);
  std::lock_guard lock(db_.mutex());
  auto statement = db_.prepare(sql);
  if (!statement) {
    return statement.failure();
  }
  filter.bind(*statement);
  std::vector<Event> events;
  if (Status status =
          statement->each_row([&](const Row& row) { events.push_back(event_from_row(row)); });
      !status) {
    return status.failure();
  }
  return events;
}

Result<std::uint64_t> PgEventStore::count(const EventQuery& query) {
  EventFilter filter(query, "$");
  auto n = db_.query_int(fmt::format("SELECT count(*) FROM events{}", filter.where()),
                         [&](Statement& statement) { filter.bind(statement); });
  if (!n) {
    return n.failure();
  }
  return static_cast<std::uint64_t>(*n);
}

Result<std::vector<QuarantinedRecord>> PgEventStore::quarantined(std::size_t limit) {
  std::lock_guard lock(db_.mutex());
  auto statement = db_.prepare(
      "SELECT received_us, code, reason, encode(raw, 'hex') FROM rejected_events"
      " ORDER BY seq DESC LIMIT $1");
  if (!statement) {
    return statement.failure();
  }
  statement->bind(1, as_limit(limit));
  std::vector<QuarantinedRecord> records;
  if (Status status = statement->each_row([&](const Row& row) {
        records.push_back(QuarantinedRecord{row.column_int(0), std::string(row.column_text(1)),
                                            std::string(row.column_text(2)),
                                            bytes_from_hex(row.column_text(3))});
      });
      !status) {
    return status.failure();
  }
  return records;
}

Result<std::uint64_t> PgEventStore::scalar(std::string_view sql) {
  auto value = db_.query_int(sql);
  if (!value) {
    return value.failure();
  }
  return static_cast<std::uint64_t>(*value);
}

Result<std::uint64_t> PgEventStore::count() {
  return scalar("SELECT count(*) FROM events");
}

Result<std::uint64_t> PgEventStore::quarantined_count() {
  return scalar("SELECT count(*) FROM rejected_events");
}

Status PgEventStore::scan(std::size_t batch_size,
                          const std::function<Status(std::span<const Event>)>& visit) {
  std::lock_guard lock(db_.mutex());
  auto select = db_.prepare(
      "SELECT seq, body, country, asn FROM events WHERE seq > $1 ORDER BY seq LIMIT $2");
  if (!select) {
    return select.failure();
  }
  EventParser parser;
  std::int64_t after = 0;
  while (true) {
    std::vector<Event> events;
    std::string parse_error;
    select->bind(1, after).bind(2, as_limit(batch_size));
    Status status = select->each_row([&](const Row& r) {
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

}  // namespace mitsu::store::postgres

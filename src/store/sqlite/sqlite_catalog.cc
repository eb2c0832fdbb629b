#include "store/sqlite/sqlite_catalog.h"

#include <fmt/format.h>

#include <array>
#include <map>

#include "core/clock.h"
#include "store/catalog_fold.h"

namespace mitsu::store::sqlite {
namespace {

// The names of autonomous systems, as the GeoIP data gave them at ingest (the rollups count by
// number; statistics and reports show the name beside it).
constexpr Migration kAsNames{4, R"sql(
CREATE TABLE as_names (asn INTEGER PRIMARY KEY, name TEXT NOT NULL);
)sql"};

// When a job was last queued and when it ended, for the analysis latency metric.
constexpr Migration kJobTimes{5, R"sql(
ALTER TABLE analysis_jobs ADD COLUMN queued_us INTEGER;
ALTER TABLE analysis_jobs ADD COLUMN finished_us INTEGER;
CREATE INDEX analysis_jobs_finished ON analysis_jobs(finished_us) WHERE finished_us IS NOT NULL;
)sql"};

constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE sensors (
  id            TEXT PRIMARY KEY,
  site          TEXT NOT NULL,
  first_seen_us INTEGER NOT NULL,
  last_seen_us  INTEGER NOT NULL,
  events        INTEGER NOT NULL
);
CREATE TABLE sessions (
  id               TEXT PRIMARY KEY,
  sensor           TEXT NOT NULL,
  site             TEXT NOT NULL,
  protocol         TEXT NOT NULL,
  src_ip           TEXT NOT NULL,
  src_port         INTEGER NOT NULL,
  dst_port         INTEGER NOT NULL,
  device_type      TEXT NOT NULL,
  vendor           TEXT NOT NULL,
  model            TEXT NOT NULL,
  started_us       INTEGER NOT NULL,
  last_seen_us     INTEGER NOT NULL,
  ended_us         INTEGER,
  events           INTEGER NOT NULL,
  login_attempts   INTEGER NOT NULL,
  logins_succeeded INTEGER NOT NULL,
  commands         INTEGER NOT NULL,
  exploits         INTEGER NOT NULL,
  downloads        INTEGER NOT NULL,
  uploads          INTEGER NOT NULL
);
CREATE INDEX sessions_started ON sessions(started_us);
CREATE INDEX sessions_src_ip ON sessions(src_ip, started_us);
CREATE TABLE samples (
  sha256        TEXT PRIMARY KEY,
  size          INTEGER,
  first_seen_us INTEGER NOT NULL,
  last_seen_us  INTEGER NOT NULL,
  sightings     INTEGER NOT NULL
);
-- One row per event that delivered a sample: which session, when, from where.
CREATE TABLE sample_sightings (
  event_id   TEXT PRIMARY KEY,
  sha256     TEXT NOT NULL REFERENCES samples(sha256),
  session_id TEXT NOT NULL,
  ts_us      INTEGER NOT NULL,
  action     TEXT NOT NULL
);
CREATE INDEX sample_sightings_sha256 ON sample_sightings(sha256, ts_us);
-- Durable analysis queue: a worker leases a job, writes a verdict, marks it done.
CREATE TABLE analysis_jobs (
  id             INTEGER PRIMARY KEY,
  sha256         TEXT NOT NULL,
  kind           TEXT NOT NULL,
  state          TEXT NOT NULL DEFAULT 'queued',
  attempts       INTEGER NOT NULL DEFAULT 0,
  lease_until_us INTEGER,
  created_us     INTEGER NOT NULL,
  UNIQUE (sha256, kind)
);
CREATE INDEX analysis_jobs_state ON analysis_jobs(state, id);
CREATE TABLE verdicts (
  sha256           TEXT NOT NULL,
  analyzer_version INTEGER NOT NULL,
  created_us       INTEGER NOT NULL,
  body             TEXT NOT NULL,
  PRIMARY KEY (sha256, analyzer_version)
);
)sql"},
    Migration{2, R"sql(
CREATE TABLE known_hashes (
  hash          TEXT PRIMARY KEY,  -- lower-case hex: MD5, SHA-1 or SHA-256
  source        TEXT NOT NULL,
  signature     TEXT,
  first_seen_us INTEGER,
  imported_us   INTEGER NOT NULL
);
ALTER TABLE analysis_jobs ADD COLUMN error TEXT;
-- Known or never seen: decided once, at the sample's first analysis, and kept with its evidence.
ALTER TABLE samples ADD COLUMN known_at_first_sight INTEGER;
ALTER TABLE samples ADD COLUMN known_source TEXT;
ALTER TABLE samples ADD COLUMN checked_us INTEGER;
ALTER TABLE samples ADD COLUMN checked_against TEXT;
)sql"},
    // Ingest claims (docs/ingest.md): an event id claimed here has been counted by the catalog.
    Migration{3, R"sql(
CREATE TABLE event_claims (id TEXT PRIMARY KEY) WITHOUT ROWID;
)sql"},
    kAsNames,
    kJobTimes,
};

// The same, for a database whose events were stored before claims existed: they were counted
// then, so they are claimed at once and a replay of them cannot count them again.
constexpr std::array kMigrationsOverStoredEvents{
    kMigrations[0],
    kMigrations[1],
    Migration{3, R"sql(
CREATE TABLE event_claims (id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO event_claims (id) SELECT id FROM events ORDER BY id;
)sql"},
    kAsNames,
    kJobTimes,
};

}  // namespace

Result<std::unique_ptr<SqliteCatalog>> SqliteCatalog::open(SqliteDatabase& db) {
  auto stored_events =
      db.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'");
  if (!stored_events) {
    return stored_events.failure();
  }
  if (Status status = db.migrate(
          "catalog", *stored_events != 0 ? std::span<const Migration>(kMigrationsOverStoredEvents)
                                         : std::span<const Migration>(kMigrations));
      !status) {
    return status.failure();
  }
  std::unique_ptr<SqliteCatalog> catalog(new SqliteCatalog(db));
  struct Prepared {
    Statement* target;
    std::string sql;
  };
  std::array statements{
      Prepared{&catalog->upsert_session_,
               fmt::format("INSERT INTO sessions ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                           " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
                           " ON CONFLICT(id) DO UPDATE SET"
                           " started_us = min(started_us, excluded.started_us),"
                           " last_seen_us = max(last_seen_us, excluded.last_seen_us),"
                           " ended_us = coalesce(max(ended_us, excluded.ended_us), ended_us,"
                           "                     excluded.ended_us),"
                           " events = events + excluded.events,"
                           " login_attempts = login_attempts + excluded.login_attempts,"
                           " logins_succeeded = logins_succeeded + excluded.logins_succeeded,"
                           " commands = commands + excluded.commands,"
                           " exploits = exploits + excluded.exploits,"
                           " downloads = downloads + excluded.downloads,"
                           " uploads = uploads + excluded.uploads",
                           kSessionColumns)},
      Prepared{&catalog->upsert_sensor_,
               "INSERT INTO sensors (id, site, first_seen_us, last_seen_us, events)"
               " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET"
               " site = excluded.site,"
               " first_seen_us = min(first_seen_us, excluded.first_seen_us),"
               " last_seen_us = max(last_seen_us, excluded.last_seen_us),"
               " events = events + excluded.events"},
      Prepared{&catalog->upsert_sample_,
               "INSERT INTO samples (sha256, size, first_seen_us, last_seen_us, sightings)"
               " VALUES (?1, ?2, ?3, ?3, 1) ON CONFLICT(sha256) DO UPDATE SET"
               " size = coalesce(size, excluded.size),"
               " first_seen_us = min(first_seen_us, excluded.first_seen_us),"
               " last_seen_us = max(last_seen_us, excluded.last_seen_us),"
               " sightings = sightings + 1"},
      Prepared{&catalog->insert_sighting_,
               "INSERT OR IGNORE INTO sample_sightings (event_id, sha256, session_id, ts_us, "
               "action) VALUES (?1, ?2, ?3, ?4, ?5)"},
      Prepared{&catalog->claim_, "INSERT OR IGNORE INTO event_claims (id) VALUES (?1)"},
      Prepared{&catalog->upsert_as_name_,
               "INSERT INTO as_names (asn, name) VALUES (?1, ?2) ON CONFLICT(asn) DO UPDATE SET"
               " name = excluded.name WHERE name != excluded.name"},
      Prepared{&catalog->enqueue_job_,
               "INSERT OR IGNORE INTO analysis_jobs (sha256, kind, created_us, queued_us)"
               " VALUES (?1, 'static', ?2, ?3)"},
  };
  for (Prepared& p : statements) {
    auto statement = db.prepare(p.sql);
    if (!statement) {
      return statement.failure();
    }
    *p.target = std::move(*statement);
  }
  return catalog;
}

Result<std::vector<bool>> SqliteCatalog::claim_events(std::span<const std::string_view> ids) {
  std::vector<bool> fresh;
  fresh.reserve(ids.size());
  Status status = db_.run([&]() -> Status {
    for (std::string_view id : ids) {
      claim_.bind(1, id);
      if (Status s = claim_.run(); !s) {
        return s;
      }
      fresh.push_back(sqlite3_changes(db_.handle()) == 1);
    }
    return {};
  });
  if (!status) {
    return status.failure();
  }
  return fresh;
}

Status SqliteCatalog::apply(std::span<const Event* const> fresh_events) {
  CatalogFold fold = fold_catalog(fresh_events);
  const auto& [sessions, sensors, as_names, deliveries] = fold;
  std::lock_guard lock(db_.mutex());
  for (const auto& [id, s] : sessions) {
    Statement& q = upsert_session_;
    q.bind(1, s.id).bind(2, s.sensor).bind(3, s.site).bind(4, s.protocol).bind(5, s.src_ip);
    q.bind(6, std::int64_t{s.src_port}).bind(7, std::int64_t{s.dst_port});
    q.bind(8, s.device_type).bind(9, s.vendor).bind(10, s.model);
    q.bind(11, s.started_us).bind(12, s.last_seen_us);
    if (s.ended_us) {
      q.bind(13, *s.ended_us);
    }
    q.bind(14, s.events).bind(15, s.login_attempts).bind(16, s.logins_succeeded);
    q.bind(17, s.commands).bind(18, s.exploits).bind(19, s.downloads).bind(20, s.uploads);
    if (Status status = q.run(); !status) {
      return status;
    }
  }
  for (const auto& [asn, name] : as_names) {
    upsert_as_name_.bind(1, std::int64_t{asn}).bind(2, name);
    if (Status status = upsert_as_name_.run(); !status) {
      return status;
    }
  }
  for (const auto& [id, s] : sensors) {
    upsert_sensor_.bind(1, s.id).bind(2, s.site).bind(3, s.first_seen_us);
    upsert_sensor_.bind(4, s.last_seen_us).bind(5, s.events);
    if (Status status = upsert_sensor_.run(); !status) {
      return status;
    }
  }
  for (const Event* event : deliveries) {
    upsert_sample_.bind(1, event->sha256).bind(3, event->ts_us);
    if (event->file_size >= 0) {
      upsert_sample_.bind(2, event->file_size);
    }
    insert_sighting_.bind(1, event->id).bind(2, event->sha256).bind(3, event->session_id);
    insert_sighting_.bind(4, event->ts_us).bind(5, event->action);
    enqueue_job_.bind(1, event->sha256).bind(2, event->ts_us).bind(3, now_unix_us());
    for (Statement* q : {&upsert_sample_, &insert_sighting_, &enqueue_job_}) {
      if (Status status = q->run(); !status) {
        return status;
      }
    }
  }
  return {};
}

Result<std::vector<SessionRecord>> SqliteCatalog::select_sessions(
    std::string_view where_and_order, std::optional<std::string_view> argument) {
  std::lock_guard lock(db_.mutex());
  auto statement =
      db_.prepare(fmt::format("SELECT {} FROM sessions {}", kSessionColumns, where_and_order));
  if (!statement) {
    return statement.failure();
  }
  if (argument) {
    statement->bind(1, *argument);
  }
  std::vector<SessionRecord> out;
  if (Status status =
          statement->each_row([&](const Statement& row) { out.push_back(session_from_row(row)); });
      !status) {
    return status.failure();
  }
  return out;
}

Result<std::optional<SessionRecord>> SqliteCatalog::session(std::string_view id) {
  auto rows = select_sessions("WHERE id = ?1", id);
  if (!rows) {
    return rows.failure();
  }
  if (rows->empty()) {
    return std::optional<SessionRecord>();
  }
  return std::optional<SessionRecord>(std::move(rows->front()));
}

Result<std::vector<SessionRecord>> SqliteCatalog::recent_sessions(std::size_t limit) {
  return select_sessions(fmt::format("ORDER BY started_us DESC LIMIT {}", limit), std::nullopt);
}

Result<std::vector<SensorRecord>> SqliteCatalog::sensors() {
  std::lock_guard lock(db_.mutex());
  auto statement =
      db_.prepare("SELECT id, site, first_seen_us, last_seen_us, events FROM sensors ORDER BY id");
  if (!statement) {
    return statement.failure();
  }
  std::vector<SensorRecord> out;
  if (Status status = statement->each_row([&](const Statement& row) {
        out.push_back({std::string(row.column_text(0)), std::string(row.column_text(1)),
                       row.column_int(2), row.column_int(3), row.column_int(4)});
      });
      !status) {
    return status.failure();
  }
  return out;
}

Result<std::vector<SampleRecord>> SqliteCatalog::select_samples(
    std::string_view where_order, std::optional<std::string_view> key) {
  std::lock_guard lock(db_.mutex());
  auto statement = db_.prepare(fmt::format(
      "SELECT sha256, size, first_seen_us, last_seen_us, sightings FROM samples {}", where_order));
  if (!statement) {
    return statement.failure();
  }
  if (key) {
    statement->bind(1, *key);
  }
  std::vector<SampleRecord> out;
  if (Status status = statement->each_row([&](const Statement& row) {
        out.push_back(SampleRecord{std::string(row.column_text(0)),
                                   row.column_is_null(1) ? -1 : row.column_int(1),
                                   row.column_int(2), row.column_int(3), row.column_int(4)});
      });
      !status) {
    return status.failure();
  }
  return out;
}

Result<std::optional<SampleRecord>> SqliteCatalog::sample(std::string_view sha256) {
  auto found = select_samples("WHERE sha256 = ?1", sha256);
  if (!found) {
    return found.failure();
  }
  return found->empty() ? std::optional<SampleRecord>{} : std::optional(found->front());
}

Result<std::vector<SampleRecord>> SqliteCatalog::recent_samples(std::size_t limit) {
  return select_samples(fmt::format("ORDER BY last_seen_us DESC, sha256 LIMIT {}", limit),
                        std::nullopt);
}

Result<std::size_t> SqliteCatalog::import_known_hashes(std::span<const KnownHash> hashes) {
  std::size_t added = 0;
  std::int64_t now = now_unix_us();
  Status status = db_.run([&]() -> Status {
    auto insert = db_.prepare(
        "INSERT OR IGNORE INTO known_hashes (hash, source, signature, first_seen_us, imported_us)"
        " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert) {
      return insert.failure();
    }
    for (const KnownHash& h : hashes) {
      insert->bind(1, h.hash).bind(2, h.source).bind_optional(3, h.signature).bind(5, now);
      if (h.first_seen_us) {
        insert->bind(4, *h.first_seen_us);
      }
      if (Status s = insert->run(); !s) {
        return s;
      }
      added += static_cast<std::size_t>(sqlite3_changes(db_.handle()));
    }
    return {};
  });
  if (!status) {
    return status.failure();
  }
  return added;
}

Result<std::optional<KnownHash>> SqliteCatalog::find_known(std::span<const std::string> hashes) {
  std::lock_guard lock(db_.mutex());
  auto find = db_.prepare(
      "SELECT hash, source, signature, first_seen_us FROM known_hashes WHERE hash = ?1");
  if (!find) {
    return find.failure();
  }
  for (const std::string& hash : hashes) {
    if (hash.empty()) {
      continue;
    }
    std::optional<KnownHash> found;
    find->bind(1, hash);
    if (Status s = find->each_row([&](const Statement& row) {
          found = KnownHash{std::string(row.column_text(0)), std::string(row.column_text(1)),
                            std::string(row.column_text(2)),
                            row.column_is_null(3) ? std::nullopt
                                                  : std::optional<std::int64_t>(row.column_int(3))};
        });
        !s) {
      return s.failure();
    }
    if (found) {
      return found;
    }
  }
  return std::optional<KnownHash>();
}

Result<std::string> SqliteCatalog::known_sources_summary() {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare("SELECT count(DISTINCT source), count(*) FROM known_hashes");
  if (!q) {
    return q.failure();
  }
  std::string summary;
  if (Status s = q->each_row([&](const Statement& row) {
        summary = fmt::format("{} imported sources ({} hashes) and Mitsu's own history",
                              row.column_int(0), row.column_int(1));
      });
      !s) {
    return s.failure();
  }
  return summary;
}

Result<std::map<std::uint32_t, std::string>> SqliteCatalog::as_names(
    std::span<const std::uint32_t> asns) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare("SELECT name FROM as_names WHERE asn = ?1");
  if (!q) {
    return q.failure();
  }
  std::map<std::uint32_t, std::string> names;
  for (std::uint32_t asn : asns) {
    q->bind(1, std::int64_t{asn});
    if (Status s = q->each_row(
            [&](const Statement& row) { names[asn] = std::string(row.column_text(0)); });
        !s) {
      return s.failure();
    }
  }
  return names;
}

Result<std::vector<KnownSource>> SqliteCatalog::known_sources() {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "SELECT source, count(*), count(signature), max(imported_us) FROM known_hashes"
      " GROUP BY source ORDER BY source");
  if (!q) {
    return q.failure();
  }
  std::vector<KnownSource> sources;
  if (Status s = q->each_row([&](const Statement& row) {
        sources.push_back(KnownSource{std::string(row.column_text(0)), row.column_int(1),
                                      row.column_int(2), row.column_int(3)});
      });
      !s) {
    return s.failure();
  }
  return sources;
}

Result<std::optional<std::string>> SqliteCatalog::verdict(std::string_view sha256) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "SELECT body FROM verdicts WHERE sha256 = ?1 ORDER BY analyzer_version DESC LIMIT 1");
  if (!q) {
    return q.failure();
  }
  q->bind(1, sha256);
  std::optional<std::string> body;
  if (Status s = q->each_row([&](const Statement& row) { body = row.column_text(0); }); !s) {
    return s.failure();
  }
  return body;
}

Result<std::optional<KnownCheck>> SqliteCatalog::first_sight(std::string_view sha256) {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "SELECT known_at_first_sight, known_source, checked_us, checked_against FROM samples"
      " WHERE sha256 = ?1 AND known_at_first_sight IS NOT NULL");
  if (!q) {
    return q.failure();
  }
  q->bind(1, sha256);
  std::optional<KnownCheck> check;
  if (Status s = q->each_row([&](const Statement& row) {
        check = KnownCheck{row.column_int(0) != 0, std::string(row.column_text(1)),
                           row.column_int(2), std::string(row.column_text(3))};
      });
      !s) {
    return s.failure();
  }
  return check;
}

Result<std::vector<Catalog::Fingerprint>> SqliteCatalog::fingerprints() {
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "SELECT sha256, json_extract(body, '$.hashes.tlsh'), json_extract(body, '$.hashes.ssdeep'),"
      " json_extract(body, '$.family.name')"
      " FROM verdicts v WHERE analyzer_version = (SELECT max(analyzer_version) FROM verdicts"
      " WHERE sha256 = v.sha256)");
  if (!q) {
    return q.failure();
  }
  std::vector<Fingerprint> out;
  if (Status s = q->each_row([&](const Statement& row) {
        out.push_back({std::string(row.column_text(0)), std::string(row.column_text(1)),
                       std::string(row.column_text(2)), std::string(row.column_text(3))});
      });
      !s) {
    return s.failure();
  }
  return out;
}

}  // namespace mitsu::store::sqlite

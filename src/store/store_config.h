#pragma once
// Which storage engine to open and how: the plain settings the store factory reads
// (store/store_factory.h). Engine-specific sections sit side by side; an engine reads its own.

#include <filesystem>
#include <set>
#include <string>
#include <utility>

namespace mitsu::store {

// The embedded SQLite engine.
struct SqliteSettings {
  // "full": every commit survives power loss; "normal": survives a process crash (WAL).
  std::string synchronous = "full";
  int busy_timeout_ms = 5000;
};

// The PostgreSQL engine: catalog, rollups, accounts and alerts (and events, for "postgres").
struct PostgresSettings {
  std::string dsn;     // a libpq connection string, e.g. "host=db.example port=5432 dbname=mitsu"
  std::string schema;  // the schema every table lives in; empty: "mitsu"
};

// Sessions the rollups count as targeted at the operator's products (the vendor watchlist).
// Plain data so the store API names no intel type; the engine hands it to what counts.
struct TargetedBy {
  std::set<std::string> exploit_rules;
  std::set<std::pair<std::string, std::string>> credentials;  // user, password
};

struct StoreConfig {
  std::string engine = "sqlite";  // see known_store_engines()
  std::filesystem::path path;     // sqlite: the database file
  SqliteSettings sqlite;
  PostgresSettings postgres;
  TargetedBy targeted;
};

}  // namespace mitsu::store

#pragma once
// The embedded deployment's storage: event store and catalog in one SQLite file, so one
// transaction covers both.

#include <filesystem>
#include <memory>

#include "store/sqlite/sqlite_account_store.h"
#include "store/sqlite/sqlite_alert_store.h"
#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/sqlite_event_store.h"
#include "store/sqlite/sqlite_rollup_engine.h"

namespace mitsu::store::sqlite {

struct EmbeddedStore {
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteEventStore> events;
  std::unique_ptr<SqliteCatalog> catalog;
  std::unique_ptr<SqliteRollupEngine> rollup_engine;  // intel's rollups count into it
  std::unique_ptr<SqliteAccountStore> accounts;
  std::unique_ptr<SqliteAlertStore> alerts;
};

inline Result<EmbeddedStore> open_embedded_store(const std::filesystem::path& path,
                                                 const SqliteOptions& options = {}) {
  auto db = SqliteDatabase::open(path, options);
  if (!db) {
    return db.failure();
  }
  auto events = SqliteEventStore::open(**db);
  if (!events) {
    return events.failure();
  }
  auto catalog = SqliteCatalog::open(**db);
  if (!catalog) {
    return catalog.failure();
  }
  auto rollup_engine = SqliteRollupEngine::open(**db);
  if (!rollup_engine) {
    return rollup_engine.failure();
  }
  auto accounts = SqliteAccountStore::open(**db);
  if (!accounts) {
    return accounts.failure();
  }
  auto alerts = SqliteAlertStore::open(**db);
  if (!alerts) {
    return alerts.failure();
  }
  return EmbeddedStore{std::move(*db),       std::move(*events),
                       std::move(*catalog),  std::move(*rollup_engine),
                       std::move(*accounts), std::move(*alerts)};
}

}  // namespace mitsu::store::sqlite

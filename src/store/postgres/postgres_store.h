#pragma once
// The scale-out deployment's shared storage on PostgreSQL: catalog, job queue, rollups, accounts
// and alerts in one database, so one transaction covers an ingest batch's claims and counts.
// The event store is PostgreSQL's too for the "postgres" engine.

#include <memory>

#include "store/postgres/pg_account_store.h"
#include "store/postgres/pg_alert_store.h"
#include "store/postgres/pg_catalog.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_event_store.h"
#include "store/postgres/pg_rollup_engine.h"

namespace mitsu::store::postgres {

struct PostgresStore {
  std::unique_ptr<PgDatabase> db;
  std::unique_ptr<PgEventStore> events;  // null unless asked for
  std::unique_ptr<PgCatalog> catalog;
  std::unique_ptr<PgRollupEngine> rollup_engine;
  std::unique_ptr<PgAccountStore> accounts;
  std::unique_ptr<PgAlertStore> alerts;
};

inline Result<PostgresStore> open_postgres_store(const PostgresSettings& settings,
                                                 bool with_events) {
  PostgresStore store;
  auto db = PgDatabase::open(settings);
  if (!db) {
    return db.failure();
  }
  store.db = std::move(*db);
  if (with_events) {
    auto events = PgEventStore::open(*store.db);
    if (!events) {
      return events.failure();
    }
    store.events = std::move(*events);
    store.db->set_covers_event_store(true);
  }
  auto catalog = PgCatalog::open(*store.db);
  if (!catalog) {
    return catalog.failure();
  }
  store.catalog = std::move(*catalog);
  auto rollup_engine = PgRollupEngine::open(*store.db);
  if (!rollup_engine) {
    return rollup_engine.failure();
  }
  store.rollup_engine = std::move(*rollup_engine);
  auto accounts = PgAccountStore::open(*store.db);
  if (!accounts) {
    return accounts.failure();
  }
  store.accounts = std::move(*accounts);
  auto alerts = PgAlertStore::open(*store.db);
  if (!alerts) {
    return alerts.failure();
  }
  store.alerts = std::move(*alerts);
  return store;
}

}  // namespace mitsu::store::postgres

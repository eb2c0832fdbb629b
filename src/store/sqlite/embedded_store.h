#pragma once
// The embedded deployment's storage: event store and catalog in one SQLite file, so one
// transaction covers both.

#include <filesystem>
#include <memory>

#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/sqlite_event_store.h"
#include "store/sqlite/sqlite_rollups.h"

namespace mitsu::store::sqlite {

struct EmbeddedStore {
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteEventStore> events;
  std::unique_ptr<SqliteCatalog> catalog;
  std::unique_ptr<SqliteRollups> rollups;
};

// `profile` decides which sessions the rollups count as targeted at the operator's products.
inline Result<EmbeddedStore> open_embedded_store(const std::filesystem::path& path,
                                                 const SqliteOptions& options = {},
                                                 intel::TargetProfile profile = {}) {
  auto db = SqliteDatabase::open(path, options);
  if (!db) {
    return Error{db.error()};
  }
  auto events = SqliteEventStore::open(**db);
  if (!events) {
    return Error{events.error()};
  }
  auto catalog = SqliteCatalog::open(**db);
  if (!catalog) {
    return Error{catalog.error()};
  }
  auto rollups = SqliteRollups::open(**db, std::move(profile));
  if (!rollups) {
    return Error{rollups.error()};
  }
  SqliteRollups* counted = rollups->get();
  (*catalog)->set_verdict_observer(
      [counted](std::string_view sha256) { return counted->sample_analysed(sha256); });
  return EmbeddedStore{std::move(*db), std::move(*events), std::move(*catalog),
                       std::move(*rollups)};
}

}  // namespace mitsu::store::sqlite

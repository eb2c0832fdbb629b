#pragma once
// The embedded deployment's storage: event store and catalog in one SQLite file, so one
// transaction covers both.

#include <filesystem>
#include <memory>

#include "store/sqlite/sqlite_catalog.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/sqlite_event_store.h"

namespace mitsu::store::sqlite {

struct EmbeddedStore {
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteEventStore> events;
  std::unique_ptr<SqliteCatalog> catalog;
};

inline Result<EmbeddedStore> open_embedded_store(const std::filesystem::path& path,
                                                 const SqliteOptions& options = {}) {
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
  return EmbeddedStore{std::move(*db), std::move(*events), std::move(*catalog)};
}

}  // namespace mitsu::store::sqlite

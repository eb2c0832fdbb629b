#include "store/store_factory.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/embedded_store.h"

namespace mitsu::store {
namespace {

constexpr std::array<std::string_view, 2> kEngines{"sqlite", "postgres"};

Result<StoreSet> open_sqlite(const StoreConfig& config) {
  auto opened = sqlite::open_embedded_store(config.path, config.sqlite);
  if (!opened) {
    return opened.failure();
  }
  StoreSet set;
  set.unit_of_work = std::move(opened->db);
  set.events = std::move(opened->events);
  set.catalog = std::move(opened->catalog);
  set.rollup_engine = std::move(opened->rollup_engine);
  set.accounts = std::move(opened->accounts);
  set.alerts = std::move(opened->alerts);
  return set;
}

// Everything in one PostgreSQL database, shared by collectors and workers on many machines.
Result<StoreSet> open_postgres(const StoreConfig& config) {
  auto opened = postgres::open_postgres_store(config.postgres, /*with_events=*/true);
  if (!opened) {
    return opened.failure();
  }
  StoreSet set;
  set.unit_of_work = std::move(opened->db);
  set.events = std::move(opened->events);
  set.catalog = std::move(opened->catalog);
  set.rollup_engine = std::move(opened->rollup_engine);
  set.accounts = std::move(opened->accounts);
  set.alerts = std::move(opened->alerts);
  return set;
}

}  // namespace

std::span<const std::string_view> known_store_engines() {
  return kEngines;
}

Result<StoreSet> open_stores(const StoreConfig& config) {
  if (config.engine == "sqlite") {
    return open_sqlite(config);
  }
  if (config.engine == "postgres") {
    return open_postgres(config);
  }
  return Error::invalid(fmt::format("unknown store engine \"{}\" (known: {})", config.engine,
                                    fmt::join(kEngines, ", ")));
}

}  // namespace mitsu::store

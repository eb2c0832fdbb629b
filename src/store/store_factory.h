#pragma once
// Opens the stores by engine name from configuration: the one place that knows which engines
// exist. Everything else holds the interfaces in a StoreSet and never names an engine's types.

#include <memory>
#include <span>
#include <string_view>

#include "core/result.h"
#include "store/account_store.h"
#include "store/alert_store.h"
#include "store/catalog.h"
#include "store/event_store.h"
#include "store/rollup_store.h"
#include "store/store_config.h"

namespace mitsu::store {

// The opened stores. The unit of work may own the connection the others use, so it is closed
// last, whether the set is destroyed or assigned over.
struct StoreSet {
  std::unique_ptr<UnitOfWork> unit_of_work;  // the catalog's unit of work (docs/ingest.md)
  std::unique_ptr<EventStore> events;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<RollupEngine> rollup_engine;  // cube rows and state, as the engine keeps them
  // What counts into rollup_engine: intel's (intel::attach_rollups), as the store names no
  // intel type. Null until attached.
  std::unique_ptr<RollupStore> rollups;
  std::unique_ptr<AccountStore> accounts;  // the catalog's users, tokens and audit log
  std::unique_ptr<AlertStore> alerts;      // the catalog's alerts and their outbox

  StoreSet() = default;
  StoreSet(StoreSet&&) noexcept = default;
  StoreSet& operator=(StoreSet&& other) noexcept {
    if (this != &other) {
      close();
      unit_of_work = std::move(other.unit_of_work);
      events = std::move(other.events);
      catalog = std::move(other.catalog);
      rollup_engine = std::move(other.rollup_engine);
      rollups = std::move(other.rollups);
      accounts = std::move(other.accounts);
      alerts = std::move(other.alerts);
    }
    return *this;
  }
  ~StoreSet() { close(); }

  void close() {
    alerts.reset();
    accounts.reset();
    rollups.reset();
    rollup_engine.reset();
    catalog.reset();
    events.reset();
    unit_of_work.reset();
  }
};

// The engine names open_stores accepts, e.g. for a configuration error.
std::span<const std::string_view> known_store_engines();

// Opens (creating or migrating as needed) the stores `config.engine` names. An unknown engine is
// an error that lists the known ones.
Result<StoreSet> open_stores(const StoreConfig& config);

}  // namespace mitsu::store

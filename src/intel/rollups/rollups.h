#pragma once
// Rollups: intel's RollupStore. Folds each batch's events into sessions, takes sample facts from
// verdicts, turns both into signed cube deltas and plans queries; whichever engine sits behind
// store::RollupEngine only stores and sums. Sessions are counted once, under the class their
// events so far give; a session whose class or earliest event changes with a later batch is
// moved: its old contribution is taken back, the new one added.

#include <memory>
#include <mutex>

#include "intel/session_fold.h"
#include "store/catalog.h"
#include "store/event_store.h"
#include "store/rollup_engine.h"
#include "store/rollup_store.h"
#include "store/store_factory.h"

namespace mitsu::intel {

// What the rollups read and write: the engine for cubes and state, the event store for rebuild,
// the catalog for samples and verdicts, and the unit of work that makes a batch atomic.
struct RollupSources {
  store::RollupEngine& engine;
  store::EventStore& events;
  store::Catalog& catalog;
  store::UnitOfWork& unit_of_work;
};

class Rollups : public store::RollupStore {
 public:
  // Defines the cubes in the engine and hooks verdicts: a verdict written in the catalog moves
  // its sample in the same unit of work. `profile` decides which sessions count as targeted.
  static Result<std::unique_ptr<Rollups>> open(RollupSources sources, TargetProfile profile = {});
  ~Rollups() override;

  Status apply(std::span<const Event* const> fresh_events) override;
  Status sample_analysed(std::string_view sha256) override;
  Result<store::RebuildStats> rebuild(const RebuildProgress& progress = {}) override;
  Result<std::vector<store::RollupRow>> query(const store::RollupQuery& query) override;
  Result<std::vector<store::RollupDumpRow>> dump() override;

 private:
  Rollups(RollupSources sources, TargetProfile profile);
  Status count(std::span<const Event* const> events);

  RollupSources sources_;
  TargetProfile profile_;
  // Loading state and writing what follows from it must not interleave with another batch.
  std::mutex mutex_;
};

// Counts into the engine `stores` opened: sets stores.rollups (and the catalog's verdict hook).
// `targeted` decides which sessions count as targeted at the operator's products.
Status attach_rollups(store::StoreSet& stores, const store::TargetedBy& targeted = {});

}  // namespace mitsu::intel

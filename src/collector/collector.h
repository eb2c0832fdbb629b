#pragma once
// The collector moves events from a spool into the stores: validate, store the events
// idempotently, claim their ids in the catalog and count the fresh ones there, and acknowledge
// the spool only after that commit. A crash anywhere replays from the last acknowledgement, and
// the claims count replayed events once (docs/ingest.md).

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "collector/enricher.h"
#include "core/event_parser.h"
#include "core/result.h"
#include "spool/spool.h"
#include "store/catalog.h"
#include "store/event_store.h"
#include "store/rollup_store.h"

namespace mitsu::collector {

struct CollectorOptions {
  std::size_t batch_records = 20000;  // events per catalog unit of work
};

struct CollectorStats {
  std::uint64_t batches = 0;
  std::uint64_t read = 0;
  std::uint64_t stored = 0;      // claimed fresh: counted by the catalog now
  std::uint64_t duplicates = 0;  // claimed before (a replay): stored and counted once already
  std::uint64_t rejected = 0;
  std::array<std::uint64_t, kRejectCodeCount> rejected_by_code{};
};

class Collector {
 public:
  Collector(spool::Spool& spool, store::EventStore& events, store::Catalog& catalog,
            store::UnitOfWork& unit_of_work, CollectorOptions options = {});

  // Fills derived fields (country, ASN) before events are stored; nullptr: none.
  void set_enricher(Enricher* enricher) { enricher_ = enricher; }
  // Rollups updated in the catalog's unit of work, for the events it claimed fresh.
  void set_rollups(store::RollupStore* rollups) { rollups_ = rollups; }
  // Also called in that unit of work with the fresh events (alerts: raised exactly once, with
  // their outbox rows). An error rolls the batch back; it is retried. Empty: none.
  using FreshObserver = std::function<Status(std::span<const Event* const>)>;
  void set_observer(FreshObserver observer) { observer_ = std::move(observer); }
  // Called after the batch committed and the spool was acknowledged, with its fresh events (the
  // live stream): what it is shown is stored for good. It must not block. Empty: none.
  using CommittedObserver = std::function<void(std::span<const Event* const>)>;
  void set_committed_observer(CommittedObserver observer) { committed_ = std::move(observer); }

  // Moves one batch; returns how many records it handled (0 when caught up).
  Result<std::size_t> drain_once();
  // Moves batches until the spool has nothing unread. Reading and validating the next batch
  // overlaps with storing the current one, so this uses two cores. `progress` (when set) is
  // called after each stored batch with the records handled so far.
  Result<std::uint64_t> drain(const std::function<void(std::uint64_t)>& progress = {});

  // A copy: safe to read from another thread (/metrics) while the collector runs.
  CollectorStats stats() const {
    std::lock_guard lock(stats_mutex_);
    return stats_;
  }

 private:
  struct Rejected {
    std::size_t record;  // index into records
    Rejection why;
  };
  struct Parsed {
    std::vector<std::string> records;
    spool::Position next;
    std::vector<Event> events;
    std::vector<Rejected> rejected;
  };
  Result<Parsed> read_and_parse();
  // Stores one parsed batch and acknowledges it; on failure nothing is acknowledged (events may
  // be stored, but unclaimed: the replay counts them).
  Status commit(Parsed& parsed);
  // Step 1 of docs/ingest.md: events and rejected records, idempotently.
  Status store_events(const Parsed& parsed);
  // Step 2: claims, catalog and rollups for the fresh events; returns how many were fresh.
  Result<std::size_t> record_in_catalog(const Parsed& parsed, std::vector<const Event*>& fresh);

  spool::Spool& spool_;
  store::EventStore& events_;
  store::Catalog& catalog_;
  store::UnitOfWork& unit_of_work_;
  Enricher* enricher_ = nullptr;
  store::RollupStore* rollups_ = nullptr;
  FreshObserver observer_;
  CommittedObserver committed_;
  CollectorOptions options_;
  EventParser parser_;
  CollectorStats stats_;
  mutable std::mutex stats_mutex_;
};

}  // namespace mitsu::collector

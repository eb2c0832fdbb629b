#pragma once
// The collector moves events from a spool into the stores: validate, de-duplicate by event id,
// update the catalog, and acknowledge the spool only after the commit. A crash anywhere replays
// from the last acknowledgement, and replayed events are recognised by id and stored once.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/event_parser.h"
#include "core/result.h"
#include "intel/geo/geo_database.h"
#include "spool/spool.h"
#include "store/catalog.h"
#include "store/event_store.h"
#include "store/rollup_store.h"

namespace mitsu::collector {

struct CollectorOptions {
  std::size_t batch_records = 20000;  // events per store transaction
};

struct CollectorStats {
  std::uint64_t batches = 0;
  std::uint64_t read = 0;
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t rejected = 0;
  std::array<std::uint64_t, kRejectCodeCount> rejected_by_code{};
};

class Collector {
 public:
  Collector(spool::Spool& spool, store::EventStore& events, store::Catalog& catalog,
            store::UnitOfWork& unit_of_work, CollectorOptions options = {});

  // Enrichment of source addresses (country, ASN) before events are stored.
  void set_geo(intel::GeoResolver* geo) { geo_ = geo; }
  // Rollups updated in the same unit of work as the events they count.
  void set_rollups(store::RollupStore* rollups) { rollups_ = rollups; }

  // Moves one batch; returns how many records it handled (0 when caught up).
  Result<std::size_t> drain_once();
  // Moves batches until the spool has nothing unread. Reading and validating the next batch
  // overlaps with storing the current one, so this uses two cores.
  Result<std::uint64_t> drain();

  const CollectorStats& stats() const { return stats_; }

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
  // Stores one parsed batch and acknowledges it; on failure nothing is stored or acknowledged.
  Status commit(Parsed& parsed);

  spool::Spool& spool_;
  store::EventStore& events_;
  store::Catalog& catalog_;
  store::UnitOfWork& unit_of_work_;
  intel::GeoResolver* geo_ = nullptr;
  store::RollupStore* rollups_ = nullptr;
  CollectorOptions options_;
  EventParser parser_;
  CollectorStats stats_;
};

}  // namespace mitsu::collector

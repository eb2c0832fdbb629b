#pragma once
// Rollups: the pre-aggregated counts every statistic is answered from (docs/intel.md). Kept up to
// date at ingest, in the same unit of work as the events, and rebuilt from raw events by one
// command with identical results. The collector, statistics and CLI see this interface; intel
// (intel/rollups) implements it over any engine's RollupEngine (store/rollup_engine.h).

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "store/rollup_engine.h"

namespace mitsu::store {

// What is counted. Each measure has its own dimensions:
//   sessions, events: day country asn protocol port device_type site class interactive targeted
//   exploits:         day rule protocol port country asn targeted
//   samples:          day family arch known target targeted   (target: iot, pc, …)
//   domains:          domain source                           (counts samples naming the domain;
//                     source static / sandbox, or static-endpoint / sandbox-endpoint for C2
//                     address:port endpoints)
enum class Measure { kSessions, kEvents, kExploits, kSamples, kDomains };

std::string_view to_string(Measure m);
std::optional<Measure> parse_measure(std::string_view name);
// The dimensions a measure can be grouped or filtered by.
std::span<const std::string_view> dimensions_of(Measure m);

// UTC days since 1970-01-01 <-> YYYY-MM-DD.
std::string format_day(std::int64_t day);
std::optional<std::int64_t> parse_day(std::string_view text);

struct RollupFilter {
  std::string dimension;
  std::string value;  // day as YYYY-MM-DD; flags as 0/1
};

struct RollupQuery {
  Measure measure = Measure::kSessions;
  std::vector<std::string> group_by;
  std::vector<RollupFilter> filters;
  std::optional<std::int64_t> from_day;  // inclusive, UTC days since 1970-01-01
  std::optional<std::int64_t> to_day;    // exclusive
  // 0: every group, ordered by the group keys; N: the N largest groups, largest first.
  std::size_t limit = 0;
};

struct RollupRow {
  std::vector<std::string> keys;  // in group_by order; day as YYYY-MM-DD
  std::int64_t value = 0;
};

// One row of one cube, as every engine must hold it: for comparing engines or a rebuild.
struct RollupDumpRow {
  std::string cube;
  std::vector<CubeValue> key;  // the cube's dimensions, in its order
  std::vector<std::int64_t> counts;

  auto operator<=>(const RollupDumpRow&) const = default;
};
std::string to_string(const RollupDumpRow& row);  // "cube|key…|counts…"

struct RebuildStats {
  std::uint64_t events = 0;
  std::uint64_t sessions = 0;
  std::uint64_t samples = 0;
};

class RollupStore {
 public:
  virtual ~RollupStore() = default;

  // Counts newly stored events (already enriched). Runs inside the ingest unit of work.
  virtual Status apply(std::span<const Event* const> fresh_events) = 0;
  // A sample's verdict was written (or replaced): moves it to its family/arch/known/target.
  // Runs inside the unit of work that wrote the verdict.
  virtual Status sample_analysed(std::string_view sha256) = 0;
  // Forgets every rollup and recomputes them from the raw events and verdicts, calling
  // `progress` (when set) after each batch of events with the counts so far.
  using RebuildProgress = std::function<void(const RebuildStats&)>;
  virtual Result<RebuildStats> rebuild(const RebuildProgress& progress = {}) = 0;

  virtual Result<std::vector<RollupRow>> query(const RollupQuery& query) = 0;
  // Every row of every cube, in a fixed order: for comparing two stores or engines.
  virtual Result<std::vector<RollupDumpRow>> dump() = 0;
};

}  // namespace mitsu::store

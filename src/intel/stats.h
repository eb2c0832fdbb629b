#pragma once
// The query layer every statistic goes through — the CLI now, the API later. Everything is
// answered from the rollups (store/rollup_store.h), never by scanning raw events.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/rollup_store.h"

namespace mitsu::intel {

// The longest range a query covers (ten years).
inline constexpr std::size_t kMaxRangeDays = 3660;

struct DayRange {
  std::int64_t from_day = 0;  // inclusive
  std::int64_t to_day = 0;    // exclusive
  std::size_t days() const {
    return to_day > from_day ? static_cast<std::size_t>(to_day - from_day) : 0;
  }
};

// The largest groups of a dimension and the measure summed over every group, shown or not: a
// group's share is of the whole (issue 22: shares over the rows shown read 100 % for -n 1).
struct Ranking {
  std::vector<store::RollupRow> rows;  // largest first
  double total = 0;
  double share(const store::RollupRow& row) const {
    return total > 0 ? static_cast<double>(row.value) / total : 0;
  }
};

struct Correlation {
  double pearson = 0;   // of daily sessions against daily new samples
  double sessions = 0;  // totals over the range
  double samples = 0;
  double delivery_share = 0;  // share of sessions that delivered malware
  double scan_share = 0;      // share of sessions that were scans
};

class Stats {
 public:
  explicit Stats(store::RollupStore& rollups) : rollups_(rollups) {}

  // The N largest groups of a dimension.
  Result<std::vector<store::RollupRow>> top(store::Measure measure, const std::string& dimension,
                                            DayRange range,
                                            const std::vector<store::RollupFilter>& filters,
                                            std::size_t n);
  // The same N groups with the total over all of them (n = 0: every group).
  Result<Ranking> ranking(store::Measure measure, const std::string& dimension, DayRange range,
                          const std::vector<store::RollupFilter>& filters, std::size_t n);
  // One value per day of the range for every group of a dimension (0 where nothing was
  // counted); an empty dimension gives one series, "total".
  Result<std::map<std::string, std::vector<double>>> daily(
      store::Measure measure, const std::string& dimension, DayRange range,
      const std::vector<store::RollupFilter>& filters);
  // One value per day of the range (0 where nothing was counted).
  Result<std::vector<double>> series(store::Measure measure, DayRange range,
                                     const std::vector<store::RollupFilter>& filters);
  // Per-day series of the N largest groups of a dimension, the rest summed as "other".
  Result<std::map<std::string, std::vector<double>>> series_by(
      store::Measure measure, const std::string& dimension, DayRange range,
      const std::vector<store::RollupFilter>& filters, std::size_t n);
  // Share of analysed samples never seen before (known = 0 among known ∈ {0, 1}).
  Result<std::optional<double>> unknown_share(DayRange range);
  Result<Correlation> attacks_vs_malware(DayRange range);
  // The first and last day any session was counted on, if any.
  Result<std::optional<DayRange>> data_range();
  // Days `from` to `to` (YYYY-MM-DD, both inclusive); an empty end is the data's own. Errors
  // (invalid) name the inputs as `from_name` and `to_name`, and say so when nothing is stored.
  Result<DayRange> resolve_range(const std::string& from, const std::string& to,
                                 std::string_view from_name = "from",
                                 std::string_view to_name = "to");

 private:
  store::RollupStore& rollups_;
};

}  // namespace mitsu::intel

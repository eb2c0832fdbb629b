#pragma once
// Peak detection on daily series (docs/intel.md "Peaks"): a day is a peak when it stands far above
// the rolling median of the days before it — in robust units (MAD, floored by the Poisson spread
// of a count) and by a minimum absolute and relative excess. Runs of peak days are one peak.

#include <cstdint>
#include <string>
#include <vector>

#include "intel/cve_catalog.h"
#include "intel/stats.h"
#include "store/rollup_store.h"

namespace mitsu::intel {

struct PeakOptions {
  int window = 28;                // days of history the baseline is the median of
  int min_history = 14;           // no verdict before this many days of history
  double threshold = 8.0;         // robust z-score
  double min_excess = 30;         // sessions above the baseline, at least
  double min_excess_share = 0.3;  // and at least this share of the baseline
  int disclosure_lookback = 14;   // days before a peak a disclosure may explain it
};

// One peak day of one series (values[i] is day first_day + i).
struct PeakDay {
  std::size_t index = 0;
  double value = 0;
  double baseline = 0;
  double score = 0;
};
// Days before `start` are not history (nothing was collected yet) and are never judged.
std::vector<PeakDay> detect_peaks(const std::vector<double>& values, const PeakOptions& options,
                                  std::size_t start = 0);

struct Driver {
  std::string dimension;  // protocol, port, rule, asn, country
  std::string value;
  double excess = 0;  // that value's sessions (exploit events for rule) above its own baseline
  double share = 0;   // excess / the peak's excess
};

struct Peak {
  std::string series;  // "total", "protocol=telnet", "country=CN", …
  std::int64_t day = 0;
  double value = 0;
  double baseline = 0;
  double score = 0;
  std::vector<Driver> drivers;        // largest first, a few per dimension
  std::vector<CveEntry> disclosures;  // catalogue entries that fit, most recent first
};

// Finds the peaks of every daily session series (total; per protocol, port, country and
// persona) between two days, with attribution from the rollups and the catalogue.
Result<std::vector<Peak>> find_peaks(store::RollupStore& rollups, std::int64_t from_day,
                                     std::int64_t to_day, const std::vector<CveEntry>& catalog,
                                     const PeakOptions& options = {});

}  // namespace mitsu::intel

#pragma once
// `mitsu report`: the statistics of a date range as one self-contained HTML page (inline SVG
// charts, no scripts, no external files), or as JSON / CSV for other tools.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "intel/cve_catalog.h"
#include "intel/peaks.h"
#include "intel/stats.h"

namespace mitsu::intel {

// Everything the report shows, from the rollups.
Result<nlohmann::json> collect_report(store::RollupStore& rollups, DayRange range,
                                      const std::vector<CveEntry>& catalog,
                                      const PeakOptions& peaks = {});

std::string render_html(const nlohmann::json& report);
// One row per number: section,key,day,value.
std::string render_csv(const nlohmann::json& report);

}  // namespace mitsu::intel

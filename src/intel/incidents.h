#pragma once
// One incident, one count: a telnet wave peaks in the total, in protocol=telnet, port=23,
// country=CN and device_type=camera at once. Peaks of any series on the same or adjacent days
// are one incident, counted and shown once with every series it showed in (issue 22: three
// incidents read as fourteen peaks).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "intel/peaks.h"

namespace mitsu::intel {

struct Incident {
  std::int64_t first_day = 0;
  std::int64_t last_day = 0;
  Peak lead;                          // the total's peak when there is one, else the top score
  std::vector<Peak> peaks;            // every series' peak in it, the lead first
  std::vector<CveEntry> disclosures;  // of all its peaks, each once, most recent first
};

// Peaks in any order; incidents in day order.
std::vector<Incident> group_incidents(std::vector<Peak> peaks);

// The JSON forms the report and `stats peaks --json` share: a peak (series, day, value,
// baseline, score, drivers, disclosures) and incidents (first_day, last_day, lead, series,
// disclosures).
nlohmann::json peak_json(const Peak& peak);
nlohmann::json incidents_json(const std::vector<Incident>& incidents);

}  // namespace mitsu::intel

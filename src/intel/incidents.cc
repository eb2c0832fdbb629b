#include "intel/incidents.h"

#include <algorithm>
#include <set>

namespace mitsu::intel {
namespace {

Incident finish(std::vector<Peak> peaks) {
  // The lead: the total when it peaked, else the highest score; then by score.
  std::stable_sort(peaks.begin(), peaks.end(), [](const Peak& a, const Peak& b) {
    bool a_total = a.series == "total", b_total = b.series == "total";
    return a_total != b_total ? a_total : a.score > b.score;
  });
  Incident incident;
  incident.first_day = incident.last_day = peaks.front().day;
  std::set<std::string> seen;
  for (const Peak& p : peaks) {
    incident.first_day = std::min(incident.first_day, p.day);
    incident.last_day = std::max(incident.last_day, p.day);
    for (const CveEntry& e : p.disclosures) {
      if (seen.insert(e.id).second) {
        incident.disclosures.push_back(e);
      }
    }
  }
  std::sort(incident.disclosures.begin(), incident.disclosures.end(),
            [](const CveEntry& a, const CveEntry& b) { return a.published_day > b.published_day; });
  incident.lead = peaks.front();
  incident.peaks = std::move(peaks);
  return incident;
}

}  // namespace

std::vector<Incident> group_incidents(std::vector<Peak> peaks) {
  std::sort(peaks.begin(), peaks.end(), [](const Peak& a, const Peak& b) { return a.day < b.day; });
  std::vector<Incident> out;
  std::vector<Peak> current;
  std::int64_t last = 0;
  for (Peak& p : peaks) {
    if (!current.empty() && p.day > last + 1) {
      out.push_back(finish(std::move(current)));
      current.clear();
    }
    last = current.empty() ? p.day : std::max(last, p.day);
    current.push_back(std::move(p));
  }
  if (!current.empty()) {
    out.push_back(finish(std::move(current)));
  }
  return out;
}

}  // namespace mitsu::intel

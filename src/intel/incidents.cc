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

namespace {

nlohmann::json disclosures_json(const std::vector<CveEntry>& entries) {
  nlohmann::json out = nlohmann::json::array();
  for (const CveEntry& e : entries) {
    out.push_back({{"id", e.id},
                   {"published", store::format_day(e.published_day)},
                   {"product", e.product},
                   {"rule", e.rule}});
  }
  return out;
}

}  // namespace

nlohmann::json peak_json(const Peak& p) {
  nlohmann::json drivers = nlohmann::json::array();
  for (const Driver& d : p.drivers) {
    drivers.push_back(
        {{"dimension", d.dimension}, {"value", d.value}, {"excess", d.excess}, {"share", d.share}});
  }
  return {{"series", p.series},
          {"day", store::format_day(p.day)},
          {"value", p.value},
          {"baseline", p.baseline},
          {"score", p.score},
          {"drivers", drivers},
          {"disclosures", disclosures_json(p.disclosures)}};
}

nlohmann::json incidents_json(const std::vector<Incident>& incidents) {
  nlohmann::json out = nlohmann::json::array();
  for (const Incident& incident : incidents) {
    nlohmann::json series = nlohmann::json::array();
    for (const Peak& p : incident.peaks) {
      series.push_back(p.series);
    }
    out.push_back({{"first_day", store::format_day(incident.first_day)},
                   {"last_day", store::format_day(incident.last_day)},
                   {"lead", peak_json(incident.lead)},
                   {"series", series},
                   {"disclosures", disclosures_json(incident.disclosures)}});
  }
  return out;
}

}  // namespace mitsu::intel

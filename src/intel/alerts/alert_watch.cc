#include "intel/alerts/alert_watch.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/safe_text.h"
#include "intel/peaks.h"

namespace mitsu::intel {

constexpr std::int64_t kDayUs = 86400LL * 1'000'000;

Status AlertWatch::raise(const Event& fact, std::vector<store::AlertRecord>& out) {
  return unit_of_work_.run([&]() -> Status {
    auto raised = engine_.observe_fact(fact);
    if (!raised) {
      return raised.failure();
    }
    out.insert(out.end(), raised->begin(), raised->end());
    return {};
  });
}

Result<std::vector<store::AlertRecord>> AlertWatch::tick(std::int64_t now_us) {
  std::vector<store::AlertRecord> out;
  auto sensors = catalog_.sensors();
  if (!sensors) {
    return sensors.failure();
  }
  for (const store::SensorRecord& s : *sensors) {
    std::int64_t quiet = now_us - s.last_seen_us;
    if (quiet < options_.silent_after_us || quiet > options_.retired_after_us) {
      continue;
    }
    Event fact;
    fact.action = "sensor.silent";
    fact.ts_us = now_us;
    fact.sensor = s.id;
    fact.site = s.site;
    fact.body = dump_json({{"sensor", s.id},
                           {"site", s.site},
                           {"last_event", format_timestamp_us(s.last_seen_us)},
                           {"silent_minutes", (now_us - s.last_seen_us) / 60'000'000}});
    if (Status st = raise(fact, out); !st) {
      return st.failure();
    }
  }
  std::int64_t today = now_us / kDayUs;
  auto peaks = find_peaks(rollups_, today - options_.peak_days + 1, today, cves_);
  if (!peaks) {
    return peaks.failure();
  }
  for (const Peak& p : *peaks) {
    if (p.day <= today - options_.recent_days) {
      continue;
    }
    nlohmann::json disclosures = nlohmann::json::array();
    for (const CveEntry& cve : p.disclosures) {
      disclosures.push_back(cve.id);
    }
    Event fact;
    fact.action = "peak.detected";
    fact.ts_us = now_us;
    fact.body = dump_json({{"series", p.series},
                           {"day", store::format_day(p.day)},
                           {"value", p.value},
                           {"baseline", p.baseline},
                           {"score", p.score},
                           {"disclosures", disclosures}});
    if (Status st = raise(fact, out); !st) {
      return st.failure();
    }
  }
  return out;
}

}  // namespace mitsu::intel

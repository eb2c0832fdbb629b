#pragma once
// The alerts no single event raises, looked for on a timer (mitsu run, once a minute): a sensor
// that has sent nothing for too long ("sensor.silent"), and a peak detected in the daily series
// of the last days ("peak.detected", with the disclosures it was tied to). Each becomes a fact
// the alert rules match like an event, so severity, keys, once and limits stay in the data.

#include <cstdint>
#include <vector>

#include "intel/alerts/alert_engine.h"
#include "intel/cve_catalog.h"
#include "store/catalog.h"
#include "store/rollup_store.h"

namespace mitsu::intel {

struct AlertWatchOptions {
  std::int64_t silent_after_us = 3600LL * 1'000'000;  // a sensor's last event older than this
  // Quiet longer than this, a sensor is taken as retired (or simulated history): no alert.
  std::int64_t retired_after_us = 7 * 86400LL * 1'000'000;
  int peak_days = 60;   // the window peaks are detected in (the baseline needs weeks)
  int recent_days = 2;  // peaks on these last days alert; older ones were history already
};

class AlertWatch {
 public:
  AlertWatch(AlertEngine& engine, store::Catalog& catalog, store::RollupStore& rollups,
             store::UnitOfWork& unit_of_work, std::vector<CveEntry> cves,
             AlertWatchOptions options = {})
      : engine_(engine),
        catalog_(catalog),
        rollups_(rollups),
        unit_of_work_(unit_of_work),
        cves_(std::move(cves)),
        options_(options) {}

  // One look at `now_us`; returns the alerts it raised fresh.
  Result<std::vector<store::AlertRecord>> tick(std::int64_t now_us);

 private:
  Status raise(const Event& fact, std::vector<store::AlertRecord>& out);

  AlertEngine& engine_;
  store::Catalog& catalog_;
  store::RollupStore& rollups_;
  store::UnitOfWork& unit_of_work_;
  std::vector<CveEntry> cves_;
  AlertWatchOptions options_;
};

}  // namespace mitsu::intel

#pragma once
// The wiring layer: opens the stores, spool, artifact store and collector the configuration
// names, for the `mitsu` subcommands and the API server alike. Stores are held by their
// interfaces; which engine is behind them is the store factory's business.

#include <memory>

#include "analysis/static/family_classifier.h"
#include "analysis/static/vendor_watchlist.h"
#include "app/config.h"
#include "artifacts/artifact_store.h"
#include "collector/collector.h"
#include "collector/enricher.h"
#include "intel/alerts/alert_engine.h"
#include "intel/geo/geo_database.h"
#include "spool/spool.h"
#include "store/store_factory.h"

namespace mitsu::app {

// Members are destroyed bottom-up: the collector goes before the enrichment and stores it uses.
struct Platform {
  Config config;
  store::StoreSet store;
  std::unique_ptr<intel::GeoResolver> geo;              // with the spool; may be empty
  std::unique_ptr<collector::Enricher> enricher;        // with the spool, when geo has data
  std::unique_ptr<spool::Spool> spool;                  // only when opened with the spool
  std::unique_ptr<artifacts::ArtifactStore> artifacts;  // with the spool, or open_artifacts()
  std::unique_ptr<intel::AlertEngine> alert_engine;     // raises at ingest and on verdicts
  std::unique_ptr<collector::Collector> collector;      // only when opened with the spool

  ~Platform();
  // Query-only commands skip the spool, so they work while `mitsu run` holds it.
  static Result<std::unique_ptr<Platform>> open(Config config, bool with_spool);
  // The artifact store without the spool (analysis commands).
  Status open_artifacts();
};

// The shipped YARA rules (rules/yara) plus the configured directories.
Result<std::shared_ptr<const analysis::FamilyClassifier>> load_rules(const Config& config);
// The outbox sinks alerts are queued for: each configured webhook by name, and syslog.
std::vector<std::string> alert_sinks(const Config& config);
// The shipped rules/alerts.toml, or the file [alerts] rules names.
Result<std::vector<intel::AlertRule>> load_alert_rules(const Config& config);
// The GeoIP sources the configuration names. Without [intel] geo, missing default files only
// give a warning (no enrichment); named files that are missing are an error.
Result<std::unique_ptr<intel::GeoResolver>> load_geo(const Config& config);
// The configured vendor watchlist, or nullptr when none is configured.
Result<std::shared_ptr<const analysis::VendorProfile>> load_watchlist(const Config& config);

}  // namespace mitsu::app

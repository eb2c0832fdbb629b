#include "app/platform.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "intel/geo/geo_enricher.h"
#include "intel/rollups/rollups.h"

namespace mitsu::app {
namespace {

// The stores the configuration names; the watchlist says which sessions rollups count as
// targeted at the operator's products.
Result<store::StoreSet> open_stores(const Config& config,
                                    const analysis::VendorProfile* watchlist) {
  store::StoreConfig stores;
  stores.engine = config.store_engine;
  stores.path = config.store_path;
  stores.sqlite = config.sqlite;
  stores.postgres = config.postgres;
  if (watchlist != nullptr) {
    stores.targeted.exploit_rules.insert(watchlist->exploit_rules.begin(),
                                         watchlist->exploit_rules.end());
    stores.targeted.credentials.insert(watchlist->default_credentials.begin(),
                                       watchlist->default_credentials.end());
  }
  auto opened = store::open_stores(stores);
  if (!opened) {
    return opened.failure();
  }
  // Intel decides what is counted; the engine only stores it.
  if (Status s = intel::attach_rollups(*opened, stores.targeted); !s) {
    return s.failure();
  }
  return opened;
}

}  // namespace

Platform::~Platform() {
  collector.reset();
  if (store.catalog) {
    store.catalog->set_verdict_observer("alerts", {});
  }
}

Result<std::unique_ptr<Platform>> Platform::open(Config config, bool with_spool) {
  auto platform = std::make_unique<Platform>();
  config.resolve_paths();
  platform->config = config;
  auto watchlist = load_watchlist(config);
  if (!watchlist) {
    return watchlist.failure();
  }
  auto store = open_stores(config, watchlist->get());
  if (!store) {
    return store.failure();
  }
  platform->store = std::move(*store);
  // Alerts in every process: verdicts are written by the analysis workers' processes.
  auto alert_rules = load_alert_rules(config);
  if (!alert_rules) {
    return alert_rules.failure();
  }
  platform->alert_engine = std::make_unique<intel::AlertEngine>(
      std::move(*alert_rules), *platform->store.alerts, alert_sinks(config));
  if (const analysis::VendorProfile* profile = watchlist->get()) {
    platform->alert_engine->set_targeted_rules(
        {profile->exploit_rules.begin(), profile->exploit_rules.end()});
  }
  intel::AlertEngine* engine = platform->alert_engine.get();
  store::Catalog* catalog = platform->store.catalog.get();
  catalog->set_verdict_observer("alerts", [engine, catalog](std::string_view sha256) -> Status {
    auto verdict = catalog->verdict(sha256);
    if (!verdict) {
      return verdict.failure();
    }
    auto raised = engine->observe_verdict(sha256, verdict->value_or(""), now_unix_us());
    return raised ? Status{} : Status(raised.failure());
  });
  if (!with_spool) {
    return platform;
  }
  // GeoIP data loads (about a second for the ASN tables) before the spool is locked, so a
  // process holding the spool is already able to handle signals.
  auto geo = load_geo(config);
  if (!geo) {
    return geo.failure();
  }
  platform->geo = std::move(*geo);
  auto spool = spool::Spool::open(config.spool);
  if (!spool) {
    return spool.failure();
  }
  platform->spool = std::move(*spool);
  const spool::RecoveryReport& recovery = platform->spool->recovery();
  for (const std::string& problem : recovery.problems) {
    spdlog::warn("spool recovery: {}", problem);
  }
  if (recovery.pending_records > 0 || recovery.discarded_bytes > 0) {
    spdlog::info("spool recovery: {} unacknowledged events to deliver, {} bytes discarded",
                 recovery.pending_records, recovery.discarded_bytes);
  }
  if (Status status = platform->open_artifacts(); !status) {
    return status.failure();
  }
  platform->collector = std::make_unique<collector::Collector>(
      *platform->spool, *platform->store.events, *platform->store.catalog,
      *platform->store.unit_of_work, config.collector);
  if (!platform->geo->empty()) {
    platform->enricher = std::make_unique<intel::GeoEnricher>(*platform->geo);
  }
  platform->collector->set_enricher(platform->enricher.get());
  platform->collector->set_rollups(platform->store.rollups.get());
  intel::AlertEngine* alerts = platform->alert_engine.get();
  platform->collector->set_observer(
      [alerts](std::span<const Event* const> fresh) { return alerts->observe(fresh); });
  return platform;
}

std::vector<std::string> alert_sinks(const Config& config) {
  std::vector<std::string> sinks;
  for (const auto& webhook : config.alerts.webhooks) {
    sinks.push_back(webhook.name);
  }
  if (!config.alerts.syslog.empty()) {
    sinks.emplace_back(intel::kSyslogSink);
  }
  return sinks;
}

Result<std::vector<intel::AlertRule>> load_alert_rules(const Config& config) {
  return intel::load_alert_rules(config.alerts.rules.empty()
                                     ? std::filesystem::path(MITSU_DEFAULT_ALERT_RULES)
                                     : config.alerts.rules);
}

Status Platform::open_artifacts() {
  if (artifacts) {
    return {};
  }
  auto opened = artifacts::ArtifactStore::open(config.artifacts);
  if (!opened) {
    return opened.failure();
  }
  artifacts = std::move(*opened);
  return {};
}

Result<std::shared_ptr<const analysis::FamilyClassifier>> load_rules(const Config& config) {
  std::vector<std::filesystem::path> dirs{MITSU_DEFAULT_RULES_DIR};
  dirs.insert(dirs.end(), config.rules_dirs.begin(), config.rules_dirs.end());
  auto rules = analysis::FamilyClassifier::load(dirs);
  if (!rules) {
    return rules.failure();
  }
  return std::shared_ptr<const analysis::FamilyClassifier>(std::move(*rules));
}

Result<std::unique_ptr<intel::GeoResolver>> load_geo(const Config& config) {
  std::vector<std::filesystem::path> files;
  for (const auto& file : config.intel.geo_files) {
    std::error_code ec;
    if (config.intel.geo_configured || std::filesystem::exists(file, ec)) {
      files.push_back(file);
    } else {
      spdlog::warn(
          "GeoIP file {} is missing: events are stored without country/ASN "
          "(scripts/install-geo.sh installs the free default data)",
          file.string());
    }
  }
  auto geo = intel::open_geo_resolver(files);
  if (!geo) {
    return geo.failure();
  }
  spdlog::debug("GeoIP: {}", (*geo)->describe());
  return geo;
}

Result<std::shared_ptr<const analysis::VendorProfile>> load_watchlist(const Config& config) {
  if (config.watchlist.empty()) {
    return std::shared_ptr<const analysis::VendorProfile>();
  }
  auto profile = analysis::load_vendor_profile(config.watchlist);
  if (!profile) {
    return profile.failure();
  }
  return std::make_shared<const analysis::VendorProfile>(std::move(*profile));
}

}  // namespace mitsu::app

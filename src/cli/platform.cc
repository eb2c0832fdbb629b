#include "cli/platform.h"

#include <spdlog/spdlog.h>

namespace mitsu::cli {

Result<std::unique_ptr<Platform>> Platform::open(Config config, bool with_spool) {
  auto platform = std::make_unique<Platform>();
  config.resolve_paths();
  platform->config = config;
  auto watchlist = load_watchlist(config);
  if (!watchlist) {
    return Error{watchlist.error()};
  }
  intel::TargetProfile targets;
  if (*watchlist) {
    const analysis::VendorProfile& v = **watchlist;
    targets.exploit_rules.insert(v.exploit_rules.begin(), v.exploit_rules.end());
    targets.credentials.insert(v.default_credentials.begin(), v.default_credentials.end());
  }
  auto store = store::sqlite::open_embedded_store(config.store_path, config.sqlite, targets);
  if (!store) {
    return Error{store.error()};
  }
  platform->store = std::move(*store);
  if (!with_spool) {
    return platform;
  }
  // GeoIP data loads (about a second for the ASN tables) before the spool is locked, so a
  // process holding the spool is already able to handle signals.
  auto geo = load_geo(config);
  if (!geo) {
    return Error{geo.error()};
  }
  platform->geo = std::move(*geo);
  auto spool = spool::Spool::open(config.spool);
  if (!spool) {
    return Error{spool.error()};
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
    return Error{status.error()};
  }
  platform->collector = std::make_unique<collector::Collector>(
      *platform->spool, *platform->store.events, *platform->store.catalog, *platform->store.db,
      config.collector);
  platform->collector->set_geo(platform->geo->empty() ? nullptr : platform->geo.get());
  platform->collector->set_rollups(platform->store.rollups.get());
  return platform;
}

Status Platform::open_artifacts() {
  if (artifacts) {
    return {};
  }
  auto opened = artifacts::ArtifactStore::open(config.artifacts);
  if (!opened) {
    return Error{opened.error()};
  }
  artifacts = std::move(*opened);
  return {};
}

Result<std::shared_ptr<const analysis::FamilyClassifier>> load_rules(const Config& config) {
  std::vector<std::filesystem::path> dirs{MITSU_DEFAULT_RULES_DIR};
  dirs.insert(dirs.end(), config.rules_dirs.begin(), config.rules_dirs.end());
  auto rules = analysis::FamilyClassifier::load(dirs);
  if (!rules) {
    return Error{rules.error()};
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
    return Error{geo.error()};
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
    return Error{profile.error()};
  }
  return std::make_shared<const analysis::VendorProfile>(std::move(*profile));
}

}  // namespace mitsu::cli

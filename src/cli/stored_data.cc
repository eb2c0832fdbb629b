#include <spdlog/spdlog.h>

#include <filesystem>

#include "app/platform.h"
#include "cli/commands.h"

namespace mitsu::cli {

bool store_exists(const Config& config) {
  if (config.store_engine != "sqlite") {
    return true;  // a server engine answers for itself when it is opened
  }
  Config resolved = config;
  resolved.resolve_paths();
  if (std::filesystem::exists(resolved.store_path)) {
    return true;
  }
  spdlog::error("no store at {}: nothing has been ingested there yet (see --data-dir)",
                resolved.store_path.string());
  return false;
}

std::unique_ptr<app::Platform> open_stored(const Config& config) {
  if (!store_exists(config)) {
    return nullptr;
  }
  auto platform = app::Platform::open(config, /*with_spool=*/false);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return nullptr;
  }
  return std::move(*platform);
}

}  // namespace mitsu::cli

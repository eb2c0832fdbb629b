#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "cli/commands.h"
#include "cli/platform.h"

namespace mitsu::cli {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) {
  g_stop = true;
}

// Delivers everything left in the spool, then reports what the collector did.
int drain_and_report(collector::Collector& collector) {
  auto moved = collector.drain();
  if (!moved) {
    spdlog::error("collector: {}", moved.error());
    return kExitFailure;
  }
  const collector::CollectorStats& s = collector.stats();
  spdlog::info("collector: {} events read, {} stored, {} duplicates, {} rejected", s.read, s.stored,
               s.duplicates, s.rejected);
  return kExitOk;
}

}  // namespace

int run_command(const Config& config, const RunOptions& options) {
  auto platform = Platform::open(config, /*with_spool=*/true);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return kExitFailure;
  }
  Platform& p = **platform;
  spdlog::info("mitsu run: sensor '{}' at site '{}'", p.config.sensor.sensor_id,
               p.config.sensor.site);
  spdlog::info("spool {} (fsync {}), store {}, artifacts {}", p.config.spool.dir.string(),
               spool::fsync_policy_name(p.config.spool.fsync), p.config.store_path.string(),
               p.config.artifacts.dir.string());

  if (options.once) {
    return drain_and_report(*p.collector);
  }

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  spdlog::info("running; stop with Ctrl-C or SIGTERM");
  // Sensors, analysis workers and the dashboard join this loop as those parts land; today the
  // all-in-one process delivers whatever reaches the spool into the store.
  while (!g_stop) {
    auto moved = p.collector->drain_once();
    if (!moved) {
      spdlog::error("collector: {} (retrying)", moved.error());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (Status synced = p.spool->sync(); !synced) {
      spdlog::error("spool: {}", synced.error());
    }
    if (*moved == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  spdlog::info("stopping: delivering what is left in the spool");
  return drain_and_report(*p.collector);
}

}  // namespace mitsu::cli

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "analysis/analysis_worker.h"
#include "analysis/sandbox_worker.h"
#include "cli/commands.h"
#include "cli/platform.h"
#include "cli/sensor_setup.h"
#include "collector/collector_thread.h"
#include "core/clock.h"

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
  // From the start: a stop requested while the platform is still opening is honoured once it
  // runs (it then delivers the spool and exits cleanly).
  if (!options.once) {
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
  }
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

  auto rules = load_rules(p.config);
  if (!rules) {
    spdlog::error("{}", rules.error());
    return kExitFailure;
  }
  spdlog::info("analysis: {} rule files", (*rules)->rule_files());
  auto watchlist = load_watchlist(p.config);
  if (!watchlist) {
    spdlog::error("{}", watchlist.error());
    return kExitFailure;
  }
  // The sandbox needs root (namespaces, the TUN device); without it, static triage only.
  bool sandbox_on = p.config.sandbox.enabled && geteuid() == 0;
  if (p.config.sandbox.enabled && !sandbox_on) {
    spdlog::warn("sandbox: not running as root, samples get static triage only");
  }
  analysis::AnalysisWorkerOptions analysis_options = p.config.analysis;
  analysis_options.sandbox = sandbox_on;
  analysis::AnalysisWorker analysis(*p.store.catalog, *p.artifacts, *rules, analysis_options,
                                    *watchlist);
  analysis::SandboxWorkerOptions sandbox_options;
  sandbox_options.sandbox.time_limit = std::chrono::milliseconds(
      static_cast<std::int64_t>(p.config.sandbox.time_limit_seconds * 1000));
  sandbox_options.sandbox.work_dir = p.config.data_dir / "sandbox" / "work";
  sandbox_options.reports_dir = p.config.data_dir / "sandbox" / "reports";
  sandbox_options.parallel = p.config.sandbox.parallel;
  analysis::SandboxWorker sandbox_worker(*p.store.catalog, *p.artifacts, sandbox_options);

  if (options.once) {
    int delivered = drain_and_report(*p.collector);
    auto analysed = analysis.run_until_idle();
    if (!analysed) {
      spdlog::error("analysis: {}", analysed.error());
      return kExitFailure;
    }
    spdlog::info("analysis: {} samples analysed, {} failed", analysed->analysed, analysed->failed);
    std::size_t sandboxed = 0;
    while (sandbox_on) {
      auto ran = sandbox_worker.run_once(0);
      if (!ran) {
        spdlog::error("sandbox: {}", ran.error());
        return kExitFailure;
      }
      if (*ran == analysis::JobOutcome::kIdle) {
        break;
      }
      sandboxed += *ran == analysis::JobOutcome::kAnalysed ? 1 : 0;
    }
    if (sandbox_on) {
      spdlog::info("sandbox: {} samples run", sandboxed);
    }
    return delivered;
  }

  // The honeypot: personas listening, every event to the spool, payloads to the artifact store.
  SpoolEventSink sink(*p.spool);
  std::unique_ptr<sensor::Downloader> downloader;
  std::unique_ptr<sensor::SensorServer> sensor;
  Uuid7Generator ids;
  EventBuilder builder(p.config.sensor, ids);
  if (p.config.sensors.enabled) {
    auto options = sensor_options(p.config);
    if (!options) {
      spdlog::error("{}", options.error());
      return kExitFailure;
    }
    if (p.config.sensors.download) {
      auto started = sensor::Downloader::start(p.config.sensors.download_options, *p.artifacts);
      if (!started) {
        spdlog::error("{}", started.error());
        return kExitFailure;
      }
      downloader = std::move(*started);
    }
    std::vector<sensor::DevicePersona> personas = options->personas;
    sensor = std::make_unique<sensor::SensorServer>(std::move(*options), sink, *p.artifacts,
                                                    downloader.get());
    if (Status started = sensor->start(); !started) {
      spdlog::error("{}", started.error());
      return kExitFailure;
    }
    if (Status dropped = drop_privileges(p.config.sensors.user); !dropped) {
      spdlog::error("{}", dropped.error());
      sensor->stop();
      return kExitFailure;
    }
    for (const auto& b : sensor->bound()) {
      for (const auto& persona : personas) {
        if (persona.name == b.persona) {
          spdlog::info("sensor: {} ({} {} {}, {}) {} on {}:{}", persona.name, persona.device_type,
                       persona.vendor, persona.model, persona.arch, b.protocol, b.address, b.port);
        }
      }
    }
    sink.emit(builder.sensor_event("sensor.start", now_unix_us()));
  }
  spdlog::info("running; stop with Ctrl-C or SIGTERM");
  collector::CollectorThread delivery(*p.collector, collector::CollectorThread::OnError::kRetry);
  // Every captured sample is analysed as soon as it is queued, with nobody asking.
  std::thread analysis_thread([&] {
    while (!g_stop) {
      auto ran = analysis.run_once();
      if (!ran) {
        spdlog::error("analysis: {} (retrying)", ran.error());
      }
      if (!ran || *ran == analysis::JobOutcome::kIdle) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    }
  });
  // Sandbox runs, `parallel` at a time, each its own slot (uid, jail).
  std::vector<std::thread> sandbox_threads;
  for (unsigned slot = 0; sandbox_on && slot < sandbox_options.parallel; ++slot) {
    sandbox_threads.emplace_back([&, slot] {
      while (!g_stop) {
        auto ran = sandbox_worker.run_once(static_cast<int>(slot));
        if (!ran) {
          spdlog::error("sandbox: {} (retrying)", ran.error());
        }
        if (!ran || *ran == analysis::JobOutcome::kIdle) {
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
      }
    });
  }
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (Status synced = p.spool->sync(); !synced) {  // the "interval" fsync policy's timer
      spdlog::error("spool: {}", synced.error());
    }
  }
  analysis_thread.join();
  for (std::thread& t : sandbox_threads) {
    t.join();
  }
  if (sensor) {
    // Sessions end first (their last files and events), then outstanding downloads answer.
    sensor->stop();
    if (downloader) {
      downloader->stop();
    }
    sink.emit(builder.sensor_event("sensor.stop", now_unix_us()));
    sink.close();
    auto stats = sensor->stats();
    spdlog::info("sensor: {} connections, {} refused over limits, {} events, {} files kept",
                 stats.accepted, stats.refused_over_limit, stats.events, stats.captures);
  }
  spdlog::info("stopping: delivering what is left in the spool");
  if (Status delivered = delivery.finish(); !delivered) {
    spdlog::error("collector: {}", delivered.error());
    return kExitFailure;
  }
  return drain_and_report(*p.collector);
}

}  // namespace mitsu::cli

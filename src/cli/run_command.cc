#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <utility>

#include "api/ingest_metrics.h"
#include "api/live/live_hub.h"
#include "api/server/serve.h"
#include "app/analysis_workers.h"
#include "app/platform.h"
#include "app/sensor_setup.h"
#include "app/worker_supervisor.h"
#include "cli/commands.h"
#include "collector/collector_thread.h"
#include "core/clock.h"
#include "intel/alerts/alert_watch.h"
#include "intel/cve_catalog.h"

namespace mitsu::cli {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) {
  g_stop = true;
}

constexpr auto kWatchEvery = std::chrono::seconds(60);

// The alerts no single event raises (silent sensors, peaks), looked for once a minute.
std::unique_ptr<intel::AlertWatch> alert_watch(app::Platform& p) {
  auto cves = intel::load_cve_catalog(MITSU_DEFAULT_CVE_CATALOG);
  if (!cves || !p.alert_engine || !p.store.rollups) {
    spdlog::warn("alerts: no watch for silent sensors and peaks{}",
                 cves ? "" : ": " + cves.error());
    return nullptr;
  }
  intel::AlertWatchOptions options;
  options.silent_after_us =
      static_cast<std::int64_t>(p.config.alerts.sensor_silent_minutes) * 60'000'000;
  return std::make_unique<intel::AlertWatch>(*p.alert_engine, *p.store.catalog, *p.store.rollups,
                                             *p.store.unit_of_work, std::move(*cves), options);
}

void add_watch_metric(api::MetricsRegistry& metrics, const std::atomic<std::uint64_t>& looks) {
  metrics.add([&looks](std::vector<api::Metric>& out) {
    out.push_back({"mitsu_alert_watch_looks_total",
                   "Looks for silent sensors and peaks (once a minute)",
                   "counter",
                   {{"", static_cast<double>(looks.load())}}});
  });
}

// The alerts the analysis workers raised (never-seen samples, samples aimed at our products) are
// written by those processes; the live stream finds them in the store. The hub publishes each id
// once, so those raised here and published at once are not sent again.
void publish_stored_alerts(app::Platform& p, api::LiveHub& live, std::int64_t since_us) {
  auto recent = p.store.alerts->alerts(50, /*include_acked=*/true);
  if (!recent) {
    spdlog::warn("alerts: live stream: {}", recent.error());
    return;
  }
  std::erase_if(*recent, [&](const store::AlertRecord& a) { return a.first_us < since_us; });
  std::reverse(recent->begin(), recent->end());  // oldest first, as they were raised
  live.publish_alerts(*recent);
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

void report_workers(const app::SupervisorStats& s) {
  spdlog::info("analysis workers: {} restarts, {} crashes, {} hangs", s.restarts, s.crashes,
               s.hangs);
}

// `run --once`: static triage, then the sandbox, each in supervised worker processes until its
// queue is empty, so a sample that crashes its worker is retried and given up on, not fatal.
int analyse_until_idle(app::Platform& p, const RunOptions& options, bool sandbox_on) {
  app::WorkerSupervisor supervisor(*p.store.catalog,
                                   app::supervisor_options(p.config, options.global.args()));
  if (Status s = supervisor.run_until_idle(app::worker_specs(p.config, "static")); !s) {
    spdlog::error("analysis: {}", s.error());
    return kExitFailure;
  }
  analysis::WorkerTally triaged = supervisor.stats().tally["static"];
  spdlog::info("analysis: {} samples analysed, {} failed", triaged.analysed, triaged.failed);
  report_failures(*p.store.catalog, triaged, "static");
  if (sandbox_on) {
    if (Status s = supervisor.run_until_idle(app::worker_specs(p.config, "sandbox")); !s) {
      spdlog::error("sandbox: {}", s.error());
      return kExitFailure;
    }
    analysis::WorkerTally run = supervisor.stats().tally["sandbox"];
    spdlog::info("sandbox: {} samples run, {} failed", run.analysed, run.failed);
    report_failures(*p.store.catalog, run, "sandbox");
  }
  report_workers(supervisor.stats());
  return kExitOk;
}

// The honeypot: personas listening, every event to the spool, payloads to the artifact store.
struct Honeypot {
  std::unique_ptr<sensor::Downloader> downloader;
  std::unique_ptr<sensor::SensorServer> sensor;
};

Status start_honeypot(app::Platform& p, app::SpoolEventSink& sink, EventBuilder& builder,
                      Honeypot& h) {
  auto options = app::sensor_options(p.config);
  if (!options) {
    return options.failure();
  }
  if (p.config.sensors.download) {
    auto started = sensor::Downloader::start(p.config.sensors.download_options, *p.artifacts);
    if (!started) {
      return started.failure();
    }
    h.downloader = std::move(*started);
  }
  std::vector<sensor::DevicePersona> personas = options->personas;
  h.sensor = std::make_unique<sensor::SensorServer>(std::move(*options), sink, *p.artifacts,
                                                    h.downloader.get());
  if (Status started = h.sensor->start(); !started) {
    return started;
  }
  if (Status dropped = app::drop_privileges(p.config.sensors.user); !dropped) {
    h.sensor->stop();
    return dropped;
  }
  for (const auto& b : h.sensor->bound()) {
    for (const auto& persona : personas) {
      if (persona.name == b.persona) {
        spdlog::info("sensor: {} ({} {} {}, {}) {} on {}:{}", persona.name, persona.device_type,
                     persona.vendor, persona.model, persona.arch, b.protocol, b.address, b.port);
      }
    }
  }
  sink.emit(builder.sensor_event("sensor.start", now_unix_us()));
  return {};
}

void stop_honeypot(app::SpoolEventSink& sink, EventBuilder& builder, Honeypot& h) {
  // Sessions end first (their last files and events), then outstanding downloads answer.
  h.sensor->stop();
  if (h.downloader) {
    h.downloader->stop();
  }
  sink.emit(builder.sensor_event("sensor.stop", now_unix_us()));
  sink.close();
  auto stats = h.sensor->stats();
  spdlog::info("sensor: {} connections, {} refused over limits, {} events, {} files kept",
               stats.accepted, stats.refused_over_limit, stats.events, stats.captures);
}

}  // namespace

std::vector<std::string> GlobalOptions::args() const {
  std::vector<std::string> out{"/proc/self/exe"};
  for (const auto& [flag, value] : {std::pair{"--config", &config_file},
                                    {"--data-dir", &data_dir},
                                    {"--log-level", &log_level}}) {
    if (!value->empty()) {
      out.insert(out.end(), {flag, *value});
    }
  }
  return out;
}

int run_command(const Config& config, const RunOptions& options) {
  // From the start: a stop requested while the platform is still opening is honoured once it
  // runs (it then delivers the spool and exits cleanly).
  if (!options.once) {
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
  }
  auto platform = app::Platform::open(config, /*with_spool=*/true);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return kExitFailure;
  }
  app::Platform& p = **platform;
  spdlog::info("mitsu run: sensor '{}' at site '{}'", p.config.sensor.sensor_id,
               p.config.sensor.site);
  spdlog::info("spool {} (fsync {}), store {}, artifacts {}", p.config.spool.dir.string(),
               spool::fsync_policy_name(p.config.spool.fsync), p.config.store_path.string(),
               p.config.artifacts.dir.string());
  {
    // Loaded here only to report a bad rule early; the worker processes load their own.
    auto rules = app::load_rules(p.config);
    if (!rules) {
      spdlog::error("{}", rules.error());
      return kExitFailure;
    }
    spdlog::info("analysis: {} rule files", (*rules)->rule_files());
  }
  // The sandbox needs root (namespaces, the TUN device); without it, static triage only.
  bool sandbox_on = app::sandbox_available(p.config);
  if (p.config.sandbox.enabled && !sandbox_on) {
    spdlog::warn("sandbox: not running as root, samples get static triage only");
  }
  if (options.once) {
    int delivered = drain_and_report(*p.collector);
    int analysed = analyse_until_idle(p, options, sandbox_on);
    return delivered != kExitOk ? delivered : analysed;
  }

  // The API first: a port that is taken stops the start before any sensor listens.
  // Declared before the server, so they outlive it on every return: its threads read them.
  api::LiveHub live;  // what the collector commits, to the API's live stream
  api::IngestMetrics ingest_metrics;
  std::atomic<std::uint64_t> watch_looks{0};
  std::unique_ptr<api::RunningApi> api_server;
  if (p.config.api.enabled) {
    intel::AlertEngine* engine = p.alert_engine.get();
    p.collector->set_committed_observer(
        [&live, &ingest_metrics, engine](std::span<const Event* const> fresh) {
          ingest_metrics.observe(fresh);
          live.publish_events(fresh);
          if (engine != nullptr) {
            live.publish_alerts(engine->take_raised());
          }
        });
    auto started = api::start_api(p.config, &live);
    if (!started) {
      spdlog::error("{}", started.error());
      return kExitFailure;
    }
    api_server = std::move(*started);
    std::vector<std::filesystem::path> store_files;
    if (p.config.store_engine == "sqlite") {
      store_files = {p.config.store_path, p.config.store_path.string() + "-wal"};
    }
    ingest_metrics.add_to(api_server->api.context->metrics, *p.collector, store_files);
    add_watch_metric(api_server->api.context->metrics, watch_looks);
    std::printf("api %s\n", api_server->url.c_str());  // as `mitsu api` prints it
    std::fflush(stdout);
  }
  // Alerts raised by the collector below go out from a thread of their own (api/alerts).
  auto alert_delivery = api::start_alert_delivery(p.config, *p.store.alerts);
  if (!alert_delivery) {
    spdlog::error("{}", alert_delivery.error());
    return kExitFailure;
  }
  app::SpoolEventSink sink(*p.spool);
  Uuid7Generator ids;
  EventBuilder builder(p.config.sensor, ids);
  Honeypot honeypot;
  if (p.config.sensors.enabled) {
    if (Status started = start_honeypot(p, sink, builder, honeypot); !started) {
      spdlog::error("{}", started.error());
      return kExitFailure;
    }
  }
  if (api_server && honeypot.sensor) {
    const sensor::SensorServer* s = honeypot.sensor.get();  // outlives the API (stopped first)
    api_server->api.context->metrics.add([s](std::vector<api::Metric>& out) {
      sensor::SensorStats st = s->stats();
      auto one = [&](const char* name, const char* help, const char* type, std::uint64_t v) {
        out.push_back({name, help, type, {{"", static_cast<double>(v)}}});
      };
      one("mitsu_sensor_connections_total", "Connections the sensors accepted", "counter",
          st.accepted);
      one("mitsu_sensor_connections_refused_total", "Connections closed at once: caps reached",
          "counter", st.refused_over_limit);
      one("mitsu_sensor_sessions_open", "Sessions open now", "gauge", st.active);
      one("mitsu_sensor_events_total", "Events the sensors emitted", "counter", st.events);
      one("mitsu_sensor_files_captured_total", "Files the sensors kept", "counter", st.captures);
    });
  }
  spdlog::info("running; stop with Ctrl-C or SIGTERM");
  collector::CollectorThread delivery(*p.collector, collector::CollectorThread::OnError::kRetry);
  // Every captured sample is analysed as soon as it is queued, with nobody asking, in worker
  // processes: a sample that crashes or hangs its worker never stops the sensors.
  app::WorkerSupervisor workers(*p.store.catalog,
                                app::supervisor_options(p.config, options.global.args()));
  std::vector<app::WorkerSpec> specs = app::worker_specs(p.config, "static");
  if (sandbox_on) {
    for (app::WorkerSpec& spec : app::worker_specs(p.config, "sandbox")) {
      specs.push_back(std::move(spec));
    }
  }
  workers.start(specs);
  auto watch = alert_watch(p);
  auto next_watch = std::chrono::steady_clock::now();  // a first look at once
  std::int64_t started_us = now_unix_us();
  for (unsigned tick = 0; !g_stop; ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (api_server && p.store.alerts && tick % 10 == 0) {
      publish_stored_alerts(p, live, started_us);
    }
    if (Status synced = p.spool->sync(); !synced) {  // the "interval" fsync policy's timer
      spdlog::error("spool: {}", synced.error());
    }
    // Not while a backlog is delivered: sensors whose events are still spooled are not silent.
    if (watch && std::chrono::steady_clock::now() >= next_watch && !p.spool->has_unread()) {
      next_watch += kWatchEvery;
      auto raised = watch->tick(now_unix_us());
      if (!raised) {
        spdlog::warn("alerts: watch: {}", raised.error());
      } else {
        live.publish_alerts(*raised);
      }
      ++watch_looks;
    }
  }
  api_server.reset();
  workers.stop();
  report_workers(workers.stats());
  if (honeypot.sensor) {
    stop_honeypot(sink, builder, honeypot);
  }
  spdlog::info("stopping: delivering what is left in the spool");
  if (Status delivered = delivery.finish(); !delivered) {
    spdlog::error("collector: {}", delivered.error());
    return kExitFailure;
  }
  return drain_and_report(*p.collector);
}

}  // namespace mitsu::cli

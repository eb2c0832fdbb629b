#include "api/server/serve.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "api/live/live_hub.h"
#include "app/analysis_workers.h"
#include "intel/cve_catalog.h"

namespace mitsu::api {

Result<std::unique_ptr<RunningApi>> start_api(const app::Config& config, LiveHub* live) {
  auto running = std::make_unique<RunningApi>();
  auto platform = app::Platform::open(config, /*with_spool=*/false);
  if (!platform) {
    return platform.failure();
  }
  running->platform = std::move(*platform);
  const app::Config& resolved = running->platform->config;
  auto cves = intel::load_cve_catalog(MITSU_DEFAULT_CVE_CATALOG);
  if (!cves) {
    return cves.failure();
  }
  std::int64_t session_us = static_cast<std::int64_t>(resolved.api.session_hours) * 3600'000'000;
  auto api = build_api(running->platform->store, std::move(*cves), now_unix_us, session_us);
  if (!api) {
    return api.failure();
  }
  running->api = std::move(*api);
  running->api.context->live = live;
  running->api.context->stats_cache = std::chrono::seconds(resolved.api.stats_cache_seconds);
  running->api.context->reports_dir = app::sandbox_worker_options(resolved).reports_dir;
  running->api.context->dashboard_dir = resolved.api.dashboard.empty()
                                            ? std::filesystem::path(MITSU_DEFAULT_DASHBOARD_DIR)
                                            : resolved.api.dashboard;
  if (live != nullptr) {
    running->api.context->metrics.add([live](std::vector<Metric>& out) {
      out.push_back({"mitsu_live_subscribers",
                     "Open live streams",
                     "gauge",
                     {{"", static_cast<double>(live->subscribers())}}});
      out.push_back({"mitsu_live_dropped_total",
                     "Live streams dropped for reading too slowly",
                     "counter",
                     {{"", static_cast<double>(live->dropped())}}});
    });
  }
  store::AlertStore* alerts = running->platform->store.alerts.get();
  running->api.context->metrics.add([alerts,
                                     sinks = app::alert_sinks(resolved)](std::vector<Metric>& out) {
    Metric pending{"mitsu_alert_outbox_pending", "Alerts not yet delivered, by sink", "gauge", {}};
    for (const std::string& sink : sinks) {
      if (auto n = alerts->undelivered(sink)) {
        pending.values.emplace_back(metric_label("sink", sink), static_cast<double>(*n));
      }
    }
    out.push_back(std::move(pending));
  });
  auto tls = ensure_tls_identity(resolved.api.tls_certificate, resolved.api.tls_key,
                                 resolved.data_dir / "api-tls");
  if (!tls) {
    return tls.failure();
  }
  running->tls = *tls;
  ApiServerOptions options;
  options.address = resolved.api.listen;
  options.port = static_cast<std::uint16_t>(resolved.api.port);
  options.certificate = tls->certificate;
  options.private_key = tls->private_key;
  options.threads = resolved.api.threads;
  auto server = ApiServer::start(*running->api.router, options);
  if (!server) {
    return server.failure();
  }
  running->server = std::move(*server);
  std::string host = options.address.find(':') != std::string::npos
                         ? fmt::format("[{}]", options.address)
                         : options.address;
  running->url = fmt::format("https://{}:{}/api/v1", host, running->server->port());
  spdlog::info("api: {} (certificate SHA-256 {})", running->url, tls->sha256_fingerprint);
  auto admins = running->platform->store.accounts->count_users("admin");
  if (admins && *admins == 0) {
    spdlog::warn("api: no admin yet; create one with `mitsu user add NAME --role admin`");
  }
  return running;
}

Result<std::unique_ptr<AlertDelivery>> start_alert_delivery(const app::Config& config,
                                                            store::AlertStore& alerts) {
  std::vector<WebhookSink> webhooks;
  for (const auto& w : config.alerts.webhooks) {
    webhooks.push_back(WebhookSink{w.name, w.url});
  }
  std::optional<SyslogSink> syslog;
  if (!config.alerts.syslog.empty()) {
    std::size_t colon = config.alerts.syslog.rfind(':');
    int port = colon == std::string::npos ? 0 : std::atoi(config.alerts.syslog.c_str() + colon + 1);
    if (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535) {
      return Error::invalid(
          fmt::format("[alerts] syslog \"{}\" must be host:port", config.alerts.syslog));
    }
    std::string host = config.alerts.syslog.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    syslog = SyslogSink{host, port};
  }
  if (webhooks.empty() && !syslog) {
    return std::unique_ptr<AlertDelivery>();
  }
  auto delivery = std::make_unique<AlertDelivery>(alerts, std::move(webhooks), syslog);
  for (const std::string& sink : delivery->sink_names()) {
    auto waiting = alerts.undelivered(sink);
    spdlog::info("alerts: delivering to {} ({} queued)", sink, waiting ? *waiting : 0);
  }
  delivery->start();
  return delivery;
}

}  // namespace mitsu::api

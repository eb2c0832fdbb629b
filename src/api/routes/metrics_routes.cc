// GET /metrics for Prometheus (a bearer token of an analyst or admin: `bearer_token_file` in
// the scrape configuration).

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "api/metrics.h"
#include "api/routes/routes.h"
#include "core/clock.h"

namespace mitsu::api {

namespace {

// The analysis queue: jobs by kind and state (sandbox runs are kind="sandbox"), and the time
// from queueing to verdict of the jobs that ended in the last hour, as quantiles per kind.
void analysis_metrics(store::Catalog& catalog, std::vector<Metric>& out) {
  if (auto counts = catalog.job_counts()) {
    Metric jobs{"mitsu_analysis_jobs", "Analysis jobs by kind and state", "gauge", {}};
    for (const store::JobCount& c : *counts) {
      jobs.values.emplace_back(metric_label("kind", c.kind) + "," + metric_label("state", c.state),
                               static_cast<double>(c.count));
    }
    out.push_back(std::move(jobs));
  }
  constexpr std::int64_t kHourUs = 3'600'000'000;
  auto finished = catalog.finished_jobs(now_unix_us() - kHourUs);
  if (!finished) {
    return;
  }
  std::map<std::string, std::vector<double>> seconds;
  for (const store::FinishedJob& j : *finished) {
    if (j.state == "done") {
      seconds[j.kind].push_back(static_cast<double>(j.finished_us - j.queued_us) / 1e6);
    }
  }
  Metric latency{"mitsu_analysis_latency_seconds",
                 "Queueing to verdict, jobs done in the last hour (nearest-rank quantiles)",
                 "gauge",
                 {}};
  Metric done{"mitsu_analysis_done_last_hour", "Analysis jobs done in the last hour", "gauge", {}};
  for (auto& [kind, values] : seconds) {
    std::sort(values.begin(), values.end());
    for (double q : {0.5, 0.9, 0.99}) {
      auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size()) + 0.999999);
      latency.values.emplace_back(
          metric_label("kind", kind) + "," + metric_label("quantile", fmt::format("{}", q)),
          values[std::clamp<std::size_t>(rank, 1, values.size()) - 1]);
    }
    done.values.emplace_back(metric_label("kind", kind), static_cast<double>(values.size()));
  }
  out.push_back(std::move(latency));
  out.push_back(std::move(done));
}

}  // namespace

void add_metrics_routes(Router& router, ApiContext& context) {
  store::StoreSet& stores = context.stores;
  const Router* counted = &router;
  context.metrics.add([counted](std::vector<Metric>& out) {
    Metric requests{
        "mitsu_api_requests_total", "API requests answered, by status class", "counter", {}};
    for (int c = 1; c <= 5; ++c) {
      requests.values.emplace_back(metric_label("code", fmt::format("{}xx", c)),
                                   static_cast<double>(counted->answered(c)));
    }
    out.push_back(std::move(requests));
  });
  context.metrics.add([&stores](std::vector<Metric>& out) {
    if (auto q = stores.events->quarantined_count()) {
      out.push_back({"mitsu_quarantined_events_total",
                     "Records ingest rejected and kept with the reason",
                     "counter",
                     {{"", static_cast<double>(*q)}}});
    }
    if (auto jobs = stores.catalog->queued_jobs()) {
      out.push_back({"mitsu_analysis_queue_depth",
                     "Analysis jobs waiting",
                     "gauge",
                     {{"", static_cast<double>(*jobs)}}});
    }
    analysis_metrics(*stores.catalog, out);
  });
  router.add(Route{
      "GET", "/metrics", kReaders, {}, [&context](const RouteContext&) -> Result<ApiResponse> {
        return ApiResponse{
            200, "text/plain; version=0.0.4", render_prometheus(context.metrics.collect()), {}};
      }});
}

}  // namespace mitsu::api

// GET /metrics for Prometheus (a bearer token of an analyst or admin: `bearer_token_file` in
// the scrape configuration).

#include <fmt/format.h>

#include "api/metrics.h"
#include "api/routes/routes.h"

namespace mitsu::api {

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
  });
  router.add(Route{
      "GET", "/metrics", kReaders, {}, [&context](const RouteContext&) -> Result<ApiResponse> {
        return ApiResponse{
            200, "text/plain; version=0.0.4", render_prometheus(context.metrics.collect()), {}};
      }});
}

}  // namespace mitsu::api

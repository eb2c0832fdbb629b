#include "api/api.h"

namespace mitsu::api {

Result<Api> build_api(store::StoreSet& stores, std::vector<intel::CveEntry> cves,
                      Authenticator::Now now, std::int64_t session_lifetime_us) {
  if (!stores.accounts || !stores.alerts || !stores.rollups) {
    return Error{"the API needs the stores' accounts, alerts and rollups"};
  }
  Api api;
  api.auth = std::make_unique<Authenticator>(*stores.accounts, std::move(now), session_lifetime_us);
  api.context.reset(new ApiContext{
      stores, *api.auth, std::move(cves), {}, nullptr, {}, {}, std::chrono::milliseconds(60'000)});
  api.router = std::make_unique<Router>(*api.auth);
  add_meta_routes(*api.router);
  add_auth_routes(*api.router, *api.context);
  add_event_routes(*api.router, *api.context);
  add_lookup_routes(*api.router, *api.context);
  add_stats_routes(*api.router, *api.context);
  add_admin_routes(*api.router, *api.context);
  add_alert_routes(*api.router, *api.context);
  add_metrics_routes(*api.router, *api.context);
  add_stream_routes(*api.router, *api.context);
  add_case_routes(*api.router, *api.context);
  add_dashboard_routes(*api.router, *api.context);
  return api;
}

}  // namespace mitsu::api

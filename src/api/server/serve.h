#pragma once
// Starts the API as `mitsu run` and `mitsu api` serve it: its own connection to the configured
// stores (so reads never wait behind ingest's writer), the router, the TLS identity and the
// HTTPS server on the configured address.

#include <memory>

#include "api/alerts/alert_delivery.h"
#include "api/api.h"
#include "api/server/api_server.h"
#include "api/server/tls_identity.h"
#include "app/config.h"
#include "app/platform.h"

namespace mitsu::api {

class LiveHub;

// Members stop in reverse: the server before the routes and stores it uses.
struct RunningApi {
  std::unique_ptr<app::Platform> platform;
  Api api;
  TlsIdentity tls;
  std::string url;  // "https://127.0.0.1:8443/api/v1"
  std::unique_ptr<ApiServer> server;

  ~RunningApi() {
    if (server) {
      server->stop();
    }
  }
};

// `live` (may be null: no live stream) is fed by ingest in this process.
Result<std::unique_ptr<RunningApi>> start_api(const app::Config& config, LiveHub* live = nullptr);

// Delivery of queued alerts to the configured webhooks and syslog, started; nullptr when none
// is configured.
Result<std::unique_ptr<AlertDelivery>> start_alert_delivery(const app::Config& config,
                                                            store::AlertStore& alerts);

}  // namespace mitsu::api

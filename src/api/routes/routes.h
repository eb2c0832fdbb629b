#pragma once
// The API's resources, one file each; api.cc adds them all to one router. Every handler reads
// the stores through their interfaces and intel's query layer, never an engine.

#include <chrono>
#include <filesystem>
#include <vector>

#include "api/auth/authenticator.h"
#include "api/metrics.h"
#include "api/router.h"
#include "intel/cve_catalog.h"
#include "store/store_factory.h"

namespace mitsu::api {

class LiveHub;

struct ApiContext {
  store::StoreSet& stores;
  Authenticator& auth;
  std::vector<intel::CveEntry> cves;    // what peaks are tied to
  MetricsRegistry metrics;              // /metrics; running parts add their own sources
  LiveHub* live = nullptr;              // the live stream's feed, where ingest runs in-process
  std::filesystem::path reports_dir;    // sandbox reports (<sha256>/sandbox.pcap)
  std::filesystem::path dashboard_dir;  // the built dashboard (index.html, assets/)
  // How often an open live stream checks its credentials again (tests: 0, every poll).
  std::chrono::milliseconds stream_recheck{60'000};
  // How long a statistics answer is kept and given again ([api] stats_cache_seconds; 0: never).
  std::chrono::milliseconds stats_cache{0};
};

void add_meta_routes(Router& router);                            // health, OpenAPI document
void add_auth_routes(Router& router, ApiContext& context);       // login, logout, whoami
void add_event_routes(Router& router, ApiContext& context);      // events with cursor paging
void add_lookup_routes(Router& router, ApiContext& context);     // sessions, samples, sensors
void add_stats_routes(Router& router, ApiContext& context);      // overview, top, series, peaks
void add_admin_routes(Router& router, ApiContext& context);      // users, tokens, audit log
void add_alert_routes(Router& router, ApiContext& context);      // alerts, acknowledgement
void add_metrics_routes(Router& router, ApiContext& context);    // /metrics for Prometheus
void add_stream_routes(Router& router, ApiContext& context);     // the live stream (SSE)
void add_case_routes(Router& router, ApiContext& context);       // sample list, PCAP, timelines
void add_dashboard_routes(Router& router, ApiContext& context);  // the dashboard's files

// The OpenAPI 3 document the API serves (openapi.json, compiled in).
std::string_view openapi_document();

}  // namespace mitsu::api

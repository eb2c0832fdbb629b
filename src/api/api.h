#pragma once
// The API as one value: the router with every resource added, over the stores a Platform
// opened. The server (api/server) serves it; tests call handle() directly.

#include <memory>

#include "api/router.h"
#include "api/routes/routes.h"

namespace mitsu::api {

struct Api {
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<ApiContext> context;
  std::unique_ptr<Router> router;
};

// `stores` must outlive the result and have accounts and rollups.
Result<Api> build_api(store::StoreSet& stores, std::vector<intel::CveEntry> cves,
                      Authenticator::Now now = now_unix_us,
                      std::int64_t session_lifetime_us = 12 * 3600 * 1'000'000LL);

}  // namespace mitsu::api

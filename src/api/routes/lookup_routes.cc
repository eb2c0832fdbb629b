// Sessions (with their transcript), samples (verdict, relatives, sandbox report, jobs and
// sightings), sensors and the quarantine: intel's look-ups, served as the CLI prints them with
// --json.

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "api/routes/routes.h"
#include "intel/lookups.h"

namespace mitsu::api {
namespace {

Result<ApiResponse> found_or_404(Result<std::optional<nlohmann::json>> view,
                                 std::string_view what) {
  if (!view) {
    return view.failure();
  }
  if (!view->has_value()) {
    return Error::not_found(fmt::format("no {} with that id", what));
  }
  return json_response(**view);
}

// A session id as sensors make them (a UUID); the same characters as other identifiers.
Status valid_session_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 128;
  for (char c : id) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                c == ':');
  }
  return ok ? Status{}
            : Status(Error::invalid(
                  "a session id is 1-128 characters of letters, digits, '.', '_', ':' and '-'"));
}

}  // namespace

void add_lookup_routes(Router& router, ApiContext& context) {
  store::StoreSet& stores = context.stores;
  router.add(Route{"GET",
                   "/api/v1/sessions",
                   kReaders,
                   {"limit"},
                   [&stores](const RouteContext& rc) -> Result<ApiResponse> {
                     auto limit = rc.query.integer("limit", 1, 1000, 50);
                     if (!limit) {
                       return limit.failure();
                     }
                     auto view =
                         intel::sessions_view(*stores.catalog, static_cast<std::size_t>(*limit));
                     return view ? Result<ApiResponse>(json_response(*view)) : view.failure();
                   }});
  router.add(Route{"GET",
                   "/api/v1/sessions/{id}",
                   kReaders,
                   {"limit"},
                   [&stores](const RouteContext& rc) -> Result<ApiResponse> {
                     const std::string& id = rc.path.at("id");
                     auto limit = rc.query.integer("limit", 1, 10000, 1000);
                     if (Status s = first_failure(limit); !s) {
                       return s.failure();
                     }
                     if (Status s = valid_session_id(id); !s) {
                       return s.failure();
                     }
                     return found_or_404(intel::session_view(*stores.catalog, *stores.events, id,
                                                             static_cast<std::size_t>(*limit)),
                                         "session");
                   }});
  router.add(Route{"GET",
                   "/api/v1/samples/{sha256}",
                   kReaders,
                   {"limit"},
                   [&stores](const RouteContext& rc) -> Result<ApiResponse> {
                     const std::string& sha = rc.path.at("sha256");
                     auto limit = rc.query.integer("limit", 1, 1000, 100);
                     if (Status s = first_failure(limit); !s) {
                       return s.failure();
                     }
                     if (Status s = valid_sha256(sha); !s) {
                       return s.failure();
                     }
                     return found_or_404(intel::sample_view(*stores.catalog, *stores.events, sha,
                                                            static_cast<std::size_t>(*limit)),
                                         "sample");
                   }});
  router.add(Route{"GET",
                   "/api/v1/sensors",
                   kReaders,
                   {},
                   [&stores](const RouteContext&) -> Result<ApiResponse> {
                     auto view = intel::sensors_view(*stores.catalog);
                     if (!view) {
                       return view.failure();
                     }
                     return json_response({{"sensors", *view}});
                   }});
  router.add(Route{"GET",
                   "/api/v1/quarantine",
                   kReaders,
                   {"limit"},
                   [&stores](const RouteContext& rc) -> Result<ApiResponse> {
                     auto limit = rc.query.integer("limit", 1, 1000, 50);
                     if (!limit) {
                       return limit.failure();
                     }
                     auto view =
                         intel::quarantine_view(*stores.events, static_cast<std::size_t>(*limit));
                     return view ? Result<ApiResponse>(json_response(*view)) : view.failure();
                   }});
}

}  // namespace mitsu::api

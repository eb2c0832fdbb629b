// Sessions (with their transcript), samples (verdict, relatives, sandbox report, jobs and
// sightings), sensors and the quarantine: intel's look-ups, served as the CLI prints them with
// --json.

#include <fmt/format.h>

#include <cctype>
#include <functional>
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

// GET pattern/{param}: the key checked, then `view` with the limit; 404 when it finds nothing.
using KeyedView =
    std::function<Result<std::optional<nlohmann::json>>(const std::string&, std::size_t)>;
Route keyed_lookup(std::string pattern, std::string param, std::int64_t max_limit,
                   std::int64_t default_limit, Status (*valid)(std::string_view), KeyedView view,
                   std::string what) {
  return Route{"GET",
               std::move(pattern),
               kReaders,
               {"limit"},
               [=](const RouteContext& rc) -> Result<ApiResponse> {
                 const std::string& key = rc.path.at(param);
                 auto limit = rc.query.integer("limit", 1, max_limit, default_limit);
                 if (!limit) {
                   return limit.failure();
                 }
                 if (Status s = valid(key); !s) {
                   return s.failure();
                 }
                 return found_or_404(view(key, static_cast<std::size_t>(*limit)), what);
               }};
}

// GET pattern: `view` with the limit.
using ListView = std::function<Result<nlohmann::json>(std::size_t)>;
Route limited_list(std::string pattern, std::int64_t default_limit, ListView view) {
  return Route{"GET",
               std::move(pattern),
               kReaders,
               {"limit"},
               [=](const RouteContext& rc) -> Result<ApiResponse> {
                 auto limit = rc.query.integer("limit", 1, 1000, default_limit);
                 if (!limit) {
                   return limit.failure();
                 }
                 auto found = view(static_cast<std::size_t>(*limit));
                 return found ? Result<ApiResponse>(json_response(*found)) : found.failure();
               }};
}

}  // namespace

void add_lookup_routes(Router& router, ApiContext& context) {
  store::StoreSet& stores = context.stores;
  router.add(limited_list("/api/v1/sessions", 50, [&stores](std::size_t limit) {
    return intel::sessions_view(*stores.catalog, limit);
  }));
  router.add(keyed_lookup(
      "/api/v1/sessions/{id}", "id", 10000, 1000, valid_session_id,
      [&stores](const std::string& id, std::size_t limit) {
        return intel::session_view(*stores.catalog, *stores.events, id, limit);
      },
      "session"));
  router.add(keyed_lookup(
      "/api/v1/samples/{sha256}", "sha256", 1000, 100, valid_sha256,
      [&stores](const std::string& sha, std::size_t limit) {
        return intel::sample_view(*stores.catalog, *stores.events, sha, limit);
      },
      "sample"));
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
  router.add(limited_list("/api/v1/quarantine", 50, [&stores](std::size_t limit) {
    return intel::quarantine_view(*stores.events, limit);
  }));
}

}  // namespace mitsu::api

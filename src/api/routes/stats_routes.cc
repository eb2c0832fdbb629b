// Statistics from the rollups: the overview (everything `mitsu report` shows), rankings, daily
// series and the peaks with the disclosures they were tied to. Their answers are kept a few
// seconds (response_cache.h).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "api/routes/response_cache.h"
#include "api/routes/routes.h"
#include "intel/incidents.h"
#include "intel/peaks.h"
#include "intel/report/report.h"
#include "intel/stats.h"

namespace mitsu::api {
namespace {

using nlohmann::json;

Result<intel::DayRange> range_of(intel::Stats& stats, const Query& query) {
  auto from = query.day("from");
  auto to = query.day("to");
  if (Status s = first_failure(from, to); !s) {
    return s.failure();
  }
  return stats.resolve_range(from->value_or(""), to->value_or(""));
}

struct Grouping {
  store::Measure measure;
  std::string by;  // empty: no grouping
  std::size_t limit;
  std::vector<store::RollupFilter> filters;
};

Result<Grouping> grouping_of(const Query& query, bool by_required) {
  auto measure_name =
      query.choice("measure", {"sessions", "events", "exploits", "samples"}, "sessions");
  auto by = query.name("by");
  auto limit = query.integer("limit", 1, 100, 10);
  auto targeted = query.choice("targeted", {"true", "false"}, "false");
  if (Status s = first_failure(measure_name, by, limit, targeted); !s) {
    return s.failure();
  }
  Grouping g{
      *store::parse_measure(*measure_name), by->value_or(""), static_cast<std::size_t>(*limit), {}};
  auto dims = store::dimensions_of(g.measure);
  if (g.by.empty() && by_required) {
    return Error::invalid(
        fmt::format("by is required (for {}: {})", *measure_name, fmt::join(dims, ", ")));
  }
  if (!g.by.empty() && std::find(dims.begin(), dims.end(), g.by) == dims.end()) {
    return Error::invalid(fmt::format("{} cannot be grouped by \"{}\" (known: {})", *measure_name,
                                      g.by, fmt::join(dims, ", ")));
  }
  if (*targeted == "true") {
    g.filters.push_back({"targeted", "1"});
  }
  return g;
}

json days_of(const intel::DayRange& range) {
  json days = json::array();
  for (std::int64_t d = range.from_day; d < range.to_day; ++d) {
    days.push_back(store::format_day(d));
  }
  return days;
}

// GET pattern?from&to: `answer` for the resolved day range.
Route ranged(store::StoreSet& stores, std::string pattern,
             std::function<Result<ApiResponse>(const intel::DayRange&)> answer) {
  return Route{"GET",
               std::move(pattern),
               kReaders,
               {"from", "to"},
               [&stores, answer](const RouteContext& rc) -> Result<ApiResponse> {
                 intel::Stats stats(*stores.rollups);
                 auto range = range_of(stats, rc.query);
                 return range ? answer(*range) : range.failure();
               }};
}

// The route with its answers kept in `cache` for ApiContext::stats_cache.
Route cached(Route route, std::shared_ptr<ResponseCache> cache, const ApiContext& context) {
  route.handler = [inner = std::move(route.handler), cache, &context,
                   pattern = route.pattern](const RouteContext& rc) -> Result<ApiResponse> {
    return cache->get(ResponseCache::key_of(pattern, rc.query.pairs()), context.stats_cache,
                      [&] { return inner(rc); });
  };
  return route;
}

}  // namespace

void add_stats_routes(Router& router, ApiContext& context) {
  store::StoreSet& stores = context.stores;
  auto cache = std::make_shared<ResponseCache>();
  auto add = [&](Route route) { router.add(cached(std::move(route), cache, context)); };
  add(ranged(stores, "/api/v1/stats/overview",
             [&context, &stores](const intel::DayRange& range) -> Result<ApiResponse> {
               auto report = intel::collect_report(*stores.rollups, range, context.cves);
               return report ? Result<ApiResponse>(json_response(*report)) : report.failure();
             }));
  add(Route{
      "GET",
      "/api/v1/stats/top",
      kReaders,
      {"measure", "by", "from", "to", "limit", "targeted"},
      [&stores](const RouteContext& rc) -> Result<ApiResponse> {
        intel::Stats stats(*stores.rollups);
        auto range = range_of(stats, rc.query);
        auto g = grouping_of(rc.query, true);
        if (Status s = first_failure(range, g); !s) {
          return s.failure();
        }
        auto ranking = stats.ranking(g->measure, g->by, *range, g->filters, g->limit);
        if (!ranking) {
          return ranking.failure();
        }
        json rows = json::array();
        for (const auto& r : ranking->rows) {
          rows.push_back({{"key", r.keys[0]}, {"value", r.value}, {"share", ranking->share(r)}});
        }
        return json_response({{"measure", store::to_string(g->measure)},
                              {"by", g->by},
                              {"from", store::format_day(range->from_day)},
                              {"to", store::format_day(range->to_day - 1)},
                              {"total", ranking->total},
                              {"rows", rows}});
      }});
  add(Route{"GET",
            "/api/v1/stats/series",
            kReaders,
            {"measure", "by", "from", "to", "limit", "targeted"},
            [&stores](const RouteContext& rc) -> Result<ApiResponse> {
              intel::Stats stats(*stores.rollups);
              auto range = range_of(stats, rc.query);
              auto g = grouping_of(rc.query, false);
              if (Status s = first_failure(range, g); !s) {
                return s.failure();
              }
              json series = json::object();
              if (g->by.empty()) {
                auto values = stats.series(g->measure, *range, g->filters);
                if (!values) {
                  return values.failure();
                }
                series["total"] = *values;
              } else {
                auto values = stats.series_by(g->measure, g->by, *range, g->filters, g->limit);
                if (!values) {
                  return values.failure();
                }
                for (const auto& [key, v] : *values) {
                  series[key] = v;
                }
              }
              return json_response({{"measure", store::to_string(g->measure)},
                                    {"by", g->by},
                                    {"days", days_of(*range)},
                                    {"series", series}});
            }});
  add(ranged(stores, "/api/v1/peaks",
             [&context, &stores](const intel::DayRange& range) -> Result<ApiResponse> {
               auto peaks =
                   intel::find_peaks(*stores.rollups, range.from_day, range.to_day, context.cves);
               if (!peaks) {
                 return peaks.failure();
               }
               auto incidents = intel::group_incidents(std::move(*peaks));
               return json_response({{"incidents", intel::incidents_json(incidents)}});
             }));
}

}  // namespace mitsu::api

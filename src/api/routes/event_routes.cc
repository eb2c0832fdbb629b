// GET /api/v1/events: stored events, newest first (or oldest first), filtered like
// `mitsu events`, a page at a time. The cursor is opaque to callers: "<ts_us>_<event id>".

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/routes/routes.h"
#include "intel/lookups.h"

namespace mitsu::api {
namespace {

Result<std::optional<store::EventCursor>> parse_cursor(const Query& query) {
  const std::string* raw = query.raw("cursor");
  if (raw == nullptr) {
    return std::optional<store::EventCursor>{};
  }
  std::size_t underscore = raw->find('_');
  store::EventCursor cursor;
  bool ok = underscore != std::string::npos && underscore > 0;
  if (ok) {
    auto [end, ec] = std::from_chars(raw->data(), raw->data() + underscore, cursor.ts_us);
    ok = ec == std::errc{} && end == raw->data() + underscore;
    cursor.id = raw->substr(underscore + 1);
    ok = ok && cursor.id.size() == 36;
    for (char c : cursor.id) {
      ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-');
    }
  }
  if (!ok) {
    return Error::invalid("cursor must be a next_cursor value from an earlier page");
  }
  return std::optional<store::EventCursor>(cursor);
}

Result<store::EventQuery> event_query(const Query& q) {
  store::EventQuery query;
  for (auto [name, field] : {std::pair{"action", &store::EventQuery::action},
                             {"sensor", &store::EventQuery::sensor},
                             {"site", &store::EventQuery::site},
                             {"protocol", &store::EventQuery::protocol},
                             {"session_id", &store::EventQuery::session_id}}) {
    auto value = q.name(name);
    if (!value) {
      return value.failure();
    }
    query.*field = *value;
  }
  auto src_ip = q.address("src_ip");
  auto sha256 = q.sha256("sha256");
  auto since = q.time("since");
  auto until = q.time("until");
  auto limit = q.integer("limit", 1, 1000, 100);
  auto order = q.choice("order", {"newest", "oldest"}, "newest");
  auto cursor = parse_cursor(q);
  if (Status s = first_failure(src_ip, sha256, since, until, limit, order, cursor); !s) {
    return s.failure();
  }
  query.src_ip = *src_ip;
  query.sha256 = *sha256;
  query.since_us = *since;
  query.until_us = *until;
  query.limit = static_cast<std::size_t>(*limit);
  query.oldest_first = *order == "oldest";
  query.after = *cursor;
  return query;
}

}  // namespace

void add_event_routes(Router& router, ApiContext& context) {
  router.add(
      Route{"GET",
            "/api/v1/events",
            kReaders,
            {"action", "sensor", "site", "protocol", "session_id", "src_ip", "sha256", "since",
             "until", "limit", "order", "cursor"},
            [&context](const RouteContext& rc) -> Result<ApiResponse> {
              auto query = event_query(rc.query);
              if (!query) {
                return query.failure();
              }
              auto events = context.stores.events->query(*query);
              if (!events) {
                return events.failure();
              }
              nlohmann::json out = {{"events", nlohmann::json::array()}, {"next_cursor", nullptr}};
              for (const Event& e : *events) {
                out["events"].push_back(intel::event_json(e));
              }
              if (events->size() == query->limit) {
                out["next_cursor"] = std::to_string(events->back().ts_us) + "_" + events->back().id;
              }
              return json_response(out);
            }});
}

}  // namespace mitsu::api

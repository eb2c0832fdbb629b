#include "store/event_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace mitsu::store {

EventFilter::EventFilter(const EventQuery& query, std::string_view placeholder)
    : placeholder_(placeholder) {
  auto text = [&](const std::optional<std::string>& value, std::string_view column) {
    if (value) {
      add(fmt::format("{} =", column), *value);
    }
  };
  text(query.action, "action");
  text(query.session_id, "session_id");
  text(query.src_ip, "src_ip");
  text(query.sensor, "sensor");
  text(query.site, "site");
  text(query.protocol, "protocol");
  text(query.sha256, "sha256");
  if (query.since_us) {
    add("ts_us >=", *query.since_us);
  }
  if (query.until_us) {
    add("ts_us <", *query.until_us);
  }
}

void EventFilter::add(std::string_view condition, Value value) {
  values_.push_back(std::move(value));
  where_ += fmt::format(" AND {} {}{}", condition, placeholder_, values_.size());
}

std::string EventFilter::page_sql(const EventQuery& query) {
  std::string_view order = query.oldest_first ? "ASC" : "DESC";
  std::string sql = fmt::format("SELECT {} FROM events{}", kEventColumns, where_);
  if (query.after) {  // the same order as ORDER BY, so pages neither overlap nor skip
    values_.emplace_back(query.after->ts_us);
    values_.emplace_back(query.after->id);
    sql += fmt::format(" AND (ts_us, id) {} ({}{}, {}{})", query.oldest_first ? ">" : "<",
                       placeholder_, values_.size() - 1, placeholder_, values_.size());
  }
  // The limit is a parameter too, so an engine that caches statements keeps one per shape.
  values_.emplace_back(static_cast<std::int64_t>(std::min<std::size_t>(
      query.limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
  sql += fmt::format(" ORDER BY ts_us {}, id {} LIMIT {}{}", order, order, placeholder_,
                     values_.size());
  return sql;
}

bool event_from_stored_body(EventParser& parser, std::string_view body, std::string_view country,
                            std::int64_t asn, Event& out, std::string& error) {
  Rejection why;
  if (!parser.parse(body, out, why)) {
    error = why.detail;
    return false;
  }
  out.country = country;
  out.asn = static_cast<std::uint32_t>(asn);
  return true;
}

}  // namespace mitsu::store

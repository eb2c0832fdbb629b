#pragma once
// What every SQL event store does alike: the columns a query reads and the Event each row makes,
// the WHERE clause of an EventQuery with its cursor, and the events a scan rebuilds from bodies.
// Engines differ only in how a parameter is written ("?" in SQLite, "$" in PostgreSQL).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/event.h"
#include "core/event_parser.h"
#include "store/event_store.h"

namespace mitsu::store {

// The columns event_from_row reads, in its order.
inline constexpr std::string_view kEventColumns =
    "id, ts_us, action, sensor, site, session_id, protocol, src_ip, src_port, dst_port, "
    "device_type, body, country, asn, sha256";

// An event from a row of kEventColumns; Row is any engine's row (column_text/int/is_null).
// Fields not kept in columns (vendor, model, outcome, file fields) live in the body, which the
// event carries.
template <typename Row>
Event event_from_row(const Row& row) {
  Event event;
  event.id = row.column_text(0);
  event.ts_us = row.column_int(1);
  event.action = row.column_text(2);
  event.sensor = row.column_text(3);
  event.site = row.column_text(4);
  event.session_id = row.column_text(5);
  event.protocol = row.column_text(6);
  event.src_ip = row.column_text(7);
  event.src_port = row.column_is_null(8) ? -1 : static_cast<int>(row.column_int(8));
  event.dst_port = row.column_is_null(9) ? -1 : static_cast<int>(row.column_int(9));
  event.device_type = row.column_text(10);
  event.body = row.column_text(11);
  event.country = row.column_text(12);
  event.asn = static_cast<std::uint32_t>(row.column_int(13));
  event.sha256 = row.column_text(14);
  return event;
}

// A query's filters as SQL, with the values in parameter order.
class EventFilter {
 public:
  using Value = std::variant<std::string, std::int64_t>;

  // `placeholder` starts a numbered parameter: "?" (?1) or "$" ($1).
  EventFilter(const EventQuery& query, std::string_view placeholder);

  // " WHERE ..." over every filter; count() uses it as it is.
  const std::string& where() const { return where_; }
  // SELECT kEventColumns ... for one page: the filters, the cursor, the order and the limit.
  std::string page_sql(const EventQuery& query);

  template <typename Statement>
  void bind(Statement& statement) const {
    int index = 0;
    for (const Value& value : values_) {
      std::visit([&](const auto& v) { statement.bind(++index, v); }, value);
    }
  }

 private:
  // Appends " AND <condition> <parameter>" with the value as the next parameter.
  void add(std::string_view condition, Value value);

  std::string placeholder_;
  std::string where_ = " WHERE 1 = 1";
  std::vector<Value> values_;
};

// The event a scan gives for a row of (seq, body, country, asn): the body has every field, the
// enrichment lives in the columns beside it. False, with `error` set, when the body no longer
// parses.
bool event_from_stored_body(EventParser& parser, std::string_view body, std::string_view country,
                            std::int64_t asn, Event& out, std::string& error);

template <typename Row>
bool scanned_event_from_row(EventParser& parser, const Row& row, Event& out, std::string& error) {
  return event_from_stored_body(parser, row.column_text(1), row.column_text(2), row.column_int(3),
                                out, error);
}

}  // namespace mitsu::store

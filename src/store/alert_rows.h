#pragma once
// How every engine reads alert and outbox rows back into records: the column lists their SELECTs
// name and the mapping of a row in that order, so the engines cannot drift apart.

#include <string>
#include <string_view>

#include "store/alert_store.h"

namespace mitsu::store {

inline constexpr std::string_view kAlertColumns =
    "id, rule, severity, key, title, detail, first_us, last_us, count, acked_by, acked_us";
inline constexpr std::string_view kOutboxColumns = "id, alert_id, sink, attempts";

// An alert from a row of kAlertColumns; Row is any engine's row (column_text/int/is_null).
template <typename Row>
AlertRecord alert_from_row(const Row& row) {
  AlertRecord a;
  a.id = row.column_int(0);
  a.rule = row.column_text(1);
  a.severity = row.column_text(2);
  a.key = row.column_text(3);
  a.title = row.column_text(4);
  a.detail = row.column_text(5);
  a.first_us = row.column_int(6);
  a.last_us = row.column_int(7);
  a.count = row.column_int(8);
  a.acked_by = row.column_is_null(9) ? "" : std::string(row.column_text(9));
  if (!row.column_is_null(10)) {
    a.acked_us = row.column_int(10);
  }
  return a;
}

// An outbox item from a row of kOutboxColumns.
template <typename Row>
OutboxItem outbox_item_from_row(const Row& row) {
  return OutboxItem{row.column_int(0), row.column_int(1), std::string(row.column_text(2)),
                    static_cast<int>(row.column_int(3))};
}

}  // namespace mitsu::store

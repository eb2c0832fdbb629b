#pragma once
// What one batch of freshly claimed events changes in the catalog, folded in memory before any
// engine writes it: one upsert per session, sensor and AS name instead of one per event. Every
// engine writes the same fold, so the engines count alike.

#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "store/catalog.h"

namespace mitsu::store {

struct CatalogFold {
  std::map<std::string_view, SessionRecord> sessions;
  std::map<std::string_view, SensorRecord> sensors;
  std::map<std::uint32_t, std::string_view> as_names;
  std::vector<const Event*> deliveries;  // events that delivered a sample, in batch order
};

// True for an event that brought a sample in: an upload, or a download that succeeded.
bool delivers_sample(const Event& event);

// The views point into the events, which must outlive the fold.
CatalogFold fold_catalog(std::span<const Event* const> fresh_events);

// The sessions table's columns in the order session_from_row reads them.
inline constexpr std::string_view kSessionColumns =
    "id, sensor, site, protocol, src_ip, src_port, dst_port, device_type, vendor, model, "
    "started_us, last_seen_us, ended_us, events, login_attempts, logins_succeeded, commands, "
    "exploits, downloads, uploads";

// A session from a row of kSessionColumns; Row is any engine's row (column_text/int/is_null).
template <typename Row>
SessionRecord session_from_row(const Row& row) {
  SessionRecord s;
  s.id = row.column_text(0);
  s.sensor = row.column_text(1);
  s.site = row.column_text(2);
  s.protocol = row.column_text(3);
  s.src_ip = row.column_text(4);
  s.src_port = static_cast<int>(row.column_int(5));
  s.dst_port = static_cast<int>(row.column_int(6));
  s.device_type = row.column_text(7);
  s.vendor = row.column_text(8);
  s.model = row.column_text(9);
  s.started_us = row.column_int(10);
  s.last_seen_us = row.column_int(11);
  if (!row.column_is_null(12)) {
    s.ended_us = row.column_int(12);
  }
  s.events = row.column_int(13);
  s.login_attempts = row.column_int(14);
  s.logins_succeeded = row.column_int(15);
  s.commands = row.column_int(16);
  s.exploits = row.column_int(17);
  s.downloads = row.column_int(18);
  s.uploads = row.column_int(19);
  return s;
}

}  // namespace mitsu::store

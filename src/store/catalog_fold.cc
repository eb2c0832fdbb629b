#include "store/catalog_fold.h"

#include <algorithm>

namespace mitsu::store {

bool delivers_sample(const Event& event) {
  return !event.sha256.empty() && (event.action == "file.upload" ||
                                   (event.action == "file.download" && event.outcome == "success"));
}

CatalogFold fold_catalog(std::span<const Event* const> fresh_events) {
  CatalogFold fold;
  for (const Event* event : fresh_events) {
    if (event->asn != 0 && !event->as_org.empty()) {
      fold.as_names[event->asn] = event->as_org;
    }
    if (delivers_sample(*event)) {
      fold.deliveries.push_back(event);
    }
    auto [sensor, new_sensor] = fold.sensors.try_emplace(event->sensor);
    if (new_sensor) {
      sensor->second = {event->sensor, event->site, event->ts_us, event->ts_us, 0};
    }
    sensor->second.first_seen_us = std::min(sensor->second.first_seen_us, event->ts_us);
    sensor->second.last_seen_us = std::max(sensor->second.last_seen_us, event->ts_us);
    ++sensor->second.events;

    if (event->session_id.empty()) {
      continue;
    }
    auto [it, inserted] = fold.sessions.try_emplace(event->session_id);
    SessionRecord& s = it->second;
    if (inserted) {
      s = {event->session_id, event->sensor,   event->site,     event->protocol,
           event->src_ip,     event->src_port, event->dst_port, event->device_type,
           event->vendor,     event->model,    event->ts_us,    event->ts_us};
    }
    s.started_us = std::min(s.started_us, event->ts_us);
    s.last_seen_us = std::max(s.last_seen_us, event->ts_us);
    ++s.events;
    const std::string& action = event->action;
    if (action == "session.close") {
      s.ended_us = std::max(s.ended_us.value_or(event->ts_us), event->ts_us);
    } else if (action == "login.attempt") {
      ++s.login_attempts;
      s.logins_succeeded += event->outcome == "success" ? 1 : 0;
    } else if (action == "command") {
      ++s.commands;
    } else if (action == "exploit") {
      ++s.exploits;
    } else if (action == "file.download") {
      ++s.downloads;
    } else if (action == "file.upload") {
      ++s.uploads;
    }
  }
  return fold;
}

}  // namespace mitsu::store

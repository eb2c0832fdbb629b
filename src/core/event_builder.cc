#include "core/event_builder.h"

#include "core/clock.h"
#include "core/event.h"
#include "core/safe_text.h"

namespace mitsu {

void set_field(nlohmann::json& event, std::string_view dotted_path, nlohmann::json value) {
  nlohmann::json* node = &event;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = dotted_path.find('.', start);
    std::string key(dotted_path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) {
      (*node)[key] = std::move(value);
      return;
    }
    node = &(*node)[key];
    start = dot + 1;
  }
}

std::string to_event_text(const nlohmann::json& event) {
  return dump_json(event, -1, "/mitsu/raw_bytes");
}

EventBuilder::EventBuilder(SensorIdentity sensor, Uuid7Generator& ids)
    : sensor_(std::move(sensor)), ids_(ids) {}

nlohmann::json EventBuilder::common(std::string_view action, std::int64_t ts_us) {
  nlohmann::json event;
  event["@timestamp"] = format_timestamp_us(ts_us);
  event["mitsu"]["schema"] = kEventSchemaVersion;
  event["event"]["id"] = ids_.next_at(ts_us / 1000).to_string();
  event["event"]["action"] = action;
  event["observer"]["name"] = sensor_.sensor_id;
  event["observer"]["geo"]["name"] = sensor_.site;
  return event;
}

nlohmann::json EventBuilder::session_event(const SessionInfo& session, std::string_view action,
                                           std::int64_t ts_us) {
  nlohmann::json event = common(action, ts_us);
  event["mitsu"]["session"]["id"] = session.session_id;
  event["mitsu"]["persona"] = {{"device_type", session.persona.device_type},
                               {"vendor", session.persona.vendor},
                               {"model", session.persona.model}};
  event["network"] = {{"protocol", session.protocol}, {"transport", session.transport}};
  event["source"] = {{"ip", session.src_ip}, {"port", session.src_port}};
  event["destination"]["port"] = session.dst_port;
  if (!session.dst_ip.empty()) {
    event["destination"]["ip"] = session.dst_ip;
  }
  return event;
}

nlohmann::json EventBuilder::sensor_event(std::string_view action, std::int64_t ts_us) {
  return common(action, ts_us);
}

}  // namespace mitsu

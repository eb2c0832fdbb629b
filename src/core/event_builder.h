#pragma once
// Producer side of the event type: builds schema-valid events for sensors, importers, tests and
// benchmarks, so no part writes the common fields by hand.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/uuid.h"

namespace mitsu {

struct SensorIdentity {
  std::string sensor_id = "sensor-1";
  std::string site = "default";
};

struct Persona {
  std::string device_type;  // camera, recorder, intercom, nas, router, …
  std::string vendor;
  std::string model;
};

struct SessionInfo {
  std::string session_id;  // a UUIDv7 made when the connection was accepted
  std::string protocol;    // telnet, ssh, http, …
  std::string transport = "tcp";
  std::string src_ip;
  int src_port = 0;
  std::string dst_ip;  // optional
  int dst_port = 0;
  Persona persona;
};

// Sets a dotted ECS path in nested form: set_field(e, "user.name", "root").
void set_field(nlohmann::json& event, std::string_view dotted_path, nlohmann::json value);

// Compact JSON text of an event, never throwing: bytes that are not UTF-8 become \\xNN in the
// field and the field's exact bytes are kept in base64 under mitsu.raw_bytes (core/safe_text.h).
std::string to_event_text(const nlohmann::json& event);

class EventBuilder {
 public:
  EventBuilder(SensorIdentity sensor, Uuid7Generator& ids);

  nlohmann::json session_event(const SessionInfo& session, std::string_view action,
                               std::int64_t ts_us);
  nlohmann::json sensor_event(std::string_view action, std::int64_t ts_us);

 private:
  nlohmann::json common(std::string_view action, std::int64_t ts_us);

  SensorIdentity sensor_;
  Uuid7Generator& ids_;
};

}  // namespace mitsu

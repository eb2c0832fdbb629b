#pragma once
// The one event type every Mitsu part emits and reads (docs/events.md). An Event is the validated
// form of one JSON event: the columns downstream parts index, plus the JSON text itself.

#include <cstddef>
#include <cstdint>
#include <string>

namespace mitsu {

inline constexpr int kEventSchemaVersion = 1;
// Larger events are rejected: a sensor caps what it copies from attackers well below this.
inline constexpr std::size_t kMaxEventBytes = 64 * 1024;

struct Event {
  std::string id;          // event.id: canonical UUIDv7 text, time-ordered
  std::int64_t ts_us = 0;  // @timestamp, microseconds since the Unix epoch, UTC
  std::string action;      // event.action, e.g. "login.attempt"
  std::string sensor;      // observer.name
  std::string site;        // observer.geo.name

  // Session context; empty / -1 for sensor-scoped kinds.
  std::string session_id;   // mitsu.session.id
  std::string protocol;     // network.protocol
  std::string src_ip;       // source.ip, normalised (IPv4-mapped IPv6 becomes IPv4)
  int src_port = -1;        // source.port
  int dst_port = -1;        // destination.port
  std::string device_type;  // mitsu.persona.device_type
  std::string vendor;       // mitsu.persona.vendor
  std::string model;        // mitsu.persona.model

  std::string outcome;          // event.outcome when present: "success" / "failure"
  std::string sha256;           // file.hash.sha256 when present
  std::int64_t file_size = -1;  // file.size when present

  // Kind-specific fields the intelligence rollups key on.
  std::string rule_id;    // exploit: rule.id
  std::string user_name;  // login.attempt: user.name
  std::string password;   // login.attempt: mitsu.login.password

  // Enrichment added at ingest (intel/geo), not part of the JSON text: ISO country code and
  // autonomous system of src_ip; empty / 0 when unknown.
  std::string country;
  std::uint32_t asn = 0;
  std::string as_org;

  std::string body;  // the JSON text exactly as validated
};

}  // namespace mitsu

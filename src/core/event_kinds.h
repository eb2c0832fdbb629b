#pragma once
// The registry of event kinds (event.action values) and the fields each one requires. Adding a
// kind is adding a row here and a section to docs/events.md; unknown kinds are rejected.

#include <span>
#include <string>
#include <string_view>

namespace mitsu {

enum class EventScope {
  kSession,  // happens inside one attacker session: needs source/destination/session/persona
  kSensor,   // about the sensor itself
};

enum class FieldType {
  kString,  // any JSON string, may be empty
  kNonEmptyString,
  kIdentifier,  // [A-Za-z0-9][A-Za-z0-9._-]{0,63}
  kToken,       // [a-z0-9][a-z0-9_-]{0,31}
  kUuid,        // canonical lower-case UUID text
  kPort,        // integer 0..65535
  kNonNegativeInt,
  kSha256,     // 64 lower-case hex digits
  kOutcome,    // "success" or "failure"
  kTransport,  // "tcp" or "udp"
  kIp,         // IPv4 or IPv6 address text
  kStringOrStringArray,
};

enum class Presence {
  kRequired,
  kOptional,
  kRequiredOnSuccess,  // required when event.outcome is "success"
};

struct FieldRule {
  // JSON pointer of the field: the ECS name "source.ip" is nested JSON {"source":{"ip":…}}, so
  // its pointer is "/source/ip". Kept in pointer form because validation looks fields up by it.
  std::string_view pointer;

  std::string ecs_name() const;  // "source.ip", for messages
  FieldType type;
  Presence presence;
};

struct EventKind {
  std::string_view action;
  EventScope scope;
  std::span<const FieldRule> fields;  // in addition to the common and scope fields
};

// Fields every event carries.
std::span<const FieldRule> common_event_fields();
// Fields every session-scoped event carries.
std::span<const FieldRule> session_event_fields();

const EventKind* find_event_kind(std::string_view action);
std::span<const EventKind> event_kinds();

}  // namespace mitsu

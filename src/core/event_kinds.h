#pragma once
// Event kinds (event.action values) and the fields each one requires. Core defines the kinds
// every sensor emits whatever the protocol (session life, logins, commands, files, exploits,
// relay and sensor events); each protocol registers its own (sensor/registry) at start-up.
// Unknown kinds are rejected; docs/events.md lists them all (a test compares).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

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
  // What a one-line listing (`mitsu events`) shows, in order: JSON pointers of the fields an
  // analyst reads first. The protocol that owns the kind says so where it registers it.
  std::span<const std::string_view> summary = {};
};

// Fields every event carries.
std::span<const FieldRule> common_event_fields();
// Fields every session-scoped event carries.
std::span<const FieldRule> session_event_fields();

// The protocol-independent kinds core defines.
std::span<const EventKind> core_event_kinds();

// Adds a kind to the table the parser validates against. The kind's strings and field rules must
// outlive the process (static tables, as register.cc files have them). An action that is
// already known is an error. Thread-safe; meant for start-up.
Status register_event_kind(const EventKind& kind);

// Null when no kind of that name is known. The pointer stays valid.
const EventKind* find_event_kind(std::string_view action);
// Core's kinds, then the registered ones in registration order.
std::vector<EventKind> event_kinds();

}  // namespace mitsu

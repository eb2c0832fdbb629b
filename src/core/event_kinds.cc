#include "core/event_kinds.h"

#include <fmt/format.h>

#include <array>
#include <deque>
#include <mutex>
#include <shared_mutex>

namespace mitsu {
namespace {

using enum FieldType;
using enum Presence;

constexpr std::array kCommon{
    FieldRule{"/mitsu/schema", kNonNegativeInt, kRequired},
    FieldRule{"/event/id", kUuid, kRequired},
    FieldRule{"/@timestamp", kNonEmptyString, kRequired},
    FieldRule{"/event/action", kNonEmptyString, kRequired},
    FieldRule{"/observer/name", kIdentifier, kRequired},
    FieldRule{"/observer/geo/name", kIdentifier, kRequired},
};

constexpr std::array kSessionScope{
    FieldRule{"/mitsu/session/id", kUuid, kRequired},
    FieldRule{"/network/protocol", kToken, kRequired},
    FieldRule{"/network/transport", kTransport, kOptional},
    FieldRule{"/source/ip", kIp, kRequired},
    FieldRule{"/source/port", kPort, kRequired},
    FieldRule{"/destination/ip", kIp, kOptional},
    FieldRule{"/destination/port", kPort, kRequired},
    FieldRule{"/mitsu/persona/device_type", kToken, kRequired},
    FieldRule{"/mitsu/persona/vendor", kNonEmptyString, kRequired},
    FieldRule{"/mitsu/persona/model", kNonEmptyString, kRequired},
};

constexpr std::array<FieldRule, 0> kNoFields{};

constexpr std::array kSessionClose{
    FieldRule{"/event/duration", kNonNegativeInt, kOptional},
    FieldRule{"/mitsu/session/end_reason", kToken, kOptional},
};

constexpr std::array kLoginAttempt{
    FieldRule{"/user/name", kString, kRequired},
    FieldRule{"/mitsu/login/password", kString, kRequired},
    FieldRule{"/mitsu/login/method", kToken, kOptional},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

constexpr std::array kCommand{
    FieldRule{"/process/command_line", kString, kRequired},
};

constexpr std::array kExploit{
    FieldRule{"/rule/id", kNonEmptyString, kRequired},
    FieldRule{"/rule/name", kString, kOptional},
    FieldRule{"/vulnerability/id", kStringOrStringArray, kOptional},
};

constexpr std::array kFileDownload{
    FieldRule{"/url/full", kNonEmptyString, kRequired},
    FieldRule{"/event/outcome", kOutcome, kRequired},
    FieldRule{"/file/hash/sha256", kSha256, kRequiredOnSuccess},
    FieldRule{"/file/size", kNonNegativeInt, kOptional},
};

constexpr std::array kFileUpload{
    FieldRule{"/file/hash/sha256", kSha256, kRequired},
    FieldRule{"/file/size", kNonNegativeInt, kRequired},
    FieldRule{"/file/name", kString, kOptional},
};

constexpr std::array kAnomaly{
    FieldRule{"/mitsu/anomaly/protocol", kToken, kRequired},
    FieldRule{"/mitsu/anomaly/reason", kNonEmptyString, kRequired},
};

constexpr std::array kDevice{
    FieldRule{"/mitsu/device/backend", kNonEmptyString, kRequired},
};

constexpr std::array kDeviceFile{
    FieldRule{"/mitsu/device/backend", kNonEmptyString, kRequired},
    FieldRule{"/file/path", kString, kRequired},
    FieldRule{"/file/hash/sha256", kSha256, kOptional},
};

constexpr std::array kZeroDayCandidate{
    FieldRule{"/mitsu/zero_day/reason", kToken, kRequired},
};

constexpr std::array kKinds{
    EventKind{"session.open", EventScope::kSession, kNoFields},
    EventKind{"session.close", EventScope::kSession, kSessionClose},
    EventKind{"login.attempt", EventScope::kSession, kLoginAttempt},
    EventKind{"command", EventScope::kSession, kCommand},
    EventKind{"exploit", EventScope::kSession, kExploit},
    EventKind{"anomaly", EventScope::kSession, kAnomaly},
    EventKind{"zero_day_candidate", EventScope::kSession, kZeroDayCandidate},
    EventKind{"file.download", EventScope::kSession, kFileDownload},
    EventKind{"file.upload", EventScope::kSession, kFileUpload},
    EventKind{"sensor.start", EventScope::kSensor, kNoFields},
    EventKind{"sensor.stop", EventScope::kSensor, kNoFields},
    EventKind{"device.down", EventScope::kSensor, kDevice},
    EventKind{"device.up", EventScope::kSensor, kDevice},
    EventKind{"device.file_created", EventScope::kSensor, kDeviceFile},
    EventKind{"device.file_modified", EventScope::kSensor, kDeviceFile},
    EventKind{"device.file_deleted", EventScope::kSensor, kDeviceFile},
};

}  // namespace

std::string FieldRule::ecs_name() const {
  std::string name(pointer.substr(1));
  for (char& c : name) {
    c = c == '/' ? '.' : c;
  }
  return name;
}

std::span<const FieldRule> common_event_fields() {
  return kCommon;
}
std::span<const FieldRule> session_event_fields() {
  return kSessionScope;
}
std::span<const EventKind> core_event_kinds() {
  return kKinds;
}

namespace {

// Registered kinds: a deque, so pointers handed out stay valid as more are added.
struct Registered {
  std::shared_mutex mutex;
  std::deque<EventKind> kinds;
};

Registered& registered() {
  static Registered table;
  return table;
}

const EventKind* find_locked(const Registered& table, std::string_view action) {
  for (const EventKind& kind : kKinds) {
    if (kind.action == action) {
      return &kind;
    }
  }
  for (const EventKind& kind : table.kinds) {
    if (kind.action == action) {
      return &kind;
    }
  }
  return nullptr;
}

}  // namespace

Status register_event_kind(const EventKind& kind) {
  Registered& table = registered();
  std::unique_lock lock(table.mutex);
  if (find_locked(table, kind.action) != nullptr) {
    return Error{fmt::format("event kind '{}' is already registered", kind.action)};
  }
  table.kinds.push_back(kind);
  return {};
}

const EventKind* find_event_kind(std::string_view action) {
  Registered& table = registered();
  std::shared_lock lock(table.mutex);
  return find_locked(table, action);
}

std::vector<EventKind> event_kinds() {
  Registered& table = registered();
  std::shared_lock lock(table.mutex);
  std::vector<EventKind> all(kKinds.begin(), kKinds.end());
  all.insert(all.end(), table.kinds.begin(), table.kinds.end());
  return all;
}

}  // namespace mitsu

#include "core/event_kinds.h"

#include <array>

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

constexpr std::array kHttpRequest{
    FieldRule{"/http/request/method", kNonEmptyString, kRequired},
    FieldRule{"/url/path", kString, kRequired},
    FieldRule{"/url/query", kString, kOptional},
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

constexpr std::array kFtpCommand{
    FieldRule{"/mitsu/ftp/verb", kNonEmptyString, kRequired},
    FieldRule{"/mitsu/ftp/argument", kString, kOptional},
};

constexpr std::array kTftpRequest{
    FieldRule{"/mitsu/tftp/operation", kToken, kRequired},
    FieldRule{"/file/name", kString, kRequired},
    FieldRule{"/mitsu/tftp/mode", kToken, kOptional},
};

constexpr std::array kSsdpRequest{
    FieldRule{"/http/request/method", kNonEmptyString, kRequired},
    FieldRule{"/mitsu/ssdp/request_bytes", kNonNegativeInt, kRequired},
    FieldRule{"/mitsu/ssdp/replies", kNonNegativeInt, kRequired},
    FieldRule{"/mitsu/ssdp/reply_bytes", kNonNegativeInt, kRequired},
};

constexpr std::array kUpnpAction{
    FieldRule{"/mitsu/upnp/action", kNonEmptyString, kRequired},
    FieldRule{"/mitsu/upnp/service", kString, kOptional},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

constexpr std::array kAnomaly{
    FieldRule{"/mitsu/anomaly/protocol", kToken, kRequired},
    FieldRule{"/mitsu/anomaly/reason", kNonEmptyString, kRequired},
};

constexpr std::array kSmbSession{
    FieldRule{"/user/name", kString, kRequired},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

constexpr std::array kSmbTreeConnect{
    FieldRule{"/mitsu/smb/share", kString, kRequired},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

constexpr std::array kSmbCreate{
    FieldRule{"/file/path", kString, kRequired},
    FieldRule{"/event/outcome", kOutcome, kRequired},
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
    EventKind{"http.request", EventScope::kSession, kHttpRequest},
    EventKind{"ftp.command", EventScope::kSession, kFtpCommand},
    EventKind{"tftp.request", EventScope::kSession, kTftpRequest},
    EventKind{"ssdp.request", EventScope::kSession, kSsdpRequest},
    EventKind{"upnp.action", EventScope::kSession, kUpnpAction},
    EventKind{"smb.session", EventScope::kSession, kSmbSession},
    EventKind{"smb.tree_connect", EventScope::kSession, kSmbTreeConnect},
    EventKind{"smb.create", EventScope::kSession, kSmbCreate},
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
std::span<const EventKind> event_kinds() {
  return kKinds;
}

const EventKind* find_event_kind(std::string_view action) {
  for (const EventKind& kind : kKinds) {
    if (kind.action == action) {
      return &kind;
    }
  }
  return nullptr;
}

}  // namespace mitsu

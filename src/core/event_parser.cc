#include "core/event_parser.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <simdjson.h>

#include "core/clock.h"
#include "core/event_kinds.h"
#include "core/uuid.h"

namespace mitsu {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalnum(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_token(std::string_view s) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || s.size() > 32 || !lower_alnum(s[0])) {
    return false;
  }
  for (char c : s) {
    if (!lower_alnum(c) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_sha256(std::string_view s) {
  if (s.size() != 64) {
    return false;
  }
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string_view type_description(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "a string";
    case FieldType::kNonEmptyString:
      return "a non-empty string";
    case FieldType::kIdentifier:
      return "an identifier ([A-Za-z0-9][A-Za-z0-9._-]{0,63})";
    case FieldType::kToken:
      return "a lower-case token ([a-z0-9][a-z0-9_-]{0,31})";
    case FieldType::kUuid:
      return "a lower-case canonical UUID";
    case FieldType::kPort:
      return "an integer port 0..65535";
    case FieldType::kNonNegativeInt:
      return "a non-negative integer";
    case FieldType::kSha256:
      return "64 lower-case hex digits";
    case FieldType::kOutcome:
      return "\"success\" or \"failure\"";
    case FieldType::kTransport:
      return "\"tcp\" or \"udp\"";
    case FieldType::kIp:
      return "an IPv4 or IPv6 address";
    case FieldType::kStringOrStringArray:
      return "a string or an array of strings";
  }
  return "?";
}

bool value_matches(element value, FieldType type) {
  std::string_view s;
  bool is_string = value.get_string().get(s) == simdjson::SUCCESS;
  switch (type) {
    case FieldType::kString:
      return is_string;
    case FieldType::kNonEmptyString:
      return is_string && !s.empty();
    case FieldType::kIdentifier:
      return is_string && is_identifier(s);
    case FieldType::kToken:
      return is_string && is_token(s);
    case FieldType::kUuid:
      return is_string && Uuid::parse(s).has_value();
    case FieldType::kSha256:
      return is_string && is_sha256(s);
    case FieldType::kOutcome:
      return is_string && (s == "success" || s == "failure");
    case FieldType::kTransport:
      return is_string && (s == "tcp" || s == "udp");
    case FieldType::kIp:
      return is_string && !normalize_ip(s).empty();
    case FieldType::kPort: {
      std::int64_t n = 0;
      return value.get_int64().get(n) == simdjson::SUCCESS && n >= 0 && n <= 65535;
    }
    case FieldType::kNonNegativeInt: {
      std::int64_t n = 0;
      return value.get_int64().get(n) == simdjson::SUCCESS && n >= 0;
    }
    case FieldType::kStringOrStringArray: {
      if (is_string) {
        return true;
      }
      simdjson::dom::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) {
        return false;
      }
      for (element item : array) {
        if (!item.is_string()) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

std::string_view string_at(element doc, std::string_view pointer) {
  std::string_view s;
  if (doc.at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) {
    return {};
  }
  return s;
}

int port_at(element doc, std::string_view pointer) {
  std::int64_t n = -1;
  if (doc.at_pointer(pointer).get_int64().get(n) != simdjson::SUCCESS) {
    return -1;
  }
  return static_cast<int>(n);
}

}  // namespace

std::string_view reject_code_name(RejectCode code) {
  switch (code) {
    case RejectCode::kTooLarge:
      return "too_large";
    case RejectCode::kMalformedJson:
      return "malformed_json";
    case RejectCode::kNotAnObject:
      return "not_an_object";
    case RejectCode::kUnsupportedSchema:
      return "unsupported_schema";
    case RejectCode::kUnknownKind:
      return "unknown_kind";
    case RejectCode::kMissingField:
      return "missing_field";
    case RejectCode::kInvalidField:
      return "invalid_field";
  }
  return "unknown";
}

std::string Rejection::to_string() const {
  return fmt::format("{}: {}", reject_code_name(code), detail);
}

std::string normalize_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return {};
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  std::string input(text);
  in_addr v4{};
  if (inet_pton(AF_INET, input.c_str(), &v4) == 1) {
    inet_ntop(AF_INET, &v4, buffer, sizeof buffer);
    return buffer;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, input.c_str(), &v6) != 1) {
    return {};
  }
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], sizeof v4);
    inet_ntop(AF_INET, &v4, buffer, sizeof buffer);
  } else {
    inet_ntop(AF_INET6, &v6, buffer, sizeof buffer);
  }
  return buffer;
}

struct EventParser::Impl {
  simdjson::dom::parser parser;

  // Checks one rule; false with `why` filled when it fails.
  static bool check(element doc, const FieldRule& rule, bool success, Rejection& why) {
    element value;
    auto error = doc.at_pointer(rule.pointer).get(value);
    bool present = error == simdjson::SUCCESS && !value.is_null();
    if (!present) {
      bool required = rule.presence == Presence::kRequired ||
                      (rule.presence == Presence::kRequiredOnSuccess && success);
      if (required) {
        why = {RejectCode::kMissingField,
               fmt::format("missing required field '{}'", rule.ecs_name())};
        return false;
      }
      return true;
    }
    if (!value_matches(value, rule.type)) {
      why = {RejectCode::kInvalidField,
             fmt::format("field '{}' must be {}", rule.ecs_name(), type_description(rule.type))};
      return false;
    }
    return true;
  }

  static bool check_all(element doc, std::span<const FieldRule> rules, bool success,
                        Rejection& why) {
    for (const FieldRule& rule : rules) {
      if (!check(doc, rule, success, why)) {
        return false;
      }
    }
    return true;
  }
};

EventParser::EventParser() : impl_(std::make_unique<Impl>()) {}
EventParser::~EventParser() = default;

bool EventParser::parse(std::string_view text, Event& out, Rejection& why) {
  if (text.size() > kMaxEventBytes) {
    why = {RejectCode::kTooLarge,
           fmt::format("event is {} bytes, limit is {}", text.size(), kMaxEventBytes)};
    return false;
  }
  element doc;
  if (auto error = impl_->parser.parse(text.data(), text.size()).get(doc)) {
    why = {RejectCode::kMalformedJson, simdjson::error_message(error)};
    return false;
  }
  if (!doc.is_object()) {
    why = {RejectCode::kNotAnObject, "an event must be a JSON object"};
    return false;
  }
  if (!Impl::check_all(doc, common_event_fields(), false, why)) {
    return false;
  }

  std::int64_t schema = 0;
  auto schema_error = doc.at_pointer("/mitsu/schema").get_int64().get(schema);
  (void)schema_error;  // presence and type were checked with the common fields
  if (schema != kEventSchemaVersion) {
    why = {RejectCode::kUnsupportedSchema,
           fmt::format("mitsu.schema is {}, this build reads {}", schema, kEventSchemaVersion)};
    return false;
  }
  std::string_view id = string_at(doc, "/event/id");
  auto uuid = Uuid::parse(id);
  if (uuid->version() != 7 || !uuid->is_rfc_variant()) {
    why = {RejectCode::kInvalidField, "field 'event.id' must be a UUID version 7"};
    return false;
  }
  auto ts = parse_timestamp_us(string_at(doc, "/@timestamp"));
  if (!ts) {
    why = {RejectCode::kInvalidField,
           "field '@timestamp' must be RFC 3339 UTC, e.g. 2026-11-26T01:10:30.123456Z"};
    return false;
  }
  std::string_view action = string_at(doc, "/event/action");
  const EventKind* kind = find_event_kind(action);
  if (kind == nullptr) {
    why = {RejectCode::kUnknownKind, fmt::format("unknown event.action '{}'", action)};
    return false;
  }
  std::string_view outcome = string_at(doc, "/event/outcome");
  bool success = outcome == "success";
  if (kind->scope == EventScope::kSession &&
      !Impl::check_all(doc, session_event_fields(), success, why)) {
    return false;
  }
  if (!Impl::check_all(doc, kind->fields, success, why)) {
    return false;
  }

  out.id.assign(id);
  out.ts_us = *ts;
  out.action.assign(action);
  out.sensor.assign(string_at(doc, "/observer/name"));
  out.site.assign(string_at(doc, "/observer/geo/name"));
  out.session_id.assign(string_at(doc, "/mitsu/session/id"));
  out.protocol.assign(string_at(doc, "/network/protocol"));
  std::string_view src_ip = string_at(doc, "/source/ip");
  out.src_ip = src_ip.empty() ? std::string() : normalize_ip(src_ip);
  out.src_port = port_at(doc, "/source/port");
  out.dst_port = port_at(doc, "/destination/port");
  out.device_type.assign(string_at(doc, "/mitsu/persona/device_type"));
  out.vendor.assign(string_at(doc, "/mitsu/persona/vendor"));
  out.model.assign(string_at(doc, "/mitsu/persona/model"));
  out.outcome.assign(outcome);
  out.sha256.assign(string_at(doc, "/file/hash/sha256"));
  std::int64_t file_size = -1;
  auto size_error = doc.at_pointer("/file/size").get_int64().get(file_size);
  out.file_size = size_error ? -1 : file_size;
  out.rule_id.assign(string_at(doc, "/rule/id"));
  out.user_name.assign(string_at(doc, "/user/name"));
  out.password.assign(string_at(doc, "/mitsu/login/password"));
  out.country.clear();
  out.asn = 0;
  out.as_org.clear();
  out.body.assign(text);
  return true;
}

}  // namespace mitsu

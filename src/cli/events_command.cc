#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/platform.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "core/event_kinds.h"
#include "core/safe_text.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::cli {
namespace {

// One line of what matters most for each kind, read from the event body.
std::string summary_of(const Event& event) {
  nlohmann::json body = nlohmann::json::parse(event.body, nullptr, false);
  auto text = [&](const char* pointer) -> std::string {
    auto p = nlohmann::json::json_pointer(pointer);
    if (body.is_discarded() || !body.contains(p)) {
      return "";
    }
    const auto& value = body.at(p);
    return value.is_string() ? value.get<std::string>() : value.dump();
  };
  if (event.action == "login.attempt") {
    return fmt::format("user={:?} password={:?} {}", text("/user/name"),
                       text("/mitsu/login/password"), text("/event/outcome"));
  }
  if (event.action == "command") {
    return text("/process/command_line");
  }
  if (event.action == "exploit") {
    return fmt::format("{} {}", text("/rule/id"), text("/vulnerability/id"));
  }
  if (event.action == "file.download") {
    std::string outcome = text("/event/outcome");
    return fmt::format("{} {} {}", text("/url/full"), outcome,
                       outcome == "failure" ? fmt::format("{:?}", text("/error/message"))
                                            : text("/file/hash/sha256"));
  }
  if (event.action == "file.upload") {
    return fmt::format("{} {}", text("/file/name"), text("/file/hash/sha256"));
  }
  // Any other kind: the fields its protocol named for listings. Text with spaces is quoted,
  // numbers are named (replies=2).
  const EventKind* kind = find_event_kind(event.action);
  std::string out;
  for (std::string_view pointer : kind != nullptr ? kind->summary : decltype(kind->summary){}) {
    std::string value = text(std::string(pointer).c_str());
    if (value.empty() || value == "\"\"") {
      continue;
    }
    auto p = nlohmann::json::json_pointer(std::string(pointer));
    if (body.at(p).is_number()) {
      value = fmt::format("{}={}", p.back(), value);
    } else if (value.find(' ') != std::string::npos) {
      value = fmt::format("{:?}", value);
    }
    out += (out.empty() ? "" : " ") + value;
  }
  return out;
}

// A stored event as printed: byte for byte when it is plain ASCII (nearly always), otherwise
// re-written with every non-ASCII character as \uXXXX — the same JSON value, but JSON's own
// escaping would leave C1 controls and bidirectional overrides for the terminal to act on.
std::string terminal_json(const std::string& body) {
  bool ascii = std::all_of(body.begin(), body.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    return body;
  }
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  return parsed.is_discarded() ? terminal_safe(body)
                               : dump_json(parsed, -1, "/mitsu/raw_bytes", /*ascii=*/true);
}

}  // namespace

int events_command(const Config& config, const EventsOptions& options) {
  store::EventQuery query;
  query.action = options.kind;
  query.session_id = options.session;
  query.src_ip = options.src_ip;
  if (query.src_ip) {
    std::string normal = normalize_ip(*query.src_ip);
    if (normal.empty()) {
      spdlog::error("--src-ip: '{}' is not an IP address", *query.src_ip);
      return kExitUsage;
    }
    query.src_ip = normal;
  }
  query.sensor = options.sensor;
  query.site = options.site;
  query.protocol = options.protocol;
  query.limit = options.limit;
  for (auto [text, target, flag] : {std::tuple{&options.since, &query.since_us, "--since"},
                                    std::tuple{&options.until, &query.until_us, "--until"}}) {
    if (*text) {
      auto us = parse_time_filter_us(**text);
      if (!us) {
        spdlog::error("{}: '{}' is not a time (use 2026-11-26, 2026-11-26T01:10:30 or RFC 3339)",
                      flag, **text);
        return kExitUsage;
      }
      *target = *us;
    }
  }

  // A filter value nothing can carry is a usage error, not an empty answer.
  if (query.action && find_event_kind(*query.action) == nullptr) {
    std::vector<std::string> known;
    for (const EventKind& k : event_kinds()) {
      known.emplace_back(k.action);
    }
    std::sort(known.begin(), known.end());
    spdlog::error("--kind: no event kind is called '{}' (kinds: {})", terminal_safe(*query.action),
                  fmt::join(known, ", "));
    return kExitUsage;
  }
  if (query.protocol && sensor::ProtocolRegistry::instance().find(*query.protocol) == nullptr) {
    spdlog::error("--protocol: no protocol is called '{}' (protocols: {})",
                  terminal_safe(*query.protocol), sensor::ProtocolRegistry::instance().names());
    return kExitUsage;
  }
  if (query.since_us && query.until_us && *query.since_us >= *query.until_us) {
    spdlog::error("--since {} is not before --until {}: no event can match", *options.since,
                  *options.until);
    return kExitUsage;
  }
  if (!store_exists(config)) {
    return kExitFailure;
  }
  auto platform = app::Platform::open(config, /*with_spool=*/false);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return kExitFailure;
  }
  auto events = (*platform)->store.events->query(query);
  if (!events) {
    spdlog::error("{}", events.error());
    return kExitFailure;
  }
  for (const Event& event : *events) {
    if (options.json) {
      std::printf("%s\n", terminal_json(event.body).c_str());
      continue;
    }
    std::string where =
        event.src_ip.empty()
            ? event.sensor
            : fmt::format("{}:{} -> {}/{}",
                          event.src_ip.find(':') == std::string::npos ? event.src_ip
                                                                      : "[" + event.src_ip + "]",
                          event.src_port, event.protocol, event.dst_port);
    // Attackers choose what their commands and passwords contain: escaped for the terminal.
    std::printf("%s  %-13s  %-40s  %-9s  %s\n", format_timestamp_us(event.ts_us).c_str(),
                terminal_safe(event.action).c_str(), terminal_safe(where).c_str(),
                terminal_safe(event.device_type).c_str(), terminal_safe(summary_of(event)).c_str());
  }
  if (!options.json) {
    std::fprintf(stderr, "%zu events\n", events->size());
  }
  return kExitOk;
}

}  // namespace mitsu::cli

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/platform.h"
#include "cli/commands.h"
#include "cli/event_lines.h"
#include "core/clock.h"
#include "core/event_kinds.h"
#include "core/safe_text.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::cli {

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
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  auto events = platform->store.events->query(query);
  if (!events) {
    spdlog::error("{}", events.error());
    return kExitFailure;
  }
  for (const Event& event : *events) {
    if (options.json) {
      std::printf("%s\n", terminal_json(event.body).c_str());
      continue;
    }
    std::printf("%s\n", event_line(event).c_str());
  }
  // The total behind a limit, so a reader knows the list is cut: "50 of 105036 events".
  if (events->size() == query.limit) {
    auto total = platform->store.events->count(query);
    if (!total) {
      spdlog::error("{}", total.error());
      return kExitFailure;
    }
    if (*total > events->size()) {
      std::fprintf(stderr, "%zu of %llu events (-n to see more)\n", events->size(),
                   static_cast<unsigned long long>(*total));
      return kExitOk;
    }
  }
  if (!options.json) {
    std::fprintf(stderr, "%zu events\n", events->size());
  }
  return kExitOk;
}

}  // namespace mitsu::cli

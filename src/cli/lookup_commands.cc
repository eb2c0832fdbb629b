// `mitsu sample`, `session`, `sensors`, `quarantine` and `known list`: the look-ups of
// intel/lookups.h, printed as text or, with --json, as the document the API serves.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/platform.h"
#include "cli/commands.h"
#include "cli/event_lines.h"
#include "core/event_parser.h"
#include "core/safe_text.h"
#include "intel/lookups.h"

namespace mitsu::cli {
namespace {

using nlohmann::json;

// A JSON string or number as text; "" for null or a missing key.
std::string text(const json& doc, const char* pointer) {
  auto p = json::json_pointer(pointer);
  if (!doc.contains(p) || doc.at(p).is_null()) {
    return "";
  }
  const json& v = doc.at(p);
  return terminal_safe(v.is_string() ? v.get<std::string>() : v.dump());
}

void print_json(const json& doc) {
  std::printf("%s\n", dump_json(doc, 2, "/raw_bytes", /*ascii=*/true).c_str());
}

// A view of the catalog (sensors, known sources) for printing: with --json it is printed here.
// nullopt when nothing is left to do; `status` is then the exit status.
std::optional<json> catalog_view(const Config& config, bool as_json,
                                 Result<json> (*make)(store::Catalog&), int& status) {
  status = kExitFailure;
  auto platform = open_stored(config);
  if (!platform) {
    return std::nullopt;
  }
  auto view = make(*platform->store.catalog);
  if (!view) {
    spdlog::error("{}", view.error());
    return std::nullopt;
  }
  status = kExitOk;
  if (as_json) {
    print_json(*view);
    return std::nullopt;
  }
  return std::move(*view);
}

// Events as lines (the stored bodies are parsed again for event_line).
void print_events(const json& events, std::size_t total, const char* what) {
  EventParser parser;
  for (const json& body : events) {
    Event e;
    Rejection why;
    if (body.is_object() && parser.parse(body.dump(), e, why)) {
      std::printf("  %s\n", event_line(e).c_str());
    } else {
      // Stored before a schema change, say: shown as stored rather than left out.
      std::printf(
          "  %s\n",
          terminal_json(body.is_string() ? body.get<std::string>() : dump_json(body)).c_str());
    }
  }
  if (total > events.size()) {
    std::printf("  … %zu of %zu %s shown (-n to see more)\n", events.size(), total, what);
  }
}

void print_verdict(const json& v) {
  if (v.is_null()) {
    std::printf("verdict     none yet (see jobs)\n");
    return;
  }
  std::string type = text(v, "/file_type/description");
  std::printf("type        %s\n", type.empty() ? "(not recorded)" : type.c_str());
  std::string cpu = text(v, "/elf/arch");
  std::printf("cpu         %s\n", cpu.empty() ? "(not an ELF)" : cpu.c_str());
  std::string family = text(v, "/family/name");
  std::printf("family      %s\n", family.empty() ? "(unknown)" : family.c_str());
  std::printf("target      %s\n", text(v, "/target/class").c_str());
  if (v.contains("relatives") && !v["relatives"].empty()) {
    std::printf("relatives\n");
    for (const json& r : v["relatives"]) {
      std::printf("  %s  %-12s  TLSH distance %s\n", text(r, "/sha256").c_str(),
                  text(r, "/family").c_str(), text(r, "/distance").c_str());
    }
  }
  if (v.contains("sandbox")) {
    const json& s = v["sandbox"];
    std::string tags;
    for (const json& b : s.value("behaviours", json::array())) {
      tags += (tags.empty() ? "" : ", ") + text(b, "/tag");
    }
    std::printf("sandbox     %s, exit %s; behaviours: %s\n", text(s, "/arch").c_str(),
                text(s, "/exit/reason").c_str(), tags.empty() ? "none" : tags.c_str());
  }
}

}  // namespace

int sample_command(const Config& config, const LookupOptions& options) {
  std::string hash = options.key;
  for (char& c : hash) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    spdlog::error("'{}' is not a SHA-256 (64 hex digits)", terminal_safe(options.key));
    return kExitUsage;
  }
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  auto view =
      intel::sample_view(*platform->store.catalog, *platform->store.events, hash, options.limit);
  if (!view) {
    spdlog::error("{}", view.error());
    return kExitFailure;
  }
  if (!*view) {
    spdlog::error("no sample {} was captured", hash);
    return kExitFailure;
  }
  const json& s = **view;
  if (options.json) {
    print_json(s);
    return kExitOk;
  }
  std::printf("sample      %s\n", hash.c_str());
  std::printf("size        %s bytes\n", text(s, "/size").c_str());
  std::printf("seen        %s sightings, first %s, last %s\n", text(s, "/sightings").c_str(),
              text(s, "/first_seen").c_str(), text(s, "/last_seen").c_str());
  const json& known = s["known_at_first_sight"];
  if (!known.is_null()) {
    std::printf(
        "known       %s at first sight (checked against %s)\n",
        known["known"].get<bool>() ? ("yes, by " + text(known, "/source")).c_str() : "never seen",
        text(known, "/checked_against").c_str());
  }
  print_verdict(s["verdict"]);
  std::printf("jobs\n");
  for (const json& j : s["jobs"]) {
    std::string error = text(j, "/error");
    std::printf("  %-8s %-8s %s attempt(s)%s\n", text(j, "/kind").c_str(),
                text(j, "/state").c_str(), text(j, "/attempts").c_str(),
                error.empty() ? "" : (": " + error).c_str());
  }
  std::printf("seen in\n");
  print_events(s["seen_in"], s["seen_in_total"].get<std::size_t>(), "events");
  return kExitOk;
}

int session_command(const Config& config, const LookupOptions& options) {
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  auto view = intel::session_view(*platform->store.catalog, *platform->store.events, options.key,
                                  options.limit);
  if (!view) {
    spdlog::error("{}", view.error());
    return kExitFailure;
  }
  if (!*view) {
    spdlog::error("no session '{}' is stored", terminal_safe(options.key));
    return kExitFailure;
  }
  const json& s = **view;
  if (options.json) {
    print_json(s);
    return kExitOk;
  }
  std::printf("session     %s\n", text(s, "/id").c_str());
  std::printf("attacker    %s:%s -> %s/%s on %s (site %s)\n", text(s, "/src_ip").c_str(),
              text(s, "/src_port").c_str(), text(s, "/protocol").c_str(),
              text(s, "/dst_port").c_str(), text(s, "/sensor").c_str(), text(s, "/site").c_str());
  std::printf("persona     %s %s %s\n", text(s, "/persona/device_type").c_str(),
              text(s, "/persona/vendor").c_str(), text(s, "/persona/model").c_str());
  std::string ended = text(s, "/ended");
  std::printf(
      "time        %s to %s\n", text(s, "/started").c_str(),
      ended.empty() ? ("(open, last seen " + text(s, "/last_seen") + ")").c_str() : ended.c_str());
  std::printf("counts     ");
  for (const auto& [name, n] : s["counts"].items()) {
    std::printf(" %s=%s", name.c_str(), n.dump().c_str());
  }
  std::printf("\ntranscript\n");
  print_events(s["events"], s["events_total"].get<std::size_t>(), "events");
  return kExitOk;
}

int sensors_command(const Config& config, bool as_json) {
  int status = kExitOk;
  auto view = catalog_view(config, as_json, intel::sensors_view, status);
  if (!view) {
    return status;
  }
  std::printf("%-24s %-16s %12s  %-27s  %s\n", "SENSOR", "SITE", "EVENTS", "FIRST EVENT",
              "LAST EVENT");
  for (const json& s : *view) {
    std::printf("%-24s %-16s %12s  %-27s  %s\n", text(s, "/id").c_str(), text(s, "/site").c_str(),
                text(s, "/events").c_str(), text(s, "/first_event").c_str(),
                text(s, "/last_event").c_str());
  }
  std::fprintf(stderr, "%zu sensors\n", view->size());
  return kExitOk;
}

int quarantine_command(const Config& config, const LookupOptions& options) {
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  auto view = intel::quarantine_view(*platform->store.events, options.limit);
  if (!view) {
    spdlog::error("{}", view.error());
    return kExitFailure;
  }
  if (options.json) {
    print_json(*view);
    return kExitOk;
  }
  for (const json& r : (*view)["records"]) {
    // The record itself is whatever arrived: escaped, and cut to a line.
    std::string raw = r["raw"].get<std::string>();
    constexpr std::size_t kShown = 120;
    std::string shown = terminal_safe(raw.substr(0, kShown)) + (raw.size() > kShown ? "…" : "");
    std::printf("%s  %-18s %s\n  %s\n", text(r, "/received").c_str(), text(r, "/code").c_str(),
                text(r, "/reason").c_str(), shown.c_str());
  }
  std::fprintf(stderr, "%zu of %s quarantined records\n", (*view)["records"].size(),
               text(*view, "/total").c_str());
  return kExitOk;
}

int known_list_command(const Config& config, bool as_json) {
  int status = kExitOk;
  auto view = catalog_view(config, as_json, intel::known_sources_view, status);
  if (!view) {
    return status;
  }
  std::printf("%-32s %10s %12s  %s\n", "SOURCE", "HASHES", "WITH FAMILY", "IMPORTED");
  for (const json& s : (*view)["sources"]) {
    std::printf("%-32s %10s %12s  %s\n", text(s, "/source").c_str(), text(s, "/hashes").c_str(),
                text(s, "/with_family").c_str(), text(s, "/imported").c_str());
  }
  std::fprintf(stderr, "%zu sources, %s hashes\n", (*view)["sources"].size(),
               text(*view, "/hashes").c_str());
  return kExitOk;
}

}  // namespace mitsu::cli

#include "intel/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "core/clock.h"
#include "intel/lookups.h"

namespace mitsu::intel {
namespace {

using nlohmann::json;

struct Collected {
  std::map<std::string, Event> events;  // by id: each event once, however it was reached
  std::set<std::string> sessions;
  std::set<std::string> samples;
  bool truncated = false;
};

// `newest`: the subject's latest activity when there is more than fits (entries are sorted
// by time at the end either way).
Status collect(store::EventStore& store, store::EventQuery query, Collected& into,
               std::size_t max_events, bool newest = false) {
  if (into.events.size() >= max_events) {
    into.truncated = true;
    return {};
  }
  query.oldest_first = !newest;
  query.limit = std::min<std::size_t>(query.limit, max_events - into.events.size());
  auto found = store.query(query);
  if (!found) {
    return found.failure();
  }
  into.truncated = into.truncated || found->size() == query.limit;
  for (Event& e : *found) {
    if (!e.session_id.empty()) {
      into.sessions.insert(e.session_id);
    }
    if (!e.sha256.empty()) {
      into.samples.insert(e.sha256);
    }
    into.events.emplace(e.id, std::move(e));
  }
  return {};
}

std::string text_at(const json& body, const char* pointer) {
  json::json_pointer at(pointer);
  return body.contains(at) && body[at].is_string() ? body[at].get<std::string>() : std::string();
}

// Commands that remove what the attacker left: the shell's history, logs, their own files.
bool erases_traces(std::string_view command) {
  for (std::string_view sign : {"history -c", "/var/log", ".bash_history", ".ash_history",
                                "rm -rf /tmp", "unset HISTFILE", "HISTFILE=/dev/null"}) {
    if (command.find(sign) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// The entry's kind and a one-line title, from the event's action and fields.
std::pair<std::string, std::string> describe(const Event& e, const json& body,
                                             const std::set<std::string>& erasures) {
  const std::string& a = e.action;
  if (a == "session.open") {
    return {"session", fmt::format("{} session from {} to {}", e.protocol, e.src_ip, e.sensor)};
  }
  if (a == "session.close") {
    return {"session_end", fmt::format("{} session ended", e.protocol)};
  }
  if (a == "login.attempt") {
    // Stored events come back with their indexed columns only: the rest is read from the body.
    return {"login",
            fmt::format("login {}:{} {}", text_at(body, "/user/name"),
                        text_at(body, "/mitsu/login/password"), text_at(body, "/event/outcome"))};
  }
  if (a == "command") {
    std::string line = text_at(body, "/process/command_line");
    return {erases_traces(line) ? "trace_erasure" : "command", line};
  }
  if (a == "exploit") {
    std::string path = text_at(body, "/file/path");
    std::string rule = text_at(body, "/rule/id");
    return {"exploit", path.empty() ? rule : fmt::format("{} ({})", rule, path)};
  }
  if (a == "file.download") {
    return {"download", fmt::format("download {} {}", text_at(body, "/url/full"),
                                    text_at(body, "/event/outcome"))};
  }
  if (a == "file.upload") {
    return {"upload", fmt::format("upload {} over {}", text_at(body, "/file/name"), e.protocol)};
  }
  if (a == "device.file_created" || a == "device.file_modified") {
    return {a == "device.file_created" ? "file_created" : "file_modified",
            fmt::format("{} on the device", text_at(body, "/file/path"))};
  }
  if (a == "device.file_deleted") {
    std::string path = text_at(body, "/file/path");
    // Deleting what an attacker dropped is erasing traces (the SambaCry case's clean-up).
    return {erasures.contains(e.id) ? "trace_erasure" : "file_deleted",
            fmt::format("{} deleted on the device", path)};
  }
  if (a == "http.request") {
    return {"http", fmt::format("{} {}", text_at(body, "/http/request/method"),
                                text_at(body, "/url/original"))};
  }
  if (a.starts_with("smb.")) {
    std::string what = text_at(body, "/file/path");
    if (what.empty()) {
      what = text_at(body, "/mitsu/smb/share");
    }
    return {"smb", fmt::format("{} {} {}", a.substr(4), what, text_at(body, "/event/outcome"))};
  }
  if (a == "zero_day_candidate") {
    return {"zero_day", "the session changed the device and matched no exploit signature"};
  }
  return {a, a};
}

// Deletions on real devices of files dropped there (they carry no hash any more), added to
// the collected events; `erases` says whether a deletion came after its file's drop.
using Dropped = std::map<std::string, std::map<std::string, std::int64_t>>;  // sensor, path, when

bool erases(const Dropped& dropped, const Event& e, const json& body) {
  auto on_sensor = dropped.find(e.sensor);
  if (on_sensor == dropped.end()) {
    return false;
  }
  auto path = on_sensor->second.find(text_at(body, "/file/path"));
  return path != on_sensor->second.end() && e.ts_us >= path->second;
}

Status add_deletions(store::EventStore& events, const Dropped& dropped, std::size_t max_events,
                     Collected& c, std::vector<std::pair<const Event*, json>>& parsed) {
  for (const auto& [sensor, paths] : dropped) {
    std::int64_t since = std::numeric_limits<std::int64_t>::max();
    for (const auto& [path, ts] : paths) {
      since = std::min(since, ts);
    }
    store::EventQuery q;
    q.sensor = sensor;
    q.action = "device.file_deleted";
    q.since_us = since;
    q.oldest_first = true;
    q.limit = max_events;
    auto deletions = events.query(q);
    if (!deletions) {
      return deletions.failure();
    }
    for (Event& e : *deletions) {
      json body = json::parse(e.body, nullptr, false);
      if (erases(dropped, e, body) && !c.events.contains(e.id)) {
        auto [it, added] = c.events.emplace(e.id, std::move(e));
        parsed.emplace_back(&it->second, std::move(body));
      }
    }
  }
  return {};
}

}  // namespace

Result<std::optional<json>> case_timeline(store::Catalog& catalog, store::EventStore& events,
                                          const TimelineSubject& subject,
                                          const TimelineOptions& options) {
  Collected c;
  store::EventQuery seed;
  seed.limit = options.max_events;
  json subject_json;
  switch (subject.kind) {
    case TimelineSubject::Kind::kSample:
      seed.sha256 = subject.value;
      subject_json = {{"sample", subject.value}};
      break;
    case TimelineSubject::Kind::kSource:
      seed.src_ip = subject.value;
      subject_json = {{"src_ip", subject.value}};
      break;
    case TimelineSubject::Kind::kSensor:
      seed.sensor = subject.value;
      subject_json = {{"sensor", subject.value}};
      break;
  }
  if (Status s = collect(events, seed, c, options.max_events, /*newest=*/true); !s) {
    return s.failure();
  }
  if (c.events.empty()) {
    return std::optional<json>{};
  }
  // A sample's or a source's sessions in full: the logins before the download, the clean-up after.
  if (subject.kind != TimelineSubject::Kind::kSensor) {
    // Session ids are UUIDv7, ordered by time: the newest ones when there are too many.
    std::vector<std::string> sessions(c.sessions.begin(), c.sessions.end());
    if (sessions.size() > options.max_sessions) {
      sessions.erase(sessions.begin(),
                     sessions.end() - static_cast<std::ptrdiff_t>(options.max_sessions));
      c.truncated = true;
    }
    for (const std::string& id : sessions) {
      store::EventQuery q;
      q.session_id = id;
      q.limit = options.max_events;
      if (Status s = collect(events, q, c, options.max_events); !s) {
        return s.failure();
      }
    }
  }
  // Files dropped on real devices, and their deletion, which carries no hash any more.
  Dropped dropped;
  std::vector<std::pair<const Event*, json>> parsed;
  for (const auto& [id, e] : c.events) {
    parsed.emplace_back(&e, json::parse(e.body, nullptr, false));
    if (e.action == "device.file_created" || e.action == "device.file_modified" ||
        e.action == "file.upload") {
      std::string path = text_at(parsed.back().second, "/file/path");
      if (path.empty()) {
        path = text_at(parsed.back().second, "/file/name");
      }
      if (!path.empty()) {
        auto [it, added] = dropped[e.sensor].emplace(path, e.ts_us);
        it->second = std::min(it->second, e.ts_us);
      }
    }
  }
  if (Status s = add_deletions(events, dropped, options.max_events, c, parsed); !s) {
    return s.failure();
  }
  std::set<std::string> erasures;  // event ids
  for (const auto& [e, body] : parsed) {
    if (e->action == "device.file_deleted" && erases(dropped, *e, body)) {
      erasures.insert(e->id);
    }
  }

  struct Entry {
    std::int64_t ts_us;
    int order;  // sandbox entries follow the sighting they came from
    json value;
  };
  std::vector<Entry> entries;
  std::map<std::string, std::int64_t> first_sighting;
  for (const auto& [e, body] : parsed) {
    auto [kind, title] = describe(*e, body, erasures);
    entries.push_back({e->ts_us,
                       0,
                       {{"ts", format_timestamp_us(e->ts_us)},
                        {"kind", kind},
                        {"title", title},
                        {"action", e->action},
                        {"sensor", e->sensor},
                        {"session_id", e->session_id},
                        {"sha256", e->sha256},
                        {"event", body.is_discarded() ? json(e->body) : body}}});
    if (!e->sha256.empty()) {
      auto [it, added] = first_sighting.emplace(e->sha256, e->ts_us);
      it->second = std::min(it->second, e->ts_us);
    }
  }
  json samples = json::array();
  for (const auto& [sha256, ts] : first_sighting) {
    auto verdict = catalog.verdict(sha256);
    if (!verdict) {
      return verdict.failure();
    }
    json v = *verdict ? json::parse(**verdict, nullptr, false) : json();
    samples.push_back(
        {{"sha256", sha256},
         {"family", v.is_object() && v.contains("family") ? v["family"].value("name", "") : ""}});
    if (!v.is_object() || !v.contains("sandbox")) {
      continue;
    }
    // The sandbox ran after the sample arrived; its behaviours are listed right after that.
    int order = 1;
    for (const json& b : v["sandbox"].value("behaviours", json::array())) {
      std::string tag = b.value("tag", "");
      entries.push_back(
          {ts,
           order++,
           {{"ts", format_timestamp_us(ts)},
            {"kind",
             tag == "trace_erasure" || tag == "self_deletion" ? "trace_erasure" : "sandbox"},
            {"title", fmt::format("sandbox: {}", b.value("summary", tag))},
            {"action", "sandbox." + tag},
            {"attack", b.value("attack", "")},
            {"session_id", ""},
            {"sha256", sha256},
            {"event", b}}});
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.ts_us != b.ts_us ? a.ts_us < b.ts_us : a.order < b.order;
  });
  json out = {{"subject", subject_json},
              {"entries", json::array()},
              {"sessions", c.sessions},
              {"samples", samples},
              {"truncated", c.truncated}};
  for (Entry& e : entries) {
    out["entries"].push_back(std::move(e.value));
  }
  return std::optional<json>{std::move(out)};
}

}  // namespace mitsu::intel

#include "intel/lookups.h"

#include "core/clock.h"

namespace mitsu::intel {
namespace {

using nlohmann::json;

json timestamp(std::int64_t us) {
  return format_timestamp_us(us);
}

json optional_timestamp(const std::optional<std::int64_t>& us) {
  return us ? timestamp(*us) : json(nullptr);
}

// The events a query selects (at most its limit) under `key`, and how many match under
// `total_key`.
Status add_events(store::EventStore& events, const store::EventQuery& query, json& out,
                  const char* key, const char* total_key) {
  auto stored = events.query(query);
  auto total = events.count(query);
  if (!stored || !total) {
    return !stored ? stored.failure() : total.failure();
  }
  out[key] = json::array();
  for (const Event& e : *stored) {
    out[key].push_back(event_json(e));
  }
  out[total_key] = *total;
  return {};
}

}  // namespace

json event_json(const Event& event) {
  json body = json::parse(event.body, nullptr, false);
  return body.is_discarded() ? json(event.body) : body;
}

Result<std::optional<json>> sample_view(store::Catalog& catalog, store::EventStore& events,
                                        std::string_view sha256, std::size_t limit) {
  auto sample = catalog.sample(sha256);
  if (!sample) {
    return sample.failure();
  }
  if (!*sample) {
    return std::optional<json>{};
  }
  const store::SampleRecord& s = **sample;
  json out = {{"sha256", s.sha256},
              {"size", s.size >= 0 ? json(s.size) : json(nullptr)},
              {"first_seen", timestamp(s.first_seen_us)},
              {"last_seen", timestamp(s.last_seen_us)},
              {"sightings", s.sightings}};

  auto verdict = catalog.verdict(sha256);
  if (!verdict) {
    return verdict.failure();
  }
  out["verdict"] = nullptr;
  if (*verdict) {
    json parsed = json::parse(**verdict, nullptr, false);
    out["verdict"] = parsed.is_discarded() ? json(**verdict) : parsed;
  }

  auto known = catalog.first_sight(sha256);
  if (!known) {
    return known.failure();
  }
  out["known_at_first_sight"] = nullptr;
  if (*known) {
    out["known_at_first_sight"] = {{"known", (*known)->known},
                                   {"source", (*known)->source},
                                   {"checked", timestamp((*known)->checked_us)},
                                   {"checked_against", (*known)->checked_against}};
  }

  auto jobs = catalog.jobs(sha256);
  if (!jobs) {
    return jobs.failure();
  }
  out["jobs"] = json::array();
  for (const store::JobRecord& j : *jobs) {
    out["jobs"].push_back({{"id", j.id},
                           {"kind", j.kind},
                           {"state", j.state},
                           {"attempts", j.attempts},
                           {"error", j.error}});
  }

  store::EventQuery query;
  query.sha256 = std::string(sha256);
  query.oldest_first = true;
  query.limit = limit;
  if (Status s = add_events(events, query, out, "seen_in", "seen_in_total"); !s) {
    return s.failure();
  }
  return std::optional<json>{std::move(out)};
}

Result<json> samples_view(store::Catalog& catalog, std::size_t limit) {
  auto samples = catalog.recent_samples(limit);
  if (!samples) {
    return samples.failure();
  }
  json out = json::array();
  for (const store::SampleRecord& s : *samples) {
    auto verdict = catalog.verdict(s.sha256);
    if (!verdict) {
      return verdict.failure();
    }
    json v = *verdict ? json::parse(**verdict, nullptr, false) : json();
    bool analysed = v.is_object();
    auto pick = [&](const json::json_pointer& at) {
      return analysed && v.contains(at) ? v[at] : json();
    };
    json known = pick(json::json_pointer("/known/known"));
    out.push_back(
        {{"sha256", s.sha256},
         {"size", s.size >= 0 ? json(s.size) : json(nullptr)},
         {"first_seen", timestamp(s.first_seen_us)},
         {"last_seen", timestamp(s.last_seen_us)},
         {"sightings", s.sightings},
         {"analysed", analysed},
         {"family", pick(json::json_pointer("/family/name"))},
         {"arch", pick(json::json_pointer("/elf/arch"))},
         {"file_type", pick(json::json_pointer("/file_type/category"))},
         {"known", known},
         {"never_seen", known.is_boolean() ? json(!known.get<bool>()) : json()},
         {"targets_our_products", pick(json::json_pointer("/watchlist/targets_our_products"))},
         {"sandboxed", analysed && v.contains("sandbox")}});
  }
  return json{{"samples", std::move(out)}};
}

json session_json(const store::SessionRecord& r) {
  return {{"id", r.id},
          {"sensor", r.sensor},
          {"site", r.site},
          {"protocol", r.protocol},
          {"src_ip", r.src_ip},
          {"src_port", r.src_port},
          {"dst_port", r.dst_port},
          {"persona", {{"device_type", r.device_type}, {"vendor", r.vendor}, {"model", r.model}}},
          {"started", timestamp(r.started_us)},
          {"last_seen", timestamp(r.last_seen_us)},
          {"ended", optional_timestamp(r.ended_us)},
          {"counts",
           {{"events", r.events},
            {"login_attempts", r.login_attempts},
            {"logins_succeeded", r.logins_succeeded},
            {"commands", r.commands},
            {"exploits", r.exploits},
            {"downloads", r.downloads},
            {"uploads", r.uploads}}}};
}

Result<json> sessions_view(store::Catalog& catalog, std::size_t limit) {
  auto sessions = catalog.recent_sessions(limit);
  if (!sessions) {
    return sessions.failure();
  }
  json out = json::array();
  for (const store::SessionRecord& r : *sessions) {
    out.push_back(session_json(r));
  }
  return json{{"sessions", std::move(out)}};
}

Result<std::optional<json>> session_view(store::Catalog& catalog, store::EventStore& events,
                                         std::string_view id, std::size_t limit) {
  auto session = catalog.session(id);
  if (!session) {
    return session.failure();
  }
  if (!*session) {
    return std::optional<json>{};
  }
  json out = session_json(**session);
  store::EventQuery query;
  query.session_id = std::string(id);
  query.oldest_first = true;
  query.limit = limit;
  if (Status s = add_events(events, query, out, "events", "events_total"); !s) {
    return s.failure();
  }
  return std::optional<json>{std::move(out)};
}

Result<json> sensors_view(store::Catalog& catalog) {
  auto sensors = catalog.sensors();
  if (!sensors) {
    return sensors.failure();
  }
  json out = json::array();
  for (const store::SensorRecord& s : *sensors) {
    out.push_back({{"id", s.id},
                   {"site", s.site},
                   {"first_event", timestamp(s.first_seen_us)},
                   {"last_event", timestamp(s.last_seen_us)},
                   {"events", s.events}});
  }
  return out;
}

Result<json> quarantine_view(store::EventStore& events, std::size_t limit) {
  auto records = events.quarantined(limit);
  auto total = events.quarantined_count();
  if (!records || !total) {
    return !records ? records.failure() : total.failure();
  }
  json out = {{"total", *total}, {"records", json::array()}};
  for (const store::QuarantinedRecord& r : *records) {
    // The raw bytes are the attacker's or a broken sensor's: kept as given, even when they are
    // not UTF-8 (dump_json replaces invalid sequences when printing).
    out["records"].push_back({{"received", timestamp(r.received_us)},
                              {"code", r.code},
                              {"reason", r.reason},
                              {"bytes", r.raw.size()},
                              {"raw", r.raw}});
  }
  return out;
}

Result<json> known_sources_view(store::Catalog& catalog) {
  auto sources = catalog.known_sources();
  if (!sources) {
    return sources.failure();
  }
  json out = {{"hashes", 0}, {"sources", json::array()}};
  std::int64_t hashes = 0;
  for (const store::KnownSource& s : *sources) {
    hashes += s.hashes;
    out["sources"].push_back({{"source", s.source},
                              {"hashes", s.hashes},
                              {"with_family", s.with_signature},
                              {"imported", timestamp(s.imported_us)}});
  }
  out["hashes"] = hashes;
  return out;
}

}  // namespace mitsu::intel

#include "store/sqlite/sqlite_rollups.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/event_parser.h"

namespace mitsu::store {

namespace {
constexpr std::array<std::string_view, 10> kSessionDims{
    "day",         "country", "asn",   "protocol",    "port",
    "device_type", "site",    "class", "interactive", "targeted"};
constexpr std::array<std::string_view, 7> kExploitDims{"day",     "rule", "protocol", "port",
                                                       "country", "asn",  "targeted"};
constexpr std::array<std::string_view, 6> kSampleDims{"day",   "family", "arch",
                                                      "known", "target", "targeted"};
constexpr std::array<std::string_view, 2> kDomainDims{"domain", "source"};
}  // namespace

std::string_view to_string(Measure m) {
  switch (m) {
    case Measure::kSessions:
      return "sessions";
    case Measure::kEvents:
      return "events";
    case Measure::kExploits:
      return "exploits";
    case Measure::kSamples:
      return "samples";
    case Measure::kDomains:
      return "domains";
  }
  return "sessions";
}

std::optional<Measure> parse_measure(std::string_view name) {
  for (Measure m : {Measure::kSessions, Measure::kEvents, Measure::kExploits, Measure::kSamples,
                    Measure::kDomains}) {
    if (to_string(m) == name) {
      return m;
    }
  }
  return std::nullopt;
}

std::span<const std::string_view> dimensions_of(Measure m) {
  switch (m) {
    case Measure::kSessions:
    case Measure::kEvents:
      return kSessionDims;
    case Measure::kExploits:
      return kExploitDims;
    case Measure::kSamples:
      return kSampleDims;
    case Measure::kDomains:
      return kDomainDims;
  }
  return kSessionDims;
}

std::string format_day(std::int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::optional<std::int64_t> parse_day(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t n, auto& out) {
    auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + n, out);
    return ec == std::errc() && p == text.data() + at + n;
  };
  if (!number(0, 4, y) || !number(5, 2, m) || !number(8, 2, d)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

namespace sqlite {
namespace {

// Which dimensions are stored as integers (the rest are text; unknown text is '').
bool integer_dimension(std::string_view dim) {
  return dim == "day" || dim == "month" || dim == "asn" || dim == "port" || dim == "interactive" ||
         dim == "targeted" || dim == "known";
}

// Months count from 1970-01 (0), like days from 1970-01-01.
std::int64_t month_of(std::int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return (static_cast<int>(ymd.year()) - 1970) * 12 + static_cast<unsigned>(ymd.month()) - 1;
}

std::int64_t month_start(std::int64_t month) {
  std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(1970 + month / 12)},
                                  std::chrono::month{static_cast<unsigned>(month % 12 + 1)},
                                  std::chrono::day{1}};
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

enum class Family { kSession, kExploit, kSample, kDomain };

struct Cube {
  std::string_view table;
  Family family;
  std::vector<std::string_view> dims;
  // A secondary index for queries that filter on leading dimensions (one country's series).
  std::vector<std::string_view> index = {};
};

// Smallest first within a family: the planner takes the first cube that has every dimension a
// query needs. The first cube of a family is its full key.
const std::vector<Cube>& cubes() {
  static const std::vector<Cube> all{
      // Narrow cubes answer the dashboard's one-dimension queries from few rows.
      {"rollup_session_day", Family::kSession, {"day", "class", "interactive", "targeted"}},
      {"rollup_session_protocol", Family::kSession, {"day", "protocol", "class", "targeted"}},
      {"rollup_session_port", Family::kSession, {"day", "port", "protocol"}},
      {"rollup_session_device", Family::kSession, {"day", "device_type", "site", "class"}},
      {"rollup_session_country1", Family::kSession, {"day", "country"}},
      {"rollup_session_asn1", Family::kSession, {"day", "asn"}},
      {"rollup_session_country",
       Family::kSession,
       {"day", "country", "protocol", "class", "targeted"},
       {"country", "protocol", "day"}},
      {"rollup_session_asn",
       Family::kSession,
       {"day", "asn", "protocol", "class", "targeted"},
       {"asn", "protocol", "day"}},
      {"rollup_session_proto",
       Family::kSession,
       {"day", "protocol", "port", "device_type", "site", "class", "interactive", "targeted"}},
      {"rollup_session_full", Family::kSession, {kSessionDims.begin(), kSessionDims.end()}},
      // Monthly cubes: top-N over long ranges read months, not days.
      {"rollup_session_country_month", Family::kSession, {"month", "country"}},
      {"rollup_session_asn_month", Family::kSession, {"month", "asn"}},
      {"rollup_session_port_month", Family::kSession, {"month", "port", "protocol"}},
      {"rollup_session_device_month", Family::kSession, {"month", "device_type", "site", "class"}},
      {"rollup_session_geo_month",
       Family::kSession,
       {"month", "country", "asn", "protocol", "class", "targeted"}},
      {"rollup_exploit_rule", Family::kExploit, {"day", "rule", "protocol", "port", "targeted"}},
      {"rollup_exploit_full", Family::kExploit, {kExploitDims.begin(), kExploitDims.end()}},
      {"rollup_exploit_month", Family::kExploit, {"month", "rule", "protocol", "port", "targeted"}},
      {"rollup_sample", Family::kSample, {kSampleDims.begin(), kSampleDims.end()}},
      {"rollup_domain", Family::kDomain, {kDomainDims.begin(), kDomainDims.end()}},
  };
  return all;
}

std::vector<std::string_view> measure_columns(Family family) {
  switch (family) {
    case Family::kSession:
      return {"sessions", "events"};
    case Family::kExploit:
      return {"events"};
    case Family::kSample:
    case Family::kDomain:
      return {"samples"};
  }
  return {};
}

Family family_of(Measure m) {
  switch (m) {
    case Measure::kSessions:
    case Measure::kEvents:
      return Family::kSession;
    case Measure::kExploits:
      return Family::kExploit;
    case Measure::kSamples:
      return Family::kSample;
    case Measure::kDomains:
      return Family::kDomain;
  }
  return Family::kSession;
}

std::string migration_sql() {
  std::string sql = R"sql(
-- Each session's fold (intel/session_fold.h): what its events so far add up to.
CREATE TABLE intel_sessions (
  id               TEXT PRIMARY KEY,
  first_us         INTEGER NOT NULL,
  first_event      TEXT NOT NULL,
  day              INTEGER NOT NULL,
  country          TEXT NOT NULL,
  asn              INTEGER NOT NULL,
  protocol         TEXT NOT NULL,
  port             INTEGER NOT NULL,
  device_type      TEXT NOT NULL,
  site             TEXT NOT NULL,
  events           INTEGER NOT NULL,
  flags            INTEGER NOT NULL,  -- 1 payload, 2 exploit, 4 login tried, 8 targeted
  first_success_us INTEGER NOT NULL,
  last_command_us  INTEGER NOT NULL,
  command_times    BLOB               -- int64 little-endian, sorted
) WITHOUT ROWID;
-- Each sample as the rollups count it now.
CREATE TABLE intel_samples (
  sha256   TEXT PRIMARY KEY,
  day      INTEGER NOT NULL,
  family   TEXT NOT NULL,
  arch     TEXT NOT NULL,
  known    INTEGER NOT NULL,  -- 1 known at first sight, 0 never seen, -1 not analysed yet
  target   TEXT NOT NULL,
  targeted INTEGER NOT NULL,
  domains  TEXT NOT NULL      -- "source\tdomain" lines
) WITHOUT ROWID;
)sql";
  for (const Cube& cube : cubes()) {
    std::vector<std::string> columns;
    for (std::string_view dim : cube.dims) {
      columns.push_back(fmt::format("{} {} NOT NULL", dim == "class" ? "class" : dim,
                                    integer_dimension(dim) ? "INTEGER" : "TEXT"));
    }
    for (std::string_view m : measure_columns(cube.family)) {
      columns.push_back(fmt::format("{} INTEGER NOT NULL", m));
    }
    sql += fmt::format("CREATE TABLE {} ({}, PRIMARY KEY ({})) WITHOUT ROWID;\n", cube.table,
                       fmt::join(columns, ", "), fmt::join(cube.dims, ", "));
    if (!cube.index.empty()) {
      sql += fmt::format("CREATE INDEX {0}_by_{1} ON {0} ({2});\n", cube.table, cube.index.front(),
                         fmt::join(cube.index, ", "));
    }
  }
  return sql;
}

std::string column_name(std::string_view dim) {
  return fmt::format("\"{}\"", dim);
}

std::string blob_of(const std::vector<std::int64_t>& times) {
  std::string out(times.size() * 8, '\0');
  for (std::size_t i = 0; i < times.size(); ++i) {
    auto v = static_cast<std::uint64_t>(times[i]);
    for (int b = 0; b < 8; ++b) {
      out[i * 8 + b] = static_cast<char>((v >> (8 * b)) & 0xff);
    }
  }
  return out;
}

std::vector<std::int64_t> times_of(std::string_view blob) {
  std::vector<std::int64_t> out(blob.size() / 8);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint64_t v = 0;
    for (int b = 7; b >= 0; --b) {
      v = (v << 8) | static_cast<unsigned char>(blob[i * 8 + b]);
    }
    out[i] = static_cast<std::int64_t>(v);
  }
  return out;
}

struct SampleState {
  std::int64_t day = 0;
  std::string family, arch;
  std::int64_t known = -1;
  std::string target;
  std::int64_t targeted = 0;
  std::vector<std::pair<std::string, std::string>> domains;  // source, domain

  bool operator==(const SampleState&) const = default;
};

}  // namespace

struct SqliteRollups::Impl {
  SqliteDatabase& db;
  intel::TargetProfile profile;
  EventParser parser;

  Statement load_session, save_session, load_sample, save_sample, sample_first_seen, sample_verdict;
  std::vector<Statement> upsert, erase;  // per cube

  // Pending changes per cube: key text -> (dimension values, measure deltas).
  struct Delta {
    std::vector<std::string> values;
    std::array<std::int64_t, 2> amounts{};
  };
  std::vector<std::unordered_map<std::string, Delta>> pending;

  explicit Impl(SqliteDatabase& d, intel::TargetProfile p) : db(d), profile(std::move(p)) {}

  void add(Family family, std::map<std::string_view, std::string> values,
           std::array<std::int64_t, 2> amounts) {
    if (auto day = values.find("day"); day != values.end()) {
      values["month"] = std::to_string(month_of(std::stoll(day->second)));
    }
    for (std::size_t c = 0; c < cubes().size(); ++c) {
      const Cube& cube = cubes()[c];
      if (cube.family != family) {
        continue;
      }
      std::string key;
      std::vector<std::string> projected;
      projected.reserve(cube.dims.size());
      for (std::string_view dim : cube.dims) {
        const std::string& v = values.at(dim);
        key += v;
        key += '\x1f';
        projected.push_back(v);
      }
      auto [it, inserted] = pending[c].try_emplace(std::move(key));
      if (inserted) {
        it->second.values = std::move(projected);
      }
      it->second.amounts[0] += amounts[0];
      it->second.amounts[1] += amounts[1];
    }
  }

  void add_session(const intel::SessionFold& fold, int sign) {
    intel::Classification c = fold.classification();
    const intel::SessionDims& d = fold.dims;
    std::map<std::string_view, std::string> values{
        {"day", std::to_string(d.day)},
        {"country", d.country},
        {"asn", std::to_string(d.asn)},
        {"protocol", d.protocol},
        {"port", std::to_string(d.dst_port)},
        {"device_type", d.device_type},
        {"site", d.site},
        {"class", std::string(intel::to_string(c.session_class))},
        {"interactive", c.interactive ? "1" : "0"},
        {"targeted", fold.targeted ? "1" : "0"}};
    add(Family::kSession, values, {sign, sign * fold.events});
  }

  void add_sample(const SampleState& s, int sign) {
    std::map<std::string_view, std::string> values{{"day", std::to_string(s.day)},
                                                   {"family", s.family},
                                                   {"arch", s.arch},
                                                   {"known", std::to_string(s.known)},
                                                   {"target", s.target},
                                                   {"targeted", std::to_string(s.targeted)}};
    add(Family::kSample, values, {sign, 0});
    for (const auto& [source, domain] : s.domains) {
      add(Family::kDomain, {{"domain", domain}, {"source", source}}, {sign, 0});
    }
  }

  static Statement& bind_values(Statement& q, const Cube& cube,
                                const std::vector<std::string>& values, int first) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      int index = first + static_cast<int>(i);
      if (integer_dimension(cube.dims[i])) {
        std::int64_t v = 0;
        std::from_chars(values[i].data(), values[i].data() + values[i].size(), v);
        q.bind(index, v);
      } else {
        q.bind(index, values[i]);
      }
    }
    return q;
  }

  Status flush() {
    for (std::size_t c = 0; c < cubes().size(); ++c) {
      const Cube& cube = cubes()[c];
      std::size_t measures = measure_columns(cube.family).size();
      for (auto& [key, delta] : pending[c]) {
        if (delta.amounts[0] == 0 && delta.amounts[1] == 0) {
          continue;
        }
        Statement& q = upsert[c];
        bind_values(q, cube, delta.values, 1);
        for (std::size_t m = 0; m < measures; ++m) {
          q.bind(static_cast<int>(cube.dims.size() + m + 1), delta.amounts[m]);
        }
        auto row = q.step();
        if (!row) {
          q.reset();
          return Error{row.error()};
        }
        bool empty = true;
        for (std::size_t m = 0; m < measures; ++m) {
          empty &= q.column_int(static_cast<int>(m)) == 0;
        }
        q.reset();
        if (empty) {
          if (Status s = bind_values(erase[c], cube, delta.values, 1).run(); !s) {
            return s;
          }
        }
      }
      pending[c].clear();
    }
    return {};
  }

  Result<std::optional<intel::SessionFold>> stored_session(std::string_view id) {
    load_session.bind(1, id);
    std::optional<intel::SessionFold> out;
    Status status = load_session.each_row([&](const Statement& r) {
      intel::SessionFold f;
      f.first_us = r.column_int(0);
      f.first_event = r.column_text(1);
      f.dims = {r.column_int(2),
                std::string(r.column_text(3)),
                static_cast<std::uint32_t>(r.column_int(4)),
                std::string(r.column_text(5)),
                static_cast<int>(r.column_int(6)),
                std::string(r.column_text(7)),
                std::string(r.column_text(8))};
      f.events = r.column_int(9);
      std::int64_t flags = r.column_int(10);
      f.payload = flags & 1;
      f.exploit = flags & 2;
      f.login_tried = flags & 4;
      f.targeted = flags & 8;
      f.first_success_us = r.column_int(11);
      f.last_command_us = r.column_int(12);
      f.command_times = times_of(r.column_text(13));
      out = std::move(f);
    });
    if (!status) {
      return Error{status.error()};
    }
    return out;
  }

  Status store_session(std::string_view id, const intel::SessionFold& f) {
    std::string blob = blob_of(f.command_times);
    Statement& q = save_session;
    q.bind(1, id).bind(2, f.first_us).bind(3, f.first_event).bind(4, f.dims.day);
    q.bind(5, f.dims.country).bind(6, std::int64_t{f.dims.asn}).bind(7, f.dims.protocol);
    q.bind(8, std::int64_t{f.dims.dst_port}).bind(9, f.dims.device_type).bind(10, f.dims.site);
    q.bind(11, f.events);
    q.bind(12, std::int64_t{(f.payload ? 1 : 0) | (f.exploit ? 2 : 0) | (f.login_tried ? 4 : 0) |
                            (f.targeted ? 8 : 0)});
    q.bind(13, f.first_success_us).bind(14, f.last_command_us);
    if (!blob.empty()) {
      q.bind(15, std::string_view(blob));
    }
    return q.run();
  }

  // What the catalog says about a sample now: first sighting and newest verdict.
  Result<std::optional<SampleState>> sample_now(std::string_view sha256) {
    std::optional<SampleState> state;
    sample_first_seen.bind(1, sha256);
    Status status = sample_first_seen.each_row([&](const Statement& r) {
      state.emplace();
      state->day = intel::utc_day(r.column_int(0));
    });
    if (!status) {
      return Error{status.error()};
    }
    if (!state) {
      return state;
    }
    std::string verdict_text;
    sample_verdict.bind(1, sha256);
    status = sample_verdict.each_row([&](const Statement& r) { verdict_text = r.column_text(0); });
    if (!status) {
      return Error{status.error()};
    }
    if (verdict_text.empty()) {
      return state;
    }
    nlohmann::json v = nlohmann::json::parse(verdict_text, nullptr, false);
    if (v.is_discarded()) {
      return state;
    }
    auto text_at = [&](const char* pointer) {
      const nlohmann::json& x = v.value(nlohmann::json::json_pointer(pointer), nlohmann::json());
      return x.is_string() ? x.get<std::string>() : std::string();
    };
    state->family = text_at("/family/name");
    state->arch = text_at("/elf/arch");
    state->target = text_at("/target/class");
    const nlohmann::json& known =
        v.value(nlohmann::json::json_pointer("/known/known"), nlohmann::json());
    state->known = known.is_boolean() ? (known.get<bool>() ? 1 : 0) : -1;
    const nlohmann::json& targeted =
        v.value(nlohmann::json::json_pointer("/watchlist/targets_our_products"), nlohmann::json());
    state->targeted = targeted.is_boolean() && targeted.get<bool>() ? 1 : 0;
    std::set<std::pair<std::string, std::string>> domains;
    // Static IOCs and (once it runs) the sandbox: domains, and C2 endpoints as address:port.
    const std::pair<const char*, const char*> sources[] = {
        {"static", "/iocs/domains"},
        {"static-endpoint", "/iocs/endpoints"},
        {"sandbox", "/sandbox/domains"},
        {"sandbox-endpoint", "/sandbox/endpoints"}};
    for (const auto& [source, pointer] : sources) {
      const nlohmann::json& list =
          v.value(nlohmann::json::json_pointer(pointer), nlohmann::json::array());
      if (!list.is_array()) {
        continue;
      }
      for (const nlohmann::json& d : list) {
        if (d.is_string()) {
          domains.emplace(source, d.get<std::string>());
        } else if (d.is_object() && d.contains("name") && d["name"].is_string()) {
          domains.emplace(source, d["name"].get<std::string>());
        }
      }
    }
    state->domains.assign(domains.begin(), domains.end());
    return state;
  }

  Result<std::optional<SampleState>> sample_counted(std::string_view sha256) {
    std::optional<SampleState> state;
    load_sample.bind(1, sha256);
    Status status = load_sample.each_row([&](const Statement& r) {
      SampleState s;
      s.day = r.column_int(0);
      s.family = r.column_text(1);
      s.arch = r.column_text(2);
      s.known = r.column_int(3);
      s.target = r.column_text(4);
      s.targeted = r.column_int(5);
      std::string_view lines = r.column_text(6);
      while (!lines.empty()) {
        std::size_t end = lines.find('\n');
        std::string_view line = lines.substr(0, end);
        std::size_t tab = line.find('\t');
        if (tab != std::string_view::npos) {
          s.domains.emplace_back(line.substr(0, tab), line.substr(tab + 1));
        }
        lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
      }
      state = std::move(s);
    });
    if (!status) {
      return Error{status.error()};
    }
    return state;
  }

  Status refresh_sample(std::string_view sha256) {
    auto now = sample_now(sha256);
    auto counted = sample_counted(sha256);
    if (!now || !counted) {
      return Error{now ? counted.error() : now.error()};
    }
    if (*now == *counted) {
      return {};
    }
    if (*counted) {
      add_sample(**counted, -1);
    }
    if (!*now) {
      return {};
    }
    add_sample(**now, +1);
    std::string domains;
    for (const auto& [source, domain] : (*now)->domains) {
      domains += fmt::format("{}\t{}\n", source, domain);
    }
    const SampleState& s = **now;
    save_sample.bind(1, sha256).bind(2, s.day).bind(3, s.family).bind(4, s.arch);
    save_sample.bind(5, s.known).bind(6, s.target).bind(7, s.targeted).bind(8, domains);
    return save_sample.run();
  }

  Status apply(std::span<const Event* const> events) {
    std::map<std::string_view, intel::SessionFold> batch;
    std::set<std::string_view> samples;
    for (const Event* e : events) {
      if (!e->session_id.empty()) {
        batch[e->session_id].add(*e, profile);
      }
      if (e->action == "exploit") {
        add(Family::kExploit,
            {{"day", std::to_string(intel::utc_day(e->ts_us))},
             {"rule", e->rule_id},
             {"protocol", e->protocol},
             {"port", std::to_string(e->dst_port)},
             {"country", e->country},
             {"asn", std::to_string(e->asn)},
             {"targeted", profile.matches(*e) ? "1" : "0"}},
            {1, 0});
      }
      if (!e->sha256.empty() && (e->action == "file.upload" ||
                                 (e->action == "file.download" && e->outcome == "success"))) {
        samples.insert(e->sha256);
      }
    }
    for (auto& [id, fold] : batch) {
      auto stored = stored_session(id);
      if (!stored) {
        return Error{stored.error()};
      }
      if (*stored) {
        add_session(**stored, -1);
        fold.merge(**stored);
      }
      add_session(fold, +1);
      if (Status s = store_session(id, fold); !s) {
        return s;
      }
    }
    for (std::string_view sha256 : samples) {
      if (Status s = refresh_sample(sha256); !s) {
        return s;
      }
    }
    return flush();
  }
};

SqliteRollups::SqliteRollups(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteRollups::~SqliteRollups() = default;

Result<std::unique_ptr<SqliteRollups>> SqliteRollups::open(SqliteDatabase& db,
                                                           intel::TargetProfile profile) {
  static const std::string sql = migration_sql();
  const std::array migrations{Migration{1, sql}};
  if (Status status = db.migrate("rollups", migrations); !status) {
    return Error{status.error()};
  }
  auto impl = std::make_unique<Impl>(db, std::move(profile));
  struct Prepared {
    Statement* target;
    std::string sql;
  };
  std::vector<Prepared> statements{
      {&impl->load_session,
       "SELECT first_us, first_event, day, country, asn, protocol, port, device_type, site,"
       " events, flags, first_success_us, last_command_us, command_times FROM intel_sessions"
       " WHERE id = ?1"},
      {&impl->save_session,
       "INSERT OR REPLACE INTO intel_sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
       " ?11, ?12, ?13, ?14, ?15)"},
      {&impl->load_sample,
       "SELECT day, family, arch, known, target, targeted, domains FROM intel_samples"
       " WHERE sha256 = ?1"},
      {&impl->save_sample,
       "INSERT OR REPLACE INTO intel_samples VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&impl->sample_first_seen, "SELECT first_seen_us FROM samples WHERE sha256 = ?1"},
      {&impl->sample_verdict,
       "SELECT body FROM verdicts WHERE sha256 = ?1 ORDER BY analyzer_version DESC LIMIT 1"},
  };
  impl->upsert.resize(cubes().size());
  impl->erase.resize(cubes().size());
  impl->pending.resize(cubes().size());
  for (std::size_t c = 0; c < cubes().size(); ++c) {
    const Cube& cube = cubes()[c];
    std::vector<std::string> dims, params, conditions, updates;
    auto measures = measure_columns(cube.family);
    for (std::size_t i = 0; i < cube.dims.size(); ++i) {
      dims.push_back(column_name(cube.dims[i]));
      params.push_back(fmt::format("?{}", i + 1));
      conditions.push_back(fmt::format("{} = ?{}", column_name(cube.dims[i]), i + 1));
    }
    for (std::size_t m = 0; m < measures.size(); ++m) {
      params.push_back(fmt::format("?{}", cube.dims.size() + m + 1));
      updates.push_back(fmt::format("{0} = {0} + excluded.{0}", measures[m]));
    }
    statements.push_back(
        {&impl->upsert[c],
         fmt::format("INSERT INTO {} ({}, {}) VALUES ({}) ON CONFLICT DO UPDATE SET {} "
                     "RETURNING {}",
                     cube.table, fmt::join(dims, ", "), fmt::join(measures, ", "),
                     fmt::join(params, ", "), fmt::join(updates, ", "),
                     fmt::join(measures, ", "))});
    statements.push_back({&impl->erase[c], fmt::format("DELETE FROM {} WHERE {}", cube.table,
                                                       fmt::join(conditions, " AND "))});
  }
  for (Prepared& p : statements) {
    auto statement = db.prepare(p.sql);
    if (!statement) {
      return Error{statement.error()};
    }
    *p.target = std::move(*statement);
  }
  return std::unique_ptr<SqliteRollups>(new SqliteRollups(std::move(impl)));
}

Status SqliteRollups::apply(std::span<const Event* const> fresh_events) {
  std::lock_guard lock(impl_->db.mutex());
  return impl_->apply(fresh_events);
}

Status SqliteRollups::sample_analysed(std::string_view sha256) {
  std::lock_guard lock(impl_->db.mutex());
  if (Status s = impl_->refresh_sample(sha256); !s) {
    return s;
  }
  return impl_->flush();
}

Result<RebuildStats> SqliteRollups::rebuild() {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.db.mutex());
  RebuildStats stats;
  Status done = impl.db.run([&]() -> Status {
    std::string wipe = "DELETE FROM intel_sessions; DELETE FROM intel_samples;";
    for (const Cube& cube : cubes()) {
      wipe += fmt::format("DELETE FROM {};", cube.table);
    }
    if (Status s = impl.db.exec(wipe); !s) {
      return s;
    }
    // Replays the stored events through the ingest path in arrival order: the fold merges in
    // any order, so this gives what ingest gave.
    auto select = impl.db.prepare(
        "SELECT seq, body, country, asn FROM events WHERE seq > ?1 ORDER BY seq LIMIT 50000");
    if (!select) {
      return Error{select.error()};
    }
    std::int64_t after = 0;
    while (true) {
      std::vector<Event> events;
      std::string parse_error;
      select->bind(1, after);
      Status status = select->each_row([&](const Statement& r) {
        after = r.column_int(0);
        Event e;
        Rejection why;
        if (!impl.parser.parse(r.column_text(1), e, why)) {
          parse_error = why.detail;
          return;
        }
        e.country = r.column_text(2);
        e.asn = static_cast<std::uint32_t>(r.column_int(3));
        events.push_back(std::move(e));
      });
      if (!status) {
        return status;
      }
      if (!parse_error.empty()) {
        return Error{fmt::format("rebuild: a stored event no longer parses: {}", parse_error)};
      }
      if (events.empty()) {
        break;
      }
      std::vector<const Event*> pointers;
      for (const Event& e : events) {
        pointers.push_back(&e);
      }
      stats.events += events.size();
      if (Status s = impl.apply(pointers); !s) {
        return s;
      }
    }
    auto sessions = impl.db.query_int("SELECT count(*) FROM intel_sessions");
    auto samples = impl.db.query_int("SELECT count(*) FROM intel_samples");
    stats.sessions = sessions ? static_cast<std::uint64_t>(*sessions) : 0;
    stats.samples = samples ? static_cast<std::uint64_t>(*samples) : 0;
    return {};
  });
  if (!done) {
    for (auto& p : impl.pending) {
      p.clear();
    }
    return Error{done.error()};
  }
  return stats;
}

namespace {

// One SQL query over one cube: rows summed by the group keys, over [from, to) of its time column
// (day or month).
struct CubeRead {
  const Cube* cube = nullptr;
  std::string_view time_column = "day";
  std::optional<std::int64_t> from, to;
};

}  // namespace

Result<std::vector<RollupRow>> SqliteRollups::query(const RollupQuery& query) {
  Family family = family_of(query.measure);
  auto allowed = dimensions_of(query.measure);
  std::set<std::string_view> needed;
  auto check = [&](std::string_view dim) -> Status {
    if (std::find(allowed.begin(), allowed.end(), dim) == allowed.end()) {
      return Error{fmt::format("'{}' is not a dimension of {} (it has: {})", dim,
                               to_string(query.measure), fmt::join(allowed, ", "))};
    }
    needed.insert(dim);
    return {};
  };
  for (const std::string& dim : query.group_by) {
    if (Status s = check(dim); !s) {
      return Error{s.error()};
    }
  }
  for (const RollupFilter& f : query.filters) {
    if (Status s = check(f.dimension); !s) {
      return Error{s.error()};
    }
  }
  bool ranged = (query.from_day || query.to_day) && family != Family::kDomain;
  bool by_day = needed.contains("day");
  auto smallest = [&](std::string_view time_column) -> const Cube* {
    for (const Cube& cube : cubes()) {
      if (cube.family != family) {
        continue;
      }
      bool has_time =
          ranged ? std::find(cube.dims.begin(), cube.dims.end(), time_column) != cube.dims.end()
                 : true;
      bool has_all = std::all_of(needed.begin(), needed.end(), [&](std::string_view d) {
        return std::find(cube.dims.begin(), cube.dims.end(), d) != cube.dims.end();
      });
      if (has_time && has_all) {
        return &cube;
      }
    }
    return nullptr;
  };
  const Cube* daily = smallest("day");
  if (daily == nullptr) {
    return Error{"no rollup has those dimensions together"};
  }
  // Long ranges not grouped by day read whole months from monthly cubes and only the ragged
  // ends from daily ones.
  std::vector<CubeRead> reads;
  const Cube* monthly = !by_day && ranged ? smallest("month") : nullptr;
  if (monthly != nullptr && query.from_day && query.to_day) {
    std::int64_t first_month = month_of(*query.from_day);
    if (month_start(first_month) < *query.from_day) {
      ++first_month;
    }
    std::int64_t end_month = month_of(*query.to_day);  // months before it are whole
    if (first_month < end_month) {
      reads.push_back({daily, "day", query.from_day, month_start(first_month)});
      reads.push_back({monthly, "month", first_month, end_month});
      reads.push_back({daily, "day", month_start(end_month), query.to_day});
    }
  }
  if (reads.empty()) {
    reads.push_back({daily, "day", query.from_day, query.to_day});
  }

  std::string_view column = query.measure == Measure::kSessions ? "sessions"
                            : query.measure == Measure::kEvents ? "events"
                            : family == Family::kExploit        ? "events"
                                                                : "samples";
  std::vector<std::string> groups;
  for (const std::string& dim : query.group_by) {
    groups.push_back(column_name(dim));
  }
  std::vector<std::variant<std::int64_t, std::string>> filter_params;
  std::vector<std::string> filter_conditions;
  for (const RollupFilter& f : query.filters) {
    if (f.dimension == "day") {
      auto day = parse_day(f.value);
      if (!day) {
        return Error{fmt::format("day '{}' is not YYYY-MM-DD", f.value)};
      }
      filter_params.emplace_back(*day);
    } else if (integer_dimension(f.dimension)) {
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), v);
      if (ec != std::errc() || p != f.value.data() + f.value.size()) {
        return Error{fmt::format("{} must be a number, not '{}'", f.dimension, f.value)};
      }
      filter_params.emplace_back(v);
    } else {
      filter_params.emplace_back(f.value);
    }
    filter_conditions.push_back(
        fmt::format("{} = ?{}", column_name(f.dimension), filter_params.size()));
  }

  bool merge = reads.size() > 1;
  std::map<std::vector<std::string>, std::int64_t> merged;
  std::vector<RollupRow> rows;
  std::lock_guard lock(impl_->db.mutex());
  for (const CubeRead& read : reads) {
    if (read.from && read.to && *read.from >= *read.to) {
      continue;
    }
    auto params = filter_params;
    auto conditions = filter_conditions;
    if (ranged && read.from) {
      params.emplace_back(*read.from);
      conditions.push_back(fmt::format("{} >= ?{}", read.time_column, params.size()));
    }
    if (ranged && read.to) {
      params.emplace_back(*read.to);
      conditions.push_back(fmt::format("{} < ?{}", read.time_column, params.size()));
    }
    std::string sql = fmt::format("SELECT {}{}sum({}) FROM {}", fmt::join(groups, ", "),
                                  groups.empty() ? "" : ", ", column, read.cube->table);
    if (!conditions.empty()) {
      sql += fmt::format(" WHERE {}", fmt::join(conditions, " AND "));
    }
    if (!groups.empty()) {
      sql += fmt::format(" GROUP BY {}", fmt::join(groups, ", "));
    }
    if (!merge && query.limit > 0) {
      sql += fmt::format(" ORDER BY {} DESC{}{} LIMIT {}", groups.size() + 1,
                         groups.empty() ? "" : ", ", fmt::join(groups, ", "), query.limit);
    } else if (!merge && !groups.empty()) {
      sql += fmt::format(" ORDER BY {}", fmt::join(groups, ", "));
    }
    auto statement = impl_->db.prepare(sql);
    if (!statement) {
      return Error{statement.error()};
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::visit([&](const auto& v) { statement->bind(static_cast<int>(i + 1), v); }, params[i]);
    }
    Status status = statement->each_row([&](const Statement& r) {
      if (r.column_is_null(static_cast<int>(groups.size()))) {
        return;  // sum over no rows
      }
      RollupRow row;
      for (std::size_t i = 0; i < query.group_by.size(); ++i) {
        const std::string& dim = query.group_by[i];
        row.keys.push_back(dim == "day" ? format_day(r.column_int(static_cast<int>(i)))
                                        : std::string(r.column_text(static_cast<int>(i))));
      }
      row.value = r.column_int(static_cast<int>(groups.size()));
      if (merge) {
        merged[row.keys] += row.value;
      } else {
        rows.push_back(std::move(row));
      }
    });
    if (!status) {
      return Error{status.error()};
    }
  }
  if (merge) {
    for (auto& [keys, value] : merged) {
      rows.push_back({keys, value});  // in key order, as SQL would give them
    }
    if (query.limit > 0) {
      std::stable_sort(rows.begin(), rows.end(),
                       [](const RollupRow& a, const RollupRow& b) { return a.value > b.value; });
      rows.resize(std::min(rows.size(), query.limit));
    }
  }
  return rows;
}

Result<std::vector<std::string>> SqliteRollups::dump() {
  std::lock_guard lock(impl_->db.mutex());
  std::vector<std::string> out;
  for (const Cube& cube : cubes()) {
    std::vector<std::string> dims;
    for (std::string_view d : cube.dims) {
      dims.push_back(column_name(d));
    }
    auto measures = measure_columns(cube.family);
    auto statement = impl_->db.prepare(fmt::format("SELECT {}, {} FROM {} ORDER BY {}",
                                                   fmt::join(dims, ", "), fmt::join(measures, ", "),
                                                   cube.table, fmt::join(dims, ", ")));
    if (!statement) {
      return Error{statement.error()};
    }
    std::size_t columns = dims.size() + measures.size();
    Status status = statement->each_row([&](const Statement& r) {
      std::string line(cube.table);
      for (std::size_t i = 0; i < columns; ++i) {
        line += '|';
        line += r.column_text(static_cast<int>(i));
      }
      out.push_back(std::move(line));
    });
    if (!status) {
      return Error{status.error()};
    }
  }
  return out;
}

}  // namespace sqlite
}  // namespace mitsu::store

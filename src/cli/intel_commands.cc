// `mitsu stats`, `mitsu report`, `mitsu simulate` and `mitsu rollups rebuild` (docs/intel.md).

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/platform.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "core/safe_text.h"
#include "intel/incidents.h"
#include "intel/peaks.h"
#include "intel/report/report.h"
#include "intel/simulate/traffic_generator.h"
#include "intel/stats.h"

namespace mitsu::cli {
namespace {

// --from / --to (inclusive) into a day range; the data's own range fills what is not given.
Result<intel::DayRange> day_range(intel::Stats& stats, const std::string& from,
                                  const std::string& to) {
  return stats.resolve_range(from, to, "--from", "--to");
}

Result<std::vector<store::RollupFilter>> parse_filters(const std::vector<std::string>& specs) {
  std::vector<store::RollupFilter> out;
  for (const std::string& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error{fmt::format("--filter '{}' is not DIMENSION=VALUE", spec)};
    }
    out.push_back({spec.substr(0, eq), spec.substr(eq + 1)});
  }
  return out;
}

// Cells can hold attacker text (domains from samples, user names): escaped for the terminal.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& raw_rows) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& raw : raw_rows) {
    auto& row = rows.emplace_back();
    for (const std::string& cell : raw) {
      row.push_back(terminal_safe(cell));
    }
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) {
    width[i] = header[i].size();
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += fmt::format("{:<{}}  ", cells[i], width[i]);
    }
    while (!out.empty() && out.back() == ' ') {
      out.pop_back();
    }
    std::puts(out.c_str());
  };
  line(header);
  for (const auto& row : rows) {
    line(row);
  }
}

std::string percent(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100 * part / whole) : "-";
}

using AsNames = std::map<std::uint32_t, std::string>;

// The names of the autonomous systems among these keys (ASNs as text), from the catalog.
AsNames as_names_of(store::Catalog& catalog, const std::vector<std::string>& keys) {
  std::vector<std::uint32_t> asns;
  for (const std::string& k : keys) {
    if (!k.empty() && k.find_first_not_of("0123456789") == std::string::npos && k.size() < 11) {
      asns.push_back(static_cast<std::uint32_t>(std::stoull(k)));
    }
  }
  auto names = catalog.as_names(asns);
  return names ? std::move(*names) : AsNames{};  // without names the numbers still stand
}

std::string as_name(const AsNames& names, const std::string& key) {
  if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos || key.size() > 10) {
    return "";
  }
  auto it = names.find(static_cast<std::uint32_t>(std::stoull(key)));
  return it == names.end() ? "" : it->second;
}

// Rows of one dimension with each one's share of the whole, not of the rows shown.
void print_shares(const std::string& dimension, std::string_view measure,
                  const intel::Ranking& ranking, std::string_view empty_label,
                  const AsNames* names = nullptr) {
  std::vector<std::vector<std::string>> table;
  for (const auto& r : ranking.rows) {
    // ASN 0 is reserved (RFC 7607): the rollups count "no AS known" under it.
    bool unknown = r.keys[0].empty() || (dimension == "asn" && r.keys[0] == "0");
    table.push_back({unknown ? std::string(empty_label) : r.keys[0], std::to_string(r.value),
                     percent(static_cast<double>(r.value), ranking.total)});
    if (names != nullptr) {
      table.back().push_back(as_name(*names, r.keys[0]));
    }
  }
  std::vector<std::string> header{dimension, std::string(measure), "share"};
  if (names != nullptr) {
    header.emplace_back("name");
  }
  print_table(header, table);
}

// --json: typed values, attacker text made valid UTF-8 and ASCII for the terminal.
void print_json(const nlohmann::json& doc) {
  std::printf("%s\n", dump_json(doc, 2, "/raw_bytes", /*ascii=*/true).c_str());
}

nlohmann::json ranking_json(const std::string& dimension, std::string_view measure,
                            const intel::Ranking& ranking, const intel::DayRange& range,
                            const AsNames* names = nullptr) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : ranking.rows) {
    rows.push_back({{"key", r.keys[0]}, {"value", r.value}, {"share", ranking.share(r)}});
    if (names != nullptr) {
      rows.back()["name"] = as_name(*names, r.keys[0]);
    }
  }
  return {{"by", dimension},
          {"measure", measure},
          {"from", store::format_day(range.from_day)},
          {"to", store::format_day(range.to_day - 1)},
          {"total", ranking.total},
          {"rows", rows}};
}

// An empty answer under filters: name each filter value that nothing in the range carries, with
// the values that are there ("--filter country=cn" when countries are stored as CN).
void explain_empty(intel::Stats& stats, store::Measure measure, const intel::DayRange& range,
                   const std::vector<store::RollupFilter>& filters) {
  for (const store::RollupFilter& f : filters) {
    auto stored = stats.ranking(measure, f.dimension, range, {}, 0);
    if (!stored) {
      continue;  // the query itself reported what is wrong with the dimension
    }
    bool present = std::any_of(stored->rows.begin(), stored->rows.end(),
                               [&](const store::RollupRow& r) { return r.keys[0] == f.value; });
    if (present) {
      continue;
    }
    std::vector<std::string> values;
    for (std::size_t i = 0; i < stored->rows.size() && i < 10; ++i) {
      values.push_back(stored->rows[i].keys[0].empty() ? "(unknown)" : stored->rows[i].keys[0]);
    }
    spdlog::warn(
        "--filter {}={}: no {} in the range has that {} (most common: {})",
        terminal_safe(f.dimension), terminal_safe(f.value), store::to_string(measure),
        terminal_safe(f.dimension),
        values.empty() ? "none" : terminal_safe(fmt::format("{}", fmt::join(values, ", "))));
  }
}

Result<std::vector<intel::CveEntry>> catalog() {
  return intel::load_cve_catalog(MITSU_DEFAULT_CVE_CATALOG);
}

// `mitsu stats series`: one column per day, or one per value of --by.
int series_command(intel::Stats& stats, store::Measure measure, const intel::DayRange& range,
                   const std::vector<store::RollupFilter>& filters, const StatsOptions& options) {
  std::vector<std::vector<std::string>> table;
  if (options.by.empty() || options.by == "day") {
    auto values = stats.series(measure, range, filters);
    if (!values) {
      spdlog::error("{}", values.error());
      return kExitUsage;
    }
    if (options.json) {
      print_json({{"measure", store::to_string(measure)},
                  {"from", store::format_day(range.from_day)},
                  {"series", {{"total", *values}}}});
      return kExitOk;
    }
    for (std::size_t i = 0; i < values->size(); ++i) {
      table.push_back({store::format_day(range.from_day + static_cast<std::int64_t>(i)),
                       fmt::format("{:.0f}", (*values)[i])});
    }
    print_table({"day", std::string(store::to_string(measure))}, table);
    return kExitOk;
  }
  auto by = stats.series_by(measure, options.by, range, filters, options.top);
  if (!by) {
    spdlog::error("{}", by.error());
    return kExitUsage;
  }
  if (options.json) {
    nlohmann::json series = nlohmann::json::object();
    for (const auto& [key, values] : *by) {
      series[key] = values;
    }
    print_json({{"measure", store::to_string(measure)},
                {"by", options.by},
                {"from", store::format_day(range.from_day)},
                {"series", series}});
    return kExitOk;
  }
  std::vector<std::string> header{"day"};
  for (const auto& [key, values] : *by) {
    header.push_back(key.empty() ? "(unknown)" : key);
  }
  for (std::size_t i = 0; i < range.days(); ++i) {
    std::vector<std::string> row{store::format_day(range.from_day + static_cast<std::int64_t>(i))};
    for (const auto& [key, values] : *by) {
      row.push_back(fmt::format("{:.0f}", values[i]));
    }
    table.push_back(std::move(row));
  }
  print_table(header, table);
  return kExitOk;
}

// `mitsu stats malware`: what was collected and how it relates to the attacks.
int malware_command(intel::Stats& stats, const intel::DayRange& range,
                    const std::vector<store::RollupFilter>& filters, const StatsOptions& options) {
  auto unknown = stats.unknown_share(range);
  auto correlation = stats.attacks_vs_malware(range);
  if (!unknown || !correlation) {
    spdlog::error("{}", !unknown ? unknown.error() : correlation.error());
    return kExitFailure;
  }
  if (options.json) {
    nlohmann::json doc = {
        {"samples", correlation->samples},
        {"never_seen_share", unknown->has_value() ? nlohmann::json(**unknown) : nullptr},
        {"correlation",
         {{"pearson", correlation->pearson},
          {"sessions", correlation->sessions},
          {"scan_share", correlation->scan_share},
          {"delivery_share", correlation->delivery_share}}}};
    for (const char* dim : {"arch", "target", "family"}) {
      auto ranking = stats.ranking(store::Measure::kSamples, dim, range, filters, options.top);
      if (!ranking) {
        spdlog::error("{}", ranking.error());
        return kExitFailure;
      }
      doc[dim] = ranking_json(dim, "samples", *ranking, range);
    }
    print_json(doc);
    return kExitOk;
  }
  fmt::print("samples collected: {:.0f}\n", correlation->samples);
  fmt::print("never seen before: {}\n", unknown->has_value()
                                            ? fmt::format("{:.1f}%", 100 * **unknown)
                                            : std::string("- (nothing analysed yet)"));
  fmt::print(
      "attacks vs malware: {:.0f} sessions, {:.0f} samples, daily Pearson r = {:.2f}; scans "
      "{:.1f}% and malware delivery {:.1f}% of sessions\n",
      correlation->sessions, correlation->samples, correlation->pearson,
      100 * correlation->scan_share, 100 * correlation->delivery_share);
  for (const char* dim : {"arch", "target", "family"}) {
    auto ranking = stats.ranking(store::Measure::kSamples, dim, range, filters, options.top);
    if (!ranking) {
      spdlog::error("{}", ranking.error());
      return kExitFailure;
    }
    std::puts("");
    print_shares(dim, "samples", *ranking, "(not analysed)");
  }
  return kExitOk;
}

}  // namespace

int stats_command(const Config& config, const StatsOptions& options) {
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  store::RollupStore& rollups = *platform->store.rollups;
  intel::Stats stats(rollups);
  auto range = day_range(stats, options.from, options.to);
  auto filters = parse_filters(options.filters);
  if (!range || !filters) {
    spdlog::error("{}", !range ? range.error() : filters.error());
    return kExitUsage;
  }
  if (options.targeted) {
    filters->push_back({"targeted", "1"});
  }
  auto measure = store::parse_measure(options.measure);
  if (!measure) {
    spdlog::error("--measure must be sessions, events, exploits, samples or domains");
    return kExitUsage;
  }
  const std::string& what = options.what;
  if (what == "top") {
    auto ranking = stats.ranking(*measure, options.by, *range, *filters, options.top);
    if (!ranking) {
      spdlog::error("{}", ranking.error());
      return kExitUsage;
    }
    // Autonomous systems are counted by number and shown with their names.
    std::optional<AsNames> names;
    if (options.by == "asn") {
      std::vector<std::string> keys;
      for (const auto& r : ranking->rows) {
        keys.push_back(r.keys[0]);
      }
      names = as_names_of(*platform->store.catalog, keys);
    }
    const AsNames* shown = names ? &*names : nullptr;
    if (options.json) {
      print_json(ranking_json(options.by, store::to_string(*measure), *ranking, *range, shown));
    } else {
      print_shares(options.by, store::to_string(*measure), *ranking, "(unknown)", shown);
    }
    if (ranking->rows.empty()) {
      explain_empty(stats, *measure, *range, *filters);
    }
    return kExitOk;
  }
  if (what == "series") {
    return series_command(stats, *measure, *range, *filters, options);
  }
  if (what == "malware") {
    return malware_command(stats, *range, *filters, options);
  }
  if (what == "domains") {
    store::RollupQuery q;
    q.measure = store::Measure::kDomains;
    q.group_by = {"domain", "source"};
    q.filters = *filters;
    q.limit = options.top;
    auto rows = rollups.query(q);
    if (!rows) {
      spdlog::error("{}", rows.error());
      return kExitUsage;
    }
    if (options.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : *rows) {
        out.push_back({{"domain", r.keys[0]}, {"source", r.keys[1]}, {"samples", r.value}});
      }
      print_json({{"rows", out}});
      return kExitOk;
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& r : *rows) {
      table.push_back({r.keys[0], r.keys[1], std::to_string(r.value)});
    }
    print_table({"domain or endpoint", "source", "samples"}, table);
    return kExitOk;
  }
  if (what == "peaks") {
    auto cves = catalog();
    if (!cves) {
      spdlog::error("{}", cves.error());
      return kExitFailure;
    }
    auto peaks = intel::find_peaks(rollups, range->from_day, range->to_day, *cves);
    if (!peaks) {
      spdlog::error("{}", peaks.error());
      return kExitFailure;
    }
    std::vector<intel::Incident> incidents = intel::group_incidents(std::move(*peaks));
    if (options.json) {
      print_json({{"incidents", intel::incidents_json(incidents)}});
      return kExitOk;
    }
    // One row per incident, led by its total (or strongest) series, with the others it showed in.
    std::vector<std::vector<std::string>> table;
    for (const intel::Incident& incident : incidents) {
      const intel::Peak& p = incident.lead;
      std::string drivers, disclosures, also;
      for (const intel::Driver& d : p.drivers) {
        drivers += fmt::format("{}{}={} {:.0f}%", drivers.empty() ? "" : ", ", d.dimension, d.value,
                               100 * d.share);
      }
      for (const intel::CveEntry& e : incident.disclosures) {
        disclosures += fmt::format("{}{} ({})", disclosures.empty() ? "" : ", ", e.id,
                                   store::format_day(e.published_day));
      }
      for (std::size_t i = 1; i < incident.peaks.size(); ++i) {
        also += fmt::format("{}{}", also.empty() ? "" : ", ", incident.peaks[i].series);
      }
      std::string days = store::format_day(incident.first_day);
      if (incident.last_day != incident.first_day) {
        days += ".." + store::format_day(incident.last_day);
      }
      table.push_back({days, p.series, fmt::format("{:.0f}", p.value),
                       fmt::format("{:.0f}", p.baseline), fmt::format("{:.1f}", p.score), drivers,
                       disclosures.empty() ? "-" : disclosures, also.empty() ? "-" : also});
    }
    print_table(
        {"day", "series", "sessions", "baseline", "score", "drivers", "disclosures", "also in"},
        table);
    return kExitOk;
  }
  spdlog::error("unknown statistic '{}'", what);
  return kExitUsage;
}

int report_command(const Config& config, const ReportOptions& options) {
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  store::RollupStore& rollups = *platform->store.rollups;
  intel::Stats stats(rollups);
  auto range = day_range(stats, options.from, options.to);
  if (!range) {
    spdlog::error("{}", range.error());
    return kExitUsage;
  }
  auto cves = catalog();
  if (!cves) {
    spdlog::error("{}", cves.error());
    return kExitFailure;
  }
  auto report = intel::collect_report(rollups, *range, *cves);
  if (!report) {
    spdlog::error("{}", report.error());
    return kExitFailure;
  }
  std::vector<std::string> asns;
  for (const auto& row : (*report)["top"]["asn"]) {
    asns.push_back(row[0].get<std::string>());
  }
  (*report)["as_names"] = nlohmann::json::object();
  for (const auto& [asn, name] : as_names_of(*platform->store.catalog, asns)) {
    (*report)["as_names"][std::to_string(asn)] = name;
  }
  std::string text = options.format == "json"  ? dump_json(*report, 2) + "\n"
                     : options.format == "csv" ? intel::render_csv(*report)
                                               : intel::render_html(*report);
  if (options.output.empty() || options.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    spdlog::error("cannot write {}", options.output);
    return kExitFailure;
  }
  spdlog::info("wrote {} ({} bytes, {} – {})", options.output, text.size(),
               store::format_day(range->from_day), store::format_day(range->to_day - 1));
  return kExitOk;
}

int simulate_command(const Config& config, const SimulateOptions& options) {
  intel::SimulationOptions sim;
  auto first = store::parse_day(options.from);
  if (!first) {
    spdlog::error("--from '{}' is not a date (YYYY-MM-DD)", options.from);
    return kExitUsage;
  }
  sim.first_day = *first;
  sim.days = options.days;
  sim.seed = options.seed;
  sim.sessions_per_day = options.sessions_per_day;
  sim.disclosure_bursts = !options.no_disclosures;
  for (const std::string& spec : options.peaks) {
    // DAY:PROTOCOL[:FACTOR]
    auto colon = spec.find(':');
    auto day = store::parse_day(spec.substr(0, colon));
    if (colon == std::string::npos || !day) {
      spdlog::error("--peak '{}' is not YYYY-MM-DD:PROTOCOL[:FACTOR]", spec);
      return kExitUsage;
    }
    std::string rest = spec.substr(colon + 1);
    auto colon2 = rest.find(':');
    double factor = 1.0;
    if (colon2 != std::string::npos) {
      try {
        factor = std::stod(rest.substr(colon2 + 1));
      } catch (...) {
        spdlog::error("--peak '{}': the factor is not a number", spec);
        return kExitUsage;
      }
      rest = rest.substr(0, colon2);
    }
    sim.peaks.push_back({*day, rest, factor});
  }
  auto cves = catalog();
  if (!cves) {
    spdlog::error("{}", cves.error());
    return kExitFailure;
  }
  sim.catalog = *cves;
  auto platform = app::Platform::open(config, true);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return kExitFailure;
  }
  app::Platform& p = **platform;
  intel::GeoResolver no_geo;
  intel::TrafficGenerator generator(sim, p.geo->empty() ? no_geo : *p.geo);
  std::vector<std::string> batch;
  Status failed;
  auto started = std::chrono::steady_clock::now();
  std::uint64_t generated = 0;
  {
    Progress progress("simulate", "events generated", 0, options.progress);
    generator.run([&](std::string&& line) {
      if (!failed) {
        return;
      }
      batch.push_back(std::move(line));
      if (batch.size() == 10000) {
        failed = p.spool->append_batch(std::span<const std::string>(batch));
        batch.clear();
        progress.update(generated += 10000);
      }
    });
  }
  if (failed) {
    failed = p.spool->append_batch(std::span<const std::string>(batch));
  }
  if (!failed) {
    spdlog::error("spool: {}", failed.error());
    return kExitFailure;
  }
  const intel::GroundTruth& truth = generator.truth();
  spdlog::info("simulated {} sessions, {} events, {} samples over {} days into the spool",
               truth.sessions, truth.events, generator.samples().size(), sim.days);
  if (options.spool_only) {
    return kExitOk;
  }
  Result<std::uint64_t> delivered = std::uint64_t{0};
  {
    Progress progress("simulate", "events stored", truth.events, options.progress);
    delivered = p.collector->drain([&](std::uint64_t n) { progress.update(n); });
  }
  if (!delivered) {
    spdlog::error("collector: {}", delivered.error());
    return kExitFailure;
  }
  // The samples do not exist as files: their verdicts are simulated too, marked as such.
  std::map<std::string, const intel::SimulatedSample*> by_sha;
  for (const auto& s : generator.samples()) {
    by_sha[s.sha256] = &s;
  }
  std::size_t verdicts = 0;
  while (true) {
    auto job = p.store.catalog->take_job(now_unix_us(), 60'000'000);
    if (!job) {
      spdlog::error("catalog: {}", job.error());
      return kExitFailure;
    }
    if (!job->has_value()) {
      break;
    }
    auto it = by_sha.find((*job)->sha256);
    if (it == by_sha.end()) {
      // A real sample queued before: leave it to the analysis worker.
      (void)p.store.catalog->fail_job(**job, "not simulated; requeue with `mitsu reanalyze`");
      continue;
    }
    const intel::SimulatedSample& s = *it->second;
    nlohmann::json verdict = {{"analyzer", {{"name", "simulate"}, {"version", 0}}},
                              {"family", {{"name", s.family}}},
                              {"elf", {{"arch", s.arch}}},
                              {"target", {{"class", s.target}}},
                              {"known", {{"known", s.known}, {"source", "simulate"}}},
                              {"iocs", {{"domains", s.domains}}}};
    store::KnownCheck known{s.known, s.known ? "simulate" : "", now_unix_us(), "simulated"};
    if (Status st = p.store.catalog->finish_job(**job, 0, dump_json(verdict), known); !st) {
      spdlog::error("catalog: {}", st.error());
      return kExitFailure;
    }
    ++verdicts;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info(
      "stored {} events and {} simulated verdicts in {:.1f} s ({:.0f} events/s); try "
      "`mitsu stats top --by country` or `mitsu report -o report.html`",
      *delivered, verdicts, seconds, static_cast<double>(*delivered) / seconds);
  return kExitOk;
}

int rollups_rebuild_command(const Config& config, const RebuildOptions& options) {
  auto platform = open_stored(config);
  if (!platform) {
    return kExitFailure;
  }
  auto events = platform->store.events->count();
  if (!events) {
    spdlog::error("{}", events.error());
    return kExitFailure;
  }
  auto started = std::chrono::steady_clock::now();
  Result<store::RebuildStats> stats = store::RebuildStats{};
  {
    Progress progress("rebuild", "events", *events, options.progress);
    stats = platform->store.rollups->rebuild(
        [&](const store::RebuildStats& so_far) { progress.update(so_far.events); });
  }
  if (!stats) {
    spdlog::error("{}", stats.error());
    return kExitFailure;
  }
  fmt::print("rebuilt rollups from {} events: {} sessions, {} samples in {:.1f} s\n", stats->events,
             stats->sessions, stats->samples,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return kExitOk;
}

}  // namespace mitsu::cli

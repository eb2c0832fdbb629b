// bench/intel: ingest simulated traffic with enrichment and rollups, then time the dashboard's
// standard queries from the rollups against the same queries as naive GROUP BY over the raw
// events table, in the same run. Usage: mitsu_bench_intel [MILLION_EVENTS=20] [DIR]

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>

#include "bench_support.h"
#include "collector/collector.h"
#include "intel/geo/geo_enricher.h"
#include "intel/rollups/rollups.h"
#include "intel/simulate/traffic_generator.h"
#include "intel/stats.h"
#include "store/store_factory.h"

using namespace mitsu;
using Clock = std::chrono::steady_clock;

namespace {

// The naive side of the comparison: GROUP BY over the raw events, on a plain SQLite connection
// of its own to the same file (the store's engine stays behind the store interfaces).
class RawSqlite {
 public:
  explicit RawSqlite(const std::filesystem::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      bench::die(fmt::format("sqlite: cannot open {}", path.string()));
    }
    sqlite3_busy_timeout(db_, 60'000);
  }
  ~RawSqlite() { sqlite3_close(db_); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;
  // Runs `sql`, returning how many rows it gave.
  std::size_t rows(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      bench::die(fmt::format("sqlite: {}: {}", sql, sqlite3_errmsg(db_)));
    }
    std::size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      ++n;
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
      bench::die(fmt::format("sqlite: {}: {}", sql, sqlite3_errmsg(db_)));
    }
    return n;
  }

 private:
  sqlite3* db_ = nullptr;
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Median of `runs` timings of `f`, in ms; the first result is kept in `rows`.
double time_ms(int runs, const std::function<std::size_t()>& f, std::size_t& rows) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    rows = f();
    t.push_back(ms_since(start));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

intel::GeoResolver load_geo() {
  intel::GeoResolver geo;
  std::filesystem::path geo_dir = "/var/lib/mitsu/geo";
  if (std::filesystem::exists(geo_dir / "geo-whois-asn-country.mmdb")) {
    auto opened = intel::open_geo_resolver({geo_dir / "geo-whois-asn-country.mmdb",
                                            geo_dir / "asn-ipv4.csv", geo_dir / "asn-ipv6.csv"});
    if (!opened) {
      bench::die(opened.error());
    }
    geo = std::move(**opened);
  } else {
    fmt::print("no GeoIP data installed (scripts/install-geo.sh): enrichment finds nothing\n");
  }
  return geo;
}

// The standard statistics queries, through the rollups and as naive SQL over the raw events.
void compare_queries(intel::Stats& stats, RawSqlite& raw, intel::DayRange range) {
  struct Query {
    const char* name;
    std::function<std::size_t()> rollup;
    const char* naive_sql;
  };
  auto rows_of = [&](auto result) -> std::size_t {
    if (!result) {
      bench::die(result.error());
    }
    return result->size();
  };
  using store::Measure;
  std::vector<Query> queries{
      {"sessions per day", [&] { return rows_of(stats.series(Measure::kSessions, range, {})); },
       "SELECT ts_us / 86400000000, count(*) FROM events WHERE action = 'session.open' GROUP BY 1"},
      {"top 10 countries",
       [&] { return rows_of(stats.top(Measure::kSessions, "country", range, {}, 10)); },
       "SELECT country, count(*) FROM events WHERE action = 'session.open' GROUP BY 1 ORDER BY 2 "
       "DESC LIMIT 10"},
      {"top 10 ASNs", [&] { return rows_of(stats.top(Measure::kSessions, "asn", range, {}, 10)); },
       "SELECT asn, count(*) FROM events WHERE action = 'session.open' GROUP BY 1 ORDER BY 2 DESC "
       "LIMIT 10"},
      {"sessions per day by protocol",
       [&] { return rows_of(stats.series_by(Measure::kSessions, "protocol", range, {}, 10)); },
       "SELECT ts_us / 86400000000, protocol, count(*) FROM events WHERE action = 'session.open' "
       "GROUP BY 1, 2"},
      {"top 10 ports",
       [&] { return rows_of(stats.top(Measure::kSessions, "port", range, {}, 10)); },
       "SELECT dst_port, count(*) FROM events WHERE action = 'session.open' GROUP BY 1 ORDER BY 2 "
       "DESC LIMIT 10"},
      {"sessions by device type",
       [&] { return rows_of(stats.top(Measure::kSessions, "device_type", range, {}, 10)); },
       "SELECT device_type, count(*) FROM events WHERE action = 'session.open' GROUP BY 1"},
      {"events per day", [&] { return rows_of(stats.series(Measure::kEvents, range, {})); },
       "SELECT ts_us / 86400000000, count(*) FROM events GROUP BY 1"},
      {"top 10 exploit signatures",
       [&] { return rows_of(stats.top(Measure::kExploits, "rule", range, {}, 10)); },
       "SELECT json_extract(body, '$.rule.id'), count(*) FROM events WHERE action = 'exploit' "
       "GROUP BY 1 ORDER BY 2 DESC LIMIT 10"},
      {"telnet sessions from CN per day",
       [&] {
         return rows_of(
             stats.series(Measure::kSessions, range, {{"protocol", "telnet"}, {"country", "CN"}}));
       },
       "SELECT ts_us / 86400000000, count(*) FROM events WHERE action = 'session.open' AND "
       "protocol = 'telnet' AND country = 'CN' GROUP BY 1"},
  };
  fmt::print("\n{:<34} {:>12} {:>12} {:>9}\n", "query", "rollups ms", "naive ms", "speed-up");
  double worst_rollup = 0, least_speedup = 1e18;
  for (const Query& q : queries) {
    std::size_t rows = 0, naive_rows = 0;
    double rollup_ms = time_ms(5, q.rollup, rows);
    double naive_ms = time_ms(
        1, [&]() -> std::size_t { return raw.rows(q.naive_sql); }, naive_rows);
    worst_rollup = std::max(worst_rollup, rollup_ms);
    least_speedup = std::min(least_speedup, naive_ms / rollup_ms);
    fmt::print("{:<34} {:>12.2f} {:>12.1f} {:>8.0f}x\n", q.name, rollup_ms, naive_ms,
               naive_ms / rollup_ms);
  }
  fmt::print(
      "\nslowest rollup query {:.2f} ms (target < 200 ms); smallest speed-up {:.0f}x "
      "(target >= 100x)\n",
      worst_rollup, least_speedup);
}

}  // namespace

int main(int argc, char** argv) {
  double millions = argc > 1 ? std::stod(argv[1]) : 20;
  std::filesystem::path dir = argc > 2 ? argv[2] : "/tmp/mitsu-bench-intel";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  intel::GeoResolver geo = load_geo();

  auto store =
      store::open_stores({.engine = "sqlite", .path = dir / "mitsu.db", .sqlite = {"normal"}});
  auto spool = spool::Spool::open({dir / "spool"});
  if (!store || !spool) {
    bench::die(!store ? store.error() : spool.error());
  }
  if (Status attached = intel::attach_rollups(*store); !attached) {
    bench::die(attached.error());
  }
  collector::Collector collector(**spool, *store->events, *store->catalog, *store->unit_of_work);
  intel::GeoEnricher enricher(geo);
  collector.set_enricher(&enricher);
  collector.set_rollups(store->rollups.get());

  intel::SimulationOptions options;
  options.first_day = 17167;  // 2017-01-01, three years
  options.days = 1095;
  // About 3.5 events a session and 40% growth over the run.
  options.sessions_per_day = millions * 1e6 / (3.5 * options.days * 1.4);
  auto catalog = intel::load_cve_catalog(MITSU_DEFAULT_CVE_CATALOG);
  if (!catalog) {
    bench::die(catalog.error());
  }
  options.catalog = *catalog;
  intel::TrafficGenerator generator(options, geo);

  double ingest_ms = 0;
  std::vector<std::string> batch;
  std::uint64_t pending = 0;
  auto deliver = [&] {
    if (!batch.empty()) {
      if (Status s = (*spool)->append_batch(std::span<const std::string>(batch)); !s) {
        bench::die(s.error());
      }
      batch.clear();
    }
    auto start = Clock::now();
    if (auto drained = collector.drain(); !drained) {
      bench::die(drained.error());
    }
    ingest_ms += ms_since(start);
    pending = 0;
  };
  auto total_start = Clock::now();
  generator.run([&](std::string&& line) {
    batch.push_back(std::move(line));
    if (batch.size() == 20000) {
      if (Status s = (*spool)->append_batch(std::span<const std::string>(batch)); !s) {
        bench::die(s.error());
      }
      batch.clear();
    }
    if (++pending == 1'000'000) {
      deliver();
    }
  });
  deliver();
  std::uint64_t events = generator.truth().events;
  double db_bytes = 0;
  for (const char* f : {"mitsu.db", "mitsu.db-wal"}) {
    std::error_code ec;
    db_bytes += static_cast<double>(std::filesystem::file_size(dir / f, ec));
  }
  fmt::print(
      "ingested {} events ({} sessions, {} samples) in {:.1f} s of collector time "
      "({:.1f} s with generation): {:.0f} events/s with enrichment and rollups\n",
      events, generator.truth().sessions, generator.samples().size(), ingest_ms / 1000,
      ms_since(total_start) / 1000, events / (ingest_ms / 1000));
  fmt::print("store: {:.2f} GB, {:.0f} MB per million events; GeoIP cache {} hits, {} misses\n",
             db_bytes / 1e9, db_bytes / 1e6 / (events / 1e6), geo.cache_hits(), geo.cache_misses());
  RawSqlite raw(dir / "mitsu.db");
  raw.rows("PRAGMA wal_checkpoint(TRUNCATE)");

  intel::Stats stats(*store->rollups);
  compare_queries(stats, raw, {options.first_day, options.first_day + options.days});
  std::filesystem::remove_all(dir);
  return 0;
}

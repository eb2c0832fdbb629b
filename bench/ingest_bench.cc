// bench/ingest: N synthetic events through spool -> collector -> SQLite, against sqlite3's
// `.import` of the same rows as CSV into a plain table, measured in the same run.
//
//   mitsu_bench_ingest [--events N] [--dir DIR] [--fsync always|interval|never]

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.h"
#include "collector/collector.h"
#include "collector/collector_thread.h"
#include "core/event_parser.h"
#include "sensor/registry/protocol_registry.h"
#include "spool/spool.h"
#include "store/store_factory.h"
#include "testing/synthetic_events.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string csv_field(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') {
      out += "\"\"";
    } else {
      out.push_back(c);
    }
  }
  out += '"';
  return out;
}

using mitsu::bench::die;

}  // namespace

int main(int argc, char** argv) {
  mitsu::sensor::register_builtin_protocols();  // what the collector validates, as in mitsu
  std::size_t count = 1'000'000;
  fs::path dir = fs::temp_directory_path() / "mitsu-bench-ingest";
  mitsu::spool::FsyncPolicy fsync = mitsu::spool::FsyncPolicy::kAlways;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--events") {
      count = std::stoull(argv[i + 1]);
    } else if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--fsync") {
      auto policy = mitsu::spool::parse_fsync_policy(argv[i + 1]);
      if (!policy) {
        die("--fsync must be always, interval or never");
      }
      fsync = *policy;
    } else {
      die("usage: mitsu_bench_ingest [--events N] [--dir DIR] [--fsync always|interval|never]");
    }
  }
  fs::remove_all(dir);
  fs::create_directories(dir);

  mitsu::testing::SyntheticEvents source;
  std::vector<std::string> events;
  events.reserve(count);
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < count; ++i) {
    events.push_back(source.next());
    bytes += events.back().size();
  }
  fmt::print("bench/ingest: {} events, {:.1f} MB of JSON, spool fsync={}\n", count, bytes / 1e6,
             mitsu::spool::fsync_policy_name(fsync));

  // --- Mitsu: spool -> collector (validate, de-duplicate, catalog) -> SQLite ---
  auto start = Clock::now();
  {
    auto spool = mitsu::spool::Spool::open({dir / "spool", fsync});
    if (!spool) {
      die(spool.error());
    }
    auto store = mitsu::store::open_stores({.engine = "sqlite", .path = dir / "mitsu.db"});
    if (!store) {
      die(store.error());
    }
    mitsu::collector::Collector collector(**spool, *store->events, *store->catalog,
                                          *store->unit_of_work);
    // The collector delivers on its own thread while events are appended, as in `mitsu run`.
    mitsu::collector::CollectorThread delivery(collector);
    constexpr std::size_t kAppendBatch = 1000;
    for (std::size_t i = 0; i < events.size(); i += kAppendBatch) {
      std::size_t n = std::min(kAppendBatch, events.size() - i);
      if (mitsu::Status s = (*spool)->append_batch(std::span(events).subspan(i, n)); !s) {
        die(s.error());
      }
    }
    if (mitsu::Status s = delivery.finish(); !s) {
      die(s.error());
    }
    if (collector.stats().stored != count) {
      die(fmt::format("stored {} of {} events", collector.stats().stored, count));
    }
    fmt::print("  spool: {} fsyncs, {} segments created, {} removed\n", (*spool)->stats().fsyncs,
               (*spool)->stats().segments_created, (*spool)->stats().segments_removed);
  }
  double mitsu_seconds = seconds_since(start);
  double mitsu_rate = count / mitsu_seconds;

  // --- Reference: the same rows as CSV, sqlite3 .import into a plain table ---
  fs::path csv = dir / "events.csv";
  {
    std::ofstream out(csv);
    mitsu::EventParser parser;
    mitsu::Event e;
    mitsu::Rejection why;
    for (const std::string& text : events) {
      if (!parser.parse(text, e, why)) {
        die(why.to_string());
      }
      out << e.id << ',' << e.ts_us << ',' << e.action << ',' << e.sensor << ',' << e.site << ','
          << e.session_id << ',' << e.protocol << ',' << e.src_ip << ',' << e.src_port << ','
          << e.dst_port << ',' << e.device_type << ',' << csv_field(e.body) << '\n';
    }
  }
  fs::path reference_db = dir / "reference.db";
  std::string command = fmt::format(
      "sqlite3 {} 'CREATE TABLE events (id TEXT, ts_us INTEGER, action TEXT, sensor TEXT, "
      "site TEXT, session_id TEXT, protocol TEXT, src_ip TEXT, src_port INTEGER, "
      "dst_port INTEGER, device_type TEXT, body TEXT)' '.import --csv {} events'",
      reference_db.string(), csv.string());
  start = Clock::now();
  if (std::system(command.c_str()) != 0) {
    die("sqlite3 .import failed (is the sqlite3 shell installed?)");
  }
  double import_seconds = seconds_since(start);
  double import_rate = count / import_seconds;

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print("  mitsu  spool->collector->sqlite: {:8.3f} s  {:10.0f} events/s\n", mitsu_seconds,
             mitsu_rate);
  fmt::print("  sqlite3 .import csv (reference): {:8.3f} s  {:10.0f} rows/s\n", import_seconds,
             import_rate);
  fmt::print("  ratio mitsu/.import: {:.2f}x (target >= 0.5x)\n", mitsu_rate / import_rate);
  fmt::print("  peak RSS {:.0f} MB (includes the {} generated events held in memory)\n",
             usage.ru_maxrss / 1024.0, count);
  fs::remove_all(dir);
  return 0;
}

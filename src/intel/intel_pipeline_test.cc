// The intelligence pipeline end to end on generated traffic with known ground truth: simulate ->
// spool -> collector (enrichment, rollups) -> statistics, peaks; rollups against an independent
// recomputation from the raw events and against a rebuild.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "collector/collector.h"
#include "intel/geo/geo_enricher.h"
#include "intel/peaks.h"
#include "intel/rollups/rollups.h"
#include "intel/session_fold.h"
#include "intel/simulate/traffic_generator.h"
#include "intel/stats.h"
#include "store/store_factory.h"
#include "testing/temp_dir.h"

namespace mitsu::intel {
namespace {

// A made-up world: each /8 block belongs to one country and one autonomous system.
std::unique_ptr<GeoResolver> test_world() {
  auto table = std::make_unique<IpRangeTable>();
  const std::vector<std::tuple<int, int, const char*>> countries{
      {1, 31, "CN"},    {32, 63, "US"},   {64, 79, "BR"},   {80, 95, "RU"},
      {96, 111, "IN"},  {112, 126, "VN"}, {128, 143, "TW"}, {144, 159, "KR"},
      {160, 175, "DE"}, {176, 191, "JP"}, {192, 223, "NL"}};
  for (const auto& [first, last, code] : countries) {
    EXPECT_TRUE(
        table->add_row(fmt::format("{}.0.0.0", first), fmt::format("{}.255.255.255", last), code));
  }
  auto asns = std::make_unique<IpRangeTable>();
  for (int top = 1; top < 224; ++top) {
    EXPECT_TRUE(asns->add_row(fmt::format("{}.0.0.0", top), fmt::format("{}.255.255.255", top),
                              std::to_string(64500 + top), fmt::format("Net {}", top)));
  }
  table->finish();
  asns->finish();
  auto resolver = std::make_unique<GeoResolver>();
  resolver->add_source(std::move(table));
  resolver->add_source(std::move(asns));
  return resolver;
}

std::vector<CveEntry> shipped_catalog() {
  auto catalog = load_cve_catalog(MITSU_DEFAULT_CVE_CATALOG);
  EXPECT_TRUE(catalog) << catalog.error();
  return catalog ? *catalog : std::vector<CveEntry>{};
}

class IntelPipeline : public ::testing::Test {
 protected:
  void ingest(TrafficGenerator& generator) {
    auto spool = spool::Spool::open({dir_.path() / "spool"});
    ASSERT_TRUE(spool) << spool.error();
    std::vector<std::string> batch;
    generator.run([&](std::string&& line) {
      batch.push_back(std::move(line));
      if (batch.size() == 5000) {
        ASSERT_TRUE((*spool)->append_batch(std::span<const std::string>(batch)));
        batch.clear();
      }
    });
    ASSERT_TRUE((*spool)->append_batch(std::span<const std::string>(batch)));
    collector::Collector collector(**spool, *store_.events, *store_.catalog, *store_.unit_of_work);
    GeoEnricher enricher(*geo_);
    collector.set_enricher(&enricher);
    collector.set_rollups(store_.rollups.get());
    auto drained = collector.drain();
    ASSERT_TRUE(drained) << drained.error();
    EXPECT_EQ(*drained, generator.truth().events);
    EXPECT_EQ(collector.stats().rejected, 0u);
  }

  void SetUp() override {
    auto store = store::open_stores(
        {.engine = "sqlite", .path = dir_.path() / "mitsu.db", .sqlite = {"normal"}});
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    ASSERT_TRUE(attach_rollups(store_));
  }

  testing::TempDir dir_{"intel-pipeline"};
  std::unique_ptr<GeoResolver> geo_ = test_world();
  store::StoreSet store_;
};

constexpr std::int64_t k2017Nov01 = 17471;
constexpr std::int64_t k2018Feb01 = 17563;

TEST_F(IntelPipeline, StatisticsEqualTheGeneratorsTruthAndPeaksAreFoundAndExplained) {
  SimulationOptions options;
  options.first_day = k2017Nov01;
  options.days = 120;
  options.seed = 7;
  options.sessions_per_day = 300;
  options.catalog = shipped_catalog();
  options.peaks = {{k2018Feb01, "ssh", 1.0}};
  TrafficGenerator generator(options, *geo_);
  ingest(generator);
  const GroundTruth& truth = generator.truth();
  DayRange range{options.first_day, options.first_day + options.days};

  // Counts per country, protocol and class per day, events per day, new samples per day.
  store::RollupQuery q;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> got;
  for (const auto& [dim, expected] :
       std::vector<std::pair<std::string, const decltype(truth.sessions_by_country)*>>{
           {"country", &truth.sessions_by_country},
           {"protocol", &truth.sessions_by_protocol},
           {"class", &truth.sessions_by_class}}) {
    q.group_by = {"day", dim};
    auto rows = store_.rollups->query(q);
    ASSERT_TRUE(rows) << rows.error();
    got.clear();
    for (const auto& row : *rows) {
      got[{*store::parse_day(row.keys[0]), row.keys[1]}] = row.value;
    }
    EXPECT_EQ(got, *expected) << "sessions per day and " << dim;
  }
  EXPECT_GT(truth.sessions_by_country.size(), 11u * 100);  // every country, most days

  // Ranges not grouped by day read whole months from monthly cubes and the ragged ends from
  // daily ones; the sums are the same.
  for (auto [from, to] :
       {std::pair{range.from_day + 5, range.to_day - 9}, std::pair{range.from_day, range.to_day},
        std::pair{range.from_day + 3, range.from_day + 20}}) {
    std::map<std::string, std::int64_t> expected;
    for (const auto& [key, n] : truth.sessions_by_country) {
      if (key.first >= from && key.first < to) {
        expected[key.second] += n;
      }
    }
    store::RollupQuery by_country;
    by_country.group_by = {"country"};
    by_country.from_day = from;
    by_country.to_day = to;
    auto rows = store_.rollups->query(by_country);
    ASSERT_TRUE(rows) << rows.error();
    std::map<std::string, std::int64_t> summed;
    for (const auto& row : *rows) {
      summed[row.keys[0]] = row.value;
    }
    EXPECT_EQ(summed, expected) << store::format_day(from) << " to " << store::format_day(to);
    by_country.limit = 3;
    auto top3 = store_.rollups->query(by_country);
    ASSERT_TRUE(top3 && top3->size() == 3);
    std::vector<std::int64_t> largest;
    for (const auto& [country, n] : expected) {
      largest.push_back(n);
    }
    std::sort(largest.rbegin(), largest.rend());
    EXPECT_EQ((*top3)[0].value, largest[0]);
    EXPECT_EQ((*top3)[2].value, largest[2]);
    EXPECT_EQ((*top3)[0].value, expected[(*top3)[0].keys[0]]);
  }
  Stats stats(*store_.rollups);
  auto events = stats.series(store::Measure::kEvents, range, {});
  auto samples = stats.series(store::Measure::kSamples, range, {});
  ASSERT_TRUE(events && samples);
  for (std::int64_t d = range.from_day; d < range.to_day; ++d) {
    std::size_t i = static_cast<std::size_t>(d - range.from_day);
    EXPECT_EQ((*events)[i], truth.events_by_day.at(d)) << store::format_day(d);
    auto s = truth.new_samples_by_day.find(d);
    EXPECT_EQ((*samples)[i], s == truth.new_samples_by_day.end() ? 0 : s->second);
  }

  // Peaks in the total series: the disclosure burst after CVE-2017-17215 (2017-12-21) and the
  // injected SSH wave on 2018-02-01 — and nothing else.
  auto peaks = find_peaks(*store_.rollups, range.from_day + 28, range.to_day, options.catalog);
  ASSERT_TRUE(peaks) << peaks.error();
  std::vector<const Peak*> total;
  for (const Peak& p : *peaks) {
    if (p.series == "total") {
      total.push_back(&p);
    }
  }
  for (const Peak* p : total) {
    std::cout << "peak " << store::format_day(p->day) << " " << p->value << " over " << p->baseline
              << " score " << p->score << "\n";
  }
  ASSERT_EQ(total.size(), 2u);
  const Peak& burst = *total[0];
  EXPECT_GE(burst.day, 17521 + 2);  // 2017-12-21 + 2
  EXPECT_LE(burst.day, 17521 + 4);
  ASSERT_FALSE(burst.drivers.empty());
  auto has_driver = [](const Peak& p, std::string_view dim, std::string_view value) {
    return std::any_of(p.drivers.begin(), p.drivers.end(), [&](const Driver& d) {
      return d.dimension == dim && d.value == value && d.share > 0.5;
    });
  };
  EXPECT_TRUE(has_driver(burst, "rule", "huawei-hg532-deviceupgrade"));
  EXPECT_TRUE(has_driver(burst, "port", "37215"));
  ASSERT_EQ(burst.disclosures.size(), 1u);
  EXPECT_EQ(burst.disclosures[0].id, "CVE-2017-17215");
  const Peak& injected = *total[1];
  EXPECT_EQ(injected.day, k2018Feb01);
  EXPECT_TRUE(has_driver(injected, "protocol", "ssh")) << injected.drivers.size();
  EXPECT_TRUE(has_driver(injected, "port", "22") || has_driver(injected, "port", "2222"));
  // The injected wave came from one autonomous system.
  EXPECT_TRUE(std::any_of(injected.drivers.begin(), injected.drivers.end(),
                          [](const Driver& d) { return d.dimension == "asn" && d.share > 0.9; }));
  EXPECT_TRUE(injected.disclosures.empty());
}

TEST_F(IntelPipeline, RollupsEqualARecomputationFromRawEventsAndARebuild) {
  SimulationOptions options;
  options.first_day = k2017Nov01;
  options.days = 20;
  options.seed = 11;
  options.sessions_per_day = 150;
  options.catalog = shipped_catalog();
  TrafficGenerator generator(options, *geo_);
  ingest(generator);

  // Independent recomputation: every stored event, grouped by session, classified by
  // classify() over the session's events.
  store::EventQuery all;
  all.limit = 10'000'000;
  auto stored = store_.events->query(all);
  ASSERT_TRUE(stored) << stored.error();
  ASSERT_EQ(stored->size(), generator.truth().events);
  std::map<std::string, std::vector<Event>> sessions;
  for (Event& e : *stored) {
    // Rows keep the JSON; the kind-specific fields come from it as at ingest.
    EventParser parser;
    Rejection why;
    Event parsed;
    ASSERT_TRUE(parser.parse(e.body, parsed, why)) << why.detail;
    parsed.country = e.country;
    parsed.asn = e.asn;
    sessions[parsed.session_id].push_back(std::move(parsed));
  }
  std::map<std::vector<std::string>, std::int64_t> expected_sessions, expected_events;
  for (auto& [id, events] : sessions) {
    const Event& first = *std::min_element(events.begin(), events.end(), [](auto& a, auto& b) {
      return a.ts_us != b.ts_us ? a.ts_us < b.ts_us : a.id < b.id;
    });
    Classification c = classify(events);
    std::vector<std::string> key{store::format_day(utc_day(first.ts_us)),
                                 first.country,
                                 std::to_string(first.asn),
                                 first.protocol,
                                 std::to_string(first.dst_port),
                                 first.device_type,
                                 first.site,
                                 std::string(to_string(c.session_class)),
                                 c.interactive ? "1" : "0"};
    ++expected_sessions[key];
    expected_events[key] += static_cast<std::int64_t>(events.size());
  }
  store::RollupQuery q;
  q.group_by = {"day",         "country", "asn",   "protocol",   "port",
                "device_type", "site",    "class", "interactive"};
  for (auto [measure, expected] : {std::pair{store::Measure::kSessions, &expected_sessions},
                                   std::pair{store::Measure::kEvents, &expected_events}}) {
    q.measure = measure;
    auto rows = store_.rollups->query(q);
    ASSERT_TRUE(rows) << rows.error();
    std::map<std::vector<std::string>, std::int64_t> got;
    for (const auto& row : *rows) {
      got[row.keys] = row.value;
    }
    EXPECT_EQ(got, *expected);
  }

  // `mitsu rollups rebuild` gives the same tables, row for row.
  auto before = store_.rollups->dump();
  ASSERT_TRUE(before) << before.error();
  auto rebuilt = store_.rollups->rebuild();
  ASSERT_TRUE(rebuilt) << rebuilt.error();
  EXPECT_EQ(rebuilt->events, generator.truth().events);
  EXPECT_EQ(rebuilt->sessions, generator.truth().sessions);
  auto after = store_.rollups->dump();
  ASSERT_TRUE(after) << after.error();
  EXPECT_GT(before->size(), 1000u);
  auto lines = [](const std::vector<store::RollupDumpRow>& rows) {
    std::vector<std::string> out;
    for (const store::RollupDumpRow& row : rows) {
      out.push_back(store::to_string(row));
    }
    return out;
  };
  EXPECT_EQ(lines(*before), lines(*after));
}

// Flat noise (no disclosures, no injected peaks) over many seeds: no peak in any daily series.
TEST(PeakDetection, FlatNoiseHasNoPeaksOverManySeeds) {
  auto geo = test_world();
  std::size_t series_days = 0, false_peaks = 0;
  PeakOptions peak_options;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SimulationOptions options;
    options.days = 365;
    options.seed = seed;
    options.sessions_per_day = 400;
    options.disclosure_bursts = false;
    TrafficGenerator generator(options, *geo);
    generator.run({});
    std::map<std::string, std::vector<double>> series;
    auto add = [&](const std::string& name, std::int64_t day, std::int64_t n) {
      auto& s = series[name];
      s.resize(static_cast<std::size_t>(options.days), 0);
      s[static_cast<std::size_t>(day - options.first_day)] += static_cast<double>(n);
    };
    for (const auto& [key, n] : generator.truth().sessions_by_protocol) {
      add("total", key.first, n);
      add("protocol=" + key.second, key.first, n);
    }
    for (const auto& [key, n] : generator.truth().sessions_by_country) {
      add("country=" + key.second, key.first, n);
    }
    for (const auto& [name, values] : series) {
      series_days += values.size() - static_cast<std::size_t>(peak_options.min_history);
      auto peaks = detect_peaks(values, peak_options);
      false_peaks += peaks.size();
      for (const PeakDay& p : peaks) {
        ADD_FAILURE() << "seed " << seed << " " << name << " day " << p.index << " value "
                      << p.value << " baseline " << p.baseline << " score " << p.score;
      }
    }
  }
  std::cout << "false-positive rate: " << false_peaks << " peaks in " << series_days
            << " series-days (10 seeds x 365 days; total, per protocol, per country)\n";
  EXPECT_EQ(false_peaks, 0u);
}

}  // namespace
}  // namespace mitsu::intel

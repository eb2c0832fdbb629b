// Rollup conformance: what intel counts (intel/rollups) comes out the same on every engine —
// replayed batches are counted once, a session whose class or earliest event changes in a later
// batch moves, a rebuild equals what ingest kept row for row, verdicts move samples, and the
// engine's own contract (signed deltas, zero rows gone, filtered and limited reads, state).
// Intel is linked here on purpose: the suite checks the engine under intel's real counting.

#include <algorithm>
#include <random>

#include "conformance.h"
#include "core/event_builder.h"
#include "intel/rollups/rollups.h"

namespace mitsu::store::conformance {
namespace {

constexpr std::int64_t kDayUs = 86'400'000'000;
constexpr std::int64_t kStartUs = 1'793'491'200'000'000;  // 2026-11-01T00:00:00Z
constexpr std::int64_t kStartDay = kStartUs / kDayUs;

class RollupConformance : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    attach();
  }

  void attach() {
    Status attached = intel::attach_rollups(stores_, targeted_);
    ASSERT_TRUE(attached) << attached.error();
  }

  void reopen_with_rollups() {
    reopen();
    attach();
  }

  std::vector<std::string> dump() {
    auto rows = stores_.rollups->dump();
    EXPECT_TRUE(rows) << rows.error();
    std::vector<std::string> out;
    for (const RollupDumpRow& row : rows ? *rows : std::vector<RollupDumpRow>{}) {
      out.push_back(to_string(row));
    }
    return out;
  }

  std::map<std::vector<std::string>, std::int64_t> query(Measure measure,
                                                         std::vector<std::string> group_by,
                                                         std::optional<std::int64_t> from = {},
                                                         std::optional<std::int64_t> to = {}) {
    RollupQuery q;
    q.measure = measure;
    q.group_by = std::move(group_by);
    q.from_day = from;
    q.to_day = to;
    auto rows = stores_.rollups->query(q);
    EXPECT_TRUE(rows) << rows.error();
    std::map<std::vector<std::string>, std::int64_t> out;
    for (const RollupRow& row : rows ? *rows : std::vector<RollupRow>{}) {
      out[row.keys] += row.value;
    }
    return out;
  }

  std::int64_t total(Measure measure) {
    auto rows = query(measure, {});
    return rows.empty() ? 0 : rows.begin()->second;
  }

  TargetedBy targeted_;
};

// Synthetic traffic spread over months, with enrichment columns set as the collector would.
std::vector<Event> traffic(std::size_t n, std::uint64_t seed, std::int64_t step_us) {
  mitsu::testing::SyntheticOptions options;
  options.seed = seed;
  options.start_us = kStartUs;
  options.step_us = step_us;
  mitsu::testing::SyntheticEvents source(options);
  EventParser parser;
  std::vector<Event> events(n);
  for (Event& e : events) {
    Rejection why;
    EXPECT_TRUE(parser.parse(source.next(), e, why)) << why.to_string();
    e.country = e.src_ip.starts_with("192.") ? "CN" : e.src_ip.starts_with("198.") ? "US" : "";
    e.asn = e.src_ip.starts_with("203.") ? 64501 : 0;
  }
  return events;
}

std::vector<std::vector<Event>> shuffled_batches(std::vector<Event> events, std::size_t batches,
                                                 std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::shuffle(events.begin(), events.end(), random);
  std::vector<std::vector<Event>> out(batches);
  for (std::size_t i = 0; i < events.size(); ++i) {
    out[i % batches].push_back(std::move(events[i]));
  }
  return out;
}

// One hand-made session, for the cases synthetic traffic cannot pin down.
class SessionEvents {
 public:
  SessionEvents() : builder_({"sensor-c", "lab"}, ids_) {
    session_ = {ids_.next().to_string(),    "telnet", "tcp", "192.0.2.50", 40000, "", 23,
                {"camera", "Acme", "IPC-1"}};
  }

  Event make(std::string_view action, std::int64_t ts_us,
             const std::vector<std::pair<std::string, nlohmann::json>>& fields = {}) {
    nlohmann::json e = builder_.session_event(session_, action, ts_us);
    for (const auto& [path, value] : fields) {
      set_field(e, path, value);
    }
    Event event;
    Rejection why;
    EXPECT_TRUE(parser_.parse(to_event_text(e), event, why)) << why.to_string();
    return event;
  }

 private:
  Uuid7Generator ids_;
  EventBuilder builder_;
  SessionInfo session_;
  EventParser parser_;
};

TEST_P(RollupConformance, ReplayedBatchesAreCountedOnce) {
  std::vector<Event> events = traffic(3000, 1, 60'000'000);
  ASSERT_EQ(ingest(events), events.size());
  std::vector<std::string> once = dump();
  ASSERT_FALSE(once.empty());
  std::int64_t sessions = total(Measure::kSessions);
  EXPECT_GT(sessions, 100);
  EXPECT_EQ(total(Measure::kEvents), 3000);

  // The same batch again, then split differently: the claims make nothing fresh.
  EXPECT_EQ(ingest(events), 0u);
  for (const auto& batch : shuffled_batches(events, 7, 3)) {
    EXPECT_EQ(ingest(batch), 0u);
  }
  EXPECT_EQ(dump(), once);
  EXPECT_EQ(total(Measure::kSessions), sessions);

  // And after a restart.
  reopen_with_rollups();
  EXPECT_EQ(ingest(events), 0u);
  EXPECT_EQ(dump(), once);
}

TEST_P(RollupConformance, ASessionMovesWhenALaterBatchChangesItsClassOrEarliestEvent) {
  SessionEvents s;
  Event login = s.make(
      "login.attempt", kStartUs + kDayUs + 5'000'000,
      {{"user.name", "root"}, {"mitsu.login.password", "xc3511"}, {"event.outcome", "failure"}});
  ASSERT_EQ(ingest({login}), 1u);
  using Keys = std::map<std::vector<std::string>, std::int64_t>;
  EXPECT_EQ(query(Measure::kSessions, {"day", "class"}),
            (Keys{{{format_day(kStartDay + 1), "brute_force"}, 1}}));

  // Earlier in time and a payload: the session now starts a day earlier, as malware delivery.
  Event open = s.make("session.open", kStartUs + 1'000'000);
  Event download = s.make("file.download", kStartUs + kDayUs + 9'000'000,
                          {{"url.full", "http://192.0.2.7/x.arm"},
                           {"event.outcome", "success"},
                           {"file.hash.sha256", std::string(64, 'a')},
                           {"file.size", 1000}});
  ASSERT_EQ(ingest({download, open}), 2u);
  EXPECT_EQ(query(Measure::kSessions, {"day", "class"}),
            (Keys{{{format_day(kStartDay), "malware_delivery"}, 1}}));
  EXPECT_EQ(query(Measure::kEvents, {"day", "protocol", "port"}),
            (Keys{{{format_day(kStartDay), "telnet", "23"}, 3}}));
  EXPECT_EQ(total(Measure::kSamples), 1);

  // The same session counted from one batch gives the same rows.
  std::vector<std::string> moved = dump();
  auto rebuilt = stores_.rollups->rebuild();
  ASSERT_TRUE(rebuilt) << rebuilt.error();
  EXPECT_EQ(rebuilt->sessions, 1u);
  EXPECT_EQ(rebuilt->samples, 1u);
  EXPECT_EQ(dump(), moved);
}

TEST_P(RollupConformance, RebuildEqualsIncrementalRowForRow) {
  targeted_.credentials = {{"root", "xc3511"}, {"admin", "admin"}};
  reopen_with_rollups();
  std::vector<Event> events = traffic(6000, 5, 3 * 3'600'000'000LL);  // about 2 years
  // Shuffled across batches: sessions arrive in pieces and out of order.
  for (const auto& batch : shuffled_batches(events, 12, 9)) {
    ingest(batch);
  }
  std::vector<std::string> incremental = dump();
  EXPECT_GT(incremental.size(), 500u);
  auto rebuilt = stores_.rollups->rebuild();
  ASSERT_TRUE(rebuilt) << rebuilt.error();
  EXPECT_EQ(rebuilt->events, events.size());
  EXPECT_EQ(static_cast<std::int64_t>(rebuilt->sessions), total(Measure::kSessions));
  EXPECT_EQ(dump(), incremental);

  // Whole months from monthly cubes plus ragged day ends equal the daily rows summed.
  auto by_country = query(Measure::kSessions, {"country"}, kStartDay + 17, kStartDay + 400);
  std::map<std::vector<std::string>, std::int64_t> summed;
  for (const auto& [keys, n] :
       query(Measure::kSessions, {"day", "country"}, kStartDay + 17, kStartDay + 400)) {
    summed[{keys[1]}] += n;
  }
  EXPECT_EQ(by_country, summed);
  EXPECT_FALSE(by_country.empty());
}

TEST_P(RollupConformance, AVerdictMovesItsSampleInTheCatalogsUnitOfWork) {
  SessionEvents s;
  std::string sha256(64, 'b');
  Event download = s.make("file.download", kStartUs + 1'000'000,
                          {{"url.full", "http://192.0.2.7/y.mips"},
                           {"event.outcome", "success"},
                           {"file.hash.sha256", sha256},
                           {"file.size", 1000}});
  ASSERT_EQ(ingest({download}), 1u);
  using Keys = std::map<std::vector<std::string>, std::int64_t>;
  EXPECT_EQ(query(Measure::kSamples, {"family", "known"}), (Keys{{{"", "-1"}, 1}}));

  auto job = stores_.catalog->take_job(kStartUs, 60'000'000);
  ASSERT_TRUE(job && job->has_value());
  nlohmann::json verdict = {{"family", {{"name", "mirai"}}},
                            {"elf", {{"arch", "mips"}}},
                            {"target", {{"class", "iot"}}},
                            {"known", {{"known", false}}},
                            {"iocs", {{"domains", {"c2.example.test"}}}}};
  Status finished = stores_.catalog->finish_job(**job, 1, verdict.dump(), KnownCheck{});
  ASSERT_TRUE(finished) << finished.error();
  EXPECT_EQ(query(Measure::kSamples, {"family", "arch", "known", "target"}),
            (Keys{{{"mirai", "mips", "0", "iot"}, 1}}));
  EXPECT_EQ(query(Measure::kDomains, {"domain", "source"}),
            (Keys{{{"c2.example.test", "static"}, 1}}));

  std::vector<std::string> analysed = dump();
  auto rebuilt = stores_.rollups->rebuild();
  ASSERT_TRUE(rebuilt) << rebuilt.error();
  EXPECT_EQ(dump(), analysed);
}

// The engine's own contract, without intel's counting.
TEST_P(RollupConformance, EngineAddsSignedDeltasAndDropsRowsThatReachZero) {
  stores_.rollups.reset();  // this test defines its own cubes
  reopen();
  RollupEngine& engine = *stores_.rollup_engine;
  std::vector<CubeSpec> specs{
      {"t_pair",
       {{"day", CubeColumnType::kInteger}, {"name", CubeColumnType::kText}},
       {"hits", "bytes"},
       {"name"}},
  };
  ASSERT_TRUE(engine.define(specs));
  auto delta = [](std::int64_t day, std::string name, std::int64_t hits, std::int64_t bytes) {
    return CubeDelta{0, {day, std::move(name)}, {hits, bytes}};
  };
  RollupBatch batch;
  batch.deltas = {delta(1, "a", 2, 10), delta(1, "b", 1, 5), delta(2, "a", 4, 1),
                  delta(3, "", 1, 1)};
  batch.states = {{"k", "x", std::string("\0\x01bytes", 7)}};
  ASSERT_TRUE(engine.write(batch));
  ASSERT_TRUE(engine.write({{}, {delta(1, "b", -1, -5), delta(2, "a", 1, 0)}}));

  auto rows = engine.rows(0);
  ASSERT_TRUE(rows) << rows.error();
  EXPECT_EQ(*rows, (std::vector<CubeRow>{{{std::int64_t{1}, std::string("a")}, {2, 10}},
                                         {{std::int64_t{2}, std::string("a")}, {5, 1}},
                                         {{std::int64_t{3}, std::string("")}, {1, 1}}}));

  CubeRead read{0, "hits", {"name"}, {}, "day", 1, 3, 0};
  auto sums = engine.read(read);
  ASSERT_TRUE(sums) << sums.error();
  EXPECT_EQ(*sums, (std::vector<CubeRow>{{{std::string("a")}, {7}}}));
  read = {0, "bytes", {"day"}, {{"name", std::string("a")}}, "", {}, {}, 1};
  sums = engine.read(read);
  ASSERT_TRUE(sums) << sums.error();
  EXPECT_EQ(*sums, (std::vector<CubeRow>{{{std::int64_t{1}}, {10}}}));
  read = {0, "hits", {}, {{"name", std::string("none")}}, "", {}, {}, 0};
  sums = engine.read(read);
  ASSERT_TRUE(sums) << sums.error();
  EXPECT_TRUE(sums->empty());

  std::vector<std::string> keys{"x", "y"};
  auto states = engine.load_states("k", keys);
  ASSERT_TRUE(states) << states.error();
  EXPECT_EQ(*states,
            (std::vector<std::optional<std::string>>{std::string("\0\x01bytes", 7), std::nullopt}));
  EXPECT_EQ(*engine.count_states("k"), 1u);

  // A failed refill leaves everything as it was; a good one replaces everything.
  EXPECT_FALSE(engine.rebuild([]() -> Status { return Error{"simulated"}; }));
  EXPECT_EQ(engine.rows(0)->size(), 3u);
  ASSERT_TRUE(engine.rebuild([&]() -> Status {
    return engine.write({{}, {delta(9, "z", 1, 1)}});
  }));
  EXPECT_EQ(*engine.rows(0), (std::vector<CubeRow>{{{std::int64_t{9}, std::string("z")}, {1, 1}}}));
  EXPECT_EQ(*engine.count_states("k"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, RollupConformance, ::testing::ValuesIn(engines_under_test()),
                         engine_name);

}  // namespace
}  // namespace mitsu::store::conformance

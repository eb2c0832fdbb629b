// Catalog conformance: claims make ingest exactly-once without a transaction shared with the
// event store (docs/ingest.md), including replays, out-of-order batches and crashes between steps.

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "conformance.h"

namespace mitsu::store::conformance {
namespace {

using CatalogConformance = EngineTest;

std::vector<std::string_view> ids_of(const std::vector<Event>& events) {
  std::vector<std::string_view> ids;
  for (const Event& e : events) {
    ids.push_back(e.id);
  }
  return ids;
}

// What the catalog should say about every session after each event was counted once.
struct Expected {
  std::map<std::string, std::int64_t> session_events;
  std::map<std::string, std::int64_t> session_logins;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> session_span;  // first, last
  std::int64_t sensor_events = 0;
  std::map<std::string, std::int64_t> sample_sightings;
};

Expected expected_from(const std::vector<Event>& events) {
  Expected x;
  for (const Event& e : events) {
    ++x.sensor_events;
    if (!e.session_id.empty()) {
      ++x.session_events[e.session_id];
      x.session_logins[e.session_id] += e.action == "login.attempt" ? 1 : 0;
      auto [span, added] = x.session_span.try_emplace(e.session_id, e.ts_us, e.ts_us);
      span->second.first = std::min(span->second.first, e.ts_us);
      span->second.second = std::max(span->second.second, e.ts_us);
    }
    if (!e.sha256.empty() &&
        (e.action == "file.upload" || (e.action == "file.download" && e.outcome == "success"))) {
      ++x.sample_sightings[e.sha256];
    }
  }
  return x;
}

void expect_counted_once(Catalog& catalog, const Expected& x) {
  for (const auto& [id, count] : x.session_events) {
    auto session = catalog.session(id);
    ASSERT_TRUE(session.ok() && session->has_value()) << id;
    EXPECT_EQ((*session)->events, count) << id;
    EXPECT_EQ((*session)->login_attempts, x.session_logins.at(id)) << id;
    EXPECT_EQ((*session)->started_us, x.session_span.at(id).first) << id;
    EXPECT_EQ((*session)->last_seen_us, x.session_span.at(id).second) << id;
  }
  auto sensors = catalog.sensors();
  ASSERT_TRUE(sensors.ok()) << sensors.error();
  std::int64_t sensor_events = 0;
  for (const SensorRecord& s : *sensors) {
    sensor_events += s.events;
  }
  EXPECT_EQ(sensor_events, x.sensor_events);
  for (const auto& [sha256, sightings] : x.sample_sightings) {
    auto sample = catalog.sample(sha256);
    ASSERT_TRUE(sample.ok() && sample->has_value()) << sha256;
    EXPECT_EQ((*sample)->sightings, sightings) << sha256;
  }
  EXPECT_EQ(*catalog.queued_jobs(), x.sample_sightings.size());
}

TEST_P(CatalogConformance, ClaimsAreFreshOnceAcrossAndWithinBatches) {
  auto events = synthetic_events(100);
  auto ids = ids_of(events);
  std::vector<bool> fresh;
  ASSERT_TRUE(stores_.unit_of_work->run([&]() -> Status {
    auto claimed = stores_.catalog->claim_events(std::span(ids).first(60));
    fresh = claimed ? *claimed : std::vector<bool>{};
    return claimed ? Status{} : Status{claimed.failure()};
  }));
  EXPECT_EQ(std::count(fresh.begin(), fresh.end(), true), 60);
  std::vector<std::string_view> again(ids.begin() + 50, ids.end());
  again.push_back(ids[80]);  // twice in one call: the first claims it
  ASSERT_TRUE(stores_.unit_of_work->run([&]() -> Status {
    auto claimed = stores_.catalog->claim_events(again);
    fresh = claimed ? *claimed : std::vector<bool>{};
    return claimed ? Status{} : Status{claimed.failure()};
  }));
  ASSERT_EQ(fresh.size(), again.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    bool expect_fresh = i >= 10 && i + 1 < again.size();
    EXPECT_EQ(fresh[i], expect_fresh) << i;
  }
}

TEST_P(CatalogConformance, ClaimsRollBackWithTheUnitOfWork) {
  auto events = synthetic_events(30);
  auto ids = ids_of(events);
  Status failed = stores_.unit_of_work->run([&]() -> Status {
    auto claimed = stores_.catalog->claim_events(ids);
    EXPECT_TRUE(claimed.ok());
    return Error{"catalog update failed (simulated)"};
  });
  EXPECT_FALSE(failed);
  EXPECT_EQ(record_in_catalog(events), 30u) << "rolled-back claims are claimed again";
}

TEST_P(CatalogConformance, ReplayedBatchIsCountedOnce) {
  auto events = synthetic_events(2000);
  EXPECT_EQ(ingest(events), 2000u);
  EXPECT_EQ(ingest(events), 0u);
  expect_counted_once(*stores_.catalog, expected_from(events));
}

TEST_P(CatalogConformance, OutOfOrderBatchesGiveTheSameCatalog) {
  auto events = synthetic_events(1500);
  std::vector<Event> shuffled = events;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(11));
  for (std::size_t i = 0; i < shuffled.size(); i += 100) {
    ingest({shuffled.begin() + i, shuffled.begin() + i + 100});
  }
  expect_counted_once(*stores_.catalog, expected_from(events));
}

TEST_P(CatalogConformance, CrashBeforeTheCatalogUnitOfWorkIsCountedOnReplay) {
  auto events = synthetic_events(800);
  store_events(events);  // step 1, then the crash
  reopen();
  EXPECT_EQ(ingest(events), 800u) << "nothing was claimed: the replay counts every event";
  EXPECT_EQ(*stores_.events->count(), 800u);
  expect_counted_once(*stores_.catalog, expected_from(events));
}

TEST_P(CatalogConformance, CrashAfterTheUnitOfWorkBeforeTheAckChangesNothingOnReplay) {
  auto events = synthetic_events(800);
  const Rejection why{RejectCode::kMalformedJson, "not JSON"};
  ASSERT_TRUE(stores_.events->quarantine("garbage", why, 1));
  EXPECT_EQ(ingest(events), 800u);  // steps 1 and 2, then the crash before the ack
  reopen();
  ASSERT_TRUE(stores_.events->quarantine("garbage", why, 2));
  EXPECT_EQ(ingest(events), 0u);
  EXPECT_EQ(*stores_.events->count(), 800u);
  EXPECT_EQ(*stores_.events->quarantined_count(), 1u);
  expect_counted_once(*stores_.catalog, expected_from(events));
}

TEST_P(CatalogConformance, FailedUnitOfWorkCountsNothingAndTheRetryCountsOnce) {
  auto events = synthetic_events(300);
  store_events(events);
  Status failed = stores_.unit_of_work->run([&]() -> Status {
    auto ids = ids_of(events);
    auto claimed = stores_.catalog->claim_events(ids);
    EXPECT_TRUE(claimed.ok());
    std::vector<const Event*> fresh;
    for (const Event& e : events) {
      fresh.push_back(&e);
    }
    EXPECT_TRUE(stores_.catalog->apply(fresh));
    return Error{"rollups failed (simulated)"};
  });
  EXPECT_FALSE(failed);
  auto session = stores_.catalog->session(events.front().session_id);
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE(session->has_value());
  EXPECT_EQ(*stores_.catalog->queued_jobs(), 0u);
  EXPECT_EQ(ingest(events), 300u);
  expect_counted_once(*stores_.catalog, expected_from(events));
}

TEST_P(CatalogConformance, KnownSourcesCountTheirHashesOnce) {
  std::vector<KnownHash> feed = {{std::string(64, 'a'), "feed", "Mirai", std::nullopt},
                                 {std::string(32, 'b'), "feed", "", std::nullopt},
                                 {std::string(40, 'c'), "list", "", 1}};
  ASSERT_EQ(*stores_.catalog->import_known_hashes(feed), 3u);
  ASSERT_EQ(*stores_.catalog->import_known_hashes(feed), 0u);  // imported again: nothing new
  auto sources = stores_.catalog->known_sources();
  ASSERT_TRUE(sources.ok()) << sources.error();
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ((*sources)[0].source, "feed");
  EXPECT_EQ((*sources)[0].hashes, 2);
  EXPECT_EQ((*sources)[0].with_signature, 1);
  EXPECT_GT((*sources)[0].imported_us, 0);
  EXPECT_EQ((*sources)[1].source, "list");
  EXPECT_EQ((*sources)[1].hashes, 1);
}

TEST_P(CatalogConformance, AutonomousSystemsKeepTheNewestNameTheyWereSeenWith) {
  auto events = synthetic_events(30);
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].asn = i < 10 ? 64496 : 64497;  // RFC 5398 documentation ASNs
    events[i].as_org = i < 10 ? "EXAMPLE-NET" : (i < 20 ? "OLD-NAME" : "NEW-NAME");
  }
  events[29].asn = 0;  // unknown: never named
  ASSERT_EQ(ingest({events.begin(), events.begin() + 20}), 20u);
  ASSERT_EQ(ingest({events.begin() + 20, events.end()}), 10u);
  std::vector<std::uint32_t> asns = {64496, 64497, 64498, 0};
  auto names = stores_.catalog->as_names(asns);
  ASSERT_TRUE(names.ok()) << names.error();
  EXPECT_EQ(names->size(), 2u);
  EXPECT_EQ(names->at(64496), "EXAMPLE-NET");
  EXPECT_EQ(names->at(64497), "NEW-NAME");
}

TEST_P(CatalogConformance, RecentSamplesAreTheLastSeenFirst) {
  auto events = synthetic_events(400);
  ASSERT_EQ(ingest(events), events.size());
  auto x = expected_from(events);
  ASSERT_GE(x.sample_sightings.size(), 3u) << "the synthetic traffic must carry samples";
  std::vector<SampleRecord> all;
  for (const auto& [sha256, sightings] : x.sample_sightings) {
    all.push_back(**stores_.catalog->sample(sha256));
  }
  std::sort(all.begin(), all.end(), [](const SampleRecord& a, const SampleRecord& b) {
    return a.last_seen_us != b.last_seen_us ? a.last_seen_us > b.last_seen_us : a.sha256 < b.sha256;
  });
  auto recent = stores_.catalog->recent_samples(3);
  ASSERT_TRUE(recent.ok()) << recent.error();
  ASSERT_EQ(recent->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*recent)[i].sha256, all[i].sha256) << i;
    EXPECT_EQ((*recent)[i].sightings, all[i].sightings) << i;
  }
  EXPECT_EQ(stores_.catalog->recent_samples(1000)->size(), all.size());
}

INSTANTIATE_TEST_SUITE_P(Engines, CatalogConformance, ::testing::ValuesIn(engines_under_test()),
                         engine_name);

}  // namespace
}  // namespace mitsu::store::conformance

// Event store conformance: inserts are idempotent per event id whatever the batching or order,
// and quarantine keeps a record once.

#include <algorithm>
#include <random>
#include <set>

#include "conformance.h"

namespace mitsu::store::conformance {
namespace {

using EventStoreConformance = EngineTest;

TEST_P(EventStoreConformance, ReplayedBatchIsStoredOnce) {
  auto events = synthetic_events(500);
  store_events(events);
  store_events(events);
  EXPECT_EQ(*stores_.events->count(), 500u);
}

TEST_P(EventStoreConformance, OverlappingBatchesAndRepeatsWithinABatchAreStoredOnce) {
  auto events = synthetic_events(400);
  store_events({events.begin(), events.begin() + 250});
  std::vector<Event> overlapping(events.begin() + 200, events.end());
  overlapping.push_back(events[300]);  // the same event twice in one batch
  store_events(overlapping);
  EXPECT_EQ(*stores_.events->count(), 400u);
}

TEST_P(EventStoreConformance, OutOfOrderEventsAreQueriedNewestFirst) {
  auto events = synthetic_events(600);
  std::vector<Event> shuffled = events;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  for (std::size_t i = 0; i < shuffled.size(); i += 150) {
    store_events({shuffled.begin() + i, shuffled.begin() + i + 150});
  }
  EXPECT_EQ(*stores_.events->count(), 600u);
  EventQuery all;
  all.limit = 1000;
  auto stored = stores_.events->query(all);
  ASSERT_TRUE(stored.ok()) << stored.error();
  ASSERT_EQ(stored->size(), 600u);
  EXPECT_TRUE(std::is_sorted(stored->begin(), stored->end(),
                             [](const Event& a, const Event& b) { return a.ts_us > b.ts_us; }));
  EXPECT_EQ(stored->front().id, events.back().id);
  EXPECT_EQ(stored->back().id, events.front().id);
}

TEST_P(EventStoreConformance, QueriesFilterBySessionAndTimeWindow) {
  auto events = synthetic_events(300);
  store_events(events);
  EventQuery by_session;
  by_session.session_id = events.front().session_id;
  by_session.limit = 1000;
  auto session = stores_.events->query(by_session);
  ASSERT_TRUE(session.ok()) << session.error();
  std::size_t expected = std::count_if(events.begin(), events.end(), [&](const Event& e) {
    return e.session_id == events.front().session_id;
  });
  EXPECT_EQ(session->size(), expected);
  EventQuery window;
  window.since_us = events[10].ts_us;
  window.until_us = events[20].ts_us;
  window.limit = 1000;
  EXPECT_EQ(stores_.events->query(window)->size(), 10u);
}

TEST_P(EventStoreConformance, QuarantineKeepsAReplayedRecordOnce) {
  const Rejection why{RejectCode::kMalformedJson, "not JSON"};
  ASSERT_TRUE(stores_.events->quarantine("garbage", why, 1));
  ASSERT_TRUE(stores_.events->quarantine("garbage", why, 2));  // the batch replayed
  ASSERT_TRUE(stores_.events->quarantine("other garbage", why, 3));
  EXPECT_EQ(*stores_.events->quarantined_count(), 2u);
}

TEST_P(EventStoreConformance, CountsWhatAQueryMatchesWhateverItsLimit) {
  auto events = synthetic_events(400);
  store_events(events);
  EventQuery logins;
  logins.action = "login.attempt";
  logins.limit = 3;
  std::size_t expected = std::count_if(events.begin(), events.end(),
                                       [](const Event& e) { return e.action == "login.attempt"; });
  ASSERT_GT(expected, 3u);
  EXPECT_EQ(*stores_.events->count(logins), expected);
  EXPECT_EQ(stores_.events->query(logins)->size(), 3u);
  EXPECT_EQ(*stores_.events->count(EventQuery{}), 400u);
}

// Cursor paging walks every event once, in either order, even where timestamps tie.
TEST_P(EventStoreConformance, CursorPagesNeitherOverlapNorSkip) {
  auto events = synthetic_events(250);
  for (std::size_t i = 0; i < events.size(); i += 3) {
    events[i].ts_us = events[0].ts_us;  // ties broken by id
  }
  store_events(events);
  for (bool oldest_first : {false, true}) {
    EventQuery page;
    page.limit = 7;
    page.oldest_first = oldest_first;
    std::vector<std::string> seen;
    for (int guard = 0; guard < 100; ++guard) {
      auto got = stores_.events->query(page);
      ASSERT_TRUE(got.ok()) << got.error();
      for (const Event& e : *got) {
        seen.push_back(e.id);
      }
      if (got->size() < page.limit) {
        break;
      }
      page.after = EventCursor{got->back().ts_us, got->back().id};
    }
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(seen.size(), events.size()) << "oldest_first=" << oldest_first;
    EXPECT_EQ(unique.size(), events.size());
  }
}

TEST_P(EventStoreConformance, FindsASamplesSightingsByHashInTimeOrder) {
  auto events = synthetic_events(600);
  store_events(events);
  auto with_hash =
      std::find_if(events.begin(), events.end(), [](const Event& e) { return !e.sha256.empty(); });
  ASSERT_NE(with_hash, events.end());
  const std::string hash = with_hash->sha256;
  std::vector<std::string> expected;
  for (const Event& e : events) {
    if (e.sha256 == hash) {
      expected.push_back(e.id);
    }
  }
  EventQuery sightings;
  sightings.sha256 = hash;
  sightings.oldest_first = true;
  sightings.limit = 10000;
  auto found = stores_.events->query(sightings);
  ASSERT_TRUE(found.ok()) << found.error();
  std::vector<std::string> ids;
  for (const Event& e : *found) {
    ids.push_back(e.id);
    EXPECT_EQ(e.sha256, hash);
  }
  EXPECT_EQ(ids, expected);  // synthetic events are generated in time order
}

TEST_P(EventStoreConformance, QuarantinedRecordsAreListedNewestFirstWithTheirBytes) {
  const std::string binary("\x00\xff{\"a\":", 6);
  ASSERT_TRUE(stores_.events->quarantine("first", {RejectCode::kMalformedJson, "not JSON"}, 1));
  ASSERT_TRUE(stores_.events->quarantine(binary, {RejectCode::kUnknownKind, "kind x"}, 2));
  auto records = stores_.events->quarantined(10);
  ASSERT_TRUE(records.ok()) << records.error();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].raw, binary);
  EXPECT_EQ((*records)[0].reason, "kind x");
  EXPECT_EQ((*records)[0].received_us, 2);
  EXPECT_EQ((*records)[1].raw, "first");
  EXPECT_FALSE((*records)[1].code.empty());
  EXPECT_EQ(stores_.events->quarantined(1)->size(), 1u);
}

TEST_P(EventStoreConformance, StoredEventsSurviveReopening) {
  auto events = synthetic_events(50);
  store_events(events);
  reopen();
  EXPECT_EQ(*stores_.events->count(), 50u);
  store_events(events);
  EXPECT_EQ(*stores_.events->count(), 50u);
}

INSTANTIATE_TEST_SUITE_P(Engines, EventStoreConformance, ::testing::ValuesIn(engines_under_test()),
                         engine_name);

}  // namespace
}  // namespace mitsu::store::conformance

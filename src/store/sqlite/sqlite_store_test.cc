#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/event_parser.h"
#include "store/sqlite/embedded_store.h"
#include "testing/synthetic_events.h"
#include "testing/temp_dir.h"

namespace mitsu::store::sqlite {
namespace {

std::vector<Event> synthetic(std::size_t n, std::uint64_t seed = 1) {
  mitsu::testing::SyntheticOptions options;
  options.seed = seed;
  mitsu::testing::SyntheticEvents source(options);
  EventParser parser;
  std::vector<Event> events(n);
  for (Event& e : events) {
    Rejection why;
    EXPECT_TRUE(parser.parse(source.next(), e, why)) << why.to_string();
  }
  return events;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_embedded_store(dir_ / "mitsu.db");
    ASSERT_TRUE(opened.ok()) << opened.error();
    store_ = std::move(*opened);
  }

  // Ingest as the collector does it (docs/ingest.md); returns how many events were fresh.
  Result<std::size_t> insert(const std::vector<Event>& events) {
    std::size_t fresh_count = 0;
    Status status = store_.db->run([&]() -> Status {
      if (Status s = store_.events->insert(events); !s) {
        return s;
      }
      std::vector<std::string_view> ids;
      for (const Event& e : events) {
        ids.push_back(e.id);
      }
      auto claimed = store_.catalog->claim_events(ids);
      if (!claimed) {
        return claimed.failure();
      }
      std::vector<const Event*> fresh;
      for (std::size_t i = 0; i < events.size(); ++i) {
        if ((*claimed)[i]) {
          fresh.push_back(&events[i]);
        }
      }
      fresh_count = fresh.size();
      return store_.catalog->apply(fresh);
    });
    if (!status) {
      return status.failure();
    }
    return fresh_count;
  }

  mitsu::testing::TempDir dir_{"store-test"};
  EmbeddedStore store_;
};

TEST_F(StoreTest, InsertsOnceAndCountsDuplicates) {
  auto events = synthetic(500);
  auto first = insert(events);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 500u);
  auto second = insert(events);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 0u);
  EXPECT_EQ(*store_.events->count(), 500u);
}

TEST_F(StoreTest, CatalogCountsEachEventOnceEvenWhenReplayed) {
  auto events = synthetic(300);
  ASSERT_TRUE(insert(events));
  ASSERT_TRUE(insert(events));  // replay
  const Event& open = events.front();
  ASSERT_EQ(open.action, "session.open");
  auto session = store_.catalog->session(open.session_id);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(session->has_value());
  std::int64_t expected = 0, logins = 0;
  for (const Event& e : events) {
    if (e.session_id == open.session_id) {
      ++expected;
      logins += e.action == "login.attempt";
    }
  }
  EXPECT_EQ((*session)->events, expected);
  EXPECT_EQ((*session)->login_attempts, logins);
  EXPECT_EQ((*session)->src_ip, open.src_ip);
  EXPECT_EQ((*session)->device_type, open.device_type);
  EXPECT_TRUE((*session)->ended_us.has_value());
  auto sensors = store_.catalog->sensors();
  ASSERT_EQ(sensors->size(), 1u);
  EXPECT_EQ(sensors->front().events, 300);
}

TEST_F(StoreTest, DeliveredSamplesAreQueuedForAnalysisOnce) {
  auto events = synthetic(2000);
  ASSERT_TRUE(insert(events));
  std::set<std::string> hashes;
  std::map<std::string, int> sightings;
  for (const Event& e : events) {
    if (e.action == "file.download" && e.outcome == "success") {
      hashes.insert(e.sha256);
      ++sightings[e.sha256];
    }
  }
  ASSERT_FALSE(hashes.empty());
  EXPECT_EQ(*store_.catalog->queued_jobs(), hashes.size());
  auto sample = store_.catalog->sample(*hashes.begin());
  ASSERT_TRUE(sample.ok() && sample->has_value());
  EXPECT_EQ((*sample)->sightings, sightings[*hashes.begin()]);
}

TEST_F(StoreTest, ReleasedJobsAreTakenAgainAtOnceWithTheirReasonAndCountedAttempts) {
  Catalog& catalog = *store_.catalog;
  ASSERT_TRUE(catalog.enqueue_job("ab12", "static", 1));
  const std::int64_t lease = 60'000'000;
  auto first = catalog.take_job(2, lease);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->attempts, 1);
  EXPECT_EQ((*first)->last_error, "");
  const std::string crash = "analysis worker killed by signal 9 (Killed)";
  ASSERT_TRUE(catalog.release_job((*first)->id, crash, /*count_attempt=*/true));
  EXPECT_EQ(*catalog.queued_jobs(), 1u);

  auto second = catalog.take_job(3, lease);  // long before the lease would have run out
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->attempts, 2);
  EXPECT_EQ((*second)->last_error, crash);
  // A stop is not the sample's fault: the attempt is not counted and the crash's reason stays.
  ASSERT_TRUE(catalog.release_job((*second)->id, "interrupted by shutdown", false));
  auto third = catalog.take_job(4, lease);
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_EQ((*third)->attempts, 2);
  EXPECT_EQ((*third)->last_error, crash);

  // Given up on: a late release (its worker died afterwards) leaves the job failed.
  ASSERT_TRUE(catalog.fail_job(**third, "gave up after 1 attempts: " + crash));
  ASSERT_TRUE(catalog.release_job((*third)->id, "too late", true));
  EXPECT_EQ(*catalog.queued_jobs(), 0u);
  EXPECT_EQ(*store_.db->query_int("SELECT count(*) FROM analysis_jobs WHERE state = 'failed'"
                                  " AND error = 'gave up after 1 attempts: " +
                                  crash + "'"),
            1);
  // A job never taken is not touched either.
  ASSERT_TRUE(catalog.enqueue_job("cd34", "static", 5));
  ASSERT_TRUE(catalog.release_job((*third)->id + 1, "never ran", false));
  EXPECT_EQ(*store_.db->query_int("SELECT attempts FROM analysis_jobs WHERE sha256 = 'cd34'"), 0);
}

TEST_F(StoreTest, QueriesFilterAndOrderNewestFirst) {
  auto events = synthetic(1000);
  ASSERT_TRUE(insert(events));
  EventQuery query;
  query.action = "login.attempt";
  query.limit = 5;
  auto logins = store_.events->query(query);
  ASSERT_TRUE(logins.ok());
  ASSERT_EQ(logins->size(), 5u);
  for (std::size_t i = 0; i < logins->size(); ++i) {
    EXPECT_EQ((*logins)[i].action, "login.attempt");
    if (i > 0) {
      EXPECT_GE((*logins)[i - 1].ts_us, (*logins)[i].ts_us);
    }
  }
  EventQuery by_session;
  by_session.session_id = events[0].session_id;
  by_session.limit = 1000;
  auto session_events = store_.events->query(by_session);
  EXPECT_EQ(session_events->back().action, "session.open");
  EventQuery window;
  window.since_us = events[10].ts_us;
  window.until_us = events[20].ts_us;
  window.limit = 1000;
  EXPECT_EQ(store_.events->query(window)->size(), 10u);
  EventQuery by_ip;
  by_ip.src_ip = events[0].src_ip;
  by_ip.limit = 1000;
  for (const Event& e : *store_.events->query(by_ip)) {
    EXPECT_EQ(e.src_ip, events[0].src_ip);
  }
}

TEST_F(StoreTest, QuarantinesRejectedEvents) {
  ASSERT_TRUE(store_.events->quarantine("not json", {RejectCode::kMalformedJson, "x"}, 1));
  EXPECT_EQ(*store_.events->quarantined_count(), 1u);
}

TEST_F(StoreTest, MigrationsAreVersionedAndReopenCleanly) {
  auto events = synthetic(10);
  ASSERT_TRUE(insert(events));
  store_ = {};
  auto reopened = open_embedded_store(dir_ / "mitsu.db");
  ASSERT_TRUE(reopened.ok()) << reopened.error();
  EXPECT_EQ(*reopened->events->count(), 10u);
  Status bumped = reopened->db->exec(
      "UPDATE schema_migrations SET version = 99 WHERE component = 'events' AND version = "
      "(SELECT max(version) FROM schema_migrations WHERE component = 'events')");
  ASSERT_TRUE(bumped) << bumped.error();
  reopened = {Error{"closed"}};
  auto newer = open_embedded_store(dir_ / "mitsu.db");
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().find("newer than this build"), std::string::npos) << newer.error();
}

TEST_F(StoreTest, FailedUnitOfWorkStoresNothing) {
  auto events = synthetic(50);
  Status status = store_.db->run([&]() -> Status {
    EXPECT_TRUE(store_.events->insert(events));
    return Error{"catalog failed"};
  });
  EXPECT_FALSE(status);
  EXPECT_EQ(*store_.events->count(), 0u);
}

TEST_F(StoreTest, EventsStoredBeforeClaimsExistedAreClaimedByTheMigration) {
  auto events = synthetic(20);
  ASSERT_TRUE(insert(events));
  // Back to the schema before claims, as an upgraded database has it.
  ASSERT_TRUE(store_.db->exec(
      "DROP TABLE event_claims; DROP TABLE as_names; DROP INDEX analysis_jobs_finished;"
      " ALTER TABLE analysis_jobs DROP COLUMN queued_us;"
      " ALTER TABLE analysis_jobs DROP COLUMN finished_us;"
      " DELETE FROM schema_migrations WHERE component = 'catalog' AND version >= 3"));
  store_ = {};
  auto reopened = open_embedded_store(dir_ / "mitsu.db");
  ASSERT_TRUE(reopened.ok()) << reopened.error();
  store_ = std::move(*reopened);
  auto replay = insert(events);
  ASSERT_TRUE(replay);
  EXPECT_EQ(*replay, 0u) << "counted before the upgrade: not again";
}

// Events stored before the sha256 column existed are found by hash after the upgrade.
TEST_F(StoreTest, EventsStoredBeforeTheHashColumnAreFoundByHashAfterTheMigration) {
  auto events = synthetic(300);
  ASSERT_TRUE(insert(events));
  std::map<std::string, std::size_t> by_hash;
  for (const Event& e : events) {
    if (!e.sha256.empty()) {
      ++by_hash[e.sha256];
    }
  }
  ASSERT_FALSE(by_hash.empty());
  ASSERT_TRUE(store_.db->exec(
      "DROP INDEX events_sha256; ALTER TABLE events DROP COLUMN sha256; DELETE FROM "
      "schema_migrations WHERE component = 'events' AND version = 4"));
  store_ = {};
  auto reopened = open_embedded_store(dir_ / "mitsu.db");
  ASSERT_TRUE(reopened.ok()) << reopened.error();
  store_ = std::move(*reopened);
  for (const auto& [hash, n] : by_hash) {
    EventQuery q;
    q.sha256 = hash;
    EXPECT_EQ(*store_.events->count(q), n) << hash;
  }
}

TEST_F(StoreTest, QuarantineKeepsARecordOnceHoweverOftenItIsReplayed) {
  ASSERT_TRUE(store_.events->quarantine("garbage", {RejectCode::kMalformedJson, "x"}, 1));
  ASSERT_TRUE(store_.events->quarantine("garbage", {RejectCode::kMalformedJson, "x"}, 2));
  ASSERT_TRUE(store_.events->quarantine("garbage!", {RejectCode::kMalformedJson, "x"}, 3));
  EXPECT_EQ(*store_.events->quarantined_count(), 2u);
}

}  // namespace
}  // namespace mitsu::store::sqlite

#include "collector/collector.h"

#include <gtest/gtest.h>

#include <thread>

#include "collector/collector_thread.h"
#include "store/store_factory.h"
#include "testing/synthetic_events.h"
#include "testing/temp_dir.h"

namespace mitsu::collector {
namespace {

std::vector<std::string> synthetic(std::size_t n) {
  mitsu::testing::SyntheticEvents source;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(source.next());
  }
  return out;
}

// Delegates to the real store; fails inserts while `fail` is set.
class FlakyEventStore : public store::EventStore {
 public:
  explicit FlakyEventStore(store::EventStore& real) : real_(real) {}
  bool fail = false;

  Status insert(std::span<const Event> events) override {
    if (fail) {
      return Error{"disk full (simulated)"};
    }
    return real_.insert(events);
  }
  Status quarantine(std::string_view raw, const Rejection& why, std::int64_t at) override {
    return real_.quarantine(raw, why, at);
  }
  Result<std::vector<Event>> query(const store::EventQuery& q) override { return real_.query(q); }
  Result<std::uint64_t> count(const store::EventQuery& q) override { return real_.count(q); }
  Result<std::uint64_t> count() override { return real_.count(); }
  Result<std::uint64_t> quarantined_count() override { return real_.quarantined_count(); }
  Result<std::vector<store::QuarantinedRecord>> quarantined(std::size_t limit) override {
    return real_.quarantined(limit);
  }
  Status scan(std::size_t batch_size,
              const std::function<Status(std::span<const Event>)>& visit) override {
    return real_.scan(batch_size, visit);
  }

 private:
  store::EventStore& real_;
};

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  void reopen() {
    collector_.reset();
    spool_.reset();
    store_ = {};
    auto spool = spool::Spool::open({dir_ / "spool"});
    ASSERT_TRUE(spool.ok()) << spool.error();
    spool_ = std::move(*spool);
    auto store = store::open_stores({.engine = "sqlite", .path = dir_ / "mitsu.db"});
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(*store);
    flaky_ = std::make_unique<FlakyEventStore>(*store_.events);
    CollectorOptions options;
    options.batch_records = 100;
    collector_ = std::make_unique<Collector>(*spool_, *flaky_, *store_.catalog,
                                             *store_.unit_of_work, options);
  }

  // The first `n` records of the spool, parsed, as the collector would store them.
  std::vector<Event> parse_unread(std::size_t n) {
    auto batch = spool_->read(n + 1);
    EXPECT_EQ(batch->records.size(), n);
    spool_->rewind();
    EventParser parser;
    std::vector<Event> parsed(n);
    for (std::size_t i = 0; i < n; ++i) {
      Rejection why;
      EXPECT_TRUE(parser.parse(batch->records[i], parsed[i], why));
    }
    return parsed;
  }

  std::int64_t session_events(const std::vector<Event>& events) {
    auto session = store_.catalog->session(events.front().session_id);
    EXPECT_TRUE(session.ok() && session->has_value());
    return session->value().events;
  }

  mitsu::testing::TempDir dir_{"collector-test"};
  std::unique_ptr<spool::Spool> spool_;
  store::StoreSet store_;
  std::unique_ptr<FlakyEventStore> flaky_;
  std::unique_ptr<Collector> collector_;
};

TEST_F(CollectorTest, DeliversEverythingAndAcknowledges) {
  auto events = synthetic(1234);
  ASSERT_TRUE(spool_->append_batch(events));
  auto moved = collector_->drain();
  ASSERT_TRUE(moved.ok()) << moved.error();
  EXPECT_EQ(*moved, 1234u);
  EXPECT_EQ(*store_.events->count(), 1234u);
  EXPECT_FALSE(spool_->has_unread());
  EXPECT_EQ(collector_->stats().stored, 1234u);
}

TEST_F(CollectorTest, ReplayedBatchIsStoredOnce) {
  auto events = synthetic(300);
  ASSERT_TRUE(spool_->append_batch(events));
  ASSERT_TRUE(spool_->append_batch(events));  // a sensor re-sends after a lost ack
  ASSERT_TRUE(collector_->drain().ok());
  EXPECT_EQ(*store_.events->count(), 300u);
  EXPECT_EQ(collector_->stats().stored, 300u);
  EXPECT_EQ(collector_->stats().duplicates, 300u);
}

TEST_F(CollectorTest, CrashAfterStoringEventsBeforeTheCatalogCountsThemOnReplay) {
  auto events = synthetic(250);
  ASSERT_TRUE(spool_->append_batch(events));
  std::vector<Event> parsed = parse_unread(250);
  // Step 1 only (events stored, nothing claimed), then the crash.
  ASSERT_TRUE(store_.events->insert(parsed));
  reopen();
  EXPECT_EQ(spool_->recovery().pending_records, 250u);
  ASSERT_TRUE(collector_->drain().ok());
  EXPECT_EQ(*store_.events->count(), 250u);
  EXPECT_EQ(collector_->stats().stored, 250u);
  EXPECT_EQ(collector_->stats().duplicates, 0u);
  std::int64_t in_first_session = 0;
  for (const Event& e : parsed) {
    in_first_session += e.session_id == parsed.front().session_id ? 1 : 0;
  }
  EXPECT_EQ(session_events(parsed), in_first_session);
}

TEST_F(CollectorTest, CrashBetweenCommitAndAckReplaysWithoutDuplicates) {
  auto events = synthetic(250);
  ASSERT_TRUE(spool_->append_batch(events));
  std::vector<Event> parsed = parse_unread(250);
  // Steps 1 and 2 by hand, never acknowledged: the crash window.
  ASSERT_TRUE(store_.events->insert(parsed));
  ASSERT_TRUE(store_.unit_of_work->run([&]() -> Status {
    std::vector<std::string_view> ids;
    std::vector<const Event*> fresh;
    for (const Event& e : parsed) {
      ids.push_back(e.id);
      fresh.push_back(&e);
    }
    auto claimed = store_.catalog->claim_events(ids);
    return claimed ? store_.catalog->apply(fresh) : Status{claimed.failure()};
  }));
  std::int64_t counted = session_events(parsed);
  reopen();
  EXPECT_EQ(spool_->recovery().pending_records, 250u);
  ASSERT_TRUE(collector_->drain().ok());
  EXPECT_EQ(*store_.events->count(), 250u);
  EXPECT_EQ(collector_->stats().duplicates, 250u);
  EXPECT_EQ(collector_->stats().stored, 0u);
  EXPECT_EQ(session_events(parsed), counted);
}

TEST_F(CollectorTest, FailedCommitIsNotAcknowledgedAndIsRetried) {
  auto events = synthetic(150);
  ASSERT_TRUE(spool_->append_batch(events));
  flaky_->fail = true;
  auto failed = collector_->drain();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().find("disk full"), std::string::npos);
  EXPECT_EQ(*store_.events->count(), 0u);
  EXPECT_EQ(spool_->acknowledged().offset, spool::kSegmentHeaderBytes);
  flaky_->fail = false;
  ASSERT_TRUE(collector_->drain().ok());
  EXPECT_EQ(*store_.events->count(), 150u);
}

TEST_F(CollectorTest, InvalidEventsAreQuarantinedWithReasonAndCounted) {
  auto events = synthetic(10);
  events.insert(events.begin() + 3, "{\"not\":\"an event\"}");
  events.insert(events.begin() + 7, "garbage");
  ASSERT_TRUE(spool_->append_batch(events));
  ASSERT_TRUE(collector_->drain().ok());
  EXPECT_EQ(*store_.events->count(), 10u);
  EXPECT_EQ(*store_.events->quarantined_count(), 2u);
  EXPECT_EQ(collector_->stats().rejected, 2u);
  EXPECT_EQ(collector_->stats().rejected_by_code[static_cast<int>(RejectCode::kMalformedJson)], 1u);
  EXPECT_EQ(collector_->stats().rejected_by_code[static_cast<int>(RejectCode::kMissingField)], 1u);
}

TEST_F(CollectorTest, KeepsUpWithConcurrentAppends) {
  auto events = synthetic(3000);
  std::thread producer([&] {
    for (std::size_t i = 0; i < events.size(); i += 50) {
      ASSERT_TRUE(spool_->append_batch(std::span(events).subspan(i, 50)));
    }
  });
  std::uint64_t moved = 0;
  while (moved < events.size()) {
    auto once = collector_->drain_once();
    ASSERT_TRUE(once.ok()) << once.error();
    moved += *once;
  }
  producer.join();
  EXPECT_EQ(*store_.events->count(), 3000u);
}

TEST_F(CollectorTest, ThreadDeliversWhileProducersAppendAndFinishesEverything) {
  auto events = synthetic(2500);
  {
    CollectorThread delivery(*collector_);
    for (std::size_t i = 0; i < events.size(); i += 100) {
      ASSERT_TRUE(spool_->append_batch(std::span(events).subspan(i, 100)));
    }
    ASSERT_TRUE(delivery.finish());
  }
  EXPECT_EQ(*store_.events->count(), 2500u);
  EXPECT_FALSE(spool_->has_unread());
}

TEST_F(CollectorTest, ThreadStopsAtTheFirstFailureAndReportsIt) {
  flaky_->fail = true;
  CollectorThread delivery(*collector_);
  ASSERT_TRUE(spool_->append_batch(synthetic(10)));
  for (int i = 0; i < 500 && !delivery.failed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(delivery.failed());
  Status status = delivery.finish();
  EXPECT_FALSE(status);
  EXPECT_NE(status.error().find("disk full"), std::string::npos);
  EXPECT_EQ(*store_.events->count(), 0u);
}

TEST_F(CollectorTest, RetryingThreadReportsAPersistentFailureWhenAskedToFinish) {
  flaky_->fail = true;
  CollectorThread delivery(*collector_, CollectorThread::OnError::kRetry);
  ASSERT_TRUE(spool_->append_batch(synthetic(10)));
  Status status = delivery.finish();
  EXPECT_FALSE(status);
  EXPECT_EQ(spool_->acknowledged().offset, spool::kSegmentHeaderBytes) << "nothing acknowledged";
}

}  // namespace
}  // namespace mitsu::collector

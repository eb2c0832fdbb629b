// Job queue conformance: leases, retakes after a lost lease, release, fail and attempt counting,
// as every catalog engine must run the analysis queue (catalog.h, "Analysis queue").

#include <set>
#include <tuple>

#include "conformance.h"
#include "core/clock.h"

namespace mitsu::store::conformance {
namespace {

using JobQueueConformance = EngineTest;

constexpr std::int64_t kLease = 60'000'000;

std::optional<AnalysisJob> take(Catalog& catalog, std::int64_t now_us,
                                std::string_view kind = "static") {
  auto job = catalog.take_job(now_us, kLease, kind);
  EXPECT_TRUE(job.ok()) << job.error();
  return job.ok() ? *job : std::optional<AnalysisJob>();
}

TEST_P(JobQueueConformance, JobsAreTakenOldestFirstAndLeasedToOneWorker) {
  Catalog& catalog = *stores_.catalog;
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 1));
  ASSERT_TRUE(catalog.enqueue_job("bb", "static", 2));
  EXPECT_EQ(*catalog.queued_jobs(), 2u);
  auto first = take(catalog, 10);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sha256, "aa");
  EXPECT_EQ(first->kind, "static");
  EXPECT_EQ(first->attempts, 1);
  auto second = take(catalog, 11);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->sha256, "bb");
  EXPECT_FALSE(take(catalog, 12)) << "both are leased";
  EXPECT_EQ(*catalog.queued_jobs(), 0u);
}

TEST_P(JobQueueConformance, AnExpiredLeaseIsTakenAgainWithTheAttemptCounted) {
  Catalog& catalog = *stores_.catalog;
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 1));
  auto first = take(catalog, 10);
  ASSERT_TRUE(first);
  EXPECT_FALSE(take(catalog, 10 + kLease - 1)) << "the lease still holds";
  auto retaken = take(catalog, 10 + kLease + 1);  // its worker died silently
  ASSERT_TRUE(retaken);
  EXPECT_EQ(retaken->id, first->id);
  EXPECT_EQ(retaken->attempts, 2);
}

TEST_P(JobQueueConformance, ReleasedJobsAreTakenAgainAtOnceWithReasonAndAttempts) {
  Catalog& catalog = *stores_.catalog;
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 1));
  auto first = take(catalog, 2);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->last_error, "");
  const std::string crash = "analysis worker killed by signal 9";
  ASSERT_TRUE(catalog.release_job(first->id, crash, /*count_attempt=*/true));
  EXPECT_EQ(*catalog.queued_jobs(), 1u);
  auto second = take(catalog, 3);  // long before the lease would have run out
  ASSERT_TRUE(second);
  EXPECT_EQ(second->attempts, 2);
  EXPECT_EQ(second->last_error, crash);
  // A shutdown is not the sample's fault: not counted, and the crash's reason stays.
  ASSERT_TRUE(catalog.release_job(second->id, "interrupted by shutdown", false));
  auto third = take(catalog, 4);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->attempts, 2);
  EXPECT_EQ(third->last_error, crash);
}

TEST_P(JobQueueConformance, FailedJobsAreNeverTakenAgainNorRevivedByALateRelease) {
  Catalog& catalog = *stores_.catalog;
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 1));
  auto job = take(catalog, 2);
  ASSERT_TRUE(job);
  ASSERT_TRUE(catalog.fail_job(*job, "sample missing"));
  ASSERT_TRUE(catalog.release_job(job->id, "too late", true));
  EXPECT_EQ(*catalog.queued_jobs(), 0u);
  EXPECT_FALSE(take(catalog, 3 + 2 * kLease));
  // A job never taken is not touched by a release either.
  ASSERT_TRUE(catalog.enqueue_job("bb", "static", 5));
  auto other = stores_.catalog->take_job(6, kLease, "sandbox");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  ASSERT_TRUE(catalog.release_job(job->id + 1, "never ran", false));
  auto fresh = take(catalog, 7);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->sha256, "bb");
  EXPECT_EQ(fresh->attempts, 1);
}

TEST_P(JobQueueConformance, KindsAreSeparateQueuesAndEnqueueingAgainStartsOver) {
  Catalog& catalog = *stores_.catalog;
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 1));
  ASSERT_TRUE(catalog.enqueue_job("aa", "sandbox", 1));
  auto sandbox = take(catalog, 2, "sandbox");
  ASSERT_TRUE(sandbox);
  EXPECT_EQ(sandbox->kind, "sandbox");
  auto job = take(catalog, 3);
  ASSERT_TRUE(job);
  ASSERT_TRUE(catalog.release_job(job->id, "crashed", true));
  job = take(catalog, 4);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->attempts, 2);
  ASSERT_TRUE(catalog.finish_job(*job, 1, R"({"sha256":"aa"})", {}));
  EXPECT_FALSE(take(catalog, 5 + 2 * kLease)) << "done";
  auto verdict = catalog.verdict("aa");
  ASSERT_TRUE(verdict.ok() && verdict->has_value());
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 6));  // e.g. after a rules update
  auto again = take(catalog, 7);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 1);
  EXPECT_EQ(again->last_error, "");
}

TEST_P(JobQueueConformance, JobsOfASampleShowTheirStateAttemptsAndReason) {
  Catalog& catalog = *stores_.catalog;
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 1));
  ASSERT_TRUE(catalog.enqueue_job("aa", "sandbox", 2));
  ASSERT_TRUE(catalog.enqueue_job("bb", "static", 3));
  auto job = take(catalog, 4);
  ASSERT_TRUE(job);
  ASSERT_TRUE(catalog.fail_job(*job, "sample not in the artifact store"));
  auto jobs = catalog.jobs("aa");
  ASSERT_TRUE(jobs.ok()) << jobs.error();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].kind, "static");
  EXPECT_EQ((*jobs)[0].state, "failed");
  EXPECT_EQ((*jobs)[0].attempts, 1);
  EXPECT_EQ((*jobs)[0].error, "sample not in the artifact store");
  EXPECT_EQ((*jobs)[1].kind, "sandbox");
  EXPECT_EQ((*jobs)[1].state, "queued");
  EXPECT_EQ((*jobs)[1].attempts, 0);
  auto sandbox = take(catalog, 5, "sandbox");
  ASSERT_TRUE(sandbox);
  EXPECT_EQ((*catalog.jobs("aa"))[1].state, "running");
  ASSERT_TRUE(catalog.finish_job(*sandbox, 1, R"({"sha256":"aa"})", {}));
  EXPECT_EQ((*catalog.jobs("aa"))[1].state, "done");
  EXPECT_TRUE(catalog.jobs("cc")->empty()) << "a sample never queued has no jobs";
}

// For the metrics: jobs by kind and state, and when each ended job was last queued and ended
// (wall clock), whatever time the caller's queueing gave.
TEST_P(JobQueueConformance, EndedJobsAreCountedAndTimedFromTheirLastQueueing) {
  Catalog& catalog = *stores_.catalog;
  std::int64_t before = now_unix_us();
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 1));
  ASSERT_TRUE(catalog.enqueue_job("bb", "static", 2));
  ASSERT_TRUE(catalog.enqueue_job("aa", "sandbox", 3));
  auto aa = take(catalog, 10);
  auto bb = take(catalog, 11);
  ASSERT_TRUE(aa && bb);
  ASSERT_TRUE(catalog.finish_job(*aa, 1, R"({"sha256":"aa"})", {}));
  ASSERT_TRUE(catalog.fail_job(*bb, "sample not in the artifact store"));
  std::int64_t after = now_unix_us();
  auto counts = catalog.job_counts();
  ASSERT_TRUE(counts.ok()) << counts.error();
  std::vector<std::tuple<std::string, std::string, std::int64_t>> got;
  for (const JobCount& c : *counts) {
    got.emplace_back(c.kind, c.state, c.count);
  }
  EXPECT_EQ(got, (std::vector<std::tuple<std::string, std::string, std::int64_t>>{
                     {"sandbox", "queued", 1}, {"static", "done", 1}, {"static", "failed", 1}}));
  auto ended = catalog.finished_jobs(before);
  ASSERT_TRUE(ended.ok()) << ended.error();
  ASSERT_EQ(ended->size(), 2u);
  std::set<std::string> states;
  for (const FinishedJob& j : *ended) {
    EXPECT_EQ(j.kind, "static");
    states.insert(j.state);
    EXPECT_GE(j.queued_us, before);
    EXPECT_LE(j.queued_us, j.finished_us);
    EXPECT_LE(j.finished_us, after);
  }
  EXPECT_EQ(states, (std::set<std::string>{"done", "failed"}));
  EXPECT_LE((*ended)[0].finished_us, (*ended)[1].finished_us) << "oldest end first";
  EXPECT_TRUE(catalog.finished_jobs(after + 1)->empty());
  ASSERT_TRUE(catalog.enqueue_job("aa", "static", 4));  // queued again: not ended any more
  EXPECT_EQ(catalog.finished_jobs(before)->size(), 1u);
}

TEST_P(JobQueueConformance, IngestQueuesEachDeliveredSampleOnceEvenWhenReplayed) {
  auto events = synthetic_events(2000);
  ingest(events);
  std::uint64_t queued = *stores_.catalog->queued_jobs();
  ASSERT_GT(queued, 0u);
  auto job = take(*stores_.catalog, 1);
  ASSERT_TRUE(job);
  ingest(events);  // a replay must not queue the taken job again
  EXPECT_EQ(*stores_.catalog->queued_jobs(), queued - 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, JobQueueConformance, ::testing::ValuesIn(engines_under_test()),
                         engine_name);

}  // namespace
}  // namespace mitsu::store::conformance

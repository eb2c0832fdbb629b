#include "analysis/analysis_worker.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/event_builder.h"
#include "core/event_parser.h"
#include "store/store_factory.h"
#include "testing/sample_fixtures.h"
#include "testing/temp_dir.h"

namespace mitsu::analysis {
namespace {

using testing::fake_elf;
using testing::string_table;

class AnalysisWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Through the factory and the interfaces, as every engine must pass this.
    auto store = store::open_stores({.engine = "sqlite", .path = dir_ / "mitsu.db"});
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(*store);
    auto artifacts = artifacts::ArtifactStore::open({dir_ / "artifacts"});
    ASSERT_TRUE(artifacts.ok());
    artifacts_ = std::move(*artifacts);
    auto rules = FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR});
    ASSERT_TRUE(rules.ok()) << rules.error();
    rules_ = std::move(*rules);
  }

  // A sensor captured these bytes in a session: the artifact is stored and the download event
  // reaches the catalog, which queues the sample.
  std::string capture(const std::vector<std::byte>& bytes, bool store_file = true) {
    std::string sha256;
    if (store_file) {
      auto put = artifacts_->put(bytes);
      EXPECT_TRUE(put.ok());
      sha256 = put->info.sha256;
    } else {
      sha256 = std::string(64, 'e');
    }
    SessionInfo session{ids_.next().to_string(),       "telnet", "tcp", "203.0.113.8", 4000, "", 23,
                        {"camera", "Acme", "IPC-2000"}};
    nlohmann::json e = builder_.session_event(session, "file.download", now_unix_us());
    set_field(e, "url.full", "http://192.0.2.7/x");
    set_field(e, "event.outcome", "success");
    set_field(e, "file.hash.sha256", sha256);
    Event event;
    Rejection why;
    EXPECT_TRUE(parser_.parse(to_event_text(e), event, why)) << why.to_string();
    std::vector<Event> events{event};
    EXPECT_TRUE(store_.events->insert(events));
    EXPECT_TRUE(store_.unit_of_work->run([&]() -> Status {
      const Event* fresh = &events[0];
      return store_.catalog->apply(std::span(&fresh, 1));
    }));
    return sha256;
  }

  AnalysisWorker worker() { return AnalysisWorker(*store_.catalog, *artifacts_, rules_); }
  bool has_verdict(const std::string& sha256) {
    auto verdict = store_.catalog->verdict(sha256);
    return verdict.ok() && verdict->has_value();
  }
  // The sample's one static job.
  store::JobRecord job(const std::string& sha256) {
    auto jobs = store_.catalog->jobs(sha256);
    EXPECT_TRUE(jobs.ok() && jobs->size() == 1u);
    return jobs.ok() && !jobs->empty() ? jobs->front() : store::JobRecord{};
  }

  testing::TempDir dir_{"analysis-worker"};
  store::StoreSet store_;
  std::unique_ptr<artifacts::ArtifactStore> artifacts_;
  std::shared_ptr<const FamilyClassifier> rules_;
  Uuid7Generator ids_;
  EventBuilder builder_{{"sensor-1", "lab"}, ids_};
  EventParser parser_;
  std::vector<std::byte> mirai_ = fake_elf(
      {}, string_table({"/dev/watchdog", "/proc/net/tcp", "/bin/busybox", "xc3511"}, 0x22));
};

TEST_F(AnalysisWorkerTest, EveryCapturedSampleGetsAVerdictWithoutAnyoneAsking) {
  std::string sha256 = capture(mirai_);
  EXPECT_EQ(*store_.catalog->queued_jobs(), 1u);
  auto ran = worker().run_until_idle();
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_EQ(ran->analysed, 1u);
  EXPECT_EQ(*store_.catalog->queued_jobs(), 0u);
  auto verdict = store_.catalog->verdict(sha256);
  ASSERT_TRUE(verdict.ok() && verdict->has_value());
  auto json = nlohmann::json::parse(**verdict);
  EXPECT_EQ(json["family"]["name"], "Mirai");
  EXPECT_EQ(json["elf"]["arch"], "arm");
  EXPECT_EQ(json["known"]["known"], false);
  EXPECT_FALSE(json["known"]["checked_against"].get<std::string>().empty());
  auto first = store_.catalog->first_sight(sha256);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_FALSE((*first)->known);
}

TEST_F(AnalysisWorkerTest, ImportedHashesMakeASampleKnown) {
  std::string md5 = compute_hashes(mirai_).md5;
  std::vector<store::KnownHash> known{{md5, "bazaar-dump", "Mirai", std::nullopt}};
  ASSERT_EQ(*store_.catalog->import_known_hashes(known), 1u);
  std::string sha256 = capture(mirai_);
  ASSERT_TRUE(worker().run_until_idle().ok());
  auto first = store_.catalog->first_sight(sha256);
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE((*first)->known);
  EXPECT_EQ((*first)->source, "bazaar-dump");
}

TEST_F(AnalysisWorkerTest, AJobTakenByACrashedWorkerIsRetakenAndGivesOneVerdict) {
  std::string sha256 = capture(mirai_);
  // A worker takes the job with a lease that has already run out, then dies.
  auto crashed = store_.catalog->take_job(now_unix_us() - 1'000'000, 1);
  ASSERT_TRUE(crashed.ok() && crashed->has_value());
  auto ran = worker().run_until_idle();
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_EQ(ran->analysed, 1u);
  EXPECT_TRUE(has_verdict(sha256));
  EXPECT_EQ(job(sha256).state, "done");
  EXPECT_EQ(job(sha256).attempts, 2);
}

TEST_F(AnalysisWorkerTest, ASampleWhoseAttemptsKilledTheirWorkerIsGivenUpOnWithTheReason) {
  std::string sha256 = capture(mirai_);
  const std::string crash = "analysis worker killed by signal 9 (Killed)";
  for (int attempt = 0; attempt < 3; ++attempt) {  // what the supervisor does for a dead worker
    auto taken = store_.catalog->take_job(now_unix_us(), 60'000'000);
    ASSERT_TRUE(taken.ok() && taken->has_value());
    ASSERT_TRUE(store_.catalog->release_job((*taken)->id, crash, /*count_attempt=*/true));
  }
  std::vector<std::string> reported;
  AnalysisWorker w = worker();
  w.on_taken([&](const store::AnalysisJob& job) { reported.push_back(job.sha256); });
  auto ran = w.run_until_idle();
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_EQ(ran->failed, 1u);
  EXPECT_TRUE(reported.empty()) << "a job given up on is not analysed";
  EXPECT_EQ(job(sha256).state, "failed");
  EXPECT_EQ(job(sha256).error, "gave up after 3 attempts: " + crash);
  EXPECT_FALSE(has_verdict(sha256));
}

TEST_F(AnalysisWorkerTest, VerdictsNameTheClosestAnalysedRelatives) {
  std::string filler(6000, 'x');
  for (std::size_t i = 0; i < filler.size(); ++i) {
    filler[i] = static_cast<char>("abcdefghijklmnop"[(i * 7 + i / 13) % 16]);
  }
  auto first = fake_elf(
      {},
      string_table({"/dev/watchdog", "/proc/net/tcp", "/bin/busybox", "xc3511"}, 0x22) + filler);
  auto variant = first;
  variant[500] = std::byte{0x41};  // one byte changed
  std::string first_sha = capture(first);
  ASSERT_TRUE(worker().run_until_idle().ok());
  std::string variant_sha = capture(variant);
  ASSERT_TRUE(worker().run_until_idle().ok());  // a fresh worker loads what was analysed
  auto json = nlohmann::json::parse(**store_.catalog->verdict(variant_sha));
  ASSERT_EQ(json["relatives"].size(), 1u) << json["relatives"].dump();
  EXPECT_EQ(json["relatives"][0]["sha256"], first_sha);
  EXPECT_EQ(json["relatives"][0]["family"], "Mirai");
  EXPECT_LE(json["relatives"][0]["distance"].get<int>(), 10);
  EXPECT_GT(json["relatives"][0]["ssdeep_similarity"].get<int>(), 50);
}

TEST_F(AnalysisWorkerTest, ALeasedJobIsNotTakenTwice) {
  capture(mirai_);
  auto first = store_.catalog->take_job(now_unix_us(), 60'000'000);
  ASSERT_TRUE(first->has_value());
  auto second = store_.catalog->take_job(now_unix_us(), 60'000'000);
  EXPECT_FALSE(second->has_value());
}

TEST_F(AnalysisWorkerTest, MissingSampleFailsTheJobWithAReason) {
  std::string sha256 = capture(mirai_, /*store_file=*/false);
  auto ran = worker().run_until_idle();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(ran->failed, 1u);
  EXPECT_EQ(job(sha256).state, "failed");
  EXPECT_EQ(job(sha256).error.rfind("sample not in the artifact store", 0), 0u)
      << job(sha256).error;
}

TEST_F(AnalysisWorkerTest, ReanalysisReplacesTheVerdictAndKeepsFirstSight) {
  std::string sha256 = capture(mirai_);
  ASSERT_TRUE(worker().run_until_idle().ok());
  // Imported later: the sample was still never seen when Mitsu first met it.
  std::vector<store::KnownHash> known{{sha256, "later-feed", "", std::nullopt}};
  ASSERT_TRUE(store_.catalog->import_known_hashes(known).ok());
  EXPECT_EQ(*store_.catalog->requeue_all("static"), 1u);
  ASSERT_EQ(worker().run_until_idle()->analysed, 1u);
  EXPECT_TRUE(has_verdict(sha256));
  EXPECT_EQ(job(sha256).attempts, 1);  // requeued afresh
  EXPECT_FALSE((*store_.catalog->first_sight(sha256))->known);
}

}  // namespace
}  // namespace mitsu::analysis

// Scale-out analysis (issue 15): two `mitsu worker` processes share one PostgreSQL catalog's
// queue and drain 1,000 jobs while one of them is SIGKILLed midway. None is lost (all done, each
// with its verdict) and none is done twice (every take counts an attempt: the attempts add up to
// the jobs plus at most the one the killed worker held).

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "artifacts/artifact_store.h"
#include "core/clock.h"
#include "store/store_factory.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/test_servers.h"

namespace mitsu {
namespace {

using namespace std::chrono_literals;

constexpr int kJobs = 1000;

class DistributedWorkers : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = testing::test_pg_dsn();
    if (dsn_.empty()) {
      if (std::getenv("CI") != nullptr) {
        FAIL() << "no PostgreSQL server: run through ctest (fixture postgres)";
      }
      GTEST_SKIP() << "no PostgreSQL server (run through ctest, or set MITSU_TEST_PG_DSN)";
    }
    store_config_.engine = "postgres";
    store_config_.postgres = {dsn_, testing::unique_pg_schema()};
    auto opened = store::open_stores(store_config_);
    ASSERT_TRUE(opened.ok()) << opened.error();
    stores_ = std::move(*opened);
    // The shortest lease (the job timeout plus the minute's margin app/analysis_workers.cc adds),
    // so the killed worker's job is taken again about a minute after the kill.
    std::ofstream(config_path()) << fmt::format(
        "[store]\nengine = \"postgres\"\npostgres_dsn = \"{}\"\npostgres_schema = \"{}\"\n"
        "[analysis]\nlease_seconds = 1\njob_timeout_s = 1\n[sandbox]\nenabled = false\n",
        dsn_, store_config_.postgres.schema);
  }

  std::string config_path() const { return (dir_ / "mitsu.toml").string(); }
  std::string data_dir() const { return (dir_ / "data").string(); }

  // 1,000 distinct samples in the shared artifact directory, each delivered by one download
  // event, so the catalog queues one static job per sample.
  void queue_samples() {
    auto artifacts = artifacts::ArtifactStore::open({dir_ / "data" / "artifacts"});
    ASSERT_TRUE(artifacts.ok()) << artifacts.error();
    std::vector<Event> events(kJobs);
    std::int64_t now = now_unix_us();
    for (int i = 0; i < kJobs; ++i) {
      std::string bytes = fmt::format("sample {} of the distributed worker test\n", i);
      auto put = (*artifacts)->put(std::as_bytes(std::span(bytes)));
      ASSERT_TRUE(put.ok()) << put.error();
      Event& e = events[static_cast<std::size_t>(i)];
      e.id = fmt::format("00000000-0000-7000-8000-{:012d}", i);
      e.ts_us = now + i;
      e.action = "file.download";
      e.outcome = "success";
      e.sensor = "worker-test";
      e.site = "lab";
      e.session_id = fmt::format("session-{}", i);
      e.protocol = "telnet";
      e.src_ip = "192.0.2.1";
      e.sha256 = put->info.sha256;
      e.file_size = static_cast<std::int64_t>(bytes.size());
    }
    Status status = stores_.unit_of_work->run([&]() -> Status {
      std::vector<std::string_view> ids;
      std::vector<const Event*> fresh;
      for (const Event& e : events) {
        ids.push_back(e.id);
        fresh.push_back(&e);
      }
      auto claimed = stores_.catalog->claim_events(ids);
      if (!claimed) {
        return claimed.failure();
      }
      return stores_.catalog->apply(fresh);
    });
    ASSERT_TRUE(status) << status.error();
  }

  std::int64_t jobs_in(std::string_view state) {
    auto counts = stores_.catalog->job_counts();
    EXPECT_TRUE(counts.ok()) << counts.error();
    std::int64_t n = 0;
    for (const store::JobCount& c : counts ? *counts : std::vector<store::JobCount>{}) {
      n += c.kind == "static" && c.state == state ? c.count : 0;
    }
    return n;
  }

  std::unique_ptr<testing::ChildProcess> worker() {
    return std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        MITSU_EXE, "--config", config_path(), "--data-dir", data_dir(), "worker"});
  }

  testing::TempDir dir_{"distributed-workers"};
  std::string dsn_;
  store::StoreConfig store_config_;
  store::StoreSet stores_;
};

TEST_F(DistributedWorkers, TwoWorkersDrainTheQueueOneKilledMidway) {
  queue_samples();
  ASSERT_EQ(jobs_in("queued"), kJobs);

  auto first = worker();
  auto second = worker();
  auto deadline = std::chrono::steady_clock::now() + 300s;
  while (jobs_in("done") < kJobs / 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  std::int64_t done_at_kill = jobs_in("done");
  ASSERT_GE(done_at_kill, kJobs / 3);
  ASSERT_LT(done_at_kill, kJobs) << "the queue drained before the kill: too few jobs to test";
  first->send_signal(SIGKILL);
  EXPECT_EQ(first->wait().signal, SIGKILL);

  while (jobs_in("done") < kJobs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  second->send_signal(SIGTERM);
  testing::ProcessResult survivor = second->wait();
  EXPECT_EQ(survivor.exit_code, 0) << survivor.err;

  EXPECT_EQ(jobs_in("done"), kJobs) << "jobs lost";
  EXPECT_EQ(jobs_in("failed"), 0);
  std::int64_t taken = 0;
  std::int64_t verdicts = 0;
  auto recent = stores_.catalog->recent_samples(kJobs + 10);
  ASSERT_TRUE(recent.ok()) << recent.error();
  ASSERT_EQ(recent->size(), static_cast<std::size_t>(kJobs));
  for (const store::SampleRecord& sample : *recent) {
    auto jobs = stores_.catalog->jobs(sample.sha256);
    ASSERT_TRUE(jobs.ok()) << jobs.error();
    for (const store::JobRecord& job : *jobs) {
      taken += job.kind == "static" ? job.attempts : 0;
    }
    auto verdict = stores_.catalog->verdict(sample.sha256);
    ASSERT_TRUE(verdict.ok()) << verdict.error();
    verdicts += verdict->has_value() ? 1 : 0;
  }
  EXPECT_EQ(verdicts, kJobs);
  // Each take counts one attempt: only the job the killed worker held may have been taken twice.
  EXPECT_GE(taken, kJobs);
  EXPECT_LE(taken, kJobs + 1) << "a job was done twice";
}

}  // namespace
}  // namespace mitsu

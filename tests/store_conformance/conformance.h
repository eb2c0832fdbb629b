#pragma once
// The fixture every engine conformance test uses: stores of the engine under test (the test
// parameter), opened through the factory, and ingest done exactly as docs/ingest.md says, step by
// step, so a test can stop ("crash") between any two steps.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/event_parser.h"
#include "store/store_factory.h"
#include "testing/synthetic_events.h"
#include "testing/temp_dir.h"
#include "testing/test_servers.h"

namespace mitsu::store::conformance {

// Every engine the factory knows, or those MITSU_CONFORMANCE_ENGINES names (comma-separated),
// e.g. when a server-backed engine has no server in this environment.
inline std::vector<std::string> engines_under_test() {
  std::vector<std::string> engines;
  if (const char* chosen = std::getenv("MITSU_CONFORMANCE_ENGINES"); chosen != nullptr) {
    std::string list = chosen;
    for (std::size_t start = 0; start <= list.size();) {
      std::size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) {
        engines.push_back(list.substr(start, comma - start));
      }
      start = comma + 1;
    }
    return engines;
  }
  for (std::string_view engine : known_store_engines()) {
    engines.emplace_back(engine);
  }
  return engines;
}

inline std::vector<Event> synthetic_events(std::size_t n, std::uint64_t seed = 1) {
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

// True when the engine keeps its data in a server.
inline bool server_engine(std::string_view engine) {
  return engine == "postgres";
}

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (server_engine(GetParam())) {
      pg_dsn_ = mitsu::testing::test_pg_dsn();
      if (pg_dsn_.empty()) {
        // In CI a missing server is a failure, never a silent skip.
        if (std::getenv("CI") != nullptr) {
          FAIL() << "no PostgreSQL server: run the tests through ctest (fixture postgres) or set "
                    "MITSU_TEST_PG_DSN";
        }
        GTEST_SKIP() << "no PostgreSQL server (run through ctest, or set MITSU_TEST_PG_DSN)";
      }
      pg_schema_ = mitsu::testing::unique_pg_schema();  // tests never see each other's rows
    }
    reopen();
  }

  StoreConfig config() const {
    StoreConfig config;
    config.engine = GetParam();
    config.path = dir_ / "mitsu.db";
    config.postgres.dsn = pg_dsn_;
    config.postgres.schema = pg_schema_;
    return config;
  }

  // Closes the stores and opens them again: what a restart after a crash sees.
  void reopen() {
    stores_ = {};
    auto opened = open_stores(config());
    ASSERT_TRUE(opened.ok()) << opened.error();
    stores_ = std::move(*opened);
  }

  // Step 1: the events, idempotently.
  void store_events(const std::vector<Event>& events) {
    Status status = stores_.events->insert(events);
    ASSERT_TRUE(status) << status.error();
  }

  // Step 2: one catalog unit of work claiming the ids and counting the fresh events. Returns how
  // many were fresh.
  std::size_t record_in_catalog(const std::vector<Event>& events) {
    std::size_t fresh_count = 0;
    Status status = stores_.unit_of_work->run([&]() -> Status {
      std::vector<std::string_view> ids;
      for (const Event& e : events) {
        ids.push_back(e.id);
      }
      auto claimed = stores_.catalog->claim_events(ids);
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
      if (Status s = stores_.catalog->apply(fresh); !s) {
        return s;
      }
      return stores_.rollups ? stores_.rollups->apply(fresh) : Status{};
    });
    EXPECT_TRUE(status) << status.error();
    return fresh_count;
  }

  // Steps 1 and 2 (step 3, the spool ack, is the collector's).
  std::size_t ingest(const std::vector<Event>& events) {
    store_events(events);
    return record_in_catalog(events);
  }

  mitsu::testing::TempDir dir_{"conformance"};
  std::string pg_dsn_;
  std::string pg_schema_;
  StoreSet stores_;
};

// The name a parameterised test gets: the engine's.
inline std::string engine_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace mitsu::store::conformance

#include "api/routes/response_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/api_test_fixture.h"

namespace mitsu::api {
namespace {

using namespace std::chrono_literals;

ResponseCache::Compute counting(std::atomic<int>& calls, std::string body = "answer") {
  return [&calls, body]() -> Result<ApiResponse> {
    ++calls;
    return ApiResponse{200, "application/json", body, {}};
  };
}

const std::string* header(const ApiResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) {
      return &v;
    }
  }
  return nullptr;
}

TEST(ResponseCache, KeepsAnAnswerForItsTimeThenMakesItAgain) {
  ResponseCache cache;
  std::atomic<int> calls = 0;
  auto first = cache.get("k", 150ms, counting(calls));
  ASSERT_TRUE(first);
  EXPECT_EQ(header(*first, "Age"), nullptr);
  auto again = cache.get("k", 150ms, counting(calls));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "answer");
  ASSERT_NE(header(*again, "Age"), nullptr);
  EXPECT_EQ(*header(*again, "Age"), "0");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache.hits(), 1u);
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(cache.get("k", 150ms, counting(calls)));
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(cache.get("k", 0ms, counting(calls)));  // 0: never kept
  ASSERT_TRUE(cache.get("k", 0ms, counting(calls)));
  EXPECT_EQ(calls, 4);
}

TEST(ResponseCache, ErrorsAreNeverKept) {
  ResponseCache cache;
  int calls = 0;
  auto failing = [&]() -> Result<ApiResponse> {
    ++calls;
    return Error{"database is locked"};
  };
  EXPECT_FALSE(cache.get("k", 1h, failing));
  EXPECT_FALSE(cache.get("k", 1h, failing));
  EXPECT_EQ(calls, 2);
}

// Many requests for one key at once: one computes, the others wait and take its answer.
TEST(ResponseCache, RequestsForOneKeyAtOnceComputeItOnce) {
  ResponseCache cache;
  std::atomic<int> calls = 0;
  auto slow = [&]() -> Result<ApiResponse> {
    ++calls;
    std::this_thread::sleep_for(100ms);
    return ApiResponse{200, "application/json", "slow", {}};
  };
  std::vector<std::thread> threads;
  std::atomic<int> answered = 0;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = cache.get("k", 1h, slow);
      answered += r && r->body == "slow" ? 1 : 0;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(answered, 8);
}

TEST(ResponseCache, TheLeastRecentlyUsedKeyIsDroppedPastTheLimit) {
  ResponseCache cache(2);
  std::atomic<int> calls = 0;
  for (const char* key : {"a", "b", "a", "c"}) {  // "b" is the least recently used when "c" comes
    ASSERT_TRUE(cache.get(key, 1h, counting(calls)));
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(calls, 3);
  ASSERT_TRUE(cache.get("a", 1h, counting(calls)));
  EXPECT_EQ(calls, 3);
  ASSERT_TRUE(cache.get("b", 1h, counting(calls)));
  EXPECT_EQ(calls, 4);
}

TEST(ResponseCache, KeysIgnoreParameterOrderButNotWhereValuesEnd) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ResponseCache::key_of("/r", P{{"a", "1"}, {"b", "2"}}),
            ResponseCache::key_of("/r", P{{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(ResponseCache::key_of("/r", P{{"a", "b 1:c"}}),
            ResponseCache::key_of("/r", P{{"a", "b"}, {"c", ""}}));
  EXPECT_NE(ResponseCache::key_of("/r", P{}), ResponseCache::key_of("/s", P{}));
}

// The statistics routes keep their answers for ApiContext::stats_cache; credentials are still
// checked on every request.
TEST_F(ApiTest, StatisticsAnswersAreKeptForTheirTimeAndStillNeedCredentials) {
  ingest(200);
  api_.context->stats_cache = 1h;
  ApiResponse first = call("GET", "/api/v1/stats/overview", analyst_);
  ASSERT_EQ(first.status, 200) << first.body;
  ApiResponse second = call("GET", "/api/v1/stats/overview", admin_);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);  // the same "generated" time: made once
  EXPECT_NE(header(second, "Age"), nullptr);
  EXPECT_EQ(call("GET", "/api/v1/stats/overview").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/stats/overview", sensor_).status, 403);
  ApiResponse a = call("GET", "/api/v1/stats/top?by=protocol&limit=3", analyst_);
  ApiResponse b = call("GET", "/api/v1/stats/top?limit=3&by=protocol", analyst_);
  EXPECT_EQ(header(a, "Age"), nullptr);
  EXPECT_NE(header(b, "Age"), nullptr);
  EXPECT_EQ(call("GET", "/api/v1/stats/top?by=nonsense", analyst_).status, 400);
  api_.context->stats_cache = 0ms;
  EXPECT_EQ(header(call("GET", "/api/v1/stats/overview", analyst_), "Age"), nullptr);
}

}  // namespace
}  // namespace mitsu::api

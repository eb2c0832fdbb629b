#pragma once
// The fixture the router-level API tests share: real SQLite stores in a temporary directory,
// an admin, an analyst and a sensor user with a token each, synthetic events on demand, and a
// call() that goes through the router as the server would.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/auth/accounts.h"
#include "api/stores_test_fixture.h"
#include "core/event_parser.h"
#include "intel/rollups/rollups.h"
#include "testing/synthetic_events.h"

namespace mitsu::api {

inline constexpr const char* kPassword = "correct horse battery";

class ApiTest : public StoresTest {
 protected:
  void SetUp() override {
    StoresTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(intel::attach_rollups(stores_));
    auto api = build_api(stores_, {}, [this] { return now_us_; });
    ASSERT_TRUE(api.ok()) << api.error();
    api_ = std::move(*api);
    ASSERT_TRUE(create_user(*stores_.accounts, "root", Role::kAdmin, kPassword, "test", now_us_));
    ASSERT_TRUE(create_user(*stores_.accounts, "ana", Role::kAnalyst, kPassword, "test", now_us_));
    ASSERT_TRUE(create_user(*stores_.accounts, "probe", Role::kSensor, kPassword, "test", now_us_));
    for (auto [user, slot] :
         {std::pair{"root", &admin_}, {"ana", &analyst_}, {"probe", &sensor_}}) {
      auto token =
          issue_token(*stores_.accounts, user, std::nullopt, "test", std::nullopt, "test", now_us_);
      ASSERT_TRUE(token.ok()) << token.error();
      *slot = token->secret;
    }
  }

  void ingest(std::size_t n) {
    testing::SyntheticEvents source(testing::SyntheticOptions{});
    EventParser parser;
    events_.resize(n);
    for (Event& e : events_) {
      Rejection why;
      ASSERT_TRUE(parser.parse(source.next(), e, why)) << why.to_string();
    }
    ASSERT_TRUE(stores_.events->insert(events_));
    ASSERT_TRUE(stores_.unit_of_work->run([&]() -> Status {
      std::vector<std::string_view> ids;
      std::vector<const Event*> fresh;
      for (const Event& e : events_) {
        ids.push_back(e.id);
        fresh.push_back(&e);
      }
      if (auto claimed = stores_.catalog->claim_events(ids); !claimed) {
        return claimed.failure();
      }
      if (Status s = stores_.catalog->apply(fresh); !s) {
        return s;
      }
      return stores_.rollups->apply(fresh);
    }));
  }

  ApiResponse call(const std::string& method, const std::string& target,
                   const std::string& token = {}, std::string body = {},
                   std::map<std::string, std::string> headers = {}) {
    auto parsed = parse_target(target);
    EXPECT_TRUE(parsed.has_value()) << target;
    ApiRequest request;
    request.method = method;
    request.path = parsed->path;
    request.query = parsed->query;
    request.headers = std::move(headers);
    if (!token.empty()) {
      request.headers["authorization"] = "Bearer " + token;
    }
    if (!body.empty() && !request.headers.contains("content-type")) {
      request.headers["content-type"] = "application/json";
    }
    request.body = std::move(body);
    request.peer = "127.0.0.1";
    return api_.router->handle(request);
  }

  // A concrete path for a route's pattern.
  std::string concrete(const Route& route) const {
    std::string path = route.pattern;
    path = std::regex_replace(path, std::regex("\\{sha256\\}"), std::string(64, 'a'));
    path = std::regex_replace(path, std::regex("\\{id\\}"),
                              route.pattern.find("tokens") != std::string::npos
                                  ? "0123456789ab"
                                  : "0190a4c2-0000-7000-8000-000000000000");
    return std::regex_replace(path, std::regex("\\{name\\}"), "nobody");
  }

  Api api_;
  std::int64_t now_us_ = 1'780'000'000'000'000;
  std::string admin_, analyst_, sensor_;
  std::vector<Event> events_;
};

}  // namespace mitsu::api

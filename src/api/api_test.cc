// The API through its router, over real SQLite stores filled with synthetic events: who may call
// what, what hostile parameters get, browser sessions with CSRF, the login limit, cursor paging,
// the audit log, and the OpenAPI document against the route table.

#include "api/api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "api/api_test_fixture.h"
#include "core/event_parser.h"
#include "intel/rollups/rollups.h"
#include "store/store_factory.h"
#include "testing/synthetic_events.h"
#include "testing/temp_dir.h"

namespace mitsu::api {
namespace {

using nlohmann::json;

TEST_F(ApiTest, EveryDataEndpointRefusesACallerWithoutCredentials) {
  int checked = 0;
  for (const Route& route : api_.router->routes()) {
    ApiResponse r = call(route.method, concrete(route));
    if (route.roles.empty()) {
      EXPECT_NE(r.status, 401) << route.pattern;
      continue;
    }
    EXPECT_EQ(r.status, 401) << route.method << " " << route.pattern;
    bool challenged = false;
    for (const auto& [name, value] : r.headers) {
      challenged = challenged || name == "WWW-Authenticate";
    }
    EXPECT_TRUE(challenged) << route.pattern;
    EXPECT_EQ(call(route.method, concrete(route), "mitsu_000000000000_forged").status, 401);
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST_F(ApiTest, ASensorTokenReadsNothingAndAnAnalystManagesNoOne) {
  for (const Route& route : api_.router->routes()) {
    bool readers = route.roles == kReaders;
    bool admins = route.roles == kAdmins;
    if (readers || admins) {
      EXPECT_EQ(call(route.method, concrete(route), sensor_).status, 403) << route.pattern;
    }
    if (admins) {
      EXPECT_EQ(call(route.method, concrete(route), analyst_).status, 403) << route.pattern;
    }
  }
  ingest(50);
  EXPECT_EQ(call("GET", "/api/v1/events", analyst_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/users", admin_).status, 200);
  auto created = call("POST", "/api/v1/users", analyst_,
                      R"({"name":"mallory","role":"admin","password":"long enough password"})");
  EXPECT_EQ(created.status, 403);
  EXPECT_FALSE(stores_.accounts->user("mallory")->has_value());
}

TEST_F(ApiTest, HostileParametersGetAClear400AndChangeNothing) {
  ingest(100);
  auto users_before = stores_.accounts->users()->size();
  auto events_before = *stores_.events->count();
  const std::vector<std::string> hostile{"'%20OR%201=1--",
                                         "1;DROP%20TABLE%20events",
                                         "..%2F..%2Fetc%2Fpasswd",
                                         std::string(300, 'x'),
                                         "%E2%80%AE",
                                         "-1"};
  int checked = 0;
  for (const Route& route : api_.router->routes()) {
    for (const std::string& param : route.params) {
      for (const std::string& value : hostile) {
        if (value == "-1" && param != "limit") {
          continue;
        }
        // Top needs `by`: given, so each other parameter's own check is what answers.
        std::string base =
            route.pattern == "/api/v1/stats/top" && param != "by" ? "by=protocol&" : "";
        ApiResponse r =
            call(route.method, concrete(route) + "?" + base + param + "=" + value, admin_);
        EXPECT_EQ(r.status, 400) << route.pattern << "?" << param << "=" << value;
        EXPECT_NE(r.body.find(param), std::string::npos) << r.body;  // the message names it
        ++checked;
      }
    }
    for (const std::string& value : hostile) {
      if (route.pattern.find('{') != std::string::npos && value != "-1" &&
          value.find("%2F") == std::string::npos) {  // parse_target refuses those
        std::string path = std::regex_replace(route.pattern, std::regex("\\{[a-z0-9]+\\}"), value);
        EXPECT_EQ(call(route.method, path, admin_).status, 400) << path;
      }
    }
  }
  EXPECT_GT(checked, 150);
  EXPECT_EQ(call("GET", "/api/v1/events?bogus=1", admin_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/events?limit=5&limit=6", admin_).status, 400);
  EXPECT_EQ(stores_.accounts->users()->size(), users_before);
  EXPECT_EQ(*stores_.events->count(), events_before);
}

TEST_F(ApiTest, CursorPagesWalkEveryEventOnce) {
  ingest(250);
  std::set<std::string> seen;
  std::string target = "/api/v1/events?limit=100";
  int pages = 0;
  for (; pages < 10; ++pages) {
    ApiResponse r = call("GET", target, analyst_);
    ASSERT_EQ(r.status, 200) << r.body;
    json page = json::parse(r.body);
    for (const json& e : page["events"]) {
      EXPECT_TRUE(seen.insert(e["event"]["id"].get<std::string>()).second);
    }
    if (page["next_cursor"].is_null()) {
      break;
    }
    target = "/api/v1/events?limit=100&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen.size(), 250u);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(call("GET", "/api/v1/events?cursor=12_nope", analyst_).status, 400);
}

TEST_F(ApiTest, ABrowserSessionHasSafeCookieFlagsAndNeedsItsCsrfToken) {
  ApiResponse login = call("POST", "/api/v1/auth/login", "",
                           json{{"user", "root"}, {"password", kPassword}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  std::string set_cookie;
  for (const auto& [name, value] : login.headers) {
    if (name == "Set-Cookie") {
      set_cookie = value;
    }
  }
  EXPECT_EQ(set_cookie.rfind("__Host-mitsu_session=", 0), 0u) << set_cookie;
  for (const char* flag : {"Secure", "HttpOnly", "SameSite=Strict", "Path=/"}) {
    EXPECT_NE(set_cookie.find(flag), std::string::npos) << set_cookie;
  }
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  std::string csrf = json::parse(login.body)["csrf_token"];
  EXPECT_EQ(csrf.size(), 64u);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", "", {{"cookie", cookie}}).status, 200);
  std::string body = R"({"name":"eve","role":"analyst","password":"long enough password"})";
  EXPECT_EQ(call("POST", "/api/v1/users", "", body, {{"cookie", cookie}}).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/users", "", body,
                 {{"cookie", cookie}, {"x-csrf-token", std::string(64, '0')}})
                .status,
            403);
  EXPECT_FALSE(stores_.accounts->user("eve")->has_value());
  EXPECT_EQ(
      call("POST", "/api/v1/users", "", body, {{"cookie", cookie}, {"x-csrf-token", csrf}}).status,
      201);
  EXPECT_EQ(
      call("POST", "/api/v1/auth/logout", "", "", {{"cookie", cookie}, {"x-csrf-token", csrf}})
          .status,
      200);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", "", {{"cookie", cookie}}).status, 401);
  // And a session ends by itself after its lifetime.
  ApiResponse again = call("POST", "/api/v1/auth/login", "",
                           json{{"user", "root"}, {"password", kPassword}}.dump());
  ASSERT_EQ(again.status, 200);
  std::string second;
  for (const auto& [name, value] : again.headers) {
    if (name == "Set-Cookie") {
      second = value.substr(0, value.find(';'));
    }
  }
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", "", {{"cookie", second}}).status, 200);
  now_us_ += 13LL * 3600 * 1'000'000;
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", "", {{"cookie", second}}).status, 401);
  // A body that is not JSON-typed (what a cross-site form can send) is refused.
  EXPECT_EQ(
      call("POST", "/api/v1/auth/login", "", json{{"user", "root"}, {"password", kPassword}}.dump(),
           {{"content-type", "text/plain"}})
          .status,
      415);
  EXPECT_EQ(
      call("POST", "/api/v1/auth/login", "", json{{"user", "root"}, {"password", kPassword}}.dump(),
           {{"content-type", "application/json"}, {"sec-fetch-site", "cross-site"}})
          .status,
      403);
}

TEST_F(ApiTest, AnAnalystAcknowledgesAnAlertOnceAndItIsAudited) {
  store::AlertDraft draft{"exploit-first-sighting", "high", "cve-x", "First sighting of cve-x",
                          R"({"event_id":"e1"})",   true,   now_us_, false};
  auto raised = stores_.alerts->raise(draft, {});
  ASSERT_TRUE(raised.ok() && raised->fresh);
  ApiResponse open = call("GET", "/api/v1/alerts", analyst_);
  ASSERT_EQ(open.status, 200) << open.body;
  json alerts = json::parse(open.body)["alerts"];
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["title"], "First sighting of cve-x");
  EXPECT_EQ(alerts[0]["detail"]["event_id"], "e1");
  std::string ack = "/api/v1/alerts/" + std::to_string(raised->id) + "/ack";
  EXPECT_EQ(call("POST", ack, sensor_).status, 403);
  ApiResponse acked = call("POST", ack, analyst_);
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(json::parse(acked.body)["acknowledged_by"], "ana");
  EXPECT_EQ(call("POST", ack, analyst_).status, 409);
  EXPECT_EQ(call("POST", "/api/v1/alerts/999/ack", analyst_).status, 404);
  EXPECT_TRUE(json::parse(call("GET", "/api/v1/alerts", analyst_).body)["alerts"].empty());
  EXPECT_EQ(json::parse(call("GET", "/api/v1/alerts?state=all", analyst_).body)["alerts"].size(),
            1u);
  json log = json::parse(call("GET", "/api/v1/audit", admin_).body)["entries"];
  EXPECT_EQ(log[0]["action"], "alert.ack");
  EXPECT_EQ(log[0]["actor"], "ana");
}

TEST_F(ApiTest, MetricsCountAnswersByStatusClassForPrometheus) {
  call("GET", "/api/v1/events", analyst_);
  call("GET", "/api/v1/events?limit=0", analyst_);
  call("GET", "/api/v1/events");
  ApiResponse m = call("GET", "/metrics", analyst_);
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(m.body.find("# TYPE mitsu_api_requests_total counter\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("mitsu_api_requests_total{code=\"2xx\"} 1\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("mitsu_api_requests_total{code=\"4xx\"} 2\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("mitsu_analysis_queue_depth 0\n"), std::string::npos) << m.body;
  EXPECT_EQ(metric_label("sink", "a\"b\\c"), "sink=\"a\\\"b\\\\c\"");
}

// The analysis queue's jobs by kind and state, and the time to verdict of those done lately.
TEST_F(ApiTest, MetricsShowAnalysisJobsAndTheirLatency) {
  store::Catalog& catalog = *stores_.catalog;
  for (const char* sha : {"aa", "bb", "cc"}) {
    ASSERT_TRUE(catalog.enqueue_job(sha, "sandbox", 1));
  }
  for (int i = 0; i < 2; ++i) {
    auto job = catalog.take_job(10, 60'000'000, "sandbox");
    ASSERT_TRUE(job.ok() && job->has_value());
    ASSERT_TRUE(catalog.finish_job(**job, 1, R"({"sha256":"x"})", {}));
  }
  std::string body = call("GET", "/metrics", analyst_).body;
  EXPECT_NE(body.find("mitsu_analysis_jobs{kind=\"sandbox\",state=\"done\"} 2\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("mitsu_analysis_jobs{kind=\"sandbox\",state=\"queued\"} 1\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("mitsu_analysis_done_last_hour{kind=\"sandbox\"} 2\n"), std::string::npos)
      << body;
  EXPECT_NE(body.find("mitsu_analysis_latency_seconds{kind=\"sandbox\",quantile=\"0.99\"} "),
            std::string::npos)
      << body;
}

TEST_F(ApiTest, ADemotedUsersTokensAreDemotedWithIt) {
  auto token = issue_token(*stores_.accounts, "root", std::nullopt, "", std::nullopt, "t", now_us_);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(call("GET", "/api/v1/users", token->secret).status, 200);
  ASSERT_TRUE(stores_.accounts->set_role("root", "analyst"));
  EXPECT_EQ(call("GET", "/api/v1/users", token->secret).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/events", token->secret).status, 200);
}

TEST_F(ApiTest, LoginsAreRateLimitedPerUser) {
  std::string wrong = json{{"user", "ana"}, {"password", "wrong password!"}}.dump();
  std::string right = json{{"user", "ana"}, {"password", kPassword}}.dump();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call("POST", "/api/v1/auth/login", "", wrong).status, 401);
  }
  ApiResponse limited = call("POST", "/api/v1/auth/login", "", right);
  EXPECT_EQ(limited.status, 429);
  bool retry_after = false;
  for (const auto& [name, value] : limited.headers) {
    retry_after = retry_after || (name == "Retry-After" && std::stoi(value) > 0);
  }
  EXPECT_TRUE(retry_after);
  // Unknown users answer like wrong passwords.
  std::string unknown = json{{"user", "ghost"}, {"password", kPassword}}.dump();
  EXPECT_EQ(call("POST", "/api/v1/auth/login", "", unknown).status, 401);
  now_us_ += 6LL * 60 * 1'000'000;
  EXPECT_EQ(call("POST", "/api/v1/auth/login", "", right).status, 200);
}

TEST_F(ApiTest, AdminActionsAreAudited) {
  ASSERT_EQ(call("POST", "/api/v1/users", admin_,
                 R"({"name":"eve","role":"analyst","password":"long enough password"})")
                .status,
            201);
  EXPECT_EQ(call("POST", "/api/v1/users", admin_,
                 R"({"name":"eve","role":"analyst","password":"long enough password"})")
                .status,
            409);
  EXPECT_EQ(
      call("POST", "/api/v1/users", admin_, R"({"name":"bob","role":"analyst","password":"short"})")
          .status,
      400);
  ASSERT_EQ(call("DELETE", "/api/v1/users/eve", admin_).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/users/root", admin_).status, 409);  // themself, last admin
  ApiResponse log = call("GET", "/api/v1/audit", admin_);
  ASSERT_EQ(log.status, 200);
  json entries = json::parse(log.body)["entries"];
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[0]["action"], "user.remove");
  EXPECT_EQ(entries[0]["actor"], "root");
  EXPECT_EQ(entries[1]["action"], "user.create");
  EXPECT_EQ(log.body.find(admin_), std::string::npos);  // no secret in the log
}

TEST_F(ApiTest, LookupsAndStatisticsAnswerFromTheStores) {
  ingest(300);
  const Event& e = events_.front();
  ApiResponse session = call("GET", "/api/v1/sessions/" + e.session_id, analyst_);
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(json::parse(session.body)["id"], e.session_id);
  EXPECT_EQ(call("GET", "/api/v1/sessions/0190a4c2-0000-7000-8000-000000000000", analyst_).status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/samples/" + std::string(64, 'b'), analyst_).status, 404);
  ApiResponse top = call("GET", "/api/v1/stats/top?by=protocol", analyst_);
  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_GT(json::parse(top.body)["total"].get<double>(), 0);
  EXPECT_EQ(call("GET", "/api/v1/stats/top?by=nonsense", analyst_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/stats/series?from=0001-01-01&to=9999-12-31", analyst_).status,
            400);  // a range long enough to exhaust memory
  EXPECT_EQ(call("GET", "/api/v1/stats/series?by=protocol", analyst_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/stats/overview", analyst_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/peaks", analyst_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/nothing", analyst_).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/events", analyst_).status, 405);
}

// The document lists exactly the routes, with each route's query and path parameters.
TEST_F(ApiTest, TheOpenApiDocumentMatchesTheRouteTable) {
  json doc = json::parse(openapi_document());
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::pair<std::string, std::string>> documented, routed;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      std::string upper = method;
      for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      documented.emplace(upper, path);
    }
  }
  for (const Route& route : api_.router->routes()) {
    routed.emplace(route.method, route.pattern);
    std::string method = route.method;
    for (char& c : method) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    ASSERT_TRUE(doc["paths"].contains(route.pattern)) << route.pattern;
    const json& operation = doc["paths"][route.pattern][method];
    std::set<std::string> query, path, want_query(route.params.begin(), route.params.end()),
        want_path;
    for (const json& p : operation.value("parameters", json::array())) {
      (p["in"] == "query" ? query : path).insert(p["name"].get<std::string>());
    }
    static const std::regex kPathParam("\\{([a-z0-9]+)\\}");
    for (std::sregex_iterator it(route.pattern.begin(), route.pattern.end(), kPathParam);
         it != std::sregex_iterator(); ++it) {
      want_path.insert((*it)[1]);
    }
    EXPECT_EQ(query, want_query) << route.method << " " << route.pattern;
    EXPECT_EQ(path, want_path) << route.method << " " << route.pattern;
    EXPECT_EQ(operation.contains("security") && operation["security"].empty(), route.roles.empty())
        << route.pattern;
  }
  EXPECT_EQ(documented, routed);
  EXPECT_EQ(call("GET", "/api/v1/openapi.json").body, std::string(openapi_document()));
}

}  // namespace
}  // namespace mitsu::api

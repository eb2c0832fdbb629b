// The live stream, the sample list, sandbox captures, case timelines and the dashboard's files
// through the router: what each answers, and what it refuses.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "api/api_test_fixture.h"
#include "api/live/live_hub.h"

namespace mitsu::api {
namespace {

using nlohmann::json;

TEST_F(ApiTest, TheLiveStreamFollowsTheHubWithTheCallersFilter) {
  EXPECT_EQ(call("GET", "/api/v1/stream", analyst_).status, 503) << "no ingest here yet";
  LiveHub hub;
  api_.context->live = &hub;
  ApiResponse r = call("GET", "/api/v1/stream?kinds=event&protocol=telnet", analyst_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/event-stream");
  ASSERT_TRUE(r.stream);
  std::string got;
  EXPECT_TRUE(r.stream->next(got));
  EXPECT_NE(got.find("event: hello"), std::string::npos) << got;
  ingest(200);
  hub.publish_events(std::vector<const Event*>{&events_[0], &events_[1], &events_[2]});
  std::vector<const Event*> all;
  for (const Event& e : events_) {
    all.push_back(&e);
  }
  hub.publish_events(all);
  got.clear();
  EXPECT_TRUE(r.stream->next(got));
  std::size_t frames = 0;
  for (std::size_t at = got.find("data: "); at != std::string::npos;
       at = got.find("data: ", at + 1)) {
    json e = json::parse(got.substr(at + 6, got.find('\n', at) - at - 6));
    EXPECT_EQ(e["network"]["protocol"], "telnet");
    ++frames;
  }
  EXPECT_GT(frames, 0u);
  EXPECT_EQ(call("GET", "/api/v1/stream?kinds=all", analyst_).status, 400);

  // A stream whose token is revoked ends at its next check.
  api_.context->stream_recheck = std::chrono::milliseconds(0);
  auto issued =
      issue_token(*stores_.accounts, "ana", std::nullopt, "short", std::nullopt, "test", now_us_);
  ASSERT_TRUE(issued.ok());
  ApiResponse held = call("GET", "/api/v1/stream", issued->secret);
  ASSERT_TRUE(held.stream);
  got.clear();
  EXPECT_TRUE(held.stream->next(got)) << got;
  ASSERT_TRUE(revoke_token(*stores_.accounts, issued->record.id, "root", now_us_));
  got.clear();
  EXPECT_FALSE(held.stream->next(got));
  EXPECT_NE(got.find("event: ended"), std::string::npos) << got;
  EXPECT_EQ(call("GET", "/api/v1/stream?src_ip=not-an-address", analyst_).status, 400);
  api_.context->live = nullptr;
}

TEST_F(ApiTest, SamplesAreListedNewestFirstWithTheirVerdictInBrief) {
  ingest(3000);
  ApiResponse r = call("GET", "/api/v1/samples?limit=5", analyst_);
  ASSERT_EQ(r.status, 200) << r.body;
  json samples = json::parse(r.body)["samples"];
  ASSERT_FALSE(samples.empty()) << "the synthetic traffic downloads samples";
  EXPECT_LE(samples.size(), 5u);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(samples[i]["sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(samples[i]["analysed"], false) << "no analysis ran";
    if (i > 0) {
      EXPECT_GE(samples[i - 1]["last_seen"], samples[i]["last_seen"]);
    }
  }
  EXPECT_EQ(call("GET", "/api/v1/samples?limit=0", analyst_).status, 400);
}

TEST_F(ApiTest, ASandboxCaptureIsServedOnlyFromTheReportsDirectory) {
  std::string sha256(64, 'b');
  api_.context->reports_dir = dir_ / "reports";
  std::filesystem::create_directories(dir_ / "reports" / sha256);
  std::string pcap("\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);
  std::ofstream(dir_ / "reports" / sha256 / "sandbox.pcap", std::ios::binary) << pcap;
  ApiResponse r = call("GET", "/api/v1/samples/" + sha256 + "/pcap", analyst_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, pcap);
  EXPECT_EQ(r.content_type, "application/vnd.tcpdump.pcap");
  EXPECT_EQ(call("GET", "/api/v1/samples/" + std::string(64, 'c') + "/pcap", analyst_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/samples/..%2E/pcap", analyst_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/samples/" + sha256 + "/pcap", sensor_).status, 403);
}

TEST_F(ApiTest, ASourcesTimelineIsItsSessionsInTimeOrder) {
  ingest(500);
  auto login = std::find_if(events_.begin(), events_.end(),
                            [](const Event& e) { return e.action == "login.attempt"; });
  ASSERT_NE(login, events_.end());
  std::string src = login->src_ip;
  ApiResponse r = call("GET", "/api/v1/timeline?src_ip=" + src, analyst_);
  ASSERT_EQ(r.status, 200) << r.body;
  json t = json::parse(r.body);
  EXPECT_EQ(t["subject"]["src_ip"], src);
  ASSERT_FALSE(t["entries"].empty());
  std::string previous;
  std::set<std::string> kinds;
  for (const json& e : t["entries"]) {
    EXPECT_GE(e["ts"].get<std::string>(), previous);
    previous = e["ts"];
    kinds.insert(e["kind"].get<std::string>());
    if (e["kind"] == "login") {  // read from the stored body, not the (unset) parsed columns
      EXPECT_EQ(e["title"],
                fmt::format("login {}:{} {}", e["event"]["user"]["name"].get<std::string>(),
                            e["event"]["mitsu"]["login"]["password"].get<std::string>(),
                            e["event"]["event"]["outcome"].get<std::string>()));
    }
    EXPECT_EQ(e["event"]["source"]["ip"], src);
  }
  EXPECT_TRUE(kinds.contains("session")) << t.dump(1);
  EXPECT_TRUE(kinds.contains("login")) << t.dump(1);
  EXPECT_EQ(call("GET", "/api/v1/timeline", analyst_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/timeline?src_ip=" + src + "&sensor=s", analyst_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/timeline?sensor=nobody-here", analyst_).status, 404);
}

TEST_F(ApiTest, TheDashboardIsServedFromItsDirectoryOnly) {
  EXPECT_EQ(call("GET", "/").status, 503) << "not built";
  std::filesystem::path dash = dir_ / "dash";
  std::filesystem::create_directories(dash / "assets" / "sub");
  std::ofstream(dash / "index.html") << "<!doctype html>";
  std::ofstream(dash / "assets" / "app.js") << "1;";
  std::ofstream(dash / "assets" / "tool.exe") << "MZ";
  std::ofstream(dash / "assets" / "sub" / "x.js") << "2;";
  // A fresh API: the files are read once, on the first request.
  auto api = build_api(stores_, {}, [this] { return now_us_; });
  ASSERT_TRUE(api.ok());
  api->context->dashboard_dir = dash;
  auto get = [&](const std::string& path) {
    ApiRequest request;
    request.method = "GET";
    request.path = path;
    return api->router->handle(request);
  };
  ApiResponse index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html>");
  EXPECT_EQ(get("/assets/app.js").body, "1;");
  EXPECT_EQ(get("/assets/tool.exe").status, 404) << "not a type the dashboard has";
  EXPECT_EQ(get("/assets/sub").status, 404);
  EXPECT_EQ(get("/assets/..").status, 400);
  EXPECT_EQ(get("/assets/sub/x.js").status, 404);
  EXPECT_EQ(get("/index.html").status, 404);
}

}  // namespace
}  // namespace mitsu::api

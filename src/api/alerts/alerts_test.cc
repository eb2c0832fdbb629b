// Alerts from rules to receiver: the shipped rules load; events raise alerts once (folded while
// open, or forever with `once`); the hourly limit suppresses; acknowledgement; and delivery to a
// real webhook receiver (a Python http.server) that is first down, then up, gets each alert once.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/alerts/alert_delivery.h"
#include "api/stores_test_fixture.h"
#include "intel/alerts/alert_engine.h"
#include "store/store_factory.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::api {
namespace {

using nlohmann::json;

Event exploit(const std::string& rule, std::int64_t ts_us, int n) {
  Event e;
  e.id = "01a19467-ef6c-70ed-a079-" + fmt::format("{:012x}", n);
  e.ts_us = ts_us;
  e.action = "exploit";
  e.sensor = "s1";
  e.site = "tokyo";
  e.session_id = "01a19467-e800-752e-89a7-834df2a74de4";
  e.src_ip = "203.0.113.45";
  e.protocol = "http";
  e.rule_id = rule;
  e.body = "{}";
  return e;
}

class AlertsTest : public StoresTest {
 protected:
  // As the collector calls it: inside the unit of work, with the fresh events.
  void ingest(intel::AlertEngine& engine, const std::vector<Event>& events) {
    std::vector<const Event*> fresh;
    for (const Event& e : events) {
      fresh.push_back(&e);
    }
    ASSERT_TRUE(stores_.unit_of_work->run([&] { return engine.observe(fresh); }));
  }
};

TEST_F(AlertsTest, TheShippedRulesLoadAndBadRulesAreRefusedWithTheirPlace) {
  auto shipped = intel::load_alert_rules(MITSU_DEFAULT_ALERT_RULES);
  ASSERT_TRUE(shipped.ok()) << shipped.error();
  EXPECT_GE(shipped->size(), 6u);
  auto unknown = intel::parse_alert_rules(
      "[[alert]]\nid = \"x\"\non = \"exploit\"\ntitle = \"{nope}\"\nkey = \"{rule_id}\"\n",
      "t.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("t.toml:1:1"), std::string::npos) << unknown.error();
  EXPECT_NE(unknown.error().find("{nope}"), std::string::npos);
  EXPECT_FALSE(intel::parse_alert_rules("[[alert]]\nid = \"x\"\nwhen = 1\n", "t.toml").ok());
  EXPECT_FALSE(intel::parse_alert_rules(
                   "[[alert]]\nid = \"x\"\non = \"a\"\ntitle = \"t\"\nkey = \"k\"\nseverity = "
                   "\"urgent\"\n",
                   "t.toml")
                   .ok());
}

TEST_F(AlertsTest, AnExploitSignatureAlertsOnceEverAndFoldsLaterSightings) {
  auto rules = intel::parse_alert_rules(
      "[[alert]]\nid = \"first\"\non = \"exploit\"\nseverity = \"high\"\n"
      "title = \"First sighting of {rule_id} from {src_ip}\"\nkey = \"{rule_id}\"\nonce = true\n",
      "t.toml");
  ASSERT_TRUE(rules.ok()) << rules.error();
  intel::AlertEngine engine(*rules, *stores_.alerts, {"hook"});
  ingest(engine, {exploit("cve-a", 1000, 1), exploit("cve-b", 2000, 2), exploit("cve-a", 3000, 3)});
  auto open = stores_.alerts->alerts(10, false);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[1].title, "First sighting of cve-a from 203.0.113.45");
  EXPECT_EQ((*open)[1].count, 2);
  EXPECT_EQ((*open)[1].last_us, 3000);
  EXPECT_EQ(*stores_.alerts->undelivered("hook"), 2u);
  ASSERT_TRUE(stores_.alerts->acknowledge((*open)[1].id, "ana", 4000));
  EXPECT_EQ(stores_.alerts->acknowledge((*open)[1].id, "ana", 4000).error_kind(),
            ErrorKind::kConflict);
  ingest(engine, {exploit("cve-a", 5000, 4)});  // once: acknowledged, still the same alert
  EXPECT_EQ(stores_.alerts->alerts(10, true)->size(), 2u);
  EXPECT_EQ(stores_.alerts->alerts(10, false)->size(), 1u);
  EXPECT_EQ(engine.raised(), 2u);
}

TEST_F(AlertsTest, OverTheHourlyLimitRaisesAreSuppressed) {
  auto rules = intel::parse_alert_rules(
      "[[alert]]\nid = \"each\"\non = \"exploit\"\ntitle = \"{rule_id}\"\nkey = \"{rule_id}\"\n"
      "per_hour = 3\n",
      "t.toml");
  ASSERT_TRUE(rules.ok()) << rules.error();
  intel::AlertEngine engine(*rules, *stores_.alerts, {});
  std::vector<Event> burst;
  for (int i = 0; i < 10; ++i) {
    burst.push_back(exploit("rule-" + std::to_string(i), 1'000'000 + i, i));
  }
  ingest(engine, burst);
  EXPECT_EQ(engine.raised(), 3u);
  EXPECT_EQ(engine.suppressed(), 7u);
  ingest(engine, {exploit("rule-0", 1'000'100, 20)});  // an open alert still counts it
  EXPECT_EQ(engine.suppressed(), 7u);
  ingest(engine, {exploit("rule-9", 2LL * 3600 * 1'000'000, 21)});  // an hour later: allowed
  EXPECT_EQ(engine.raised(), 4u);
}

TEST_F(AlertsTest, AReceiverThatIsDownGetsEveryAlertOnceWhenItReturns) {
  auto rules = intel::parse_alert_rules(
      "[[alert]]\nid = \"each\"\non = \"exploit\"\ntitle = \"{rule_id}\"\nkey = \"{rule_id}\"\n",
      "t.toml");
  ASSERT_TRUE(rules.ok());
  intel::AlertEngine engine(*rules, *stores_.alerts, {"hook"});
  ingest(engine, {exploit("a", 1, 1), exploit("b", 2, 2), exploit("c", 3, 3)});
  std::string log = (dir_ / "received.jsonl").string();
  // Down: nothing listens on the port yet.
  testing::ChildProcess probe({"python3", "-c",
                               "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                               "print(s.getsockname()[1])"});
  std::string port;
  ASSERT_TRUE(probe.read_line(port));
  probe.wait();
  AlertDelivery delivery(*stores_.alerts, {WebhookSink{"hook", "http://127.0.0.1:" + port + "/in"}},
                         std::nullopt);
  auto none = delivery.deliver_due(10'000'000);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(*none, 0u);
  EXPECT_EQ(*stores_.alerts->undelivered("hook"), 3u);
  EXPECT_EQ(*delivery.deliver_due(10'000'001), 0u);  // backing off: not due yet
  testing::ChildProcess receiver(
      {"python3", std::string(MITSU_SOURCE_DIR) + "/tests/tools/webhook_receiver.py", port, log});
  std::string ready;
  ASSERT_TRUE(receiver.read_line(ready));
  EXPECT_EQ(ready, "ready " + port);
  EXPECT_EQ(*delivery.deliver_due(20'000'000), 3u);
  EXPECT_EQ(*delivery.deliver_due(30'000'000), 0u);
  EXPECT_EQ(*stores_.alerts->undelivered("hook"), 0u);
  receiver.send_signal(SIGTERM);
  receiver.wait();
  std::ifstream in(log);
  std::set<std::string> keys, titles;
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    json got = json::parse(line);
    keys.insert(got["key"].get<std::string>());
    titles.insert(got["body"]["title"].get<std::string>());
    EXPECT_EQ(got["type"], "application/json");
    EXPECT_EQ(got["body"]["detail"]["src_ip"], "203.0.113.45");
  }
  EXPECT_EQ(lines, 3);
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_EQ(titles, (std::set<std::string>{"a", "b", "c"}));
}

TEST_F(AlertsTest, SyslogGetsAnRfc5424Datagram) {
  auto rules = intel::parse_alert_rules(
      "[[alert]]\nid = \"each\"\non = \"exploit\"\nseverity = \"critical\"\n"
      "title = \"{rule_id}\"\nkey = \"{rule_id}\"\n",
      "t.toml");
  ASSERT_TRUE(rules.ok());
  intel::AlertEngine engine(*rules, *stores_.alerts, {std::string(intel::kSyslogSink)});
  ingest(engine, {exploit("x]\"y", 1'780'000'000'000'000, 1)});
  testing::ChildProcess listener(
      {"python3", "-c",
       "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
       "s.bind(('127.0.0.1',0)); print(s.getsockname()[1], flush=True); "
       "s.settimeout(20); print(s.recv(65535).decode(), flush=True)"});
  std::string port, datagram;
  ASSERT_TRUE(listener.read_line(port));
  AlertDelivery delivery(*stores_.alerts, {}, SyslogSink{"127.0.0.1", std::stoi(port)});
  EXPECT_EQ(*delivery.deliver_due(1), 1u);
  ASSERT_TRUE(listener.read_line(datagram));
  listener.wait();
  // local0 (16) * 8 + crit (2) = 130; structured data with ']' and '"' escaped.
  EXPECT_EQ(datagram.rfind("<130>1 2026-05-28T", 0), 0u) << datagram;
  EXPECT_NE(datagram.find(R"(rule="each" severity="critical"])"), std::string::npos) << datagram;
  EXPECT_NE(datagram.find(" mitsu - ALERT [mitsu@32473 id=\"1\""), std::string::npos);
}

// Facts no single event states: a verdict that says never seen or aimed at our products, an
// exploit by a watchlist rule, a sensor gone quiet. Each raises by the shipped rules, once.
TEST_F(AlertsTest, VerdictsWatchlistExploitsAndSilentSensorsRaiseByTheShippedRules) {
  auto rules = intel::load_alert_rules(MITSU_DEFAULT_ALERT_RULES);
  ASSERT_TRUE(rules.ok()) << rules.error();
  intel::AlertEngine engine(std::move(*rules), *stores_.alerts, {"soc"});
  engine.set_targeted_rules({"netlinq-ping-injection"});
  std::string sha(64, 'e');
  std::string verdict =
      R"({"known":{"known":false},"family":{"name":"mirai"},"elf":{"arch":"arm"},)"
      R"("watchlist":{"targets_our_products":true}})";
  std::vector<store::AlertRecord> raised;
  ASSERT_TRUE(stores_.unit_of_work->run([&]() -> Status {
    auto r = engine.observe_verdict(sha, verdict, 1'800'000'000'000'000);
    if (!r) {
      return r.failure();
    }
    raised = *r;
    return {};
  }));
  ASSERT_EQ(raised.size(), 2u);
  EXPECT_EQ(raised[0].rule, "sample-never-seen");
  EXPECT_EQ(raised[0].title, "Never-seen sample " + sha + " (mirai arm)");
  EXPECT_EQ(raised[1].rule, "sample-targets-our-products");
  EXPECT_EQ(json::parse(raised[1].detail)["fact"], "sample.targets_our_products");
  ASSERT_TRUE(stores_.unit_of_work->run([&]() -> Status {
    auto again = engine.observe_verdict(sha, verdict, 1'800'000'000'000'001);
    EXPECT_TRUE(again.ok() && again->empty()) << "once per sample";
    return {};
  }));
  auto known = R"({"known":{"known":true}})";
  ASSERT_TRUE(stores_.unit_of_work->run([&]() -> Status {
    auto r = engine.observe_verdict(std::string(64, 'f'), known, 1'800'000'000'000'002);
    EXPECT_TRUE(r.ok() && r->empty()) << "a known sample is no news";
    return {};
  }));

  ingest(engine, {exploit("netlinq-ping-injection", 1'800'000'000'000'000, 1),
                  exploit("some-other-rule", 1'800'000'000'000'000, 2)});
  auto taken = engine.take_raised();
  std::set<std::string> rule_ids;
  for (const auto& a : taken) {
    rule_ids.insert(a.rule);
  }
  EXPECT_TRUE(rule_ids.contains("session-targets-our-products")) << taken.size();

  Event silent;
  silent.action = "sensor.silent";
  silent.sensor = "cam-7";
  silent.site = "osaka";
  silent.ts_us = 1'800'000'000'000'000;
  silent.body = R"({"sensor":"cam-7","last_event":"2027-01-15T08:00:00.000000Z"})";
  auto r = engine.observe_fact(silent);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].title,
            "Sensor cam-7 at osaka has sent nothing since 2027-01-15T08:00:00.000000Z");
  silent.ts_us += 60'000'000;
  EXPECT_TRUE(engine.observe_fact(silent)->empty()) << "one alert per silence";
}

}  // namespace
}  // namespace mitsu::api

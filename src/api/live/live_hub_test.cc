// The live stream's fan-out: filters, SSE framing, and a slow reader dropped without touching
// the others or the publisher.

#include "api/live/live_hub.h"

#include <gtest/gtest.h>

namespace mitsu::api {
namespace {

Event event(std::string protocol, std::string action, std::string body) {
  Event e;
  e.protocol = std::move(protocol);
  e.action = std::move(action);
  e.sensor = "s1";
  e.src_ip = "198.51.100.7";
  e.body = std::move(body);
  return e;
}

std::vector<const Event*> pointers(const std::vector<Event>& events) {
  std::vector<const Event*> out;
  for (const Event& e : events) {
    out.push_back(&e);
  }
  return out;
}

TEST(LiveHub, EachSubscriberGetsWhatItsFilterMatches) {
  LiveHub hub;
  LiveFilter telnet;
  telnet.protocol = "telnet";
  telnet.alerts = false;
  auto a = hub.subscribe(telnet);
  auto b = hub.subscribe(LiveFilter{});
  LiveFilter alerts_only;
  alerts_only.events = false;
  auto c = hub.subscribe(alerts_only);
  std::vector<Event> events = {event("telnet", "command", R"({"n":1})"),
                               event("ssh", "login.attempt", R"({"n":2})")};
  hub.publish_events(pointers(events));
  store::AlertRecord alert;
  alert.id = 7;
  alert.rule = "r";
  alert.title = "t";
  alert.detail = "{}";
  hub.publish_alerts(std::vector{alert});
  std::string got_a, got_b, got_c;
  EXPECT_TRUE(a->take(got_a));
  EXPECT_TRUE(b->take(got_b));
  EXPECT_TRUE(c->take(got_c));
  EXPECT_EQ(got_a, "event: event\ndata: {\"n\":1}\n\n");
  EXPECT_NE(got_b.find("data: {\"n\":2}"), std::string::npos);
  EXPECT_NE(got_b.find("event: alert\ndata: {"), std::string::npos) << got_b;
  EXPECT_EQ(got_c.find("event: event"), std::string::npos) << got_c;
  EXPECT_NE(got_c.find("\"id\":7"), std::string::npos) << got_c;
  got_a.clear();
  EXPECT_TRUE(a->take(got_a));
  EXPECT_TRUE(got_a.empty()) << "taken once";
}

TEST(LiveHub, ASlowSubscriberIsDroppedAndTheOthersGoOn) {
  LiveHub hub(/*max_queued_bytes=*/1024);
  auto slow = hub.subscribe(LiveFilter{});
  auto quick = hub.subscribe(LiveFilter{});
  std::vector<Event> events = {event("telnet", "command", std::string(100, 'x'))};
  std::string got;
  for (int i = 0; i < 50; ++i) {
    hub.publish_events(pointers(events));
    got.clear();
    EXPECT_TRUE(quick->take(got));
    EXPECT_NE(got.find(std::string(100, 'x')), std::string::npos);
  }
  EXPECT_EQ(hub.dropped(), 1u);
  got.clear();
  EXPECT_FALSE(slow->take(got)) << "dropped: the stream ends";
  EXPECT_NE(got.find("event: dropped"), std::string::npos) << got;
  EXPECT_EQ(got.find(std::string(100, 'x')), std::string::npos) << "its backlog was freed";
}

TEST(LiveHub, ClosedStreamsAreForgotten) {
  LiveHub hub;
  {
    auto gone = hub.subscribe(LiveFilter{});
    EXPECT_EQ(hub.subscribers(), 1u);
  }
  EXPECT_EQ(hub.subscribers(), 0u);
  std::vector<Event> events = {event("telnet", "command", "{}")};
  hub.publish_events(pointers(events));  // nobody to deliver to: nothing happens
  EXPECT_EQ(hub.published(), 0u);
}

TEST(LiveHub, DataWithLineBreaksIsSplitIntoDataLines) {
  EXPECT_EQ(sse_frame("event", "a\nb\r\nc"), "event: event\ndata: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(sse_frame("event", ""), "event: event\ndata: \n\n");
}

}  // namespace
}  // namespace mitsu::api

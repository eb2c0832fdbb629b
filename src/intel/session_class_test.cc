#include "intel/session_class.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace mitsu::intel {
namespace {

Event event(std::string action, std::int64_t ts_us, std::string outcome = "") {
  Event e;
  e.action = std::move(action);
  e.ts_us = ts_us;
  e.outcome = std::move(outcome);
  e.session_id = "s";
  return e;
}

SessionClass class_of(std::vector<Event> events) {
  return classify(events).session_class;
}

TEST(SessionClass, EachRuleAndItsPrecedence) {
  EXPECT_EQ(class_of({event("session.open", 0), event("session.close", 5)}), SessionClass::kScan);
  EXPECT_EQ(class_of({event("session.open", 0), event("http.request", 1)}), SessionClass::kScan);
  EXPECT_EQ(class_of({event("login.attempt", 1, "failure"), event("login.attempt", 2, "failure")}),
            SessionClass::kBruteForce);
  // Logged in but did nothing after: still brute force (hydra stops at the first success).
  EXPECT_EQ(class_of({event("login.attempt", 1, "failure"), event("login.attempt", 2, "success")}),
            SessionClass::kBruteForce);
  // A command before the login (typed at the login prompt) is not post-login activity.
  EXPECT_EQ(class_of({event("command", 1), event("login.attempt", 2, "success")}),
            SessionClass::kBruteForce);
  EXPECT_EQ(class_of({event("login.attempt", 1, "success"), event("command", 2)}),
            SessionClass::kIntrusion);
  EXPECT_EQ(class_of({event("login.attempt", 1, "success"), event("ftp.command", 2)}),
            SessionClass::kIntrusion);
  EXPECT_EQ(class_of({event("http.request", 1), event("exploit", 1)}), SessionClass::kExploit);
  EXPECT_EQ(class_of({event("exploit", 1), event("file.download", 2, "failure")}),
            SessionClass::kExploit)
      << "a failed download delivered nothing";
  EXPECT_EQ(class_of({event("exploit", 1), event("file.download", 2, "success")}),
            SessionClass::kMalwareDelivery);
  EXPECT_EQ(class_of({event("login.attempt", 1, "success"), event("command", 2),
                      event("file.upload", 3)}),
            SessionClass::kMalwareDelivery);
}

TEST(SessionClass, TheSameEventsInAnyOrderGiveTheSameClass) {
  std::vector<Event> events{event("login.attempt", 1, "failure"),
                            event("login.attempt", 2, "success"), event("command", 3'000'000),
                            event("command", 5'000'000), event("command", 6'500'000)};
  Classification first = classify(events);
  std::mt19937 shuffle(7);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(events.begin(), events.end(), shuffle);
    Classification again = classify(events);
    EXPECT_EQ(again.session_class, first.session_class);
    EXPECT_EQ(again.interactive, first.interactive);
  }
  EXPECT_EQ(first.session_class, SessionClass::kIntrusion);
  EXPECT_TRUE(first.interactive);
}

TEST(SessionClass, BotsPasteTheirLinesPeopleTypeThem) {
  std::vector<Event> bot{event("command", 0), event("command", 40'000), event("command", 90'000),
                         event("command", 5'000'000)};
  EXPECT_FALSE(is_interactive(bot)) << "two lines 40 ms apart: a script";
  std::vector<Event> person{event("command", 0), event("command", 2'300'000),
                            event("command", 3'100'000), event("command", 9'000'000)};
  EXPECT_TRUE(is_interactive(person));
  std::vector<Event> two{event("command", 0), event("command", 5'000'000)};
  EXPECT_FALSE(is_interactive(two)) << "too few to tell";
  EXPECT_EQ(to_string(SessionClass::kMalwareDelivery), "malware_delivery");
}

}  // namespace
}  // namespace mitsu::intel

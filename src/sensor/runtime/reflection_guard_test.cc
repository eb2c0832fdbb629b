#include "sensor/runtime/reflection_guard.h"

#include <gtest/gtest.h>

namespace mitsu::sensor {
namespace {

TEST(ReflectionGuard, GivesUnprovenSourcesNoMoreThanTheySent) {
  ReflectionGuard guard;
  auto now = ReflectionGuard::Clock::now();
  guard.received("192.0.2.1", 100, now);
  EXPECT_FALSE(guard.may_send("192.0.2.1", 250, now));
  guard.received("192.0.2.1", 100, now);
  guard.received("192.0.2.1", 100, now);
  EXPECT_TRUE(guard.may_send("192.0.2.1", 250, now));
  EXPECT_FALSE(guard.may_send("192.0.2.1", 100, now)) << "50 bytes of budget left";
  guard.proven("192.0.2.1", now);
  int sent = 0;
  for (int i = 0; i < 100; ++i) {
    sent += guard.may_send("192.0.2.1", 300, now) ? 1 : 0;
  }
  EXPECT_EQ(sent, ReflectionGuard::kRepliesPerSecond - 1) << "proven, but still rate-limited";
  EXPECT_TRUE(guard.may_send("192.0.2.1", 300, now + std::chrono::seconds(2)));
}

}  // namespace
}  // namespace mitsu::sensor

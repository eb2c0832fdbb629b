#include "intel/rollups/state_codec.h"

#include <gtest/gtest.h>

namespace mitsu::intel {
namespace {

SessionFold fold() {
  SessionFold f;
  f.first_us = 1'700'000'000'000'000;
  f.first_event = "e1";
  f.dims = {19675, "NL", 64512, "telnet", 23, "camera", "ams"};
  f.events = 7;
  f.payload = true;
  f.targeted = true;
  f.first_success_us = f.first_us + 5;
  f.last_command_us = f.first_us + 9;
  f.command_times = {f.first_us + 6, f.first_us + 9};
  return f;
}

TEST(StateCodec, SessionFoldRoundTrips) {
  auto decoded = decode_session_state(encode_state(fold()));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->first_us, fold().first_us);
  EXPECT_EQ(decoded->first_event, "e1");
  EXPECT_EQ(decoded->dims, fold().dims);
  EXPECT_EQ(decoded->events, 7);
  EXPECT_TRUE(decoded->payload && decoded->targeted);
  EXPECT_FALSE(decoded->exploit || decoded->login_tried);
  EXPECT_EQ(decoded->first_success_us, fold().first_success_us);
  EXPECT_EQ(decoded->command_times, fold().command_times);
}

TEST(StateCodec, SampleFactsRoundTrip) {
  SampleFacts s{19675, "mirai", "arm", 1, "iot", 1, {{"static", "cnc.example"}}};
  EXPECT_EQ(decode_sample_state(encode_state(s)), s);
}

// A damaged stored value is rejected whole, never read past its end nor half-decoded.
TEST(StateCodec, TruncatedExtendedOrForeignValuesAreRejected) {
  std::string session = encode_state(fold());
  std::string sample = encode_state(SampleFacts{1, "f", "a", 0, "pc", 0, {{"s", "d"}}});
  for (std::size_t cut = 0; cut < session.size(); ++cut) {
    EXPECT_FALSE(decode_session_state(session.substr(0, cut))) << cut;
  }
  for (std::size_t cut = 0; cut < sample.size(); ++cut) {
    EXPECT_FALSE(decode_sample_state(sample.substr(0, cut))) << cut;
  }
  EXPECT_FALSE(decode_session_state(session + '\0'));
  EXPECT_FALSE(decode_session_state(sample));
  EXPECT_FALSE(decode_sample_state(session));
  std::string huge_text = session;
  huge_text[14] = '\x7f';  // the first text's length, now far past the end
  EXPECT_FALSE(decode_session_state(huge_text));
  std::string negative_text = session;
  negative_text[16] = '\x80';  // its top byte: a negative length
  EXPECT_FALSE(decode_session_state(negative_text));
}

}  // namespace
}  // namespace mitsu::intel

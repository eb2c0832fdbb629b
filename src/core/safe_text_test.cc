#include "core/safe_text.h"

#include <gtest/gtest.h>

#include <random>

#include "core/event_builder.h"
#include "core/event_parser.h"
#include "core/uuid.h"

namespace mitsu {
namespace {

TEST(SafeText, Utf8ValidationFollowsRfc3629) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\x9b"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe6\x97"));          // cut short
}

TEST(SafeText, InvalidBytesBecomeHexAndValidTextStays) {
  EXPECT_EQ(escape_invalid_utf8("ro\xfft"), "ro\\xfft");
  EXPECT_EQ(escape_invalid_utf8("\xe6\x97\xa5\xe6\x97"), "\xe6\x97\xa5\\xe6\\x97");
  EXPECT_EQ(escape_invalid_utf8("\x7f"
                                "ELF\x01"),
            "\x7f"
            "ELF\x01");  // valid: JSON escapes it
}

TEST(SafeText, TerminalTextCannotCarryControlSequences) {
  EXPECT_EQ(terminal_safe("\x1b]0;owned\x07title"), "\\e]0;owned\\x07title");
  EXPECT_EQ(terminal_safe("a\nb\tc\r"), "a\\nb\\tc\\r");
  EXPECT_EQ(terminal_safe("\x9b"
                          "31m"),
            "\\x9b31m");  // 8-bit CSI (invalid UTF-8)
  EXPECT_EQ(terminal_safe("\xc2\x9b"
                          "31m"),
            "\\u{009b}31m");  // CSI as a UTF-8 code point
  EXPECT_EQ(terminal_safe("evil\xe2\x80\xaetxt.exe"), "evil\\u{202e}txt.exe");
  EXPECT_EQ(terminal_safe("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(SafeText, Base64RoundTripsEveryLength) {
  std::mt19937 random(7);
  for (std::size_t size = 0; size < 40; ++size) {
    std::string bytes(size, '\0');
    for (char& c : bytes) {
      c = static_cast<char>(random());
    }
    std::string decoded;
    ASSERT_TRUE(base64_decode(base64_encode(bytes), decoded));
    EXPECT_EQ(decoded, bytes);
  }
  EXPECT_EQ(base64_encode("ro\xfft"), "cm//dA==");
  std::string out;
  EXPECT_FALSE(base64_decode("a*b=", out));
}

TEST(SafeText, DumpIsValidAndLossless) {
  nlohmann::json doc = {{"strings", {"ok", std::string("bad\xff\xfe", 5)}},
                        {"nested", {{"k", "\xc0"}}},
                        {std::string("key\xff"), 1}};
  std::string text = dump_json(doc, 2);
  ASSERT_TRUE(is_valid_utf8(text));
  auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["strings"][1], "bad\\xff\\xfe");
  EXPECT_EQ(parsed["nested"]["k"], "\\xc0");
  EXPECT_EQ(parsed["key\\xff"], 1);
  std::string original;
  ASSERT_TRUE(base64_decode(parsed["raw_bytes"]["/strings/1"].get<std::string>(), original));
  EXPECT_EQ(original, std::string("bad\xff\xfe", 5));
  ASSERT_TRUE(base64_decode(parsed["raw_bytes"]["/key\\xff#key"].get<std::string>(), original));
  EXPECT_EQ(original, "key\xff");
  // Valid documents are written as they are.
  EXPECT_EQ(dump_json(nlohmann::json{{"a", "b"}}), R"({"a":"b"})");
}

TEST(SafeText, EventWithRawBytesPassesValidationAndKeepsThem) {
  Uuid7Generator ids;
  EventBuilder builder({"sensor-1", "lab"}, ids);
  SessionInfo session{ids.next().to_string(),        "telnet", "tcp", "203.0.113.8", 4000, "", 23,
                      {"camera", "Acme", "IPC-2000"}};
  nlohmann::json e = builder.session_event(session, "login.attempt", 1'790'000'000'000'000);
  set_field(e, "event.outcome", "failure");
  set_field(e, "user.name", "root");
  set_field(e, "mitsu.login.password", "ro\xfft");
  std::string text = to_event_text(e);
  Event event;
  Rejection why;
  EventParser parser;
  ASSERT_TRUE(parser.parse(text, event, why)) << why.detail << "\n" << text;
  EXPECT_EQ(event.password, "ro\\xfft");
  auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["mitsu"]["raw_bytes"]["/mitsu/login/password"], "cm//dA==");
}

}  // namespace
}  // namespace mitsu

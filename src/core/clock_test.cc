#include "core/clock.h"

#include <gtest/gtest.h>

namespace mitsu {
namespace {

TEST(Clock, FormatsMicrosecondsUtc) {
  EXPECT_EQ(format_timestamp_us(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp_us(1'793'491'200'123'456), "2026-11-01T00:00:00.123456Z");
  EXPECT_EQ(format_timestamp_us(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(Clock, ParsesWhatItFormats) {
  for (std::int64_t us : {std::int64_t{0}, std::int64_t{1'793'491'200'123'456},
                          std::int64_t{951'782'400'000'001} /* 2000-02-29 */}) {
    EXPECT_EQ(parse_timestamp_us(format_timestamp_us(us)), us);
  }
}

TEST(Clock, ParsesFewerFractionDigits) {
  EXPECT_EQ(parse_timestamp_us("2026-11-01T00:00:00Z"), 1'793'491'200'000'000);
  EXPECT_EQ(parse_timestamp_us("2026-11-01T00:00:00.5Z"), 1'793'491'200'500'000);
}

TEST(Clock, RejectsWhatIsNotStrictUtc) {
  for (const char* bad :
       {"2026-11-01T00:00:00.000000+09:00", "2026-11-01 00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-01T24:00:00Z", "2026-11-01T00:00:00.1234567Z", "2026-11-01T00:00:00.Z",
        "2026-11-01T00:00:00", "", "2026-11-01T00:00:00Zjunk"}) {
    EXPECT_FALSE(parse_timestamp_us(bad).has_value()) << bad;
  }
}

TEST(Clock, FilterAcceptsDatesAndLocalFreeTimes) {
  EXPECT_EQ(parse_time_filter_us("2026-11-01"), 1'793'491'200'000'000);
  EXPECT_EQ(parse_time_filter_us("2026-11-01T00:00:01"), 1'793'491'201'000'000);
  EXPECT_EQ(parse_time_filter_us("2026-11-01T00:00:01.000001Z"), 1'793'491'201'000'001);
  EXPECT_FALSE(parse_time_filter_us("yesterday").has_value());
}

// RFC 3339 offsets, as the help promises (issue 22: "+09:00" was refused).
TEST(Clock, FilterAcceptsNumericOffsets) {
  EXPECT_EQ(parse_time_filter_us("2026-11-01T09:00:01+09:00"), 1'793'491'201'000'000);
  EXPECT_EQ(parse_time_filter_us("2026-10-31T19:00:01.5-05:00"), 1'793'491'201'500'000);
  EXPECT_EQ(parse_time_filter_us("2026-11-01T00:00:01+00:00"), 1'793'491'201'000'000);
  for (const char* bad :
       {"2026-11-01T00:00:01+24:00", "2026-11-01T00:00:01+09:60", "2026-11-01T00:00:01+9:000",
        "2026-11-01T00:00:01Z+09:00", "2026-11-01+09:00"}) {
    EXPECT_FALSE(parse_time_filter_us(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace mitsu

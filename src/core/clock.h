#pragma once
// Wall-clock time as Mitsu stores it: microseconds since the Unix epoch, UTC, and its one text
// form in events, RFC 3339 with six fraction digits and 'Z' (2026-11-26T01:10:30.123456Z).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mitsu {

std::int64_t now_unix_us();

std::string format_timestamp_us(std::int64_t unix_us);

// Strict parse of the event form: UTC ('Z') only, 0-6 fraction digits, calendar-valid date.
std::optional<std::int64_t> parse_timestamp_us(std::string_view text);

// Lenient parse for command-line filters: the event form, RFC 3339 with a numeric offset
// ("…T10:10:30+09:00"), "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SS" (UTC).
std::optional<std::int64_t> parse_time_filter_us(std::string_view text);

}  // namespace mitsu

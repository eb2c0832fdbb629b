#include "core/clock.h"

#include <fmt/format.h>

#include <chrono>

namespace mitsu {
namespace {

using namespace std::chrono;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;

bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) {
    return false;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

// Parses "YYYY-MM-DD" at the start of text into microseconds at midnight UTC.
std::optional<std::int64_t> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (!read_digits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' ||
      !read_digits(text, 5, 2, m) || text[7] != '-' || !read_digits(text, 8, 2, d)) {
    return std::nullopt;
  }
  year_month_day date{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return duration_cast<microseconds>(sys_days{date}.time_since_epoch()).count();
}

// Parses "THH:MM:SS" at text[10..19) into microseconds since midnight.
std::optional<std::int64_t> parse_time_of_day(std::string_view text) {
  int h = 0, mi = 0, s = 0;
  if (text.size() < 19 || text[10] != 'T' || !read_digits(text, 11, 2, h) || text[13] != ':' ||
      !read_digits(text, 14, 2, mi) || text[16] != ':' || !read_digits(text, 17, 2, s)) {
    return std::nullopt;
  }
  if (h > 23 || mi > 59 || s > 59) {  // leap seconds are not representable in Unix time
    return std::nullopt;
  }
  return (static_cast<std::int64_t>(h) * 3600 + mi * 60 + s) * kMicrosPerSecond;
}

}  // namespace

std::int64_t now_unix_us() {
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_timestamp_us(std::int64_t unix_us) {
  std::int64_t seconds = unix_us / kMicrosPerSecond;
  std::int64_t micros = unix_us % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --seconds;
  }
  sys_days days = floor<std::chrono::days>(sys_seconds{std::chrono::seconds{seconds}});
  year_month_day date{days};
  hh_mm_ss tod{std::chrono::seconds{seconds} - days.time_since_epoch()};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count(), micros);
}

std::optional<std::int64_t> parse_timestamp_us(std::string_view text) {
  auto date = parse_date(text);
  auto tod = parse_time_of_day(text);
  if (!date || !tod) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    std::int64_t scale = 100'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 6) {
        return std::nullopt;
      }
      micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (digits == 0) {
      return std::nullopt;
    }
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') {
    return std::nullopt;
  }
  return *date + *tod + micros;
}

std::optional<std::int64_t> parse_time_filter_us(std::string_view text) {
  if (text.size() == 10) {
    return parse_date(text);
  }
  if (text.size() == 19) {
    auto date = parse_date(text);
    auto tod = parse_time_of_day(text);
    if (date && tod) {
      return *date + *tod;
    }
    return std::nullopt;
  }
  // RFC 3339 with a numeric offset: "2026-11-26T10:10:30+09:00" is 01:10:30Z.
  std::size_t n = text.size();
  if (n > 19 && (text[n - 6] == '+' || text[n - 6] == '-') && text[n - 3] == ':') {
    auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
    if (!digit(n - 5) || !digit(n - 4) || !digit(n - 2) || !digit(n - 1)) {
      return std::nullopt;
    }
    int hours = (text[n - 5] - '0') * 10 + (text[n - 4] - '0');
    int minutes = (text[n - 2] - '0') * 10 + (text[n - 1] - '0');
    if (hours > 23 || minutes > 59) {
      return std::nullopt;
    }
    auto local = parse_timestamp_us(std::string(text.substr(0, n - 6)) + "Z");
    if (!local) {
      return std::nullopt;
    }
    std::int64_t offset_us = (hours * 3600LL + minutes * 60LL) * 1'000'000;
    return text[n - 6] == '+' ? *local - offset_us : *local + offset_us;
  }
  return parse_timestamp_us(text);
}

}  // namespace mitsu

#include "store/rollup_store.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>

namespace mitsu::store {

namespace {
constexpr std::array<std::string_view, 10> kSessionDims{
    "day",         "country", "asn",   "protocol",    "port",
    "device_type", "site",    "class", "interactive", "targeted"};
constexpr std::array<std::string_view, 7> kExploitDims{"day",     "rule", "protocol", "port",
                                                       "country", "asn",  "targeted"};
constexpr std::array<std::string_view, 6> kSampleDims{"day",   "family", "arch",
                                                      "known", "target", "targeted"};
constexpr std::array<std::string_view, 2> kDomainDims{"domain", "source"};
}  // namespace

std::string_view to_string(Measure m) {
  switch (m) {
    case Measure::kSessions:
      return "sessions";
    case Measure::kEvents:
      return "events";
    case Measure::kExploits:
      return "exploits";
    case Measure::kSamples:
      return "samples";
    case Measure::kDomains:
      return "domains";
  }
  return "sessions";
}

std::optional<Measure> parse_measure(std::string_view name) {
  for (Measure m : {Measure::kSessions, Measure::kEvents, Measure::kExploits, Measure::kSamples,
                    Measure::kDomains}) {
    if (to_string(m) == name) {
      return m;
    }
  }
  return std::nullopt;
}

std::span<const std::string_view> dimensions_of(Measure m) {
  switch (m) {
    case Measure::kSessions:
    case Measure::kEvents:
      return kSessionDims;
    case Measure::kExploits:
      return kExploitDims;
    case Measure::kSamples:
      return kSampleDims;
    case Measure::kDomains:
      return kDomainDims;
  }
  return kSessionDims;
}

std::string format_day(std::int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::optional<std::int64_t> parse_day(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t n, auto& out) {
    auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + n, out);
    return ec == std::errc() && p == text.data() + at + n;
  };
  if (!number(0, 4, y) || !number(5, 2, m) || !number(8, 2, d)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::string to_string(const RollupDumpRow& row) {
  std::string out = row.cube;
  for (const CubeValue& v : row.key) {
    out += '|';
    out += std::holds_alternative<std::int64_t>(v) ? std::to_string(std::get<std::int64_t>(v))
                                                   : std::get<std::string>(v);
  }
  for (std::int64_t n : row.counts) {
    out += fmt::format("|{}", n);
  }
  return out;
}

}  // namespace mitsu::store

#include "intel/rollups/cubes.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

namespace mitsu::intel {
namespace {

constexpr std::array<std::string_view, 11> kSessionColumns{
    "day",         "month", "country", "asn",         "protocol", "port",
    "device_type", "site",  "class",   "interactive", "targeted"};
constexpr std::array<std::string_view, 8> kExploitColumns{"day",  "month",   "rule", "protocol",
                                                          "port", "country", "asn",  "targeted"};
constexpr std::array<std::string_view, 7> kSampleColumns{"day",   "month",  "family",  "arch",
                                                         "known", "target", "targeted"};
constexpr std::array<std::string_view, 2> kDomainColumns{"domain", "source"};

struct CubeDef {
  std::string_view name;
  CubeFamily family;
  std::vector<std::string_view> dims;
  std::vector<std::string_view> index = {};
};

std::vector<std::string_view> full_key(store::Measure m) {
  auto dims = store::dimensions_of(m);
  return {dims.begin(), dims.end()};
}

// Smallest first within a family; the full key of each measure is among them.
std::vector<CubeDef> definitions() {
  using F = CubeFamily;
  return {
      // Narrow cubes answer the dashboard's one-dimension queries from few rows.
      {"session_day", F::kSession, {"day", "class", "interactive", "targeted"}},
      {"session_protocol", F::kSession, {"day", "protocol", "class", "targeted"}},
      {"session_port", F::kSession, {"day", "port", "protocol"}},
      {"session_device", F::kSession, {"day", "device_type", "site", "class"}},
      {"session_country1", F::kSession, {"day", "country"}},
      {"session_asn1", F::kSession, {"day", "asn"}},
      {"session_country",
       F::kSession,
       {"day", "country", "protocol", "class", "targeted"},
       {"country", "protocol", "day"}},
      {"session_asn",
       F::kSession,
       {"day", "asn", "protocol", "class", "targeted"},
       {"asn", "protocol", "day"}},
      {"session_proto",
       F::kSession,
       {"day", "protocol", "port", "device_type", "site", "class", "interactive", "targeted"}},
      {"session_full", F::kSession, full_key(store::Measure::kSessions)},
      // Monthly cubes: top-N over long ranges read months, not days.
      {"session_country_month", F::kSession, {"month", "country"}},
      {"session_asn_month", F::kSession, {"month", "asn"}},
      {"session_port_month", F::kSession, {"month", "port", "protocol"}},
      {"session_device_month", F::kSession, {"month", "device_type", "site", "class"}},
      {"session_geo_month",
       F::kSession,
       {"month", "country", "asn", "protocol", "class", "targeted"}},
      {"exploit_rule", F::kExploit, {"day", "rule", "protocol", "port", "targeted"}},
      {"exploit_full", F::kExploit, full_key(store::Measure::kExploits)},
      {"exploit_month", F::kExploit, {"month", "rule", "protocol", "port", "targeted"}},
      {"sample", F::kSample, full_key(store::Measure::kSamples)},
      {"domain", F::kDomain, full_key(store::Measure::kDomains)},
  };
}

std::vector<std::string> measures_of(CubeFamily family) {
  switch (family) {
    case CubeFamily::kSession:
      return {"sessions", "events"};
    case CubeFamily::kExploit:
      return {"events"};
    case CubeFamily::kSample:
    case CubeFamily::kDomain:
      return {"samples"};
  }
  return {};
}

std::vector<Cube> build() {
  std::vector<Cube> out;
  for (const CubeDef& def : definitions()) {
    Cube cube;
    cube.family = def.family;
    cube.spec.name = def.name;
    cube.spec.measures = measures_of(def.family);
    auto columns = family_columns(def.family);
    for (std::string_view dim : def.dims) {
      auto at = std::find(columns.begin(), columns.end(), dim);
      cube.from_family.push_back(static_cast<std::size_t>(at - columns.begin()));
      cube.spec.dims.push_back({std::string(dim), integer_dimension(dim)
                                                      ? store::CubeColumnType::kInteger
                                                      : store::CubeColumnType::kText});
    }
    cube.spec.index.assign(def.index.begin(), def.index.end());
    out.push_back(std::move(cube));
  }
  return out;
}

}  // namespace

bool Cube::has(std::string_view dim) const {
  return std::any_of(spec.dims.begin(), spec.dims.end(),
                     [&](const store::CubeColumn& c) { return c.name == dim; });
}

std::span<const Cube> cubes() {
  static const std::vector<Cube> all = build();
  return all;
}

std::vector<store::CubeSpec> cube_specs() {
  std::vector<store::CubeSpec> out;
  for (const Cube& cube : cubes()) {
    out.push_back(cube.spec);
  }
  return out;
}

std::span<const std::string_view> family_columns(CubeFamily family) {
  switch (family) {
    case CubeFamily::kSession:
      return kSessionColumns;
    case CubeFamily::kExploit:
      return kExploitColumns;
    case CubeFamily::kSample:
      return kSampleColumns;
    case CubeFamily::kDomain:
      return kDomainColumns;
  }
  return kSessionColumns;
}

CubeFamily family_of(store::Measure m) {
  switch (m) {
    case store::Measure::kSessions:
    case store::Measure::kEvents:
      return CubeFamily::kSession;
    case store::Measure::kExploits:
      return CubeFamily::kExploit;
    case store::Measure::kSamples:
      return CubeFamily::kSample;
    case store::Measure::kDomains:
      return CubeFamily::kDomain;
  }
  return CubeFamily::kSession;
}

std::string_view measure_column(store::Measure m) {
  switch (m) {
    case store::Measure::kSessions:
      return "sessions";
    case store::Measure::kEvents:
    case store::Measure::kExploits:
      return "events";
    case store::Measure::kSamples:
    case store::Measure::kDomains:
      return "samples";
  }
  return "sessions";
}

bool integer_dimension(std::string_view dim) {
  return dim == "day" || dim == "month" || dim == "asn" || dim == "port" || dim == "interactive" ||
         dim == "targeted" || dim == "known";
}

std::int64_t month_of(std::int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return (static_cast<int>(ymd.year()) - 1970) * 12 + static_cast<unsigned>(ymd.month()) - 1;
}

std::int64_t month_start(std::int64_t month) {
  std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(1970 + month / 12)},
                                  std::chrono::month{static_cast<unsigned>(month % 12 + 1)},
                                  std::chrono::day{1}};
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

}  // namespace mitsu::intel

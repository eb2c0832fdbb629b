#pragma once
// What the rollups count about a sample, taken from its first sighting and its newest verdict:
// the day it was first seen, family, CPU, known or not, IoT or PC, and the domains it names.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mitsu::intel {

struct SampleFacts {
  std::int64_t day = 0;  // of the first sighting, UTC days since 1970-01-01
  std::string family, arch;
  std::int64_t known = -1;  // 1 known at first sight, 0 never seen, -1 not analysed yet
  std::string target;       // iot, pc, …
  std::int64_t targeted = 0;
  // (source, domain), sorted: static / sandbox domains, static-endpoint / sandbox-endpoint for
  // C2 address:port endpoints.
  std::vector<std::pair<std::string, std::string>> domains;

  bool operator==(const SampleFacts&) const = default;
};

// `verdict_json` empty or unreadable: a sample not analysed yet.
SampleFacts sample_facts(std::int64_t first_seen_us, std::string_view verdict_json);

}  // namespace mitsu::intel

#pragma once
// The shipped catalogue of IoT vulnerability disclosures (data/iot-cves.toml): what a traffic
// peak is checked against.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace mitsu::intel {

struct CveEntry {
  std::string id;
  std::int64_t published_day = 0;  // UTC days since 1970-01-01
  std::string product;
  std::string protocol;
  std::vector<int> ports;
  std::string rule;  // exploit signature id, when Mitsu has one
};

// Errors name the file, line and key.
Result<std::vector<CveEntry>> load_cve_catalog(const std::filesystem::path& file);

}  // namespace mitsu::intel

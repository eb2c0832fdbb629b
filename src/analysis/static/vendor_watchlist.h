#pragma once
// The vendor watchlist: what the device maker running Mitsu wants to hear about first — malware
// that targets *its own* products. An operator-maintained profile (product names, model numbers,
// default credentials, URL paths, firmware strings) is matched against each sample's strings and
// IOCs; a hit marks the sample as targeting those products, with the evidence.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "analysis/static/strings.h"
#include "core/result.h"

namespace mitsu::analysis {

struct VendorProfile {
  std::string vendor;
  std::vector<std::string> products;
  std::vector<std::string> model_numbers;
  std::vector<std::pair<std::string, std::string>> default_credentials;  // user, password
  std::vector<std::string> url_paths;
  std::vector<std::string> firmware_strings;
  // Exploit signatures (rules/exploits ids) written for these products: sessions that match
  // them are counted as targeted at us (docs/intel.md).
  std::vector<std::string> exploit_rules;
};

struct WatchlistHit {
  std::string kind;  // product, model_number, default_credential, url_path, firmware_string
  std::string term;
  std::string evidence;  // the sample string it was found in
};

struct WatchlistVerdict {
  bool targets_our_products = false;
  std::vector<WatchlistHit> hits;
};

// TOML, see etc/vendor-watchlist.example.toml; errors name the file, line and key.
Result<VendorProfile> load_vendor_profile(const std::filesystem::path& file);

WatchlistVerdict match_watchlist(const VendorProfile& profile, const StringsReport& strings);

}  // namespace mitsu::analysis

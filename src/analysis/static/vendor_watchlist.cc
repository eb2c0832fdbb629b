#include "analysis/static/vendor_watchlist.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/toml_reader.h"

namespace mitsu::analysis {
namespace {

// ASCII only: a char above 0x7f is negative, which ::tolower may not be given, and the terms
// and strings compared here are bytes, not text in the process's locale.
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

}  // namespace

Result<VendorProfile> load_vendor_profile(const std::filesystem::path& file) {
  TomlReader r(file.string());
  auto root = r.parse_file();
  if (!root) {
    return root.failure();
  }
  VendorProfile profile;
  auto list = [&r](std::vector<std::string>& out) -> TomlReader::Handler {
    return [&r, &out](const toml::node& node, const std::string& key) {
      return r.strings(node, key, out);
    };
  };
  TomlReader::Handler credentials = [&r, &profile](const toml::node& node, const std::string& key) {
    return r.string_pairs(node, key, profile.default_credentials);
  };
  Status s = r.keys(*root, "",
                    {{"vendor",
                      [&r, &profile](const toml::node& node, const std::string& key) {
                        return r.string(node, key, profile.vendor);
                      }},
                     {"products", list(profile.products)},
                     {"model_numbers", list(profile.model_numbers)},
                     {"default_credentials", credentials},
                     {"url_paths", list(profile.url_paths)},
                     {"firmware_strings", list(profile.firmware_strings)},
                     {"exploit_rules", list(profile.exploit_rules)}});
  if (!s) {
    return s.failure();
  }
  return profile;
}

WatchlistVerdict match_watchlist(const VendorProfile& profile, const StringsReport& strings) {
  WatchlistVerdict verdict;
  std::vector<std::string> texts;
  texts.reserve(strings.strings.size());
  for (const ExtractedString& s : strings.strings) {
    texts.push_back(lower(s.text));
  }
  auto find = [&](std::string_view term) -> const std::string* {
    std::string needle = lower(term);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (!needle.empty() && texts[i].find(needle) != std::string::npos) {
        return &strings.strings[i].text;
      }
    }
    return nullptr;
  };
  auto check = [&](std::string_view kind, const std::vector<std::string>& terms) {
    for (const std::string& term : terms) {
      if (const std::string* evidence = find(term)) {
        verdict.hits.push_back({std::string(kind), term, *evidence});
      }
    }
  };
  check("product", profile.products);
  check("model_number", profile.model_numbers);
  check("url_path", profile.url_paths);
  check("firmware_string", profile.firmware_strings);
  // A credential counts when both halves appear: bots keep user and password as separate
  // table entries, or joined as "user:password".
  for (const auto& [user, password] : profile.default_credentials) {
    const std::string* u = find(user);
    const std::string* p = find(password);
    if (u != nullptr && p != nullptr) {
      verdict.hits.push_back({"default_credential", fmt::format("{}/{}", user, password),
                              u == p ? *u : fmt::format("{} | {}", *u, *p)});
    }
  }
  verdict.targets_our_products = !verdict.hits.empty();
  return verdict;
}

}  // namespace mitsu::analysis

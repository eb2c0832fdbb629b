#include "analysis/static/vendor_watchlist.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>

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

Error at(const toml::node& node, std::string_view file, std::string_view key,
         std::string_view message) {
  return Error{fmt::format("{}:{}:{}: {}: {}", file, node.source().begin.line,
                           node.source().begin.column, key, message)};
}

}  // namespace

Result<VendorProfile> load_vendor_profile(const std::filesystem::path& file) {
  VendorProfile profile;
  std::string name = file.string();
  try {
    toml::table root = toml::parse_file(name);
    for (const auto& [key, node] : root) {
      std::string k(key.str());
      if (k == "vendor") {
        if (!node.is_string()) {
          return at(node, name, k, "expected a string");
        }
        profile.vendor = *node.value<std::string>();
        continue;
      }
      const toml::array* list = node.as_array();
      if (list == nullptr) {
        return at(node, name, k, "expected an array");
      }
      for (const toml::node& item : *list) {
        if (k == "default_credentials") {
          const toml::array* pair = item.as_array();
          if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
              !(*pair)[1].is_string()) {
            return at(item, name, k, "each entry must be [\"user\", \"password\"]");
          }
          profile.default_credentials.emplace_back(*(*pair)[0].value<std::string>(),
                                                   *(*pair)[1].value<std::string>());
          continue;
        }
        if (!item.is_string()) {
          return at(item, name, k, "expected strings");
        }
        std::string value = *item.value<std::string>();
        if (k == "products") {
          profile.products.push_back(value);
        } else if (k == "model_numbers") {
          profile.model_numbers.push_back(value);
        } else if (k == "url_paths") {
          profile.url_paths.push_back(value);
        } else if (k == "firmware_strings") {
          profile.firmware_strings.push_back(value);
        } else if (k == "exploit_rules") {
          profile.exploit_rules.push_back(value);
        } else {
          return at(node, name, k,
                    "unknown key (known: vendor, products, model_numbers, default_credentials, "
                    "url_paths, firmware_strings, exploit_rules)");
        }
      }
    }
  } catch (const toml::parse_error& e) {
    return Error{fmt::format("{}:{}:{}: {}", name, e.source().begin.line, e.source().begin.column,
                             e.description())};
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

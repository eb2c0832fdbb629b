#pragma once
// Typed reads from a parsed TOML document whose errors name file:line:column and key: Mitsu's one
// TOML reader, for its configuration and the data files it loads (personas, exploit signatures,
// vendor profiles, the CVE catalogue). Header-only: only the parts that read TOML include toml++.

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_size.h"
#include "core/result.h"

namespace mitsu {

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  // The document, or its syntax error as file:line:column: description.
  Result<toml::table> parse(std::string_view text) const {
    try {
      return toml::parse(text, file_);
    } catch (const toml::parse_error& e) {
      return syntax_error(e);
    }
  }

  // The file named at construction, read from disk.
  Result<toml::table> parse_file() const {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file_, ec)) {
      return Error::not_found(fmt::format("{}: cannot read the file", file_));
    }
    try {
      return toml::parse_file(file_);
    } catch (const toml::parse_error& e) {
      return syntax_error(e);
    }
  }

  Error at(const toml::node& node, std::string_view key, std::string_view message) const {
    return Error::invalid(fmt::format("{}:{}:{}: {}: {}", file_, node.source().begin.line,
                                      node.source().begin.column, key, message));
  }

  Result<std::string> string(const toml::node& node, std::string_view key) const {
    if (!node.is_string()) {
      return at(node, key, "expected a string");
    }
    return *node.value<std::string>();
  }

  Status string(const toml::node& node, std::string_view key, std::string& out) const {
    auto value = string(node, key);
    if (!value) {
      return value.failure();
    }
    out = std::move(*value);
    return {};
  }

  Status integer(const toml::node& node, std::string_view key, std::int64_t min, std::int64_t max,
                 std::int64_t& out) const {
    if (!node.is_integer()) {
      return at(node, key, "expected an integer");
    }
    out = *node.value<std::int64_t>();
    if (out < min || out > max) {
      return at(node, key, fmt::format("must be between {} and {}", min, max));
    }
    return {};
  }

  Status boolean(const toml::node& node, std::string_view key, bool& out) const {
    if (!node.is_boolean()) {
      return at(node, key, "expected true or false");
    }
    out = *node.value<bool>();
    return {};
  }

  // An array whose items are all strings; `what` names it in the error ("strings", "file names").
  Status strings(const toml::node& node, std::string_view key, std::vector<std::string>& out,
                 std::string_view what = "strings") const {
    const toml::array* list = node.as_array();
    if (list == nullptr) {
      return at(node, key, fmt::format("expected an array of {}", what));
    }
    out.clear();
    for (const toml::node& item : *list) {
      auto value = string(item, key);
      if (!value) {
        return value.failure();
      }
      out.push_back(std::move(*value));
    }
    return {};
  }

  // An array of two-string arrays, such as [["root", "xc3511"]] (user, password).
  Status string_pairs(const toml::node& node, std::string_view key,
                      std::vector<std::pair<std::string, std::string>>& out) const {
    const toml::array* list = node.as_array();
    if (list == nullptr) {
      return at(node, key, "expected an array of [\"user\", \"password\"]");
    }
    for (const toml::node& item : *list) {
      const toml::array* pair = item.as_array();
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
          !(*pair)[1].is_string()) {
        return at(item, key, "each entry must be [\"user\", \"password\"]");
      }
      out.emplace_back(*(*pair)[0].value<std::string>(), *(*pair)[1].value<std::string>());
    }
    return {};
  }

  // A positive byte count: an integer or a string such as "64KiB" (core/byte_size.h).
  Status size(const toml::node& node, std::string_view key, std::uint64_t& out) const {
    if (node.is_integer()) {
      std::int64_t value = 0;
      Status s = integer(node, key, 1, INT64_MAX, value);
      out = static_cast<std::uint64_t>(value);
      return s;
    }
    if (node.is_string()) {
      if (auto bytes = parse_size(*node.value<std::string>()); bytes && *bytes > 0) {
        out = *bytes;
        return {};
      }
    }
    return at(node, key, "expected a size such as 65536, \"64KiB\" or \"64MiB\"");
  }

  Result<const toml::table*> table(const toml::node& node, std::string_view key) const {
    if (!node.is_table()) {
      return at(node, key, "expected a table");
    }
    return node.as_table();
  }

  // Reads one key: its node and its dotted name ("spool.fsync").
  using Handler = std::function<Status(const toml::node&, const std::string&)>;
  using Handlers = std::map<std::string, Handler, std::less<>>;

  // Calls each key's handler; an unknown key is an error that lists the known ones, so a typo is
  // never silently ignored.
  Status keys(const toml::table& table, std::string_view prefix, const Handlers& handlers) const {
    for (const auto& [key, node] : table) {
      std::string name =
          prefix.empty() ? std::string(key.str()) : fmt::format("{}.{}", prefix, key.str());
      auto handler = handlers.find(key.str());
      if (handler == handlers.end()) {
        std::string known;
        for (const auto& [k, h] : handlers) {
          known += known.empty() ? k : ", " + k;
        }
        return at(node, name, fmt::format("unknown key (known here: {})", known));
      }
      if (Status s = handler->second(node, name); !s) {
        return s;
      }
    }
    return {};
  }

  const std::string& file() const { return file_; }

 private:
  Error syntax_error(const toml::parse_error& e) const {
    return Error::invalid(fmt::format("{}:{}:{}: {}", file_, e.source().begin.line,
                                      e.source().begin.column, e.description()));
  }

  std::string file_;
};

}  // namespace mitsu

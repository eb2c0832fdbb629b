#pragma once
// Typed reads from a parsed TOML document whose errors name file:line:column and key, shared by
// the data files Mitsu loads (personas, exploit signatures, vendor profiles). Header-only: only
// the parts that read TOML include toml++.

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mitsu {

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

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

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace mitsu

#include "api/routes/query.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <charconv>

#include "core/clock.h"

namespace mitsu::api {

const std::string* Query::raw(std::string_view name) const {
  for (const auto& [key, value] : pairs_) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

Result<std::optional<std::string>> Query::text(std::string_view name, std::size_t max_bytes) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return std::optional<std::string>{};
  }
  if (value->empty() || value->size() > max_bytes) {
    return Error::invalid(fmt::format("{} must be 1 to {} characters", name, max_bytes));
  }
  for (char c : *value) {
    if (c < 0x20 || c > 0x7e) {
      return Error::invalid(fmt::format("{} must be printable ASCII", name));
    }
  }
  return std::optional<std::string>(*value);
}

Result<std::optional<std::string>> Query::name(std::string_view name) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return std::optional<std::string>{};
  }
  bool ok = !value->empty() && value->size() <= 128;
  for (char c : *value) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
                c == '-');
  }
  if (!ok) {
    return Error::invalid(fmt::format(
        "{} must be 1 to 128 characters of letters, digits, '.', '_', ':' and '-'", name));
  }
  return std::optional<std::string>(*value);
}

Result<std::int64_t> Query::integer(std::string_view name, std::int64_t low, std::int64_t high,
                                    std::int64_t fallback) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return fallback;
  }
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc{} || end != value->data() + value->size() || n < low || n > high) {
    return Error::invalid(fmt::format("{} must be an integer from {} to {}", name, low, high));
  }
  return n;
}

Result<std::optional<std::int64_t>> Query::time(std::string_view name) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return std::optional<std::int64_t>{};
  }
  auto us = value->size() <= 64 ? parse_time_filter_us(*value) : std::nullopt;
  if (!us) {
    return Error::invalid(
        fmt::format("{} must be a time such as 2026-12-01 or 2026-12-01T10:00:00Z", name));
  }
  return us;
}

Result<std::optional<std::string>> Query::day(std::string_view name) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return std::optional<std::string>{};
  }
  if (value->size() != 10 || !parse_time_filter_us(*value)) {
    return Error::invalid(fmt::format("{} must be a day such as 2026-12-01", name));
  }
  return std::optional<std::string>(*value);
}

Result<std::string> Query::choice(std::string_view name,
                                  const std::vector<std::string_view>& allowed,
                                  std::string_view fallback) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return std::string(fallback);
  }
  for (std::string_view option : allowed) {
    if (*value == option) {
      return *value;
    }
  }
  return Error::invalid(fmt::format("{} must be one of: {}", name, fmt::join(allowed, ", ")));
}

Result<std::optional<std::string>> Query::address(std::string_view name) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return std::optional<std::string>{};
  }
  unsigned char bytes[16];
  char text[INET6_ADDRSTRLEN];
  if (value->size() < INET6_ADDRSTRLEN) {
    if (inet_pton(AF_INET, value->c_str(), bytes) == 1) {
      return std::optional<std::string>(inet_ntop(AF_INET, bytes, text, sizeof text));
    }
    if (inet_pton(AF_INET6, value->c_str(), bytes) == 1) {
      return std::optional<std::string>(inet_ntop(AF_INET6, bytes, text, sizeof text));
    }
  }
  return Error::invalid(fmt::format("{} must be an IPv4 or IPv6 address", name));
}

Status valid_sha256(std::string_view text) {
  bool ok = text.size() == 64;
  for (char c : text) {
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  return ok ? Status::success() : Status(Error::invalid("a SHA-256 is 64 lower-case hex digits"));
}

Result<std::optional<std::string>> Query::sha256(std::string_view name) const {
  const std::string* value = raw(name);
  if (value == nullptr) {
    return std::optional<std::string>{};
  }
  if (Status ok = valid_sha256(*value); !ok) {
    return Error::invalid(fmt::format("{}: {}", name, ok.error()));
  }
  return std::optional<std::string>(*value);
}

}  // namespace mitsu::api

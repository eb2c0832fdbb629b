#pragma once
// Typed access to a request's query parameters, each check giving the 400 message an API user
// needs ("limit must be an integer from 1 to 1000"). The router has already refused unknown,
// repeated and oversized parameters.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace mitsu::api {

inline constexpr std::size_t kMaxParamBytes = 256;

class Query {
 public:
  explicit Query(const std::vector<std::pair<std::string, std::string>>& pairs) : pairs_(pairs) {}

  const std::string* raw(std::string_view name) const;
  // Printable ASCII, at most `max_bytes`.
  Result<std::optional<std::string>> text(std::string_view name,
                                          std::size_t max_bytes = kMaxParamBytes) const;
  // An identifier as Mitsu names things (sensors, sites, actions, protocols, session ids):
  // 1-128 characters of [A-Za-z0-9._:-].
  Result<std::optional<std::string>> name(std::string_view name) const;
  Result<std::int64_t> integer(std::string_view name, std::int64_t low, std::int64_t high,
                               std::int64_t fallback) const;
  // A time as `mitsu events --since` reads it (RFC 3339, YYYY-MM-DD), as unix µs.
  Result<std::optional<std::int64_t>> time(std::string_view name) const;
  // A day, YYYY-MM-DD.
  Result<std::optional<std::string>> day(std::string_view name) const;
  // One of `allowed`, or `fallback` when absent.
  Result<std::string> choice(std::string_view name, const std::vector<std::string_view>& allowed,
                             std::string_view fallback) const;
  // An IPv4 or IPv6 address in its canonical text form.
  Result<std::optional<std::string>> address(std::string_view name) const;
  Result<std::optional<std::string>> sha256(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  const std::vector<std::pair<std::string, std::string>>& pairs_;
};

// The first failure among several parsed parameters, so a handler checks them in one place.
template <typename... Results>
Status first_failure(const Results&... results) {
  Status status;
  ((status = (status && !results) ? Status(results.failure()) : status), ...);
  return status;
}

// Path parameters have the same rules.
Status valid_sha256(std::string_view text);

}  // namespace mitsu::api

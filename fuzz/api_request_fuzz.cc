// What an API client controls before any handler runs: the request target (percent-decoding,
// query pairs), the Cookie header, and every typed read of a query parameter.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http/message.h"
#include "api/routes/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t newline = input.find('\n');
  std::string_view target = input.substr(0, newline);
  std::string cookies(newline == std::string_view::npos ? std::string_view{}
                                                        : input.substr(newline + 1));
  (void)mitsu::api::cookie_value(cookies, "__Host-mitsu_session");
  auto parsed = mitsu::api::parse_target(target);
  if (!parsed) {
    return 0;
  }
  mitsu::api::Query query(parsed->query);
  for (const auto& [key, value] : parsed->query) {
    (void)query.text(key);
    (void)query.name(key);
    (void)query.integer(key, 1, 1000, 100);
    (void)query.time(key);
    (void)query.day(key);
    (void)query.address(key);
    (void)query.sha256(key);
    (void)query.choice(key, {"open", "all"}, "open");
    (void)mitsu::api::valid_sha256(value);
  }
  return 0;
}

#pragma once
// The SSRF guard: which addresses a payload download may connect to. Attackers point droppers at
// loopback, private and link-local hosts (the sensor's own network, cloud metadata at
// 169.254.169.254); every connection the downloader opens is checked here after DNS resolution
// and after every redirect. An allowlist (tests use 127.0.0.0/8) lets chosen ranges through.

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mitsu::sensor {

class AddressGuard {
 public:
  // CIDRs such as "127.0.0.0/8" or "::1/128" that are allowed even though reserved.
  static Result<AddressGuard> with_allowlist(const std::vector<std::string>& cidrs);
  AddressGuard() = default;

  // Why a connection to this address is refused, or "" when it is allowed.
  std::string refusal(const sockaddr* address) const;
  std::string refusal(std::string_view ip) const;
  // Whether the address is in the allowlist itself (used for trusted PROXY protocol peers).
  bool allowlisted(std::string_view ip) const;

 private:
  struct Range {
    std::array<std::uint8_t, 16> prefix{};  // IPv4 as ::ffff:a.b.c.d
    int bits = 0;
  };
  std::vector<Range> allow_;
  static std::string reserved_reason(const std::array<std::uint8_t, 16>& address);
  static bool in(const std::array<std::uint8_t, 16>& address, const Range& range);
  std::string refusal(const std::array<std::uint8_t, 16>& address) const;
};

}  // namespace mitsu::sensor

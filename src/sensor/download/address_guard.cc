#include "sensor/download/address_guard.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <optional>

namespace mitsu::sensor {
namespace {

using Address = std::array<std::uint8_t, 16>;

// IPv4 addresses are handled as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one table covers both.
Address mapped(const in_addr& v4) {
  Address a{};
  a[10] = 0xff;
  a[11] = 0xff;
  std::memcpy(a.data() + 12, &v4, 4);
  return a;
}

std::optional<Address> parse(std::string_view text) {
  std::string s(text);
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    return mapped(v4);
  }
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    Address a{};
    std::memcpy(a.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

struct Reserved {
  const char* prefix;
  int bits;  // of the IPv6 (or mapped) form
  const char* why;
};

// RFC 6890 special-purpose registries, the ranges a download must never reach.
constexpr Reserved kReserved[] = {
    {"::ffff:0.0.0.0", 104, "\"this network\" (0.0.0.0/8)"},
    {"::ffff:10.0.0.0", 104, "private (10.0.0.0/8)"},
    {"::ffff:100.64.0.0", 106, "shared address space (100.64.0.0/10)"},
    {"::ffff:127.0.0.0", 104, "loopback (127.0.0.0/8)"},
    {"::ffff:169.254.0.0", 112, "link-local (169.254.0.0/16)"},
    {"::ffff:172.16.0.0", 108, "private (172.16.0.0/12)"},
    {"::ffff:192.0.0.0", 120, "IETF protocol assignments (192.0.0.0/24)"},
    {"::ffff:192.0.2.0", 120, "documentation (192.0.2.0/24)"},
    {"::ffff:192.88.99.0", 120, "6to4 relay anycast (192.88.99.0/24)"},
    {"::ffff:192.168.0.0", 112, "private (192.168.0.0/16)"},
    {"::ffff:198.18.0.0", 111, "benchmarking (198.18.0.0/15)"},
    {"::ffff:198.51.100.0", 120, "documentation (198.51.100.0/24)"},
    {"::ffff:203.0.113.0", 120, "documentation (203.0.113.0/24)"},
    {"::ffff:224.0.0.0", 100, "multicast (224.0.0.0/4)"},
    {"::ffff:240.0.0.0", 100, "reserved (240.0.0.0/4)"},
    {"::", 128, "unspecified (::)"},
    {"::1", 128, "loopback (::1)"},
    {"64:ff9b::", 96, "NAT64 (64:ff9b::/96)"},
    {"100::", 64, "discard (100::/64)"},
    {"2001::", 23, "IETF protocol assignments (2001::/23)"},
    {"2001:db8::", 32, "documentation (2001:db8::/32)"},
    {"2002::", 16, "6to4 (2002::/16)"},
    {"fc00::", 7, "unique local (fc00::/7)"},
    {"fe80::", 10, "link-local (fe80::/10)"},
    {"ff00::", 8, "multicast (ff00::/8)"},
    {"::", 96, "IPv4-compatible (::/96)"},
};

}  // namespace

bool AddressGuard::in(const Address& address, const Range& range) {
  int full = range.bits / 8;
  if (std::memcmp(address.data(), range.prefix.data(), static_cast<std::size_t>(full)) != 0) {
    return false;
  }
  int rest = range.bits % 8;
  if (rest == 0) {
    return true;
  }
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[full] & mask) == (range.prefix[full] & mask);
}

std::string AddressGuard::reserved_reason(const Address& address) {
  static const std::vector<std::pair<Range, const char*>> table = [] {
    std::vector<std::pair<Range, const char*>> out;
    for (const Reserved& r : kReserved) {
      out.push_back({Range{*parse(r.prefix), r.bits}, r.why});
    }
    return out;
  }();
  for (const auto& [range, why] : table) {
    if (in(address, range)) {
      return why;
    }
  }
  return {};
}

Result<AddressGuard> AddressGuard::with_allowlist(const std::vector<std::string>& cidrs) {
  AddressGuard guard;
  for (const std::string& cidr : cidrs) {
    std::size_t slash = cidr.find('/');
    auto address = parse(std::string_view(cidr).substr(0, slash));
    if (!address) {
      return Error{fmt::format("download allowlist: '{}' is not an address or CIDR", cidr)};
    }
    bool v4 = cidr.find(':') == std::string::npos;
    int bits = v4 ? 32 : 128;
    if (slash != std::string::npos) {
      try {
        bits = std::stoi(cidr.substr(slash + 1));
      } catch (const std::exception&) {
        bits = -1;
      }
      if (bits < 0 || bits > (v4 ? 32 : 128)) {
        return Error{fmt::format("download allowlist: '{}' has a bad prefix length", cidr)};
      }
    }
    guard.allow_.push_back(Range{*address, v4 ? bits + 96 : bits});
  }
  return guard;
}

std::string AddressGuard::refusal(const Address& address) const {
  std::string why = reserved_reason(address);
  if (why.empty()) {
    return {};
  }
  for (const Range& r : allow_) {
    if (in(address, r)) {
      return {};
    }
  }
  return why;
}

std::string AddressGuard::refusal(const sockaddr* address) const {
  if (address == nullptr) {
    return "no address";
  }
  if (address->sa_family == AF_INET) {
    return refusal(mapped(reinterpret_cast<const sockaddr_in*>(address)->sin_addr));
  }
  if (address->sa_family == AF_INET6) {
    Address a{};
    std::memcpy(a.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
    return refusal(a);
  }
  return "not an IP address";
}

bool AddressGuard::allowlisted(std::string_view ip) const {
  auto address = parse(ip);
  if (!address) {
    return false;
  }
  for (const Range& r : allow_) {
    if (in(*address, r)) {
      return true;
    }
  }
  return false;
}

std::string AddressGuard::refusal(std::string_view ip) const {
  auto address = parse(ip);
  return address ? refusal(*address) : "not an IP address";
}

}  // namespace mitsu::sensor

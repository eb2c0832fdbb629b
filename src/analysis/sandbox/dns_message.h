#pragma once
// The DNS the sandbox answers: one question per query (what resolvers and malware send), read
// leniently; answers are built by the sandbox, never forwarded.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mitsu::analysis::sandbox {

struct DnsQuestion {
  std::uint16_t id = 0;
  std::string name;        // lower case, without the trailing dot
  std::uint16_t type = 0;  // 1 A, 28 AAAA, 16 TXT, …
};

// The first question of a query; nullopt for responses and unreadable messages.
std::optional<DnsQuestion> parse_dns_query(std::span<const std::uint8_t> message);

// A response to `query` (its question echoed) with one A record when `address` is set.
std::vector<std::uint8_t> build_dns_answer(std::span<const std::uint8_t> query,
                                           const DnsQuestion& question,
                                           std::optional<std::uint32_t> address);

}  // namespace mitsu::analysis::sandbox

#pragma once
// The secrets of API authentication: passwords hashed with Argon2id (memory-hard, libargon2),
// random tokens from OpenSSL's CSPRNG, and the SHA-256 under which tokens and session ids are
// stored. Comparisons of secrets are constant-time.

#include <string>
#include <string_view>

#include "core/result.h"

namespace mitsu::api {

// OWASP's minimum for Argon2id: 19 MiB, two passes, one lane.
inline constexpr std::uint32_t kArgonMemoryKib = 19 * 1024;
inline constexpr std::uint32_t kArgonPasses = 2;
inline constexpr std::size_t kMinPasswordBytes = 12;
inline constexpr std::size_t kMaxPasswordBytes = 1024;  // bounds the KDF's input

// A PHC string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"). invalid for a password outside
// the length limits.
Result<std::string> hash_password(std::string_view password);
// false for a wrong password or a hash that is not an Argon2id PHC string.
bool verify_password(std::string_view password, const std::string& phc);

// `bytes` random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);
std::string sha256_hex(std::string_view data);
bool equal_secrets(std::string_view a, std::string_view b);

}  // namespace mitsu::api

#pragma once
// UUIDs as Mitsu uses them: version 7 (RFC 9562), so ids sort by creation time and are unique
// across sensors without coordination.

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace mitsu {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  // Canonical lower-case 8-4-4-4-12 form.
  std::string to_string() const;
  // Accepts only the canonical lower-case form: ids are compared as text downstream.
  static std::optional<Uuid> parse(std::string_view text);

  int version() const { return bytes[6] >> 4; }
  bool is_rfc_variant() const { return (bytes[8] & 0xC0) == 0x80; }
  std::int64_t unix_ms() const;

  auto operator<=>(const Uuid&) const = default;
};

// Thread-safe UUIDv7 source. Within one generator ids strictly increase, even when many are made
// in the same millisecond (12-bit counter in rand_a, RFC 9562 section 6.2 method 1).
class Uuid7Generator {
 public:
  Uuid7Generator();
  Uuid next();
  // For tests and synthetic data: ids as if made at the given wall-clock time.
  Uuid next_at(std::int64_t unix_ms);

 private:
  std::mutex mutex_;
  std::mt19937_64 random_;
  std::int64_t last_ms_ = -1;
  std::uint32_t counter_ = 0;
};

}  // namespace mitsu

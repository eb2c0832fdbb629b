#pragma once
// Bytes that are not text (a quarantined record, intel's state) travel as hex: libpq parameters
// are C strings and TEXT refuses NUL and invalid UTF-8, so BYTEA columns are written with
// decode($n, 'hex') and read with encode(column, 'hex').

#include <string>
#include <string_view>

#include "core/hex.h"

namespace mitsu::store::postgres {

inline std::string bytes_to_hex(std::string_view bytes) {
  return to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// The inverse of bytes_to_hex; the server only ever sends well-formed lower-case hex.
inline std::string bytes_from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

}  // namespace mitsu::store::postgres

#pragma once
// For tests: the SHA-256 an artifact is stored under, computed independently of the store.

#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "core/hex.h"

namespace mitsu::testing {

inline std::string sha256_of(std::string_view data) {
  unsigned char out[32];
  unsigned size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_sha256(), nullptr);
  return to_hex(out, size);
}

}  // namespace mitsu::testing

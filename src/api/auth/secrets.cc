#include "api/auth/secrets.h"

#include <argon2.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "core/hex.h"

namespace mitsu::api {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    // No entropy means no safe secret at all: a broken invariant, not a data-path error.
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return out;
}

}  // namespace

Result<std::string> hash_password(std::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return Error::invalid(
        fmt::format("a password needs at least {} characters", kMinPasswordBytes));
  }
  if (password.size() > kMaxPasswordBytes) {
    return Error::invalid(fmt::format("a password has at most {} bytes", kMaxPasswordBytes));
  }
  auto salt = random_bytes(kSaltBytes);
  std::size_t length =
      argon2_encodedlen(kArgonPasses, kArgonMemoryKib, 1, kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(length, '\0');
  int rc =
      argon2id_hash_encoded(kArgonPasses, kArgonMemoryKib, 1, password.data(), password.size(),
                            salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return Error{fmt::format("argon2id: {}", argon2_error_message(rc))};
  }
  encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
  return encoded;
}

bool verify_password(std::string_view password, const std::string& phc) {
  if (phc.rfind("$argon2id$", 0) != 0 || password.size() > kMaxPasswordBytes) {
    return false;
  }
  return argon2id_verify(phc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string random_hex(std::size_t bytes) {
  auto raw = random_bytes(bytes);
  return to_hex(raw.data(), raw.size());
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return to_hex(digest.data(), length);
}

bool equal_secrets(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mitsu::api

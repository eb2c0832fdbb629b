#include "analysis/static/hashes.h"

#include <fuzzy.h>
#include <openssl/evp.h>
#include <tlsh.h>

#include <array>

#include "core/hex.h"

namespace mitsu::analysis {
namespace {

std::string digest(const EVP_MD* md, std::span<const std::byte> data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr);
  return to_hex(out.data(), size);
}

}  // namespace

Hashes compute_hashes(std::span<const std::byte> data) {
  Hashes h;
  h.md5 = digest(EVP_md5(), data);
  h.sha1 = digest(EVP_sha1(), data);
  h.sha256 = digest(EVP_sha256(), data);

  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::array<char, FUZZY_MAX_RESULT> fuzzy{};
  if (fuzzy_hash_buf(bytes, static_cast<uint32_t>(data.size()), fuzzy.data()) == 0) {
    h.ssdeep = fuzzy.data();
  }

  Tlsh tlsh;
  tlsh.final(bytes, static_cast<unsigned int>(data.size()));
  if (const char* text = tlsh.getHash(); text != nullptr) {
    h.tlsh = text;
  }
  return h;
}

int ssdeep_similarity(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) {
    return -1;
  }
  return fuzzy_compare(a.c_str(), b.c_str());
}

}  // namespace mitsu::analysis

#include "analysis/static/hashes.h"

#include <fuzzy.h>
#include <openssl/evp.h>

#include <array>

#include "analysis/static/ssdeep_digest.h"
#include "analysis/static/tlsh_digest.h"
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

  h.ssdeep = ssdeep_digest(data);

  h.tlsh = tlsh_digest(data);
  return h;
}

int ssdeep_similarity(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) {
    return -1;
  }
  return fuzzy_compare(a.c_str(), b.c_str());
}

}  // namespace mitsu::analysis

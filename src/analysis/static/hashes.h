#pragma once
// Identification hashes of a sample: exact (MD5, SHA-1, SHA-256) and fuzzy (ssdeep, TLSH), so it
// can be looked up in other vendors' feeds and grouped with its variants.

#include <span>
#include <string>

namespace mitsu::analysis {

struct Hashes {
  std::string md5;
  std::string sha1;
  std::string sha256;
  std::string ssdeep;
  std::string tlsh;  // empty when the input is too short or too uniform (TLSH needs 256 bytes)
};

Hashes compute_hashes(std::span<const std::byte> data);

// ssdeep's match score of two ssdeep hashes: 0 (unrelated) to 100 (identical); -1 when either
// is not an ssdeep hash.
int ssdeep_similarity(const std::string& a, const std::string& b);

}  // namespace mitsu::analysis

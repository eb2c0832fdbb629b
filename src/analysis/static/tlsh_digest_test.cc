#include "analysis/static/tlsh_digest.h"

#include <gtest/gtest.h>
#include <tlsh.h>

#include <random>
#include <vector>

namespace mitsu::analysis {
namespace {

// libtlsh is the reference our digest must reproduce digit for digit.
std::string libtlsh_digest(const std::vector<std::byte>& data) {
  Tlsh reference;
  reference.final(reinterpret_cast<const unsigned char*>(data.data()),
                  static_cast<unsigned int>(data.size()));
  const char* text = reference.getHash();
  return text == nullptr ? std::string() : std::string(text);
}

std::vector<std::byte> random_bytes(std::mt19937& random, std::size_t size, unsigned alphabet) {
  std::vector<std::byte> out(size);
  for (auto& b : out) {
    b = static_cast<std::byte>(random() % alphabet);
  }
  return out;
}

TEST(TlshDigest, MatchesLibtlshOverLengthsAndAlphabets) {
  std::mt19937 random(7);
  int compared = 0;
  for (std::size_t size :
       {255u, 256u, 257u, 300u, 656u, 657u, 1000u, 3199u, 3200u, 4096u, 65536u, 1000000u}) {
    for (unsigned alphabet : {2u, 4u, 16u, 64u, 256u}) {
      auto data = random_bytes(random, size, alphabet);
      std::string expected = libtlsh_digest(data);
      EXPECT_EQ(tlsh_digest(data), expected) << size << " bytes of " << alphabet << " symbols";
      compared += !expected.empty();
    }
  }
  EXPECT_GT(compared, 40) << "most inputs must give a digest, or the comparison proves little";
}

TEST(TlshDigest, MatchesLibtlshOnRandomLengths) {
  std::mt19937 random(11);
  for (int i = 0; i < 300; ++i) {
    auto data = random_bytes(random, 256 + random() % 20000, 1 + random() % 256);
    EXPECT_EQ(tlsh_digest(data), libtlsh_digest(data)) << data.size() << " bytes";
  }
}

TEST(TlshDigest, RefusesShortAndUniformInput) {
  EXPECT_EQ(tlsh_digest(std::vector<std::byte>(255, std::byte{'a'})), "");
  EXPECT_EQ(tlsh_digest(std::vector<std::byte>(100000, std::byte{'a'})), "");
  EXPECT_EQ(libtlsh_digest(std::vector<std::byte>(100000, std::byte{'a'})), "");
}

}  // namespace
}  // namespace mitsu::analysis

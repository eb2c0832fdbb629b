#include "analysis/static/ssdeep_digest.h"

#include <fuzzy.h>
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

namespace mitsu::analysis {
namespace {

// libfuzzy is the reference our digest must reproduce character for character.
std::string libfuzzy_digest(const std::vector<std::byte>& data) {
  std::array<char, FUZZY_MAX_RESULT> out{};
  EXPECT_EQ(fuzzy_hash_buf(reinterpret_cast<const unsigned char*>(data.data()),
                           static_cast<uint32_t>(data.size()), out.data()),
            0);
  return out.data();
}

// Random bytes over a small alphabet, with runs of one byte: text-like, binary-like and
// degenerate inputs, which reach every digest path (short digests, full ones, dropped sizes).
std::vector<std::byte> sample(std::mt19937& random, std::size_t size) {
  std::vector<std::byte> out(size);
  unsigned alphabet = 1 + random() % 256;
  unsigned run_chance = random() % 4;
  for (std::size_t i = 0; i < size; ++i) {
    bool repeat = i > 0 && random() % 4 < run_chance;
    out[i] = repeat ? out[i - 1] : static_cast<std::byte>(random() % alphabet);
  }
  return out;
}

TEST(SsdeepDigest, MatchesLibfuzzyOnSmallInputs) {
  std::mt19937 random(3);
  for (std::size_t size = 0; size < 600; ++size) {
    auto data = sample(random, size);
    ASSERT_EQ(ssdeep_digest(data), libfuzzy_digest(data)) << size << " bytes";
  }
}

TEST(SsdeepDigest, MatchesLibfuzzyOnLargerInputs) {
  std::mt19937 random(4);
  int full_digests = 0;
  for (int i = 0; i < 150; ++i) {
    std::size_t size = i < 130 ? 600 + random() % 100'000 : random() % 3'000'000;
    auto data = sample(random, size);
    std::string expected = libfuzzy_digest(data);
    ASSERT_EQ(ssdeep_digest(data), expected) << size << " bytes";
    full_digests += expected.find(':') + 1 + 60 < expected.rfind(':');
  }
  EXPECT_GT(full_digests, 20) << "inputs should fill the first digest often";
}

TEST(SsdeepDigest, EmptyInput) {
  EXPECT_EQ(ssdeep_digest({}), "3::");
  EXPECT_EQ(libfuzzy_digest({}), "3::");
}

}  // namespace
}  // namespace mitsu::analysis

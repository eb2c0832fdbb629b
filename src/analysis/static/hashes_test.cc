#include "analysis/static/hashes.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace mitsu::analysis {
namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

TEST(Hashes, ExactDigestsMatchPublishedVectors) {
  Hashes h = compute_hashes(bytes_of("abc"));
  EXPECT_EQ(h.md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(h.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(h.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(h.tlsh.empty()) << "TLSH needs more input than 3 bytes";
}

TEST(Hashes, FuzzyHashesOfSimilarFilesShareStructure) {
  std::mt19937 random(1);
  std::string a(64 * 1024, '\0');
  for (char& c : a) {
    c = static_cast<char>("abcdefghij /\n"[random() % 13]);
  }
  std::string b = a;
  b[100] = 'X';  // one byte differs
  Hashes ha = compute_hashes(bytes_of(a));
  Hashes hb = compute_hashes(bytes_of(b));
  EXPECT_EQ(std::count(ha.ssdeep.begin(), ha.ssdeep.end(), ':'), 2) << ha.ssdeep;
  EXPECT_EQ(ha.tlsh.size(), 70u) << ha.tlsh;  // 2015 TLSH: no "T1" prefix
  EXPECT_NE(ha.sha256, hb.sha256);
  EXPECT_GT(ssdeep_similarity(ha.ssdeep, hb.ssdeep), 80);
  EXPECT_EQ(ssdeep_similarity(ha.ssdeep, ""), -1);
  // The block size and most of the signature survive a one-byte change.
  EXPECT_EQ(ha.ssdeep.substr(0, ha.ssdeep.find(':')), hb.ssdeep.substr(0, hb.ssdeep.find(':')));
}

}  // namespace
}  // namespace mitsu::analysis

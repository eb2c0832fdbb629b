#include "analysis/cluster/tlsh_index.h"

#include <gtest/gtest.h>

#include <random>

#include "analysis/static/hashes.h"

namespace mitsu::analysis {
namespace {

// A family: one random base text, each member changes a few bytes. Families differ entirely.
std::vector<std::string> family(std::uint32_t seed, int members, int changes) {
  std::mt19937 random(seed);
  std::string base(8192, ' ');
  for (char& c : base) {
    c = static_cast<char>('a' + random() % 26);
  }
  std::vector<std::string> out;
  for (int m = 0; m < members; ++m) {
    std::string variant = base;
    for (int i = 0; i < changes; ++i) {
      variant[random() % variant.size()] = static_cast<char>('A' + random() % 26);
    }
    out.push_back(compute_hashes(std::as_bytes(std::span(variant))).tlsh);
  }
  return out;
}

TEST(TlshIndex, RejectsTextThatIsNotTlsh) {
  TlshIndex index;
  EXPECT_FALSE(index.add("").has_value());
  EXPECT_FALSE(index.add(std::string(70, 'z')).has_value());
}

TEST(TlshIndex, FindsVariantsAndClustersFamiliesWithoutAllPairs) {
  TlshIndex index;
  const int kFamilies = 20, kMembers = 10;
  for (int f = 0; f < kFamilies; ++f) {
    for (const std::string& hash : family(100 + f, kMembers, 40)) {
      ASSERT_TRUE(index.add(hash).has_value()) << hash;
    }
  }
  auto neighbours = index.nearest(0, 5, 100);
  ASSERT_EQ(neighbours.size(), 5u);
  for (const Neighbour& n : neighbours) {
    EXPECT_LT(n.index, static_cast<std::size_t>(kMembers)) << "a neighbour from its own family";
    EXPECT_LE(n.distance, 100);
  }
  auto clusters = index.clusters(100);
  ASSERT_EQ(clusters.size(), static_cast<std::size_t>(kFamilies));
  for (const auto& cluster : clusters) {
    EXPECT_EQ(cluster.size(), static_cast<std::size_t>(kMembers));
    std::size_t f = cluster.front() / kMembers;
    for (std::size_t member : cluster) {
      EXPECT_EQ(member / kMembers, f);
    }
  }
  std::uint64_t all_pairs = 200ull * 199 / 2;
  EXPECT_LT(index.comparisons(), all_pairs / 2) << "candidates, not all pairs";
}

}  // namespace
}  // namespace mitsu::analysis

#include "analysis/static/tlsh_digest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace mitsu::analysis {
namespace {

constexpr std::size_t kMinLength = 256;
constexpr std::size_t kBuckets = 128;  // of the 256 the Pearson hash can name, TLSH keeps 128
constexpr std::size_t kBodyBytes = kBuckets / 4;

// The Pearson permutation the TLSH paper specifies.
constexpr std::array<std::uint8_t, 256> kPearson{
    1,   87,  49,  12,  176, 178, 102, 166, 121, 193, 6,   84,  249, 230, 44,  163, 14,  197, 213,
    181, 161, 85,  218, 80,  64,  239, 24,  226, 236, 142, 38,  200, 110, 177, 104, 103, 141, 253,
    255, 50,  77,  101, 81,  18,  45,  96,  31,  222, 25,  107, 190, 70,  86,  237, 240, 34,  72,
    242, 20,  214, 244, 227, 149, 235, 97,  234, 57,  22,  60,  250, 82,  175, 208, 5,   127, 199,
    111, 62,  135, 248, 174, 169, 211, 58,  66,  154, 106, 195, 245, 171, 17,  187, 182, 179, 0,
    243, 132, 56,  148, 75,  128, 133, 158, 100, 130, 126, 91,  13,  153, 246, 216, 219, 119, 68,
    223, 78,  83,  88,  201, 99,  122, 11,  92,  32,  136, 114, 52,  10,  138, 30,  48,  183, 156,
    35,  61,  26,  143, 74,  251, 94,  129, 162, 63,  152, 170, 7,   115, 167, 241, 206, 3,   150,
    55,  59,  151, 220, 90,  53,  23,  131, 125, 173, 15,  238, 79,  95,  89,  16,  105, 137, 225,
    224, 217, 160, 37,  123, 118, 73,  2,   157, 46,  116, 9,   145, 134, 228, 207, 212, 202, 215,
    69,  229, 27,  188, 67,  124, 168, 252, 42,  4,   29,  108, 21,  247, 19,  205, 39,  203, 233,
    40,  186, 147, 198, 192, 155, 33,  164, 191, 98,  204, 165, 180, 117, 76,  140, 36,  210, 172,
    41,  54,  159, 8,   185, 232, 113, 196, 231, 47,  146, 120, 51,  65,  28,  144, 254, 221, 93,
    189, 194, 139, 112, 43,  71,  109, 184, 209};

// TLSH hashes byte triplets as T[T[T[T[salt] ^ a] ^ b] ^ c]. The first two steps depend only on
// the salt and the newest byte, so they come from one small table; every table stays in L1 (a
// 64 KiB table for the last two steps was slower: its reads went to L2).
struct FirstSteps {
  static constexpr std::array<std::uint8_t, 7> kSalts{0, 2, 3, 5, 7, 11, 13};
  std::array<std::array<std::uint8_t, 256>, kSalts.size()> table{};  // T[T[salt] ^ a]

  constexpr FirstSteps() {
    for (std::size_t s = 0; s < kSalts.size(); ++s) {
      for (unsigned a = 0; a < 256; ++a) {
        table[s][a] = kPearson[kPearson[kSalts[s]] ^ a];
      }
    }
  }
};

constexpr FirstSteps kFirst;

// The log-scale length byte, with the paper's three slopes.
std::uint8_t length_code(std::size_t length) {
  auto l = static_cast<float>(length);
  double code = 0;
  if (length <= 656) {
    code = std::floor(std::log(l) / 0.4054651);
  } else if (length <= 3199) {
    code = std::floor(std::log(l) / 0.26236426 - 8.72777);
  } else {
    code = std::floor(std::log(l) / 0.095310180 - 62.5472);
  }
  return static_cast<std::uint8_t>(static_cast<int>(code) & 0xFF);
}

std::uint8_t swap_nibbles(std::uint8_t b) {
  return static_cast<std::uint8_t>((b << 4) | (b >> 4));
}

}  // namespace

std::string tlsh_digest(std::span<const std::byte> data) {
  if (data.size() < kMinLength) {
    return {};
  }
  const auto& f = kFirst.table;
  auto last_steps = [](std::uint8_t first, std::uint8_t b, std::uint8_t c) {
    return kPearson[kPearson[first ^ b] ^ c];
  };
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  std::array<std::uint32_t, 256> buckets{};
  std::uint8_t checksum = 0;
  // Window of five: c is the newest byte, c1..c4 the ones before it.
  std::uint8_t c1 = p[3], c2 = p[2], c3 = p[1], c4 = p[0];
  for (std::size_t i = 4; i < data.size(); ++i) {
    const std::uint8_t c = p[i];
    checksum = last_steps(f[0][c], c1, checksum);
    ++buckets[last_steps(f[1][c], c1, c2)];
    ++buckets[last_steps(f[2][c], c1, c3)];
    ++buckets[last_steps(f[3][c], c2, c3)];
    ++buckets[last_steps(f[4][c], c2, c4)];
    ++buckets[last_steps(f[5][c], c1, c4)];
    ++buckets[last_steps(f[6][c], c3, c4)];
    c4 = c3;
    c3 = c2;
    c2 = c1;
    c1 = c;
  }

  std::array<std::uint32_t, kBuckets> sorted;
  std::copy_n(buckets.begin(), kBuckets, sorted.begin());
  auto nth = [&](std::size_t n) {
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n), sorted.end());
    return sorted[n];
  };
  const std::uint32_t q1 = nth(kBuckets / 4 - 1);
  const std::uint32_t q2 = nth(kBuckets / 2 - 1);
  const std::uint32_t q3 = nth(3 * kBuckets / 4 - 1);
  auto nonzero = std::count_if(buckets.begin(), buckets.begin() + kBuckets,
                               [](std::uint32_t n) { return n > 0; });
  if (q3 == 0 || nonzero <= static_cast<std::ptrdiff_t>(kBuckets / 2)) {
    return {};
  }

  // Quartile ratios as libtlsh computes them: in float, then truncated.
  auto ratio = [q3](std::uint32_t q) {
    return static_cast<unsigned>(static_cast<float>(q * 100) / static_cast<float>(q3)) % 16;
  };
  std::array<std::uint8_t, 3 + kBodyBytes> out{};
  out[0] = swap_nibbles(checksum);
  out[1] = swap_nibbles(length_code(data.size()));
  out[2] = static_cast<std::uint8_t>((ratio(q1) << 4) | ratio(q2));
  // Two bits a bucket, the last buckets first.
  for (std::size_t i = 0; i < kBodyBytes; ++i) {
    std::uint8_t code = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const std::uint32_t n = buckets[4 * i + j];
      const unsigned level = n > q3 ? 3 : n > q2 ? 2 : n > q1 ? 1 : 0;
      code = static_cast<std::uint8_t>(code | (level << (2 * j)));
    }
    out[3 + kBodyBytes - 1 - i] = code;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(out.size() * 2);
  for (std::uint8_t b : out) {
    text += kHex[b >> 4];
    text += kHex[b & 0xF];
  }
  return text;
}

}  // namespace mitsu::analysis

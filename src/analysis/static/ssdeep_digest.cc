#include "analysis/static/ssdeep_digest.h"

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mitsu::analysis {
namespace {

constexpr std::uint32_t kWindow = 7;        // bytes in the rolling hash
constexpr std::uint64_t kMinBlockSize = 3;  // piece block sizes are 3·2^i
constexpr std::size_t kBlockSizes = 31;
constexpr std::size_t kDigestLength = 64;  // characters a piece digest keeps
constexpr std::uint8_t kPieceHashInit = 0x27;
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint64_t block_size(std::size_t index) {
  return kMinBlockSize << index;
}

struct Piece {
  std::array<char, kDigestLength> digest{};  // digest[length] is '\0' until the digest fills
  std::uint32_t length = 0;
  char half_digest = '\0';  // the last character of the digest cut at half length
  std::uint8_t hash = kPieceHashInit;
  std::uint8_t half_hash = kPieceHashInit;
};

// Only block sizes near the one the input's length suggests can be chosen in the end; the rest
// are dropped (start) or never begun (limit), as libfuzzy does.
class State {
 public:
  explicit State(std::uint64_t total) : total_(total) {
    std::size_t guess = 0;
    while (block_size(guess) * kDigestLength < total) {
      ++guess;
    }
    limit_ = guess <= kBlockSizes - 2 ? guess + 2 : kBlockSizes;
  }

  void update(const std::uint8_t* bytes, std::size_t size) {
    std::size_t n = 0;
    while (n < size) {
      n = end_ - start_ <= kLanes ? run_packed(bytes, n, size) : run_one(bytes, n);
    }
  }

  std::string digest() const {
    std::size_t bi = start_;
    while (block_size(bi) * kDigestLength < total_) {
      ++bi;
    }
    if (bi >= end_) {
      bi = end_ - 1;
    }
    while (bi > start_ && pieces_[bi].length < kDigestLength / 2) {
      --bi;
    }
    std::string out = std::to_string(block_size(bi)) + ":";
    const Piece& first = pieces_[bi];
    out.append(first.digest.data(), first.length);
    if (rolling_.sum != 0) {
      out += kBase64[first.hash];
    } else if (first.length < kDigestLength && first.digest[first.length] != '\0') {
      out += first.digest[first.length];
    }
    out += ':';
    if (bi + 1 < end_) {
      const Piece& second = pieces_[bi + 1];
      out.append(second.digest.data(), std::min<std::size_t>(second.length, kDigestLength / 2 - 1));
      if (rolling_.sum != 0) {
        out += kBase64[second.half_hash];
      } else if (second.half_digest != '\0') {
        out += second.half_digest;
      }
    } else if (rolling_.sum != 0) {
      out += kBase64[first.hash];
    }
    return out;
  }

 private:
  static constexpr std::size_t kLanes = 8;

  // Rolling hash over the last seven bytes; `window` holds them, newest in the low byte.
  struct Rolling {
    std::uint32_t h1 = 0, h2 = 0, h3 = 0, sum = 0;
    std::uint64_t window = 0;

    void add(std::uint8_t c) {
      const auto oldest = static_cast<std::uint32_t>((window >> 48) & 0xff);
      window = ((window << 8) | c) & 0x00ff'ffff'ffff'ffff;
      h2 = h2 - h1 + kWindow * c;
      h1 = h1 + c - oldest;
      h3 = (h3 << 5) ^ c;
      sum = h1 + h2 + h3;
    }
    // sum = 3q + 2 ends a piece of size 3·2^i when q's low i bits are all ones: this is the
    // largest such i, or -1 where no block size ends a piece.
    [[nodiscard]] int largest_ending() const {
      return sum % kMinBlockSize == kMinBlockSize - 1 ? std::countr_one(sum / kMinBlockSize) : -1;
    }
  };

  // Eight 6-bit piece hashes packed in the bytes of a word, all stepped at once:
  // (h·0x01000193 ^ c) mod 64, where h·0x193 mod 64 = h + 2(h mod 32) + 16(h mod 4), and no byte
  // of that sum carries into the next (at most 63 + 62 + 48).
  static std::uint64_t step_packed(std::uint64_t h, std::uint64_t c) {
    constexpr std::uint64_t k1f = 0x1f1f'1f1f'1f1f'1f1f, k03 = 0x0303'0303'0303'0303;
    constexpr std::uint64_t k3f = 0x3f3f'3f3f'3f3f'3f3f;
    return ((h + ((h & k1f) << 1) + ((h & k03) << 4)) ^ c) & k3f;
  }

  // Steps up to eight active block sizes with their hashes packed, until a byte ends a piece;
  // returns the position after that byte.
  std::size_t run_packed(const std::uint8_t* bytes, std::size_t n, std::size_t size) {
    const std::size_t start = start_, active = end_ - start_;
    std::uint64_t hashes = 0, halves = 0;
    for (std::size_t k = 0; k < active; ++k) {
      hashes |= std::uint64_t{pieces_[start + k].hash} << (8 * k);
      halves |= std::uint64_t{pieces_[start + k].half_hash} << (8 * k);
    }
    Rolling r = rolling_;
    int ending = -1;
#if defined(__SSE2__)
    // Both words in one register: one vector step a byte instead of two scalar ones.
    __m128i both = _mm_set_epi64x(static_cast<long long>(halves), static_cast<long long>(hashes));
    const __m128i k1f = _mm_set1_epi8(0x1f), k03 = _mm_set1_epi8(0x03), k3f = _mm_set1_epi8(0x3f);
    while (n < size && ending < static_cast<int>(start)) {
      const std::uint8_t c = bytes[n++];
      r.add(c);
      const __m128i times_193 =
          _mm_add_epi8(_mm_add_epi8(both, _mm_slli_epi16(_mm_and_si128(both, k1f), 1)),
                       _mm_slli_epi16(_mm_and_si128(both, k03), 4));
      both = _mm_and_si128(_mm_xor_si128(times_193, _mm_set1_epi8(static_cast<char>(c))), k3f);
      ending = r.largest_ending();
    }
    hashes = static_cast<std::uint64_t>(_mm_cvtsi128_si64(both));
    halves = static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(both, both)));
#else
    while (n < size && ending < static_cast<int>(start)) {
      const std::uint8_t c = bytes[n++];
      r.add(c);
      const std::uint64_t spread = (c & 0x3fu) * 0x0101'0101'0101'0101;
      hashes = step_packed(hashes, spread);
      halves = step_packed(halves, spread);
      ending = r.largest_ending();
    }
#endif
    rolling_ = r;
    for (std::size_t k = 0; k < active; ++k) {
      pieces_[start + k].hash = static_cast<std::uint8_t>(hashes >> (8 * k));
      pieces_[start + k].half_hash = static_cast<std::uint8_t>(halves >> (8 * k));
    }
    end_pieces(ending);
    return n;
  }

  // One byte with the hashes unpacked, for the rare moments more than eight sizes are active.
  std::size_t run_one(const std::uint8_t* bytes, std::size_t n) {
    const std::uint8_t c = bytes[n];
    rolling_.add(c);
    for (std::size_t i = start_; i < end_; ++i) {
      pieces_[i].hash = static_cast<std::uint8_t>(((pieces_[i].hash * 0x01000193u) ^ c) & 0x3f);
      pieces_[i].half_hash =
          static_cast<std::uint8_t>(((pieces_[i].half_hash * 0x01000193u) ^ c) & 0x3f);
    }
    end_pieces(rolling_.largest_ending());
    return n + 1;
  }

  void end_pieces(int largest) {
    for (std::size_t i = start_; i < end_ && static_cast<int>(i) <= largest; ++i) {
      trigger(i);
    }
  }

  // A piece of the input ends at this byte for block size i: emit its hash as a digit.
  void trigger(std::size_t i) {
    Piece& piece = pieces_[i];
    if (piece.length == 0) {
      begin_next_block_size();
    }
    piece.digest[piece.length] = kBase64[piece.hash];
    piece.half_digest = kBase64[piece.half_hash];
    if (piece.length < kDigestLength - 1) {
      ++piece.length;
      piece.digest[piece.length] = '\0';
      piece.hash = kPieceHashInit;
      if (piece.length < kDigestLength / 2) {
        piece.half_hash = kPieceHashInit;
        piece.half_digest = '\0';
      }
    } else {
      // A full digest keeps absorbing into its last digit; the smallest block size may now be
      // too small to be chosen and is dropped.
      drop_smallest_block_size();
    }
  }

  void begin_next_block_size() {
    if (end_ >= limit_) {
      return;
    }
    Piece& next = pieces_[end_];
    next = Piece{};
    next.hash = pieces_[end_ - 1].hash;
    next.half_hash = pieces_[end_ - 1].half_hash;
    ++end_;
  }

  void drop_smallest_block_size() {
    if (end_ - start_ < 2 || block_size(start_) * kDigestLength >= total_ ||
        pieces_[start_ + 1].length < kDigestLength / 2) {
      return;
    }
    ++start_;
  }

  std::uint64_t total_;
  std::size_t start_ = 0;
  std::size_t end_ = 1;
  std::size_t limit_ = kBlockSizes;
  std::array<Piece, kBlockSizes> pieces_{};
  Rolling rolling_;
};

}  // namespace

std::string ssdeep_digest(std::span<const std::byte> data) {
  if (data.size() > std::numeric_limits<std::uint32_t>::max()) {
    return {};
  }
  State state(data.size());
  state.update(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  return state.digest();
}

}  // namespace mitsu::analysis

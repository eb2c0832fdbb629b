#pragma once
// Nearest neighbours and clusters of samples by TLSH distance without all-pairs comparison.
//
// Candidates come from locality-sensitive hashing on the TLSH body: its 128 two-bit bucket codes
// are cut into bands, and samples sharing any band exactly are compared with the real TLSH
// distance. Close variants change few codes, so they share a band; unrelated files rarely do.
// Bands that too many samples share (padding, empty regions) are not used to find candidates.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

class Tlsh;

namespace mitsu::analysis {

struct Neighbour {
  std::size_t index = 0;
  int distance = 0;
};

class TlshIndex {
 public:
  static constexpr int kBands = 16;  // 16 bands of 8 codes (4 hex digits) each
  static constexpr std::size_t kMaxBandPopulation = 256;

  TlshIndex();
  ~TlshIndex();
  TlshIndex(TlshIndex&&) noexcept;

  // Adds a sample by its TLSH text; nullopt when the text is not a TLSH hash.
  std::optional<std::size_t> add(std::string_view tlsh);
  std::size_t size() const { return hashes_.size(); }

  // Up to k neighbours within max_distance, closest first (the sample itself excluded).
  std::vector<Neighbour> nearest(std::size_t index, std::size_t k, int max_distance) const;
  // Groups of samples linked by distances up to max_distance (single linkage); singletons too.
  std::vector<std::vector<std::size_t>> clusters(int max_distance) const;

  // How many real TLSH distances were computed so far (the cost all-pairs would pay n²/2 of).
  std::uint64_t comparisons() const { return comparisons_; }
  int distance(std::size_t a, std::size_t b) const;

 private:
  std::vector<std::size_t> candidates(std::size_t index) const;

  std::vector<std::unique_ptr<Tlsh>> hashes_;
  std::vector<std::string> bodies_;
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> bands_;
  mutable std::uint64_t comparisons_ = 0;
};

}  // namespace mitsu::analysis

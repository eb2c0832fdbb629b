#include "analysis/cluster/tlsh_index.h"

#include <tlsh.h>

#include <algorithm>
#include <numeric>

namespace mitsu::analysis {
namespace {

// 2015 TLSH text: 6 hex digits of header (checksum, length, quartile ratios), then the body.
constexpr std::size_t kHeaderDigits = 6;
constexpr std::size_t kBodyDigits = 64;
constexpr std::size_t kBandDigits = kBodyDigits / TlshIndex::kBands;

std::uint64_t band_key(int band, std::string_view digits) {
  std::uint64_t value = 0;
  for (char c : digits) {
    value = value << 4 | static_cast<std::uint64_t>(std::isdigit(static_cast<unsigned char>(c))
                                                        ? c - '0'
                                                        : std::tolower(c) - 'a' + 10);
  }
  return static_cast<std::uint64_t>(band) << 32 | value;
}

class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), std::size_t{0});
  }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void join(std::size_t a, std::size_t b) { parent_[find(a)] = find(b); }

 private:
  std::vector<std::size_t> parent_;
};

}  // namespace

TlshIndex::TlshIndex() = default;
TlshIndex::~TlshIndex() = default;
TlshIndex::TlshIndex(TlshIndex&&) noexcept = default;

std::optional<std::size_t> TlshIndex::add(std::string_view tlsh) {
  if (tlsh.size() != kHeaderDigits + kBodyDigits) {
    return std::nullopt;
  }
  auto hash = std::make_unique<Tlsh>();
  std::string text(tlsh);
  if (hash->fromTlshStr(text.c_str()) != 0) {
    return std::nullopt;
  }
  std::size_t index = hashes_.size();
  hashes_.push_back(std::move(hash));
  bodies_.push_back(text.substr(kHeaderDigits));
  for (int band = 0; band < kBands; ++band) {
    bands_[band_key(band, std::string_view(bodies_.back()).substr(band * kBandDigits, kBandDigits))]
        .push_back(index);
  }
  return index;
}

int TlshIndex::distance(std::size_t a, std::size_t b) const {
  ++comparisons_;
  return hashes_[a]->totalDiff(hashes_[b].get());
}

std::vector<std::size_t> TlshIndex::candidates(std::size_t index) const {
  std::vector<std::size_t> out;
  std::string_view body = bodies_[index];
  for (int band = 0; band < kBands; ++band) {
    auto it = bands_.find(band_key(band, body.substr(band * kBandDigits, kBandDigits)));
    if (it == bands_.end() || it->second.size() > kMaxBandPopulation) {
      continue;
    }
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  out.erase(std::remove(out.begin(), out.end(), index), out.end());
  return out;
}

std::vector<Neighbour> TlshIndex::nearest(std::size_t index, std::size_t k,
                                          int max_distance) const {
  std::vector<Neighbour> out;
  for (std::size_t other : candidates(index)) {
    int d = distance(index, other);
    if (d <= max_distance) {
      out.push_back({other, d});
    }
  }
  std::sort(out.begin(), out.end(), [](const Neighbour& a, const Neighbour& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.index < b.index;
  });
  if (out.size() > k) {
    out.resize(k);
  }
  return out;
}

std::vector<std::vector<std::size_t>> TlshIndex::clusters(int max_distance) const {
  DisjointSets sets(hashes_.size());
  for (std::size_t i = 0; i < hashes_.size(); ++i) {
    for (std::size_t other : candidates(i)) {
      if (other > i && sets.find(i) != sets.find(other) && distance(i, other) <= max_distance) {
        sets.join(i, other);
      }
    }
  }
  std::unordered_map<std::size_t, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < hashes_.size(); ++i) {
    groups[sets.find(i)].push_back(i);
  }
  std::vector<std::vector<std::size_t>> out;
  for (auto& [root, members] : groups) {
    out.push_back(std::move(members));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.size() != b.size() ? a.size() > b.size() : a.front() < b.front();
  });
  return out;
}

}  // namespace mitsu::analysis

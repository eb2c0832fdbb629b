#pragma once
// Where an attacking address is: its country and autonomous system, from MaxMind DB files
// (libmaxminddb; ip-location-db's country MMDB by default, GeoLite2 Country/ASN when the user
// points at them) or ip-location-db CSV range files (`start,end,asn,"org"` or
// `start,end,country_code`), which is how the free ASN data ships.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace mitsu::intel {

struct GeoInfo {
  std::string country;  // ISO 3166 alpha-2, "" when unknown
  std::uint32_t asn = 0;
  std::string as_org;

  bool operator==(const GeoInfo&) const = default;
};

// One source of answers: fills what it knows into `info`, leaves the rest.
class GeoSource {
 public:
  virtual ~GeoSource() = default;
  virtual void lookup(std::string_view ip, GeoInfo& info) const = 0;
  virtual std::string describe() const = 0;
};

// Opens a file by its name: *.mmdb through libmaxminddb, anything else as an ip-location-db CSV.
Result<std::unique_ptr<GeoSource>> open_geo_source(const std::filesystem::path& file);

// Sorted address ranges from CSV; rows may be IPv4 or IPv6, several files may be loaded.
class IpRangeTable : public GeoSource {
 public:
  // Rows with a numeric third column are ASN rows (org in the fourth); others are country rows.
  Status load_csv(const std::filesystem::path& file);
  // For tests and the simulator: add one row (addresses as text).
  Status add_row(std::string_view start, std::string_view end, std::string_view value,
                 std::string_view org = {});
  void finish();  // sorts; call after the last load

  void lookup(std::string_view ip, GeoInfo& info) const override;
  std::string describe() const override;
  std::size_t size() const { return v4_.size() + v6_.size(); }

 private:
  struct Value {
    std::uint32_t asn = 0;
    std::uint32_t label = 0;  // index into labels_: the org, or the country code
  };
  template <typename Address>
  struct Row {
    Address start;
    Address end;
    Value value;
  };
  std::uint32_t intern(std::string_view label);
  const Value* find(std::string_view ip) const;

  std::vector<Row<std::uint32_t>> v4_;
  std::vector<Row<std::array<std::uint8_t, 16>>> v6_;  // big-endian: compares as numbers
  std::vector<std::string> labels_;
  std::unordered_map<std::string, std::uint32_t> label_index_;
  std::vector<std::string> files_;
};

// The enrichment used at ingest: country and ASN sources with a lookup cache (attackers repeat
// themselves: a brute-force campaign is thousands of events from one address).
class GeoResolver {
 public:
  GeoResolver() = default;
  void add_source(std::unique_ptr<GeoSource> source) { sources_.push_back(std::move(source)); }
  bool empty() const { return sources_.empty(); }

  const GeoInfo& lookup(std::string_view ip);
  std::string describe() const;

  std::uint64_t cache_hits() const { return hits_; }
  std::uint64_t cache_misses() const { return misses_; }

 private:
  static constexpr std::size_t kCacheEntries = 1 << 20;  // then the cache starts over
  std::vector<std::unique_ptr<GeoSource>> sources_;
  std::unordered_map<std::string, GeoInfo> cache_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

// Country and ASN sources from files; missing files are an error naming them.
Result<std::unique_ptr<GeoResolver>> open_geo_resolver(
    const std::vector<std::filesystem::path>& files);

}  // namespace mitsu::intel

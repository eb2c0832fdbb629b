#include "intel/geo/geo_database.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <maxminddb.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>

namespace mitsu::intel {
namespace {

std::optional<std::uint32_t> parse_v4(std::string_view text) {
  char buffer[INET_ADDRSTRLEN];
  if (text.size() >= sizeof buffer) {
    return std::nullopt;
  }
  text.copy(buffer, text.size());
  buffer[text.size()] = '\0';
  in_addr address{};
  if (inet_pton(AF_INET, buffer, &address) != 1) {
    return std::nullopt;
  }
  return ntohl(address.s_addr);
}

std::optional<std::array<std::uint8_t, 16>> parse_v6(std::string_view text) {
  char buffer[INET6_ADDRSTRLEN];
  if (text.size() >= sizeof buffer) {
    return std::nullopt;
  }
  text.copy(buffer, text.size());
  buffer[text.size()] = '\0';
  in6_addr address{};
  if (inet_pton(AF_INET6, buffer, &address) != 1) {
    return std::nullopt;
  }
  std::array<std::uint8_t, 16> value{};
  std::copy(std::begin(address.s6_addr), std::end(address.s6_addr), value.begin());
  return value;
}

// Splits one CSV line into fields; a quoted field may hold commas and doubled quotes.
std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

template <typename Rows, typename Address>
auto find_row(const Rows& rows, Address address) -> decltype(&rows.front()) {
  // The last range starting at or before the address, if it also ends after it.
  auto it = std::upper_bound(rows.begin(), rows.end(), address,
                             [](Address a, const auto& row) { return a < row.start; });
  if (it == rows.begin()) {
    return nullptr;
  }
  --it;
  return address <= it->end ? &*it : nullptr;
}

// One MaxMind DB file: a country database (ip-location-db's `country_code`, GeoLite2's
// `country.iso_code`) or an ASN database (GeoLite2-ASN's `autonomous_system_*`).
class MmdbSource : public GeoSource {
 public:
  static Result<std::unique_ptr<MmdbSource>> open(const std::filesystem::path& file) {
    auto source = std::unique_ptr<MmdbSource>(new MmdbSource());
    int status = MMDB_open(file.c_str(), MMDB_MODE_MMAP, &source->mmdb_);
    if (status != MMDB_SUCCESS) {
      return Error{fmt::format("{}: {}", file.string(), MMDB_strerror(status))};
    }
    source->open_ = true;
    source->file_ = file.string();
    return source;
  }
  ~MmdbSource() override {
    if (open_) {
      MMDB_close(&mmdb_);
    }
  }

  void lookup(std::string_view ip, GeoInfo& info) const override {
    std::string text(ip);
    int gai_error = 0, mmdb_error = 0;
    MMDB_lookup_result_s result = MMDB_lookup_string(&mmdb_, text.c_str(), &gai_error, &mmdb_error);
    if (gai_error != 0 || mmdb_error != MMDB_SUCCESS || !result.found_entry) {
      return;
    }
    if (info.country.empty()) {
      info.country = string_value(result.entry, {"country_code", nullptr});
      if (info.country.empty()) {
        info.country = string_value(result.entry, {"country", "iso_code", nullptr});
      }
    }
    if (info.asn == 0) {
      MMDB_entry_data_s data;
      MMDB_entry_s entry = result.entry;
      if (MMDB_get_value(&entry, &data, "autonomous_system_number", nullptr) == MMDB_SUCCESS &&
          data.has_data && data.type == MMDB_DATA_TYPE_UINT32) {
        info.asn = data.uint32;
        info.as_org = string_value(result.entry, {"autonomous_system_organization", nullptr});
      }
    }
  }

  std::string describe() const override {
    return fmt::format("{} ({})", file_, mmdb_.metadata.database_type);
  }

 private:
  MmdbSource() = default;

  static std::string string_value(MMDB_entry_s entry, std::initializer_list<const char*> path) {
    std::vector<const char*> keys(path);
    MMDB_entry_data_s data;
    if (MMDB_aget_value(&entry, &data, keys.data()) != MMDB_SUCCESS || !data.has_data ||
        data.type != MMDB_DATA_TYPE_UTF8_STRING) {
      return {};
    }
    return std::string(data.utf8_string, data.data_size);
  }

  mutable MMDB_s mmdb_{};  // libmaxminddb's lookups take a non-const handle
  bool open_ = false;
  std::string file_;
};

}  // namespace

std::uint32_t IpRangeTable::intern(std::string_view label) {
  auto [it, inserted] =
      label_index_.try_emplace(std::string(label), static_cast<std::uint32_t>(labels_.size()));
  if (inserted) {
    labels_.emplace_back(label);
  }
  return it->second;
}

Status IpRangeTable::add_row(std::string_view start, std::string_view end, std::string_view value,
                             std::string_view org) {
  Value v;
  std::uint32_t asn = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), asn);
  if (ec == std::errc() && ptr == value.data() + value.size()) {
    v.asn = asn;
    v.label = intern(org);
  } else {
    v.label = intern(value);
  }
  auto a4 = parse_v4(start), b4 = parse_v4(end);
  if (a4 && b4 && *a4 <= *b4) {
    v4_.push_back({*a4, *b4, v});
    return {};
  }
  auto a6 = parse_v6(start), b6 = parse_v6(end);
  if (a6 && b6 && *a6 <= *b6) {
    v6_.push_back({*a6, *b6, v});
    return {};
  }
  return Error{fmt::format("'{}' to '{}' is not an address range", start, end)};
}

Status IpRangeTable::load_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return Error{fmt::format("{}: cannot open", file.string())};
  }
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<std::string> fields = split_csv(line);
    if (fields.size() < 3) {
      return Error{fmt::format("{}:{}: expected start,end,value[,org]", file.string(), number)};
    }
    Status added = add_row(fields[0], fields[1], fields[2], fields.size() > 3 ? fields[3] : "");
    if (!added) {
      return Error{fmt::format("{}:{}: {}", file.string(), number, added.error())};
    }
  }
  files_.push_back(file.string());
  return {};
}

void IpRangeTable::finish() {
  auto by_start = [](const auto& a, const auto& b) { return a.start < b.start; };
  std::sort(v4_.begin(), v4_.end(), by_start);
  std::sort(v6_.begin(), v6_.end(), by_start);
}

const IpRangeTable::Value* IpRangeTable::find(std::string_view ip) const {
  if (auto v4 = parse_v4(ip)) {
    auto* row = find_row(v4_, *v4);
    return row ? &row->value : nullptr;
  }
  if (auto v6 = parse_v6(ip)) {
    auto* row = find_row(v6_, *v6);
    return row ? &row->value : nullptr;
  }
  return nullptr;
}

void IpRangeTable::lookup(std::string_view ip, GeoInfo& info) const {
  const Value* value = find(ip);
  if (value == nullptr) {
    return;
  }
  if (value->asn != 0) {
    if (info.asn == 0) {
      info.asn = value->asn;
      info.as_org = labels_[value->label];
    }
  } else if (info.country.empty()) {
    info.country = labels_[value->label];
  }
}

std::string IpRangeTable::describe() const {
  std::string files =
      files_.empty() ? "built-in table" : fmt::format("{}", fmt::join(files_, ", "));
  return fmt::format("{} ({} ranges)", files, size());
}

Result<std::unique_ptr<GeoSource>> open_geo_source(const std::filesystem::path& file) {
  if (file.extension() == ".mmdb") {
    auto source = MmdbSource::open(file);
    if (!source) {
      return source.failure();
    }
    return std::unique_ptr<GeoSource>(std::move(*source));
  }
  auto table = std::make_unique<IpRangeTable>();
  if (Status loaded = table->load_csv(file); !loaded) {
    return loaded.failure();
  }
  table->finish();
  return std::unique_ptr<GeoSource>(std::move(table));
}

const GeoInfo& GeoResolver::lookup(std::string_view ip) {
  std::string key(ip);
  if (auto it = cache_.find(key); it != cache_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  if (cache_.size() >= kCacheEntries) {
    cache_.clear();
  }
  GeoInfo info;
  for (const auto& source : sources_) {
    source->lookup(ip, info);
  }
  return cache_.emplace(std::move(key), std::move(info)).first->second;
}

std::string GeoResolver::describe() const {
  std::vector<std::string> parts;
  for (const auto& source : sources_) {
    parts.push_back(source->describe());
  }
  return parts.empty() ? "no GeoIP data" : fmt::format("{}", fmt::join(parts, "; "));
}

Result<std::unique_ptr<GeoResolver>> open_geo_resolver(
    const std::vector<std::filesystem::path>& files) {
  auto resolver = std::make_unique<GeoResolver>();
  // Each file is its own source (a country CSV and an ASN CSV overlap range by range).
  for (const auto& file : files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      return Error{
          fmt::format("GeoIP file {} does not exist (scripts/install-geo.sh installs the "
                      "default data)",
                      file.string())};
    }
    auto source = open_geo_source(file);
    if (!source) {
      return source.failure();
    }
    resolver->add_source(std::move(*source));
  }
  return resolver;
}

}  // namespace mitsu::intel

#include "analysis/known/known_hash_list.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/clock.h"

namespace mitsu::analysis {
namespace {

bool is_hex_hash(std::string_view s) {
  if (s.size() != 32 && s.size() != 40 && s.size() != 64) {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "a", "b", "c" -> {a, b, c}; MalwareBazaar quotes every field and separates with ", ".
std::vector<std::string_view> csv_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  line = trim(line);
  if (line.size() < 2 || line.front() != '"' || line.back() != '"') {
    return fields;
  }
  line = line.substr(1, line.size() - 2);
  std::size_t start = 0;
  while (true) {
    std::size_t sep = line.find("\", \"", start);
    if (sep == std::string_view::npos) {
      sep = line.find("\",\"", start);
      if (sep == std::string_view::npos) {
        fields.push_back(line.substr(start));
        return fields;
      }
      fields.push_back(line.substr(start, sep - start));
      start = sep + 3;
      continue;
    }
    fields.push_back(line.substr(start, sep - start));
    start = sep + 4;
  }
}

}  // namespace

KnownHashList parse_known_hashes(std::string_view text, std::string_view source) {
  KnownHashList out;
  out.format = text.find("sha256_hash") != std::string_view::npos ||
                       text.find("\", \"") != std::string_view::npos
                   ? "malwarebazaar-csv"
                   : "hash-list";
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = trim(text.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (out.format == "hash-list") {
      std::string_view hash = trim(line.substr(0, line.find_first_of(" \t,")));
      if (!is_hex_hash(hash)) {
        out.problems.push_back(fmt::format("{}: not an MD5, SHA-1 or SHA-256 hash", line_number));
        continue;
      }
      out.hashes.push_back({lower(hash), std::string(source), "", std::nullopt});
      continue;
    }
    // first_seen_utc, sha256_hash, md5_hash, sha1_hash, reporter, file_name, file_type_guess,
    // mime_type, signature, …
    std::vector<std::string_view> f = csv_fields(line);
    if (f.size() < 9 || !is_hex_hash(f[1])) {
      out.problems.push_back(fmt::format("{}: not a MalwareBazaar CSV row", line_number));
      continue;
    }
    std::optional<std::int64_t> first_seen;
    if (f[0].size() == 19) {
      std::string iso(f[0]);
      iso[10] = 'T';
      first_seen = parse_time_filter_us(iso);
    }
    std::string signature = f[8] == "n/a" ? "" : std::string(f[8]);
    for (std::size_t column : {1, 2, 3}) {
      if (is_hex_hash(f[column])) {
        out.hashes.push_back({lower(f[column]), std::string(source), signature, first_seen});
      }
    }
  }
  return out;
}

}  // namespace mitsu::analysis

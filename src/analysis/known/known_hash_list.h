#pragma once
// Reads the hash corpora an operator imports to decide "known vs never seen": MalwareBazaar's
// CSV dump ('#' header lines, rows of quoted fields separated by `", "`) and plain lists of
// MD5 / SHA-1 / SHA-256 hashes, one per line.

#include <string>
#include <string_view>
#include <vector>

#include "store/catalog.h"

namespace mitsu::analysis {

struct KnownHashList {
  std::vector<store::KnownHash> hashes;
  std::vector<std::string> problems;  // "LINE: reason" for lines that were skipped
  std::string format;                 // "malwarebazaar-csv" or "hash-list"
};

// source names where the hashes came from (kept with each hash).
KnownHashList parse_known_hashes(std::string_view text, std::string_view source);

}  // namespace mitsu::analysis

#pragma once
// The static triage pipeline for one sample: identification hashes, file type, ELF headers,
// strings and IOCs, YARA family, IoT-vs-PC target. Produces a versioned verdict.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

#include "analysis/static/elf_info.h"
#include "analysis/static/family_classifier.h"
#include "analysis/static/file_type.h"
#include "analysis/static/hashes.h"
#include "analysis/static/strings.h"
#include "analysis/static/target_class.h"
#include "analysis/static/vendor_watchlist.h"

namespace mitsu::analysis {

// Bumped whenever the verdict's content or meaning changes; verdicts are stored per version.
inline constexpr int kStaticAnalyzerVersion = 1;
// Verdicts list at most this many strings (IOCs are listed in full).
inline constexpr std::size_t kVerdictStrings = 200;
// Where a verdict keeps the exact bytes of sample text that is not valid UTF-8 (see to_json).
inline constexpr std::string_view kRawBytesPointer = "/raw_bytes";

struct StaticVerdict {
  std::uint64_t size = 0;
  Hashes hashes;
  FileType file_type;
  ElfInfo elf;
  StringsReport strings;
  FamilyVerdict family;
  TargetClass target;
  std::optional<WatchlistVerdict> watchlist;  // when a vendor profile is configured

  // The verdict document. Always valid UTF-8 (it dumps without throwing) and lossless: text from
  // the sample that is not valid UTF-8 (a section name, the interpreter path) appears with each
  // invalid byte as \xNN, and its exact bytes are kept base64 in the top-level object
  // "raw_bytes", keyed by the JSON pointer of the value ({"/elf/sections/3": "LnRl/3h0"}).
  // Serialise it, and anything added to it, with dump_json.
  nlohmann::json to_json() const;
};

// Not thread-safe (libmagic): one per worker thread; the compiled rules may be shared.
class StaticAnalyzer {
 public:
  explicit StaticAnalyzer(std::shared_ptr<const FamilyClassifier> rules,
                          std::shared_ptr<const VendorProfile> watchlist = nullptr);
  Result<StaticVerdict> analyze(std::span<const std::byte> sample);

 private:
  std::shared_ptr<const FamilyClassifier> rules_;
  std::shared_ptr<const VendorProfile> watchlist_;
  FileTypeDetector file_types_;
};

}  // namespace mitsu::analysis

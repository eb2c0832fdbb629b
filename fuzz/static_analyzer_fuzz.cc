// Fuzzes the whole static analyzer, as `mitsu analyze --json` runs it: hashes, file type, ELF
// reader, strings and IOCs, the shipped YARA rules, the target score, then the verdict document
// and its serialisation. Whatever the bytes, the JSON text must be valid UTF-8, parse back, and
// keep the exact bytes of every value it had to escape (raw_bytes, base64, by JSON pointer).
// The seed corpus is real ELF files with eight random bytes changed: `mutate-elf-corpus.py
// --seed 2121 --count 48 --max-size 65536` over libanl, libBrokenLocale, libutil and libdl of the
// arm, hppa, i686, m68k, riscv64 and s390x cross libcs, 16 of them kept. The crash-utf8-* ones
// have a section name that is not UTF-8 and made the serialisation throw (issue 21).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "analysis/static/static_analyzer.h"
#include "core/safe_text.h"

namespace {

using mitsu::analysis::FamilyClassifier;
using mitsu::analysis::StaticAnalyzer;

StaticAnalyzer& analyzer() {
  static StaticAnalyzer* instance = [] {
    auto rules = FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR});
    if (!rules) {
      std::abort();  // the shipped rules must compile
    }
    return new StaticAnalyzer(std::shared_ptr<const FamilyClassifier>(std::move(*rules)));
  }();
  return *instance;
}

// Each raw_bytes entry names a string in the document whose text is its bytes, escaped.
void check_raw_bytes(const nlohmann::json& doc) {
  const nlohmann::json& raw = doc.at("raw_bytes");
  for (const auto& [pointer, encoded] : raw.items()) {
    std::string bytes;
    if (!encoded.is_string() || !mitsu::base64_decode(encoded.get<std::string>(), bytes) ||
        mitsu::is_valid_utf8(bytes)) {
      __builtin_trap();
    }
    if (pointer.ends_with("#key")) {
      continue;  // a renamed key: the sample never names keys
    }
    const nlohmann::json& value = doc.at(nlohmann::json::json_pointer(pointer));
    if (!value.is_string() || value.get<std::string>() != mitsu::escape_invalid_utf8(bytes)) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto verdict = analyzer().analyze(std::as_bytes(std::span(data, size)));
  if (!verdict) {
    return 0;  // only a YARA scan error (a timeout) fails, and it is reported, not thrown
  }
  nlohmann::json doc = verdict->to_json();
  // The CLI adds the file's path, which an attacker may have named: the input's first bytes.
  doc["path"] = std::string(reinterpret_cast<const char*>(data), size < 64 ? size : 64);
  std::string text = mitsu::dump_json(doc);
  if (!mitsu::is_valid_utf8(text)) {
    __builtin_trap();
  }
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || parsed["hashes"]["sha256"] != verdict->hashes.sha256) {
    __builtin_trap();
  }
  if (parsed.contains("raw_bytes")) {
    check_raw_bytes(parsed);
  }
  return 0;
}

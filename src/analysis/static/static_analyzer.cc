#include "analysis/static/static_analyzer.h"

#include <fstream>
#include <sstream>

#include "core/safe_text.h"

namespace mitsu::analysis {
namespace {

// rules/credentials.txt, read once.
const CredentialList& shipped_credentials() {
  static const CredentialList list = [] {
    std::ifstream in(MITSU_DEFAULT_CREDENTIALS);
    std::stringstream text;
    text << in.rdbuf();
    return parse_credential_list(text.str());
  }();
  return list;
}

}  // namespace

StaticAnalyzer::StaticAnalyzer(std::shared_ptr<const FamilyClassifier> rules,
                               std::shared_ptr<const VendorProfile> watchlist)
    : rules_(std::move(rules)), watchlist_(std::move(watchlist)) {}

Result<StaticVerdict> StaticAnalyzer::analyze(std::span<const std::byte> sample) {
  StaticVerdict v;
  v.size = sample.size();
  v.hashes = compute_hashes(sample);
  v.file_type = file_types_.detect(sample);
  v.elf = read_elf(sample);
  v.strings = analyze_strings(sample);
  v.strings.iocs.credentials = find_credentials(v.strings.strings, shipped_credentials());
  auto family = rules_->classify(sample);
  if (!family) {
    return family.failure();
  }
  v.family = std::move(*family);
  v.target = classify_target(v.elf, v.strings);
  if (watchlist_) {
    v.watchlist = match_watchlist(*watchlist_, v.strings);
  }
  return v;
}

namespace {

using nlohmann::json;

// Section names, the interpreter path and the reasons that quote it are the file's own bytes.
json elf_json(const ElfInfo& elf) {
  return {{"class", elf.elf_class},
          {"endianness", elf.big_endian ? "big" : "little"},
          {"machine", elf.machine},
          {"machine_name", elf.machine_name},
          {"arch", elf.arch},
          {"abi", elf.abi},
          {"flags", elf.flags},
          {"os_abi", elf.os_abi_name},
          {"type", elf.type_name},
          {"entry", elf.entry},
          {"linkage", elf.linkage},
          {"interpreter", elf.interpreter},
          {"stripped", elf.stripped},
          {"program_headers", elf.program_headers},
          {"section_headers", elf.section_headers},
          {"sections", elf.section_names},
          {"packer", elf.packer},
          {"packer_evidence", elf.packer_evidence},
          {"anomalies", elf.anomalies}};
}

json strings_json(const StringsReport& strings) {
  json sample = json::array();
  for (std::size_t i = 0; i < strings.strings.size() && i < kVerdictStrings; ++i) {
    const ExtractedString& s = strings.strings[i];
    json item = {{"offset", s.offset}, {"text", s.text}};
    if (s.utf16) {
      item["utf16"] = true;
    }
    if (s.xor_key != 0) {
      item["xor_key"] = s.xor_key;
    }
    sample.push_back(std::move(item));
  }
  return {{"count", strings.strings.size()},
          {"xor_keys", strings.xor_keys},
          {"sample", std::move(sample)}};
}

json family_json(const FamilyVerdict& family) {
  json matches = json::array();
  for (const RuleMatch& m : family.matches) {
    matches.push_back({{"rule", m.rule},
                       {"family", m.family},
                       {"variant_of", m.variant_of},
                       {"confidence", m.confidence}});
  }
  return {{"name", family.family}, {"confidence", family.confidence}, {"matches", matches}};
}

json watchlist_json(const WatchlistVerdict& watchlist) {
  json hits = json::array();
  for (const WatchlistHit& hit : watchlist.hits) {
    hits.push_back({{"kind", hit.kind}, {"term", hit.term}, {"evidence", hit.evidence}});
  }
  return {{"targets_our_products", watchlist.targets_our_products}, {"hits", hits}};
}

}  // namespace

nlohmann::json StaticVerdict::to_json() const {
  json out;
  out["analyzer"] = {{"name", "static"}, {"version", kStaticAnalyzerVersion}};
  out["size"] = size;
  out["hashes"] = {{"md5", hashes.md5},
                   {"sha1", hashes.sha1},
                   {"sha256", hashes.sha256},
                   {"ssdeep", hashes.ssdeep},
                   {"tlsh", hashes.tlsh}};
  out["file_type"] = {{"description", file_type.description},
                      {"mime", file_type.mime},
                      {"category", file_category_name(file_type.category)}};
  if (elf.is_elf) {
    out["elf"] = elf_json(elf);
  }
  out["entropy"] = elf.entropy;
  out["strings"] = strings_json(strings);
  out["iocs"] = {{"urls", strings.iocs.urls},
                 {"endpoints", strings.iocs.endpoints},
                 {"domains", strings.iocs.domains},
                 {"commands", strings.iocs.commands},
                 {"credentials", strings.iocs.credentials}};
  out["family"] = family_json(family);
  out["target"] = {{"class", target.target}, {"score", target.score}, {"reasons", target.reasons}};
  if (watchlist) {
    out["watchlist"] = watchlist_json(*watchlist);
  }
  // Every byte string above is now valid UTF-8; the exact bytes of any that was not are kept,
  // base64, under "raw_bytes" (keyed by JSON pointer), so the document dumps without throwing.
  make_valid_utf8(out, kRawBytesPointer);
  return out;
}

}  // namespace mitsu::analysis

#include "intel/rollups/sample_facts.h"

#include <nlohmann/json.hpp>
#include <set>

#include "intel/session_fold.h"

namespace mitsu::intel {

SampleFacts sample_facts(std::int64_t first_seen_us, std::string_view verdict_json) {
  SampleFacts facts;
  facts.day = utc_day(first_seen_us);
  if (verdict_json.empty()) {
    return facts;
  }
  nlohmann::json v = nlohmann::json::parse(verdict_json, nullptr, false);
  if (v.is_discarded()) {
    return facts;
  }
  auto at = [&](const char* pointer) -> const nlohmann::json& {
    static const nlohmann::json kNone;
    nlohmann::json::json_pointer p(pointer);
    return v.contains(p) ? v.at(p) : kNone;
  };
  auto text_at = [&](const char* pointer) {
    const nlohmann::json& x = at(pointer);
    return x.is_string() ? x.get<std::string>() : std::string();
  };
  facts.family = text_at("/family/name");
  facts.arch = text_at("/elf/arch");
  facts.target = text_at("/target/class");
  const nlohmann::json& known = at("/known/known");
  facts.known = known.is_boolean() ? (known.get<bool>() ? 1 : 0) : -1;
  const nlohmann::json& targeted = at("/watchlist/targets_our_products");
  facts.targeted = targeted.is_boolean() && targeted.get<bool>() ? 1 : 0;
  std::set<std::pair<std::string, std::string>> domains;
  // Static IOCs and (once it runs) the sandbox: domains, and C2 endpoints as address:port.
  const std::pair<const char*, const char*> sources[] = {
      {"static", "/iocs/domains"},
      {"static-endpoint", "/iocs/endpoints"},
      {"sandbox", "/sandbox/domains"},
      {"sandbox-endpoint", "/sandbox/endpoints"}};
  for (const auto& [source, pointer] : sources) {
    const nlohmann::json& list = at(pointer);
    if (!list.is_array()) {
      continue;
    }
    for (const nlohmann::json& d : list) {
      if (d.is_string()) {
        domains.emplace(source, d.get<std::string>());
      } else if (d.is_object() && d.contains("name") && d["name"].is_string()) {
        domains.emplace(source, d["name"].get<std::string>());
      }
    }
  }
  facts.domains.assign(domains.begin(), domains.end());
  return facts;
}

}  // namespace mitsu::intel

// QEMU -strace output as a sample can shape it (it writes to the same stderr): every line
// parsed, then the behaviour rules over the calls.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/sandbox/behaviour.h"
#include "analysis/sandbox/strace_parser.h"
#include "core/safe_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mitsu::analysis::sandbox::RunFacts facts;
  facts.sample_path = "/tmp/sample";
  facts.exit_reason = "finished";
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    for (auto& call : mitsu::analysis::sandbox::parse_strace_calls(text.substr(0, nl))) {
      facts.syscalls.push_back(std::move(call));
    }
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  // The items go into the report as JSON: quoted strings from the trace are the sample's bytes.
  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : mitsu::analysis::sandbox::derive_behaviour(facts)) {
    items.push_back({{"tag", item.tag}, {"summary", item.summary}, {"evidence", item.evidence}});
  }
  std::string json = mitsu::dump_json(nlohmann::json{{"behaviours", items}});
  if (!mitsu::is_valid_utf8(json) || nlohmann::json::parse(json, nullptr, false).is_discarded()) {
    __builtin_trap();
  }
  return 0;
}

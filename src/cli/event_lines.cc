#include "cli/event_lines.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/event_kinds.h"
#include "core/safe_text.h"

namespace mitsu::cli {
namespace {

// One line of what matters most for each kind, read from the event body.
std::string summary_of(const Event& event) {
  nlohmann::json body = nlohmann::json::parse(event.body, nullptr, false);
  auto text = [&](const char* pointer) -> std::string {
    auto p = nlohmann::json::json_pointer(pointer);
    if (body.is_discarded() || !body.contains(p)) {
      return "";
    }
    const auto& value = body.at(p);
    return value.is_string() ? value.get<std::string>() : value.dump();
  };
  if (event.action == "login.attempt") {
    return fmt::format("user={:?} password={:?} {}", text("/user/name"),
                       text("/mitsu/login/password"), text("/event/outcome"));
  }
  if (event.action == "command") {
    return text("/process/command_line");
  }
  if (event.action == "exploit") {
    return fmt::format("{} {}", text("/rule/id"), text("/vulnerability/id"));
  }
  if (event.action == "file.download") {
    std::string outcome = text("/event/outcome");
    return fmt::format("{} {} {}", text("/url/full"), outcome,
                       outcome == "failure" ? fmt::format("{:?}", text("/error/message"))
                                            : text("/file/hash/sha256"));
  }
  if (event.action == "file.upload") {
    return fmt::format("{} {}", text("/file/name"), text("/file/hash/sha256"));
  }
  // Any other kind: the fields its protocol named for listings. Text with spaces is quoted,
  // numbers are named (replies=2).
  const EventKind* kind = find_event_kind(event.action);
  std::string out;
  for (std::string_view pointer : kind != nullptr ? kind->summary : decltype(kind->summary){}) {
    std::string value = text(std::string(pointer).c_str());
    if (value.empty() || value == "\"\"") {
      continue;
    }
    auto p = nlohmann::json::json_pointer(std::string(pointer));
    if (body.at(p).is_number()) {
      value = fmt::format("{}={}", p.back(), value);
    } else if (value.find(' ') != std::string::npos) {
      value = fmt::format("{:?}", value);
    }
    out += (out.empty() ? "" : " ") + value;
  }
  return out;
}

}  // namespace

std::string event_line(const Event& event) {
  std::string where =
      event.src_ip.empty()
          ? event.sensor
          : fmt::format("{}:{} -> {}/{}",
                        event.src_ip.find(':') == std::string::npos ? event.src_ip
                                                                    : "[" + event.src_ip + "]",
                        event.src_port, event.protocol, event.dst_port);
  // Attackers choose what their commands and passwords contain: escaped for the terminal.
  return fmt::format("{}  {:<13}  {:<40}  {:<9}  {}", format_timestamp_us(event.ts_us),
                     terminal_safe(event.action), terminal_safe(where),
                     terminal_safe(event.device_type), terminal_safe(summary_of(event)));
}

std::string terminal_json(const std::string& body) {
  bool ascii = std::all_of(body.begin(), body.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    return body;
  }
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  return parsed.is_discarded() ? terminal_safe(body)
                               : dump_json(parsed, -1, "/mitsu/raw_bytes", /*ascii=*/true);
}

}  // namespace mitsu::cli

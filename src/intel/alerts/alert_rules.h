#pragma once
// Alert rules are data (rules/alerts.toml): which event raises an alert, how severe, what makes
// two raises the same alert (the key), whether only the first ever counts, and how many fresh
// alerts a rule may raise per hour. Titles and keys name event fields in braces: {rule_id},
// {sensor}, {site}, {sha256}, {src_ip}, {session_id}, {protocol}, {action}, {file_path}, and for
// facts (a verdict, a peak, a silent sensor) {family}, {arch}, {series}, {day}, {last_event}.

#include <filesystem>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"

namespace mitsu::intel {

struct AlertRule {
  std::string id;
  std::string on;       // event.action
  std::string outcome;  // when set, the event's outcome must match ("success")
  std::string severity = "medium";
  std::string title;
  std::string key;
  bool once = false;
  int per_hour = 60;  // fresh alerts; past it raises are counted into open alerts only
};

Result<std::vector<AlertRule>> load_alert_rules(const std::filesystem::path& file);
Result<std::vector<AlertRule>> parse_alert_rules(std::string_view text, std::string_view name);

// `pattern` with each {field} replaced by the event's value (control characters dropped, each
// value at most 200 bytes). Unknown fields were refused when the rules loaded.
std::string expand(std::string_view pattern, const Event& event);

}  // namespace mitsu::intel

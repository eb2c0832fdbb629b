#include "intel/alerts/alert_rules.h"

#include <array>
#include <nlohmann/json.hpp>

#include "core/toml_reader.h"

namespace mitsu::intel {
namespace {

constexpr std::array<std::string_view, 14> kFields{
    "rule_id", "sensor", "site", "sha256", "src_ip", "session_id", "protocol", "action",
    "file_path",
    // Facts' fields (AlertEngine::observe_fact): read from the fact's body.
    "family", "arch", "series", "day", "last_event"};
constexpr std::array<std::string_view, 4> kSeverities{"low", "medium", "high", "critical"};

std::string field(const Event& e, std::string_view name) {
  if (name == "rule_id")
    return e.rule_id;
  if (name == "sensor")
    return e.sensor;
  if (name == "site")
    return e.site;
  if (name == "sha256")
    return e.sha256;
  if (name == "src_ip")
    return e.src_ip;
  if (name == "session_id")
    return e.session_id;
  if (name == "protocol")
    return e.protocol;
  if (name == "action")
    return e.action;
  if (name == "file_path") {  // device file events only: not a column, so read from the body
    auto body = nlohmann::json::parse(e.body, nullptr, false);
    static const nlohmann::json::json_pointer kPath("/file/path");
    if (body.is_object() && body.contains(kPath) && body[kPath].is_string()) {
      return body[kPath].get<std::string>();
    }
    return {};
  }
  auto body = nlohmann::json::parse(e.body, nullptr, false);
  if (body.is_object() && body.contains(name) && body[std::string(name)].is_string()) {
    return body[std::string(name)].get<std::string>();
  }
  return {};
}

// Every {name} in `pattern` is a known field.
bool fields_known(std::string_view pattern, std::string& unknown) {
  for (std::size_t open = pattern.find('{'); open != std::string_view::npos;
       open = pattern.find('{', open + 1)) {
    std::size_t close = pattern.find('}', open);
    if (close == std::string_view::npos) {
      unknown = pattern.substr(open);
      return false;
    }
    std::string_view name = pattern.substr(open + 1, close - open - 1);
    if (std::find(kFields.begin(), kFields.end(), name) == kFields.end()) {
      unknown = name;
      return false;
    }
  }
  return true;
}

Status read_rule(const TomlReader& r, const toml::node& node, AlertRule& rule) {
  auto table = r.table(node, "alert");
  if (!table) {
    return table.failure();
  }
  auto text = [&r](std::string& out) -> TomlReader::Handler {
    return
        [&r, &out](const toml::node& n, const std::string& key) { return r.string(n, key, out); };
  };
  std::int64_t per_hour = rule.per_hour;
  if (Status s = r.keys(**table, "alert",
                        {{"id", text(rule.id)},
                         {"on", text(rule.on)},
                         {"outcome", text(rule.outcome)},
                         {"severity", text(rule.severity)},
                         {"title", text(rule.title)},
                         {"key", text(rule.key)},
                         {"once", [&](const toml::node& n,
                                      const std::string& k) { return r.boolean(n, k, rule.once); }},
                         {"per_hour",
                          [&](const toml::node& n, const std::string& k) {
                            return r.integer(n, k, 1, 100000, per_hour);
                          }}});
      !s) {
    return s;
  }
  rule.per_hour = static_cast<int>(per_hour);
  if (rule.id.empty() || rule.on.empty() || rule.title.empty() || rule.key.empty()) {
    return r.at(node, "alert", "each alert needs id, on, title and key");
  }
  if (std::find(kSeverities.begin(), kSeverities.end(), rule.severity) == kSeverities.end()) {
    return r.at(node, "alert.severity", "must be low, medium, high or critical");
  }
  std::string unknown;
  for (const std::string* pattern : {&rule.title, &rule.key}) {
    if (!fields_known(*pattern, unknown)) {
      return r.at(node, "alert", fmt::format("unknown field {{{}}} in \"{}\"", unknown, *pattern));
    }
  }
  return Status::success();
}

Result<std::vector<AlertRule>> read_rules(const TomlReader& r, const toml::table& root) {
  std::vector<AlertRule> out;
  for (const auto& [key, node] : root) {
    const toml::array* entries = node.as_array();
    if (key.str() != "alert" || entries == nullptr) {
      return r.at(node, key.str(), "expected only [[alert]] entries");
    }
    for (const toml::node& item : *entries) {
      AlertRule rule;
      if (Status s = read_rule(r, item, rule); !s) {
        return s.failure();
      }
      for (const AlertRule& earlier : out) {
        if (earlier.id == rule.id) {
          return r.at(item, "alert.id", fmt::format("\"{}\" is used twice", rule.id));
        }
      }
      out.push_back(std::move(rule));
    }
  }
  return out;
}

}  // namespace

Result<std::vector<AlertRule>> load_alert_rules(const std::filesystem::path& file) {
  TomlReader r(file.string());
  auto root = r.parse_file();
  if (!root) {
    return root.failure();
  }
  return read_rules(r, *root);
}

Result<std::vector<AlertRule>> parse_alert_rules(std::string_view text, std::string_view name) {
  TomlReader r{std::string(name)};
  auto root = r.parse(text);
  if (!root) {
    return root.failure();
  }
  return read_rules(r, *root);
}

std::string expand(std::string_view pattern, const Event& event) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    std::size_t open = pattern.find('{', i);
    std::size_t close = open == std::string_view::npos ? open : pattern.find('}', open);
    if (close == std::string_view::npos) {
      out.append(pattern.substr(i));
      break;
    }
    out.append(pattern.substr(i, open - i));
    std::string value = field(event, pattern.substr(open + 1, close - open - 1));
    if (value.size() > 200) {
      value.resize(200);
    }
    for (char c : value) {
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
        out.push_back(c);
      }
    }
    i = close + 1;
  }
  return out;
}

}  // namespace mitsu::intel

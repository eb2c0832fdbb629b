#include "intel/cve_catalog.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <chrono>

namespace mitsu::intel {

Result<std::vector<CveEntry>> load_cve_catalog(const std::filesystem::path& file) {
  std::string name = file.string();
  try {
    toml::table root = toml::parse_file(name);
    std::vector<CveEntry> out;
    const toml::array* entries = root["cve"].as_array();
    if (entries == nullptr) {
      return Error{fmt::format("{}: expected [[cve]] entries", name)};
    }
    for (const toml::node& node : *entries) {
      const toml::table* t = node.as_table();
      auto where = [&](std::string_view key) {
        return fmt::format("{}:{}: [[cve]] {}", name, node.source().begin.line, key);
      };
      if (t == nullptr) {
        return Error{where("entry must be a table")};
      }
      CveEntry e;
      auto id = (*t)["id"].value<std::string>();
      auto date = (*t)["published"].value<toml::date>();
      auto protocol = (*t)["protocol"].value<std::string>();
      if (!id || !date || !protocol) {
        return Error{where("needs id (string), published (date) and protocol (string)")};
      }
      e.id = *id;
      std::chrono::year_month_day ymd{std::chrono::year{date->year},
                                      std::chrono::month{date->month}, std::chrono::day{date->day}};
      e.published_day = std::chrono::sys_days{ymd}.time_since_epoch().count();
      e.protocol = *protocol;
      e.product = (*t)["product"].value_or(std::string());
      e.rule = (*t)["rule"].value_or(std::string());
      if (const toml::array* ports = (*t)["ports"].as_array()) {
        for (const toml::node& p : *ports) {
          auto port = p.value<std::int64_t>();
          if (!port || *port < 0 || *port > 65535) {
            return Error{where("ports must be numbers 0-65535")};
          }
          e.ports.push_back(static_cast<int>(*port));
        }
      }
      out.push_back(std::move(e));
    }
    return out;
  } catch (const toml::parse_error& e) {
    return Error{fmt::format("{}:{}:{}: {}", name, e.source().begin.line, e.source().begin.column,
                             e.description())};
  }
}

}  // namespace mitsu::intel

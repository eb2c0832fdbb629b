#include "intel/cve_catalog.h"

#include <fmt/format.h>

#include <chrono>

#include "core/toml_reader.h"

namespace mitsu::intel {
namespace {

Status read_entry(const TomlReader& r, const toml::node& node, CveEntry& e) {
  auto table = r.table(node, "cve");
  if (!table) {
    return table.failure();
  }
  auto text = [&r](std::string& out) -> TomlReader::Handler {
    return
        [&r, &out](const toml::node& n, const std::string& key) { return r.string(n, key, out); };
  };
  bool published = false;
  TomlReader::Handler date = [&](const toml::node& n, const std::string& key) -> Status {
    auto d = n.value<toml::date>();
    if (!n.is_date() || !d) {
      return r.at(n, key, "expected a date such as 2017-01-31");
    }
    std::chrono::year_month_day ymd{std::chrono::year{d->year}, std::chrono::month{d->month},
                                    std::chrono::day{d->day}};
    e.published_day = std::chrono::sys_days{ymd}.time_since_epoch().count();
    published = true;
    return {};
  };
  TomlReader::Handler ports = [&](const toml::node& n, const std::string& key) -> Status {
    const toml::array* list = n.as_array();
    if (list == nullptr) {
      return r.at(n, key, "expected an array of port numbers");
    }
    for (const toml::node& p : *list) {
      std::int64_t port = 0;
      if (Status s = r.integer(p, key, 0, 65535, port); !s) {
        return s;
      }
      e.ports.push_back(static_cast<int>(port));
    }
    return {};
  };
  Status s = r.keys(**table, "cve",
                    {{"id", text(e.id)},
                     {"published", date},
                     {"protocol", text(e.protocol)},
                     {"product", text(e.product)},
                     {"rule", text(e.rule)},
                     {"ports", ports}});
  if (s && (e.id.empty() || !published || e.protocol.empty())) {
    return r.at(node, "cve", "needs id (string), published (date) and protocol (string)");
  }
  return s;
}

}  // namespace

Result<std::vector<CveEntry>> load_cve_catalog(const std::filesystem::path& file) {
  TomlReader r(file.string());
  auto root = r.parse_file();
  if (!root) {
    return root.failure();
  }
  std::vector<CveEntry> out;
  for (const auto& [key, node] : *root) {
    const toml::array* entries = node.as_array();
    if (key.str() != "cve" || entries == nullptr) {
      return r.at(node, key.str(), "expected only [[cve]] entries");
    }
    for (const toml::node& item : *entries) {
      CveEntry e;
      if (Status s = read_entry(r, item, e); !s) {
        return s.failure();
      }
      out.push_back(std::move(e));
    }
  }
  if (out.empty()) {
    return Error::invalid(fmt::format("{}: expected [[cve]] entries", file.string()));
  }
  return out;
}

}  // namespace mitsu::intel

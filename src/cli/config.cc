#include "cli/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "sensor/registry/protocol_registry.h"
#include "store/store_factory.h"

namespace mitsu::cli {
namespace {

namespace fs = std::filesystem;

struct ConfigError {
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const toml::node& node, std::string_view key, std::string_view message) {
    const toml::source_region& where = node.source();
    throw ConfigError{fmt::format("{}:{}:{}: {}: {}", source_, where.begin.line, where.begin.column,
                                  key, message)};
  }

  std::string string(const toml::node& node, std::string_view key) {
    if (auto value = node.value<std::string>(); value && node.is_string()) {
      return *value;
    }
    fail(node, key, "expected a string");
  }

  std::int64_t integer(const toml::node& node, std::string_view key, std::int64_t min,
                       std::int64_t max) {
    auto value = node.value<std::int64_t>();
    if (!node.is_integer() || !value) {
      fail(node, key, "expected an integer");
    }
    if (*value < min || *value > max) {
      fail(node, key, fmt::format("must be between {} and {}", min, max));
    }
    return *value;
  }

  bool boolean(const toml::node& node, std::string_view key) {
    if (!node.is_boolean()) {
      fail(node, key, "expected true or false");
    }
    return *node.value<bool>();
  }

  std::vector<std::string> strings(const toml::node& node, std::string_view key) {
    const toml::array* list = node.as_array();
    if (list == nullptr) {
      fail(node, key, "expected an array of strings");
    }
    std::vector<std::string> out;
    for (const toml::node& item : *list) {
      out.push_back(string(item, key));
    }
    return out;
  }

  std::uint64_t size(const toml::node& node, std::string_view key) {
    if (node.is_integer()) {
      return static_cast<std::uint64_t>(integer(node, key, 1, INT64_MAX));
    }
    if (node.is_string()) {
      if (auto bytes = parse_size(*node.value<std::string>()); bytes && *bytes > 0) {
        return *bytes;
      }
    }
    fail(node, key, "expected a size such as 65536, \"64KiB\" or \"64MiB\"");
  }

  using Handler = std::function<void(const toml::node&, const std::string&)>;

  // Calls the handler of each key; an unknown key is an error that lists the known ones.
  void table(const toml::table& table, std::string_view prefix,
             const std::map<std::string, Handler>& handlers) {
    for (const auto& [key, node] : table) {
      std::string name =
          prefix.empty() ? std::string(key.str()) : fmt::format("{}.{}", prefix, key.str());
      auto handler = handlers.find(std::string(key.str()));
      if (handler == handlers.end()) {
        std::string known;
        for (const auto& [k, h] : handlers) {
          known += known.empty() ? k : ", " + k;
        }
        fail(node, name, fmt::format("unknown key (known here: {})", known));
      }
      handler->second(node, name);
    }
  }

  const toml::table& as_table(const toml::node& node, std::string_view key) {
    if (!node.is_table()) {
      fail(node, key, "expected a table");
    }
    return *node.as_table();
  }

 private:
  std::string source_;
};

using H = Reader::Handler;

// A table whose keys each have a handler.
H sub(Reader& r, std::map<std::string, H> handlers) {
  return [&r, handlers = std::move(handlers)](const toml::node& node, const std::string& key) {
    r.table(r.as_table(node, key), key, handlers);
  };
}

H identifier(Reader& r, std::string& out) {
  return [&r, &out](const toml::node& node, const std::string& key) {
    std::string value = r.string(node, key);
    bool ok =
        !value.empty() && value.size() <= 64 && std::isalnum(static_cast<unsigned char>(value[0]));
    for (char ch : value) {
      ok = ok &&
           (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-');
    }
    if (!ok) {
      r.fail(node, key, "must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    }
    out = value;
  };
}

H path(Reader& r, fs::path& out) {
  return [&r, &out](const toml::node& node, const std::string& key) { out = r.string(node, key); };
}

H sensor_section(Reader& r, Config& c) {
  return sub(
      r,
      {{"id", identifier(r, c.sensor.sensor_id)},
       {"site", identifier(r, c.sensor.site)},
       {"enabled", [&](const toml::node& node,
                       const std::string& key) { c.sensors.enabled = r.boolean(node, key); }},
       {"listen", [&](const toml::node& node,
                      const std::string& key) { c.sensors.listen = r.string(node, key); }},
       {"personas_dir", path(r, c.sensors.personas_dir)},
       {"threads",
        [&](const toml::node& node, const std::string& key) {
          c.sensors.threads = static_cast<unsigned>(r.integer(node, key, 0, 256));
        }},
       {"user", [&](const toml::node& node,
                    const std::string& key) { c.sensors.user = r.string(node, key); }},
       {"max_sessions",
        [&](const toml::node& node, const std::string& key) {
          c.sensors.limits.max_sessions =
              static_cast<std::size_t>(r.integer(node, key, 1, 10'000'000));
        }},
       {"max_sessions_per_source",
        [&](const toml::node& node, const std::string& key) {
          c.sensors.limits.max_sessions_per_source =
              static_cast<std::size_t>(r.integer(node, key, 1, 10'000'000));
        }},
       {"idle_timeout_s",
        [&](const toml::node& node, const std::string& key) {
          c.sensors.limits.idle_timeout = std::chrono::seconds(r.integer(node, key, 1, 86400));
        }},
       {"request_timeout_s",
        [&](const toml::node& node, const std::string& key) {
          c.sensors.limits.request_timeout = std::chrono::seconds(r.integer(node, key, 1, 3600));
        }},
       {"session_timeout_s",
        [&](const toml::node& node, const std::string& key) {
          c.sensors.limits.session_timeout =
              std::chrono::seconds(r.integer(node, key, 1, 7 * 86400));
        }},
       {"max_input_bytes",
        [&](const toml::node& node, const std::string& key) {
          c.sensors.limits.max_input_bytes = r.size(node, key);
        }},
       {"listeners", [&](const toml::node& node, const std::string& key) {
          const toml::array* list = node.as_array();
          if (list == nullptr) {
            r.fail(node, key, "expected an array of tables ([[sensor.listeners]])");
          }
          for (const toml::node& item : *list) {
            SensorSettings::Listener l;
            r.table(
                r.as_table(item, key), key,
                {{"persona",
                  [&](const toml::node& n, const std::string& k) { l.persona = r.string(n, k); }},
                 {"protocol",
                  [&](const toml::node& n, const std::string& k) {
                    l.protocol = r.string(n, k);
                    auto& protocols = sensor::ProtocolRegistry::instance();
                    if (protocols.find(l.protocol) == nullptr) {
                      r.fail(n, k,
                             fmt::format("must be a registered protocol ({})", protocols.names()));
                    }
                  }},
                 {"address",
                  [&](const toml::node& n, const std::string& k) { l.address = r.string(n, k); }},
                 {"port",
                  [&](const toml::node& n, const std::string& k) {
                    l.port = static_cast<int>(r.integer(n, k, 0, 65535));
                  }},
                 {"proxy_protocol",
                  [&](const toml::node& n, const std::string& k) {
                    l.proxy_protocol = r.boolean(n, k);
                  }},
                 {"multicast", [&](const toml::node& n,
                                   const std::string& k) { l.multicast = r.boolean(n, k); }},
                 {"backend",
                  [&](const toml::node& n, const std::string& k) { l.backend = r.string(n, k); }},
                 {"device_share", [&](const toml::node& n,
                                      const std::string& k) { l.device_share = r.string(n, k); }},
                 {"watch_dir",
                  [&](const toml::node& n, const std::string& k) { l.watch_dir = r.string(n, k); }},
                 {"proxy_from", [&](const toml::node& n, const std::string& k) {
                    l.proxy_from = r.strings(n, k);
                  }}});
            if (l.persona.empty()) {
              r.fail(item, key, "each listener needs a persona");
            }
            c.sensors.listeners.push_back(std::move(l));
          }
        }}});
}

H download_section(Reader& r, Config& c) {
  return sub(
      r, {{"enabled", [&](const toml::node& node,
                          const std::string& key) { c.sensors.download = r.boolean(node, key); }},
          {"allow",
           [&](const toml::node& node, const std::string& key) {
             c.sensors.download_options.allow = r.strings(node, key);
           }},
          {"max_bytes",
           [&](const toml::node& node, const std::string& key) {
             c.sensors.download_options.max_bytes = r.size(node, key);
           }},
          {"timeout_s",
           [&](const toml::node& node, const std::string& key) {
             c.sensors.download_options.timeout =
                 std::chrono::seconds(r.integer(node, key, 1, 3600));
           }},
          {"max_concurrent", [&](const toml::node& node, const std::string& key) {
             c.sensors.download_options.max_concurrent =
                 static_cast<std::size_t>(r.integer(node, key, 1, 1024));
           }}});
}

H spool_section(Reader& r, Config& c) {
  return sub(r, {{"dir", path(r, c.spool.dir)},
                 {"fsync",
                  [&](const toml::node& node, const std::string& key) {
                    auto policy = spool::parse_fsync_policy(r.string(node, key));
                    if (!policy) {
                      r.fail(node, key, "must be \"always\", \"interval\" or \"never\"");
                    }
                    c.spool.fsync = *policy;
                  }},
                 {"fsync_interval_ms",
                  [&](const toml::node& node, const std::string& key) {
                    c.spool.fsync_interval =
                        std::chrono::milliseconds(r.integer(node, key, 1, 60'000));
                  }},
                 {"segment_bytes", [&](const toml::node& node, const std::string& key) {
                    c.spool.segment_bytes = r.size(node, key);
                    if (c.spool.segment_bytes < 4096) {
                      r.fail(node, key, "must be at least 4KiB");
                    }
                  }}});
}

H store_section(Reader& r, Config& c) {
  return sub(
      r, {{"engine",
           [&](const toml::node& node, const std::string& key) {
             c.store_engine = r.string(node, key);
             auto known = store::known_store_engines();
             if (std::find(known.begin(), known.end(), c.store_engine) == known.end()) {
               r.fail(node, key,
                      fmt::format("unknown engine; this build has: {}", fmt::join(known, ", ")));
             }
           }},
          {"path", path(r, c.store_path)},
          {"synchronous", [&](const toml::node& node, const std::string& key) {
             c.sqlite.synchronous = r.string(node, key);
             if (c.sqlite.synchronous != "full" && c.sqlite.synchronous != "normal") {
               r.fail(node, key, "must be \"full\" or \"normal\"");
             }
           }}});
}

H artifacts_section(Reader& r, Config& c) {
  return sub(r, {{"dir", path(r, c.artifacts.dir)},
                 {"max_bytes", [&](const toml::node& node, const std::string& key) {
                    c.artifacts.max_bytes = r.size(node, key);
                  }}});
}

H analysis_section(Reader& r, Config& c) {
  return sub(r, {{"rules_dirs",
                  [&](const toml::node& node, const std::string& key) {
                    const toml::array* dirs = node.as_array();
                    if (dirs == nullptr) {
                      r.fail(node, key, "expected an array of directory names");
                    }
                    for (const toml::node& dir : *dirs) {
                      c.rules_dirs.emplace_back(r.string(dir, key));
                    }
                  }},
                 {"watchlist", path(r, c.watchlist)},
                 {"lease_seconds",
                  [&](const toml::node& node, const std::string& key) {
                    c.analysis.lease = std::chrono::seconds(r.integer(node, key, 1, 86400));
                  }},
                 {"max_attempts",
                  [&](const toml::node& node, const std::string& key) {
                    c.analysis.max_attempts = static_cast<int>(r.integer(node, key, 1, 100));
                  }},
                 {"job_timeout_s",
                  [&](const toml::node& node, const std::string& key) {
                    c.workers.job_timeout = std::chrono::seconds(r.integer(node, key, 1, 86400));
                  }},
                 {"restart_backoff_ms", [&](const toml::node& node, const std::string& key) {
                    c.workers.restart_backoff =
                        std::chrono::milliseconds(r.integer(node, key, 1, 600000));
                  }}});
}

H sandbox_section(Reader& r, Config& c) {
  return sub(r, {{"enabled",
                  [&](const toml::node& node, const std::string& key) {
                    auto v = node.value<bool>();
                    if (!v) {
                      r.fail(node, key, "expected true or false");
                    }
                    c.sandbox.enabled = v.value_or(true);
                  }},
                 {"parallel",
                  [&](const toml::node& node, const std::string& key) {
                    c.sandbox.parallel = static_cast<unsigned>(r.integer(node, key, 1, 64));
                  }},
                 {"time_limit_seconds", [&](const toml::node& node, const std::string& key) {
                    c.sandbox.time_limit_seconds =
                        static_cast<double>(r.integer(node, key, 1, 3600));
                  }}});
}

H intel_section(Reader& r, Config& c) {
  return sub(r, {{"geo", [&](const toml::node& node, const std::string& key) {
                    const toml::array* files = node.as_array();
                    if (files == nullptr) {
                      r.fail(node, key, "expected an array of .mmdb or .csv file names");
                    }
                    c.intel.geo_files.clear();
                    c.intel.geo_configured = true;
                    for (const toml::node& file : *files) {
                      c.intel.geo_files.emplace_back(r.string(file, key));
                    }
                  }}});
}

H collector_section(Reader& r, Config& c) {
  return sub(r, {{"batch_records", [&](const toml::node& node, const std::string& key) {
                    c.collector.batch_records =
                        static_cast<std::size_t>(r.integer(node, key, 1, 1'000'000));
                  }}});
}

void read_config(Reader& r, const toml::table& root, Config& c) {
  r.table(root, "",
          {
              {"data_dir", path(r, c.data_dir)},
              {"log_level",
               [&](const toml::node& node, const std::string& key) {
                 c.log_level = r.string(node, key);
                 static const std::set<std::string> kLevels{"trace", "debug", "info",
                                                            "warn",  "error", "off"};
                 if (!kLevels.contains(c.log_level)) {
                   r.fail(node, key, "must be trace, debug, info, warn, error or off");
                 }
               }},
              {"sensor", sensor_section(r, c)},
              {"download", download_section(r, c)},
              {"spool", spool_section(r, c)},
              {"store", store_section(r, c)},
              {"artifacts", artifacts_section(r, c)},
              {"analysis", analysis_section(r, c)},
              {"sandbox", sandbox_section(r, c)},
              {"intel", intel_section(r, c)},
              {"collector", collector_section(r, c)},
          });
}

}  // namespace

void Config::resolve_paths() {
  if (spool.dir.empty()) {
    spool.dir = data_dir / "spool";
  }
  if (store_path.empty()) {
    store_path = data_dir / "mitsu.db";
  }
  if (artifacts.dir.empty()) {
    artifacts.dir = data_dir / "artifacts";
  }
  if (sensors.personas_dir.empty()) {
    sensors.personas_dir = MITSU_DEFAULT_PERSONAS_DIR;
  }
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  std::uint64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (value > (UINT64_MAX - 9) / 10) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint64_t>(text[digits] - '0');
    ++digits;
  }
  if (digits == 0) {
    return std::nullopt;
  }
  std::string_view unit = text.substr(digits);
  static const std::map<std::string_view, std::uint64_t> kUnits{
      {"", 1},      {"B", 1},         {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30},
      {"KB", 1000}, {"MB", 1000'000}, {"GB", 1000'000'000}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end() || value > UINT64_MAX / it->second) {
    return std::nullopt;
  }
  return value * it->second;
}

Result<Config> parse_config(std::string_view text, std::string_view source_name) {
  sensor::register_builtin_protocols();  // listeners name protocols the registry knows
  Config config;
  try {
    toml::table root = toml::parse(text, source_name);
    Reader reader(source_name);
    read_config(reader, root, config);
  } catch (const toml::parse_error& e) {
    return Error::invalid(fmt::format("{}:{}:{}: {}", source_name, e.source().begin.line,
                                      e.source().begin.column, e.description()));
  } catch (const ConfigError& e) {
    return Error::invalid(e.message);
  }
  return config;
}

Result<Config> load_config(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    return Error::not_found(fmt::format("{}: cannot read configuration file", file.string()));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

}  // namespace mitsu::cli

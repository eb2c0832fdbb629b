#include "app/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <type_traits>

#include "core/toml_reader.h"
#include "sensor/registry/protocol_registry.h"
#include "store/store_factory.h"

namespace mitsu::app {
namespace {

namespace fs = std::filesystem;
using Reader = TomlReader;
using H = Reader::Handler;

// Handlers that read one key into one field. Each captures the reader and the field by reference:
// both outlive the read.

H sub(const Reader& r, Reader::Handlers handlers) {
  return [&r, handlers = std::move(handlers)](const toml::node& node, const std::string& key) {
    auto table = r.table(node, key);
    return table ? r.keys(**table, key, handlers) : Status(table.failure());
  };
}

H text(const Reader& r, std::string& out) {
  return [&r, &out](const toml::node& node, const std::string& key) {
    return r.string(node, key, out);
  };
}

H path(const Reader& r, fs::path& out) {
  return [&r, &out](const toml::node& node, const std::string& key) -> Status {
    auto value = r.string(node, key);
    if (!value) {
      return value.failure();
    }
    out = *value;
    return {};
  };
}

H paths(const Reader& r, std::vector<fs::path>& out, std::string_view what) {
  return [&r, &out, what](const toml::node& node, const std::string& key) -> Status {
    std::vector<std::string> names;
    if (Status s = r.strings(node, key, names, what); !s) {
      return s;
    }
    out.assign(names.begin(), names.end());
    return {};
  };
}

H flag(const Reader& r, bool& out) {
  return [&r, &out](const toml::node& node, const std::string& key) {
    return r.boolean(node, key, out);
  };
}

H size(const Reader& r, std::uint64_t& out) {
  return
      [&r, &out](const toml::node& node, const std::string& key) { return r.size(node, key, out); };
}

// An integer in [min, max], handed to `assign`.
template <typename Assign>
H whole(const Reader& r, std::int64_t min, std::int64_t max, Assign assign) {
  return [&r, min, max, assign](const toml::node& node, const std::string& key) -> Status {
    std::int64_t value = 0;
    if (Status s = r.integer(node, key, min, max, value); !s) {
      return s;
    }
    assign(value);
    return {};
  };
}

// An integer in [min, max], stored as T (a count).
template <typename T>
H number(const Reader& r, T& out, std::int64_t min, std::int64_t max) {
  static_assert(std::is_arithmetic_v<T>, "a duration names its unit: use duration<Unit>");
  return whole(r, min, max, [&out](std::int64_t value) { out = T(value); });
}

// An integer in [min, max] counted in Unit (std::chrono::seconds for a `_s` key), stored in
// whatever duration type the field has.
template <typename Unit, typename D>
H duration(const Reader& r, D& out, std::int64_t min, std::int64_t max) {
  return whole(r, min, max, [&out](std::int64_t value) { out = Unit(value); });
}

// A string that must be one of `allowed`; `message` says which.
H choice(const Reader& r, std::string& out, std::set<std::string> allowed,
         std::string_view message) {
  return [&r, &out, allowed = std::move(allowed), message](const toml::node& node,
                                                           const std::string& key) -> Status {
    if (Status s = r.string(node, key, out); !s) {
      return s;
    }
    return allowed.contains(out) ? Status{} : r.at(node, key, message);
  };
}

H identifier(const Reader& r, std::string& out) {
  return [&r, &out](const toml::node& node, const std::string& key) -> Status {
    auto value = r.string(node, key);
    if (!value) {
      return value.failure();
    }
    bool ok = !value->empty() && value->size() <= 64 &&
              std::isalnum(static_cast<unsigned char>((*value)[0]));
    for (char ch : *value) {
      ok = ok &&
           (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-');
    }
    if (!ok) {
      return r.at(node, key, "must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    }
    out = std::move(*value);
    return {};
  };
}

Status read_listener(const Reader& r, const toml::node& item, const std::string& key,
                     SensorSettings::Listener& l) {
  auto table = r.table(item, key);
  if (!table) {
    return table.failure();
  }
  H protocol = [&r, &l](const toml::node& node, const std::string& k) -> Status {
    if (Status s = r.string(node, k, l.protocol); !s) {
      return s;
    }
    auto& protocols = sensor::ProtocolRegistry::instance();
    if (protocols.find(l.protocol) == nullptr) {
      return r.at(node, k, fmt::format("must be a registered protocol ({})", protocols.names()));
    }
    return {};
  };
  Status s = r.keys(**table, key,
                    {{"persona", text(r, l.persona)},
                     {"protocol", protocol},
                     {"address", text(r, l.address)},
                     {"port", number(r, l.port, 0, 65535)},
                     {"proxy_protocol", flag(r, l.proxy_protocol)},
                     {"multicast", flag(r, l.multicast)},
                     {"backend", text(r, l.backend)},
                     {"device_share", text(r, l.device_share)},
                     {"watch_dir", text(r, l.watch_dir)},
                     {"proxy_from", [&r, &l](const toml::node& node, const std::string& k) {
                        return r.strings(node, k, l.proxy_from);
                      }}});
  if (s && l.persona.empty()) {
    return r.at(item, key, "each listener needs a persona");
  }
  return s;
}

H listeners(const Reader& r, std::vector<SensorSettings::Listener>& out) {
  return [&r, &out](const toml::node& node, const std::string& key) -> Status {
    const toml::array* list = node.as_array();
    if (list == nullptr) {
      return r.at(node, key, "expected an array of tables ([[sensor.listeners]])");
    }
    for (const toml::node& item : *list) {
      SensorSettings::Listener l;
      if (Status s = read_listener(r, item, key, l); !s) {
        return s;
      }
      out.push_back(std::move(l));
    }
    return {};
  };
}

H sensor_section(const Reader& r, Config& c) {
  sensor::SensorLimits& limits = c.sensors.limits;
  return sub(
      r, {{"id", identifier(r, c.sensor.sensor_id)},
          {"site", identifier(r, c.sensor.site)},
          {"enabled", flag(r, c.sensors.enabled)},
          {"listen", text(r, c.sensors.listen)},
          {"personas_dir", path(r, c.sensors.personas_dir)},
          {"threads", number(r, c.sensors.threads, 0, 256)},
          {"user", text(r, c.sensors.user)},
          {"max_sessions", number(r, limits.max_sessions, 1, 10'000'000)},
          {"max_sessions_per_source", number(r, limits.max_sessions_per_source, 1, 10'000'000)},
          {"idle_timeout_s", duration<std::chrono::seconds>(r, limits.idle_timeout, 1, 86400)},
          {"request_timeout_s", duration<std::chrono::seconds>(r, limits.request_timeout, 1, 3600)},
          {"session_timeout_s",
           duration<std::chrono::seconds>(r, limits.session_timeout, 1, 7 * 86400)},
          {"max_input_bytes", size(r, limits.max_input_bytes)},
          {"listeners", listeners(r, c.sensors.listeners)}});
}

H download_section(const Reader& r, Config& c) {
  sensor::DownloadOptions& d = c.sensors.download_options;
  return sub(r,
             {{"enabled", flag(r, c.sensors.download)},
              {"allow", [&r, &d](const toml::node& node,
                                 const std::string& key) { return r.strings(node, key, d.allow); }},
              {"max_bytes", size(r, d.max_bytes)},
              {"timeout_s", duration<std::chrono::seconds>(r, d.timeout, 1, 3600)},
              {"max_concurrent", number(r, d.max_concurrent, 1, 1024)}});
}

H spool_section(const Reader& r, Config& c) {
  spool::SpoolOptions& o = c.spool;
  H fsync = [&r, &o](const toml::node& node, const std::string& key) -> Status {
    auto name = r.string(node, key);
    if (!name) {
      return name.failure();
    }
    auto policy = spool::parse_fsync_policy(*name);
    if (!policy) {
      return r.at(node, key, "must be \"always\", \"interval\" or \"never\"");
    }
    o.fsync = *policy;
    return {};
  };
  H segment = [&r, &o](const toml::node& node, const std::string& key) -> Status {
    if (Status s = r.size(node, key, o.segment_bytes); !s) {
      return s;
    }
    return o.segment_bytes < 4096 ? r.at(node, key, "must be at least 4KiB") : Status{};
  };
  return sub(r, {{"dir", path(r, o.dir)},
                 {"fsync", fsync},
                 {"fsync_interval_ms",
                  duration<std::chrono::milliseconds>(r, o.fsync_interval, 1, 60'000)},
                 {"segment_bytes", segment}});
}

H store_section(const Reader& r, Config& c) {
  H engine = [&r, &c](const toml::node& node, const std::string& key) -> Status {
    if (Status s = r.string(node, key, c.store_engine); !s) {
      return s;
    }
    auto known = store::known_store_engines();
    if (std::find(known.begin(), known.end(), c.store_engine) == known.end()) {
      return r.at(node, key,
                  fmt::format("unknown engine; this build has: {}", fmt::join(known, ", ")));
    }
    return {};
  };
  return sub(r, {{"engine", engine},
                 {"path", path(r, c.store_path)},
                 {"synchronous", choice(r, c.sqlite.synchronous, {"full", "normal"},
                                        "must be \"full\" or \"normal\"")},
                 {"postgres_dsn", text(r, c.postgres.dsn)},
                 {"postgres_schema", identifier(r, c.postgres.schema)}});
}

H artifacts_section(const Reader& r, Config& c) {
  return sub(r, {{"dir", path(r, c.artifacts.dir)}, {"max_bytes", size(r, c.artifacts.max_bytes)}});
}

H analysis_section(const Reader& r, Config& c) {
  return sub(r,
             {{"rules_dirs", paths(r, c.rules_dirs, "directory names")},
              {"watchlist", path(r, c.watchlist)},
              {"lease_seconds", duration<std::chrono::seconds>(r, c.analysis.lease, 1, 86400)},
              {"max_attempts", number(r, c.analysis.max_attempts, 1, 100)},
              {"job_timeout_s", duration<std::chrono::seconds>(r, c.workers.job_timeout, 1, 86400)},
              {"restart_backoff_ms",
               duration<std::chrono::milliseconds>(r, c.workers.restart_backoff, 1, 600000)}});
}

H sandbox_section(const Reader& r, Config& c) {
  return sub(r, {{"enabled", flag(r, c.sandbox.enabled)},
                 {"parallel", number(r, c.sandbox.parallel, 1, 64)},
                 {"time_limit_seconds", number(r, c.sandbox.time_limit_seconds, 1, 3600)}});
}

H intel_section(const Reader& r, Config& c) {
  H geo = [&r, &c](const toml::node& node, const std::string& key) -> Status {
    c.intel.geo_configured = true;  // named explicitly: a missing file is then an error
    return paths(r, c.intel.geo_files, ".mmdb or .csv file names")(node, key);
  };
  return sub(r, {{"geo", geo}});
}

H collector_section(const Reader& r, Config& c) {
  return sub(r, {{"batch_records", number(r, c.collector.batch_records, 1, 1'000'000)}});
}

H api_section(const Reader& r, Config& c) {
  return sub(r, {{"enabled", flag(r, c.api.enabled)},
                 {"listen", text(r, c.api.listen)},
                 {"port", number(r, c.api.port, 0, 65535)},
                 {"tls_certificate", path(r, c.api.tls_certificate)},
                 {"tls_key", path(r, c.api.tls_key)},
                 {"threads", number(r, c.api.threads, 1, 256)},
                 {"session_hours", number(r, c.api.session_hours, 1, 24 * 30)},
                 {"stats_cache_seconds", number(r, c.api.stats_cache_seconds, 0, 3600)},
                 {"dashboard", path(r, c.api.dashboard)}});
}

H webhooks(const Reader& r, std::vector<AlertSettings::Webhook>& out) {
  return [&r, &out](const toml::node& node, const std::string& key) -> Status {
    const toml::array* list = node.as_array();
    if (list == nullptr) {
      return r.at(node, key, "expected an array of tables ([[alerts.webhooks]])");
    }
    for (const toml::node& item : *list) {
      AlertSettings::Webhook w;
      const toml::table* t = item.as_table();
      if (t == nullptr) {
        return r.at(item, key, "expected a table");
      }
      if (Status s = r.keys(*t, key, {{"name", identifier(r, w.name)}, {"url", text(r, w.url)}});
          !s) {
        return s;
      }
      if (w.name.empty() || (w.url.rfind("http://", 0) != 0 && w.url.rfind("https://", 0) != 0)) {
        return r.at(item, key, "each webhook needs a name and an http:// or https:// url");
      }
      for (const AlertSettings::Webhook& other : out) {
        if (other.name == w.name || w.name == "syslog") {
          return r.at(item, key, fmt::format("webhook name \"{}\" is taken", w.name));
        }
      }
      out.push_back(std::move(w));
    }
    return {};
  };
}

H alerts_section(const Reader& r, Config& c) {
  return sub(
      r, {{"rules", path(r, c.alerts.rules)},
          {"syslog", text(r, c.alerts.syslog)},
          {"sensor_silent_minutes", number(r, c.alerts.sensor_silent_minutes, 1, 7 * 24 * 60 - 1)},
          {"webhooks", webhooks(r, c.alerts.webhooks)}});
}

Status read_config(const Reader& r, const toml::table& root, Config& c) {
  return r.keys(
      root, "",
      {{"data_dir", path(r, c.data_dir)},
       {"log_level", choice(r, c.log_level, {"trace", "debug", "info", "warn", "error", "off"},
                            "must be trace, debug, info, warn, error or off")},
       {"sensor", sensor_section(r, c)},
       {"download", download_section(r, c)},
       {"spool", spool_section(r, c)},
       {"store", store_section(r, c)},
       {"artifacts", artifacts_section(r, c)},
       {"analysis", analysis_section(r, c)},
       {"sandbox", sandbox_section(r, c)},
       {"intel", intel_section(r, c)},
       {"collector", collector_section(r, c)},
       {"api", api_section(r, c)},
       {"alerts", alerts_section(r, c)}});
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

Result<Config> parse_config(std::string_view text, std::string_view source_name) {
  sensor::register_builtin_protocols();  // listeners name protocols the registry knows
  Reader reader{std::string(source_name)};
  auto root = reader.parse(text);
  if (!root) {
    return root.failure();
  }
  Config config;
  if (Status s = read_config(reader, *root, config); !s) {
    return s.failure();
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

}  // namespace mitsu::app

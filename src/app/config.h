#pragma once
// Mitsu's configuration: one TOML file (etc/mitsu.example.toml documents every key). Errors name
// the file, line, column and key; unknown keys are errors, not silently ignored typos.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analysis_worker.h"
#include "artifacts/artifact_store.h"
#include "collector/collector.h"
#include "core/event_builder.h"
#include "core/result.h"
#include "sensor/download/downloader.h"
#include "sensor/runtime/sensor_server.h"
#include "spool/spool.h"
#include "store/store_config.h"

namespace mitsu::app {

// The honeypot side of `mitsu run`: which personas listen where, and how payloads are fetched.
struct SensorSettings {
  bool enabled = true;
  std::string listen = "127.0.0.1";    // address of the default listeners
  std::filesystem::path personas_dir;  // empty: the shipped personas/
  unsigned threads = 0;                // event loops; 0: one per core
  std::string user;                    // drop root to this user after binding
  sensor::SensorLimits limits;
  // Explicit listeners replace the personas' default ports (e.g. telnet on 23 publicly).
  struct Listener {
    std::string persona;
    std::string protocol = "telnet";
    std::string address;  // empty: `listen`
    int port = 0;
    bool proxy_protocol = false;
    std::vector<std::string> proxy_from;
    bool multicast = false;    // ssdp: also join 239.255.255.250:1900 on the listen address
    std::string backend;       // "host:port" of a real device to relay to (recording proxy)
    std::string device_share;  // smb backend: its share's directory as the device names it
    std::string watch_dir;     // where the sensor sees the device's storage (file-drop watch)
  };
  std::vector<Listener> listeners;
  bool download = true;
  sensor::DownloadOptions download_options;
};

// The sandbox that runs ELF and script samples after static triage (docs/sandbox.md).
struct SandboxSettings {
  bool enabled = true;  // needs root; without it `mitsu run` says so and skips the sandbox
  unsigned parallel = 2;
  double time_limit_seconds = 30;
};

// The analysis worker processes `mitsu run` supervises (docs/analysis.md, "Worker processes").
struct WorkerSettings {
  // A static job running longer than this is taken as hung: its worker is killed.
  std::chrono::seconds job_timeout{300};
  // The first restart of a crashed worker waits this long, doubling (to 30 s) while it crashes.
  std::chrono::milliseconds restart_backoff{500};
};

// Threat intelligence: where the GeoIP data is.
struct IntelSettings {
  // Country and ASN sources, consulted in order (*.mmdb via libmaxminddb, else ip-location-db
  // CSV). The default is what scripts/install-geo.sh installs.
  std::vector<std::filesystem::path> geo_files{"/var/lib/mitsu/geo/geo-whois-asn-country.mmdb",
                                               "/var/lib/mitsu/geo/asn-ipv4.csv",
                                               "/var/lib/mitsu/geo/asn-ipv6.csv"};
  bool geo_configured = false;  // set explicitly: missing files are then an error
};

// The REST API and dashboard (src/api): HTTPS only, on loopback unless configured otherwise.
struct ApiSettings {
  bool enabled = true;  // `mitsu run` serves it
  std::string listen = "127.0.0.1";
  int port = 8443;
  // Both empty: a self-signed pair made on first start in <data_dir>/api-tls.
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_key;
  int threads = 4;
  int session_hours = 12;       // browser sessions
  int stats_cache_seconds = 5;  // statistics answers are kept this long; 0: computed each time
  // The built dashboard (index.html, assets/); empty: the source tree's web/dashboard/dist.
  std::filesystem::path dashboard;
};

// Alerts (src/api/alerts): the rules, and where alerts go besides the dashboard.
struct AlertSettings {
  std::filesystem::path rules;  // empty: the shipped rules/alerts.toml
  struct Webhook {
    std::string name;
    std::string url;
  };
  std::vector<Webhook> webhooks;
  std::string syslog;              // "host:port" for RFC 5424 over UDP; empty: none
  int sensor_silent_minutes = 60;  // a sensor quiet this long raises "sensor.silent"
};

struct Config {
  std::filesystem::path data_dir = "mitsu-data";
  std::string log_level = "info";
  SensorIdentity sensor;
  spool::SpoolOptions spool;  // dir defaults to <data_dir>/spool
  std::string store_engine = "sqlite";
  std::filesystem::path store_path;  // defaults to <data_dir>/mitsu.db
  store::SqliteSettings sqlite;
  store::PostgresSettings postgres;           // the "postgres" engine's server and schema
  artifacts::ArtifactStoreOptions artifacts;  // dir defaults to <data_dir>/artifacts
  collector::CollectorOptions collector;
  // YARA rule directories added to the shipped rules/yara.
  std::vector<std::filesystem::path> rules_dirs;
  analysis::AnalysisWorkerOptions analysis;
  WorkerSettings workers;
  std::filesystem::path watchlist;  // vendor profile; empty: no watchlist
  SensorSettings sensors;
  IntelSettings intel;
  SandboxSettings sandbox;
  ApiSettings api;
  AlertSettings alerts;

  // Fills the paths left empty from data_dir.
  void resolve_paths();
};

Result<Config> parse_config(std::string_view text, std::string_view source_name);
Result<Config> load_config(const std::filesystem::path& file);

}  // namespace mitsu::app

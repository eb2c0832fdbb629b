#pragma once
// The `mitsu` subcommands. Each returns the process exit status.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis_worker.h"
#include "app/config.h"
#include "app/platform.h"
#include "core/file_walk.h"

namespace mitsu::cli {

using app::Config;

// Exit statuses shared by all commands (documented in `mitsu --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRejected = 3;  // ingest: some lines were rejected, the rest stored

// For commands that only read what is stored: false (and the error logged) when the embedded
// store does not exist, so a mistyped --data-dir is an error instead of a new empty store.
bool store_exists(const Config& config);
// The stores of an existing data directory (no spool), or nullptr with the reason logged.
std::unique_ptr<app::Platform> open_stored(const Config& config);

// Logs every entry a walk skipped with its reason: an error for a path named on the command
// line, a warning for one found inside a directory. True when a named path was skipped.
bool log_skipped(const WalkedFiles& walked);

// Prints why each failed job of a tally failed (the first few in full, then how many share each
// reason); a failure without its reason gets it from the job's record in the catalog.
void report_failures(store::Catalog& catalog, const analysis::WorkerTally& tally,
                     std::string_view kind);

// The options given before the subcommand, as typed; `mitsu run` hands them to its workers.
struct GlobalOptions {
  std::string config_file;
  std::string data_dir;
  std::string log_level;
  // /proc/self/exe and these options: the command line that starts this binary again alike.
  std::vector<std::string> args() const;
};

struct RunOptions {
  bool once = false;
  GlobalOptions global;
};
int run_command(const Config& config, const RunOptions& options);

// `mitsu worker` (hidden): the process `mitsu run` starts for analysis or sandbox jobs
// (docs/analysis.md, "Worker processes").
struct WorkerOptions {
  std::string kind = "static";  // or "sandbox"
  int slot = 0;                 // sandbox: which of the parallel slots (uid, jail)
  bool until_idle = false;      // exit once the queue is empty (`mitsu run --once`)
};
int worker_command(const Config& config, const WorkerOptions& options);

struct IngestOptions {
  std::string input;  // a file path, or "-" for standard input
  bool progress = false;
  std::size_t batch = 1000;
};
int ingest_command(const Config& config, const IngestOptions& options);

struct EventsOptions {
  std::optional<std::string> kind, session, src_ip, sensor, site, protocol, since, until;
  std::size_t limit = 50;
  bool json = false;
};
int events_command(const Config& config, const EventsOptions& options);

struct AnalyzeOptions {
  std::vector<std::string> paths;       // files or directories (walked recursively)
  std::vector<std::string> rules_dirs;  // on top of the configured ones
  std::string watchlist;                // vendor profile, overriding the configured one
  bool json = false;
  bool cluster = false;  // group the files into variant clusters by TLSH distance
  int cluster_distance = 100;
};
int analyze_command(const Config& config, const AnalyzeOptions& options);

struct KnownImportOptions {
  std::vector<std::string> files;
  std::string source;  // defaults to the file name
};
int known_import_command(const Config& config, const KnownImportOptions& options);

struct ReanalyzeOptions {
  bool progress = false;  // a line per sample on stderr
};
int reanalyze_command(const Config& config, const ReanalyzeOptions& options);

struct StatsOptions {
  std::string what = "top";  // top, series, malware, domains, peaks
  std::string by = "country";
  std::string measure = "sessions";
  std::string from, to;              // YYYY-MM-DD, inclusive; default: all stored data
  std::vector<std::string> filters;  // DIMENSION=VALUE
  bool targeted = false;
  std::size_t top = 10;
  bool json = false;
};
int stats_command(const Config& config, const StatsOptions& options);

struct ReportOptions {
  std::string from, to;
  std::string format = "html";  // html, json, csv
  std::string output;           // file; empty or "-": standard output
};
int report_command(const Config& config, const ReportOptions& options);

struct SimulateOptions {
  std::string from = "2017-01-01";
  int days = 365;
  std::uint64_t seed = 1;
  double sessions_per_day = 2000;
  std::vector<std::string> peaks;  // DAY:PROTOCOL[:FACTOR]
  bool no_disclosures = false;
  bool spool_only = false;
  bool progress = false;  // a line per batch on stderr
};
int simulate_command(const Config& config, const SimulateOptions& options);

struct RebuildOptions {
  bool progress = false;  // a line per batch on stderr
};
int rollups_rebuild_command(const Config& config, const RebuildOptions& options);

struct SandboxCommandOptions {
  std::string file;
  double seconds = 30;  // wall-clock limit
  std::string output;   // report directory; default <data>/sandbox/<file name>
  bool json = false;
  bool keep = false;  // keep the jail root
};
int sandbox_command(const Config& config, const SandboxCommandOptions& options);

// Look-ups (intel/lookups.h): a sample by SHA-256, a session by id, the quarantine.
struct LookupOptions {
  std::string key;         // the sample's SHA-256 or the session id
  std::size_t limit = 50;  // events shown (sightings, transcript) or records
  bool json = false;
};
int sample_command(const Config& config, const LookupOptions& options);
int session_command(const Config& config, const LookupOptions& options);
int quarantine_command(const Config& config, const LookupOptions& options);
int sensors_command(const Config& config, bool as_json);
int known_list_command(const Config& config, bool as_json);

// Accounts and tokens for the API (api/auth/accounts.h). Passwords are read from standard
// input: prompted twice without echo on a terminal, else one line.
struct UserOptions {
  std::string action;  // add, list, remove, passwd
  std::string name;
  std::string role = "analyst";
  bool json = false;
};
int user_command(const Config& config, const UserOptions& options);

struct TokenOptions {
  std::string action;  // create, list, revoke
  std::string user;    // create
  std::string role;    // create; empty: the user's
  std::string label;
  int days = 0;    // create; 0: never expires
  std::string id;  // revoke
  bool json = false;
};
int token_command(const Config& config, const TokenOptions& options);

// `mitsu api`: the REST API alone, on the configured stores, until SIGINT/SIGTERM.
struct ApiOptions {
  std::string listen;  // empty: [api] listen
  int port = -1;       // -1: [api] port
};
int api_command(const Config& config, const ApiOptions& options);

int version_command();

}  // namespace mitsu::cli

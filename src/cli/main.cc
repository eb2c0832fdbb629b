// mitsu: one binary for every part of the platform.

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "app/config.h"
#include "cli/commands.h"
#include "cli/logging.h"
#include "sensor/registry/protocol_registry.h"

namespace {

constexpr const char* kFooter =
    R"(Configuration: --config FILE, else $MITSU_CONFIG, else built-in defaults
(data under ./mitsu-data). etc/mitsu.example.toml documents every key.

Exit status: 0 success, 1 failure, 2 usage error, 3 ingest stored the good lines but
rejected some (each is reported on stderr with its line number and reason).)";

using namespace mitsu::cli;  // NOLINT(google-build-using-namespace): the commands' own file

// Each leaf subcommand with what runs it; its options live as long as the handler.
struct Commands {
  using Handler = std::function<int(Config&)>;
  std::vector<std::pair<CLI::App*, Handler>> list;
  void add(CLI::App* command, Handler handler) { list.emplace_back(command, std::move(handler)); }
};

// Collect: the platform itself, its worker processes, and the event flow.
void add_collect_commands(CLI::App& app, Commands& commands, const GlobalOptions& global) {
  auto run = std::make_shared<RunOptions>();
  auto* run_cmd = app.add_subcommand("run",
                                     "Run the platform all-in-one: honeypot sensors -> spool -> "
                                     "collector -> embedded SQLite store, analysis");
  run_cmd->add_flag("--once", run->once,
                    "Recover the spool, deliver everything in it to the store, and exit");

  commands.add(run_cmd, [run, &global](Config& config) {
    run->global = global;
    return run_command(config, *run);
  });

  auto ingest = std::make_shared<IngestOptions>();
  auto* ingest_cmd = app.add_subcommand(
      "ingest", "Validate JSON-lines events (docs/events.md) and deliver them via the spool");
  ingest_cmd
      ->add_option("input", ingest->input,
                   "Events file (JSON lines), a directory of them, or - for standard input")
      ->required();
  ingest_cmd->add_flag("--progress", ingest->progress,
                       "Print 'accepted N' on stdout after each batch the spool has accepted");
  ingest_cmd->add_option("--batch", ingest->batch, "Events per spool append")
      ->check(CLI::Range(1, 100000));

  commands.add(ingest_cmd, [ingest](Config& config) { return ingest_command(config, *ingest); });

  auto events = std::make_shared<EventsOptions>();
  auto* events_cmd = app.add_subcommand("events", "Query stored events, newest first");
  events_cmd->add_option("--kind", events->kind, "event.action, e.g. login.attempt");
  events_cmd->add_option("--session", events->session, "mitsu.session.id");
  events_cmd->add_option("--src-ip", events->src_ip, "Attacker address");
  events_cmd->add_option("--sensor", events->sensor, "observer.name");
  events_cmd->add_option("--site", events->site, "observer.geo.name");
  events_cmd->add_option("--protocol", events->protocol, "network.protocol, e.g. telnet");
  events_cmd->add_option("--since", events->since, "From this time (UTC), inclusive");
  events_cmd->add_option("--until", events->until, "Up to this time (UTC), exclusive");
  events_cmd->add_option("-n,--limit", events->limit, "At most this many events")
      ->check(CLI::Range(1, 10'000'000));
  events_cmd->add_flag("--json", events->json, "Print the events as JSON lines");

  commands.add(events_cmd, [events](Config& config) { return events_command(config, *events); });

  // Internal: the analysis worker processes `mitsu run` starts and supervises (not in --help).
  auto worker = std::make_shared<WorkerOptions>();
  auto* worker_cmd = app.add_subcommand("worker", "Run analysis jobs for `mitsu run`");
  worker_cmd->group("");
  worker_cmd->add_option("--kind", worker->kind, "static or sandbox")
      ->check(CLI::IsMember({"static", "sandbox"}));
  worker_cmd->add_option("--slot", worker->slot, "Sandbox slot")->check(CLI::Range(0, 63));
  worker_cmd->add_flag("--until-idle", worker->until_idle, "Exit once the queue is empty");

  commands.add(worker_cmd, [worker](Config& config) { return worker_command(config, *worker); });
}

// Analyse: static triage, the known-hash corpus, re-analysis, the sandbox.
void add_analysis_commands(CLI::App& app, Commands& commands) {
  auto analyze = std::make_shared<AnalyzeOptions>();
  auto* analyze_cmd = app.add_subcommand(
      "analyze", "Static triage of files or directories: hashes, ELF, strings/IOCs, family");
  analyze_cmd->add_option("paths", analyze->paths, "Files or directories")->required();
  analyze_cmd->add_option("--rules", analyze->rules_dirs,
                          "Extra YARA rule directory (repeatable), on top of rules/yara");
  analyze_cmd
      ->add_option("--watchlist", analyze->watchlist,
                   "Vendor profile (TOML): mark samples that target these products")
      ->check(CLI::ExistingFile);
  analyze_cmd->add_flag("--json", analyze->json, "Print one verdict per line as JSON");
  analyze_cmd->add_flag("--cluster", analyze->cluster,
                        "Group the files into variant clusters by TLSH distance, with each "
                        "file's closest relatives");
  analyze_cmd
      ->add_option("--cluster-distance", analyze->cluster_distance,
                   "Largest TLSH distance that links two files into a cluster")
      ->check(CLI::Range(1, 1000));

  commands.add(analyze_cmd,
               [analyze](Config& config) { return analyze_command(config, *analyze); });

  auto* known_cmd =
      app.add_subcommand("known", "The known-hash corpus that decides known vs never seen");
  known_cmd->require_subcommand(1);
  auto known_import = std::make_shared<KnownImportOptions>();
  auto* known_import_cmd = known_cmd->add_subcommand(
      "import", "Import a MalwareBazaar CSV dump or a list of MD5/SHA-1/SHA-256 hashes");
  known_import_cmd->add_option("files", known_import->files, "Files to import")->required();
  known_import_cmd->add_option("--source", known_import->source,
                               "Name recorded with the hashes (default: the file name)");

  commands.add(known_import_cmd, [known_import](Config& config) {
    return known_import_command(config, *known_import);
  });

  auto known_json = std::make_shared<bool>(false);
  auto* known_list_cmd =
      known_cmd->add_subcommand("list", "The imported sources and how many hashes each gave");
  known_list_cmd->add_flag("--json", *known_json, "Print the sources as JSON");

  commands.add(known_list_cmd,
               [known_json](Config& config) { return known_list_command(config, *known_json); });

  auto* reanalyze_cmd = app.add_subcommand(
      "reanalyze", "Queue every captured sample again (after a rules update) and analyse them");

  auto reanalyze = std::make_shared<ReanalyzeOptions>();
  reanalyze_cmd->add_flag(
      "--progress", reanalyze->progress,
      "Print a progress line per sample on stderr (without it, a terminal shows one "
      "line redrawn in place)");

  commands.add(reanalyze_cmd,
               [reanalyze](Config& config) { return reanalyze_command(config, *reanalyze); });

  auto sandbox = std::make_shared<SandboxCommandOptions>();
  auto* sandbox_cmd = app.add_subcommand(
      "sandbox",
      "Run one sample (ELF for any common IoT CPU, or a shell script) in the sandbox: QEMU in "
      "fresh namespaces with no route out, a fake internet, a behaviour report (needs root)");
  sandbox_cmd->add_option("file", sandbox->file, "The sample")
      ->required()
      ->check(CLI::ExistingFile);
  sandbox_cmd->add_option("-t,--time-limit", sandbox->seconds, "Wall-clock seconds")
      ->check(CLI::Range(0.5, 3600.0));
  sandbox_cmd->add_option("-o,--output", sandbox->output,
                          "Directory for report.json, sandbox->pcap and trace.txt");
  sandbox_cmd->add_flag("--json", sandbox->json, "Print the report as JSON");
  sandbox_cmd->add_flag("--keep", sandbox->keep, "Keep the jail's root directory");

  commands.add(sandbox_cmd,
               [sandbox](Config& config) { return sandbox_command(config, *sandbox); });
}

// Look up: one sample, one session, the sensors, the quarantine (intel/lookups.h).
void add_lookup_commands(CLI::App& app, Commands& commands) {
  auto sample = std::make_shared<LookupOptions>();
  auto* sample_cmd = app.add_subcommand(
      "sample",
      "One captured sample: verdict, relatives, sandbox, analysis jobs and why they failed, "
      "the events that carried it");
  sample_cmd->add_option("sha256", sample->key, "The sample's SHA-256")->required();
  sample_cmd->add_option("-n,--limit", sample->limit, "At most this many sightings")
      ->check(CLI::Range(1, 1'000'000));
  sample_cmd->add_flag("--json", sample->json, "Print the sample as JSON");
  commands.add(sample_cmd, [sample](Config& config) { return sample_command(config, *sample); });

  auto session = std::make_shared<LookupOptions>();
  auto* session_cmd = app.add_subcommand(
      "session", "One session as a transcript: who, which persona, every event in time order");
  session_cmd->add_option("id", session->key, "mitsu.session.id")->required();
  session_cmd->add_option("-n,--limit", session->limit, "At most this many events")
      ->check(CLI::Range(1, 1'000'000));
  session_cmd->add_flag("--json", session->json, "Print the session and its events as JSON");
  commands.add(session_cmd,
               [session](Config& config) { return session_command(config, *session); });

  auto sensors_json = std::make_shared<bool>(false);
  auto* sensors_cmd = app.add_subcommand(
      "sensors", "Every sensor that sent events: site, first and last event, how many");
  sensors_cmd->add_flag("--json", *sensors_json, "Print the sensors as JSON");
  commands.add(sensors_cmd,
               [sensors_json](Config& config) { return sensors_command(config, *sensors_json); });

  auto quarantine = std::make_shared<LookupOptions>();
  auto* quarantine_cmd = app.add_subcommand(
      "quarantine", "Records ingest rejected, newest first, with the reason and their bytes");
  quarantine_cmd->add_option("-n,--limit", quarantine->limit, "At most this many records")
      ->check(CLI::Range(1, 1'000'000));
  quarantine_cmd->add_flag("--json", quarantine->json, "Print the records as JSON");
  commands.add(quarantine_cmd,
               [quarantine](Config& config) { return quarantine_command(config, *quarantine); });
}

// Defend: the REST API and who may use it.
void add_api_commands(CLI::App& app, Commands& commands) {
  auto serve = std::make_shared<ApiOptions>();
  auto* api_cmd = app.add_subcommand(
      "api",
      "Serve the REST API alone (HTTPS; `mitsu run` serves it too unless [api] enabled = "
      "false)");
  api_cmd->add_option("--listen", serve->listen,
                      "Address to listen on (default: [api] listen, "
                      "127.0.0.1)");
  api_cmd->add_option("--port", serve->port, "Port (default: [api] port, 8443; 0: any free one)")
      ->check(CLI::Range(0, 65535));
  commands.add(api_cmd, [serve](Config& config) { return api_command(config, *serve); });

  auto* user_cmd = app.add_subcommand(
      "user", "API accounts; the password is read from standard input (prompted on a terminal)");
  user_cmd->require_subcommand(1);
  auto add_user_action = [&](const char* action, const char* help, bool named, bool role) {
    auto options = std::make_shared<UserOptions>();
    options->action = action;
    auto* cmd = user_cmd->add_subcommand(action, help);
    if (named) {
      cmd->add_option("name", options->name, "User name (a-z, 0-9, '.', '_', '-')")->required();
    }
    if (role) {
      cmd->add_option("--role", options->role, "sensor, analyst (default) or admin")
          ->check(CLI::IsMember({"sensor", "analyst", "admin"}));
    }
    if (!named) {
      cmd->add_flag("--json", options->json, "Print the users as JSON");
    }
    commands.add(cmd, [options](Config& config) { return user_command(config, *options); });
  };
  add_user_action("add", "Create a user (the first admin is made this way)", true, true);
  add_user_action("list", "List users and their roles", false, false);
  add_user_action("passwd", "Set a user's password", true, false);
  add_user_action("remove", "Remove a user with its tokens and sessions (never the last admin)",
                  true, false);

  auto* token_cmd = app.add_subcommand("token", "API tokens for tools and sensors");
  token_cmd->require_subcommand(1);
  auto create = std::make_shared<TokenOptions>();
  create->action = "create";
  auto* create_cmd = token_cmd->add_subcommand(
      "create", "Issue a token and print it once on standard output (only its hash is kept)");
  create_cmd->add_option("--user", create->user, "The user it acts as")->required();
  create_cmd->add_option("--role", create->role, "A role up to the user's (default: the user's)")
      ->check(CLI::IsMember({"sensor", "analyst", "admin"}));
  create_cmd->add_option("--label", create->label, "What it is for, shown in listings");
  create_cmd->add_option("--days", create->days, "Expire after this many days (default: never)")
      ->check(CLI::Range(1, 3650));
  commands.add(create_cmd, [create](Config& config) { return token_command(config, *create); });
  auto list = std::make_shared<TokenOptions>();
  list->action = "list";
  auto* list_cmd = token_cmd->add_subcommand("list", "List tokens (never their secrets)");
  list_cmd->add_flag("--json", list->json, "Print the tokens as JSON");
  commands.add(list_cmd, [list](Config& config) { return token_command(config, *list); });
  auto revoke = std::make_shared<TokenOptions>();
  revoke->action = "revoke";
  auto* revoke_cmd = token_cmd->add_subcommand("revoke", "Revoke a token by its id");
  revoke_cmd->add_option("id", revoke->id, "The token's id (from token list)")->required();
  commands.add(revoke_cmd, [revoke](Config& config) { return token_command(config, *revoke); });
}

// Intelligence: statistics, reports, simulated traffic, rollup maintenance.
void add_intel_commands(CLI::App& app, Commands& commands) {
  auto stats = std::make_shared<StatsOptions>();
  auto* stats_cmd = app.add_subcommand(
      "stats", "Statistics from the rollups: top, series, malware, domains, peaks");
  stats_cmd->add_option("what", stats->what, "top (default), series, malware, domains or peaks")
      ->check(CLI::IsMember({"top", "series", "malware", "domains", "peaks"}));
  stats_cmd->add_option(
      "--by", stats->by,
      "Dimension: day country asn protocol port device_type site class interactive targeted "
      "(sessions, events); rule (exploits); family arch known target (samples)");
  stats_cmd->add_option("--measure", stats->measure,
                        "sessions (default), events, exploits, samples or domains");
  stats_cmd->add_option("--from", stats->from,
                        "First day (YYYY-MM-DD, UTC); default: first stored");
  stats_cmd->add_option("--to", stats->to, "Last day, inclusive; default: last stored");
  stats_cmd->add_option("--filter", stats->filters, "DIMENSION=VALUE (repeatable)");
  stats_cmd->add_flag("--targeted", stats->targeted,
                      "Only sessions targeted at our products (vendor watchlist)");
  stats_cmd->add_option("-n,--top", stats->top, "Rows (top) or series (series --by)")
      ->check(CLI::Range(1, 100000));
  stats_cmd->add_flag("--json", stats->json, "Print the statistic as JSON");

  commands.add(stats_cmd, [stats](Config& config) { return stats_command(config, *stats); });

  auto report = std::make_shared<ReportOptions>();
  auto* report_cmd = app.add_subcommand(
      "report", "Write a self-contained HTML report with charts (or JSON/CSV) for a date range");
  report_cmd->add_option("--from", report->from, "First day (YYYY-MM-DD); default: first stored");
  report_cmd->add_option("--to", report->to, "Last day, inclusive; default: last stored");
  report_cmd->add_option("--format", report->format, "html (default), json or csv")
      ->check(CLI::IsMember({"html", "json", "csv"}));
  report_cmd->add_option("-o,--output", report->output, "File to write; default: standard output");

  commands.add(report_cmd, [report](Config& config) { return report_command(config, *report); });

  auto simulate = std::make_shared<SimulateOptions>();
  auto* simulate_cmd = app.add_subcommand(
      "simulate",
      "Generate realistic synthetic attack traffic into the spool and deliver it (for trying "
      "Mitsu and for benchmarks)");
  simulate_cmd->add_option("--from", simulate->from, "First simulated day (YYYY-MM-DD)");
  simulate_cmd->add_option("--days", simulate->days, "Days to simulate")
      ->check(CLI::Range(1, 36500));
  simulate_cmd->add_option("--seed", simulate->seed, "Random seed (same seed, same traffic)");
  simulate_cmd
      ->add_option("--sessions-per-day", simulate->sessions_per_day,
                   "Baseline sessions per day at the start (grows 30% a year)")
      ->check(CLI::Range(1.0, 1e8));
  simulate_cmd->add_option("--peak", simulate->peaks,
                           "Inject a wave: YYYY-MM-DD:PROTOCOL[:FACTOR of the day's baseline]");
  simulate_cmd->add_flag("--no-disclosures", simulate->no_disclosures,
                         "No exploit bursts after the catalogued disclosures");
  simulate_cmd->add_flag("--spool-only", simulate->spool_only,
                         "Only write the spool; `mitsu run` delivers it later");
  simulate_cmd->add_flag(
      "--progress", simulate->progress,
      "Print a progress line per batch on stderr (without it, a terminal shows one "
      "line redrawn in place)");

  commands.add(simulate_cmd,
               [simulate](Config& config) { return simulate_command(config, *simulate); });

  auto* rollups_cmd = app.add_subcommand("rollups", "Maintain the statistics rollups");
  rollups_cmd->require_subcommand(1);
  auto* rollups_rebuild_cmd = rollups_cmd->add_subcommand(
      "rebuild", "Recompute every rollup from the stored events (after a watchlist change)");

  auto rebuild = std::make_shared<RebuildOptions>();
  rollups_rebuild_cmd->add_flag(
      "--progress", rebuild->progress,
      "Print a progress line per batch on stderr (without it, a terminal shows one "
      "line redrawn in place)");

  commands.add(rollups_rebuild_cmd,
               [rebuild](Config& config) { return rollups_rebuild_command(config, *rebuild); });
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mitsu::cli;
  // Before anything validates events: protocol kinds come from the registry.
  mitsu::sensor::register_builtin_protocols();
  CLI::App app{
      "Mitsu: IoT threat-intelligence platform (honeypot sensors, malware analysis, "
      "statistics)",
      "mitsu"};
  app.footer(kFooter);
  app.require_subcommand(1);
  // Global options may follow the subcommand too (`mitsu events -d DIR`): subcommands created
  // below inherit this and hand options they do not know to the top level.
  app.fallthrough();

  GlobalOptions global;
  app.add_option("-c,--config", global.config_file, "TOML configuration file")
      ->envname("MITSU_CONFIG")
      ->check(CLI::ExistingFile);
  app.add_option("-d,--data-dir", global.data_dir,
                 "Directory for the spool, store and artifacts (overrides the config)");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  Commands commands;
  add_collect_commands(app, commands, global);
  add_analysis_commands(app, commands);
  add_lookup_commands(app, commands);
  add_intel_commands(app, commands);
  add_api_commands(app, commands);
  auto* version_cmd = app.add_subcommand("version", "Print versions of Mitsu and its formats");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  setup_logging();

  if (version_cmd->parsed()) {
    return version_command();
  }

  Config config;
  if (!global.config_file.empty()) {
    auto loaded = mitsu::app::load_config(global.config_file);
    if (!loaded) {
      spdlog::error("{}", loaded.error());
      return kExitUsage;
    }
    config = std::move(*loaded);
  }
  if (!global.data_dir.empty()) {
    config.data_dir = global.data_dir;
  }
  if (!global.log_level.empty()) {
    config.log_level = global.log_level;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  for (const auto& [command, handler] : commands.list) {
    if (command->parsed()) {
      return handler(config);
    }
  }
  return kExitUsage;  // require_subcommand makes this unreachable
}

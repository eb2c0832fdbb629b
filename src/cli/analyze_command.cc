// `mitsu analyze`: the static pipeline over local files, as a table or one JSON verdict a line.
// Everything a sample or its file name brings (strings, section names, paths) and what rules
// files say reaches the terminal only through terminal_safe, and JSON only through dump_json.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "analysis/cluster/tlsh_index.h"
#include "analysis/static/static_analyzer.h"
#include "app/platform.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "core/file_walk.h"
#include "core/safe_text.h"

namespace mitsu::cli {
namespace {

namespace fs = std::filesystem;

// Every regular file under the paths. A path named on the command line that is not one is an
// error; an entry skipped inside a directory is a warning. Each says why.
std::vector<fs::path> expand(const std::vector<std::string>& paths, bool& missing) {
  WalkedFiles walked = walk_files({paths.begin(), paths.end()});
  if (log_skipped(walked)) {
    missing = true;
  }
  return std::move(walked.files);
}

// Text for the terminal: control sequences and invalid bytes escaped.
std::string shown(std::string_view text) {
  return terminal_safe(text);
}

// On a terminal every non-ASCII character is written \uXXXX: JSON's own escaping leaves C1
// controls and bidirectional overrides, which a terminal acts on, as they are.
bool json_to_terminal() {
  static const bool terminal = ::isatty(STDOUT_FILENO) != 0;
  return terminal;
}

void print_json(const analysis::StaticVerdict& verdict, const fs::path& file,
                const std::string& known) {
  nlohmann::json json = verdict.to_json();
  json["path"] = file.string();  // a file name is bytes; dump_json keeps them in raw_bytes
  if (known != "-") {
    json["known"] = {{"known", known == "yes"}, {"checked_at", format_timestamp_us(now_unix_us())}};
  }
  std::printf("%s\n", dump_json(json, -1, analysis::kRawBytesPointer, json_to_terminal()).c_str());
}

void print_row(const analysis::StaticVerdict& verdict, const fs::path& file,
               const std::string& known) {
  std::string family =
      verdict.family.family == analysis::kUnclassified
          ? std::string(analysis::kUnclassified)
          : fmt::format("{} ({})", verdict.family.family, verdict.family.confidence);
  std::string notes = file.string();
  if (!verdict.elf.packer.empty()) {
    notes += " [packed: " + verdict.elf.packer + "]";
  }
  if (verdict.watchlist && verdict.watchlist->targets_our_products) {
    notes += fmt::format(" [TARGETS OUR PRODUCTS: {}]", verdict.watchlist->hits[0].term);
  }
  if (!verdict.elf.anomalies.empty()) {
    notes += fmt::format(" [{} anomalies]", verdict.elf.anomalies.size());
  }
  std::printf("%-12.12s  %9llu  %-7s  %-11s  %-22s  %-7s  %-5s  %s\n",
              shown(verdict.hashes.sha256).c_str(), static_cast<unsigned long long>(verdict.size),
              std::string(analysis::file_category_name(verdict.file_type.category)).c_str(),
              verdict.elf.is_elf ? shown(verdict.elf.arch).c_str() : "-", shown(family).c_str(),
              shown(verdict.target.target).c_str(), known.c_str(), shown(notes).c_str());
}

struct Indexed {
  std::string path;
  std::string family;
};

void print_clusters(const analysis::TlshIndex& index, const std::vector<Indexed>& indexed,
                    const AnalyzeOptions& options) {
  nlohmann::json clusters = nlohmann::json::array();
  for (const auto& members : index.clusters(options.cluster_distance)) {
    nlohmann::json cluster = nlohmann::json::array();
    for (std::size_t m : members) {
      nlohmann::json relatives = nlohmann::json::array();
      for (const analysis::Neighbour& n : index.nearest(m, 3, options.cluster_distance)) {
        relatives.push_back({{"path", indexed[n.index].path},
                             {"family", indexed[n.index].family},
                             {"distance", n.distance}});
      }
      cluster.push_back(
          {{"path", indexed[m].path}, {"family", indexed[m].family}, {"relatives", relatives}});
    }
    clusters.push_back(std::move(cluster));
  }
  if (options.json) {
    std::printf("%s\n", dump_json(nlohmann::json{{"clusters", clusters}}, -1, "/raw_bytes",
                                  json_to_terminal())
                            .c_str());
    return;
  }
  std::printf("\n%zu clusters (TLSH distance <= %d; files too small for TLSH are left out)\n",
              clusters.size(), options.cluster_distance);
  for (std::size_t c = 0; c < clusters.size(); ++c) {
    for (const auto& member : clusters[c]) {
      auto text = [](const nlohmann::json& value) {
        return shown(value.get_ref<const std::string&>());
      };
      const nlohmann::json& relatives = member["relatives"];
      std::string closest =
          relatives.empty()
              ? "-"
              : fmt::format("{} ({}, distance {})", text(relatives[0]["path"]),
                            text(relatives[0]["family"]), relatives[0]["distance"].get<int>());
      std::printf("  #%-3zu %-40s %-14s closest: %s\n", c + 1, text(member["path"]).c_str(),
                  text(member["family"]).c_str(), closest.c_str());
    }
  }
}

void print_summary(std::size_t analysed, int failed, const std::map<std::string, int>& families,
                   const std::map<std::string, int>& targets) {
  auto count = [&](const std::string& target) {
    auto it = targets.find(target);
    return it == targets.end() ? 0 : it->second;
  };
  std::string summary;
  for (const auto& [name, count] : families) {
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", shown(name), count);
  }
  std::fprintf(stderr,
               "%zu files analysed, %d failed; families: %s; targets: iot %d, pc %d, "
               "unknown %d\n",
               analysed, failed, summary.empty() ? "none" : summary.c_str(), count("iot"),
               count("pc"), count("unknown"));
}

// "yes" or "no" when the store knows of imported hashes, "-" without a store.
std::string known_state(app::Platform* platform, const analysis::StaticVerdict& verdict) {
  if (platform == nullptr) {
    return "-";
  }
  std::vector<std::string> hashes{verdict.hashes.sha256, verdict.hashes.md5, verdict.hashes.sha1};
  auto found = platform->store.catalog->find_known(hashes);
  return found && found->has_value() ? "yes" : "no";
}

}  // namespace

int analyze_command(const Config& config, const AnalyzeOptions& options) {
  Config with_rules = config;
  with_rules.rules_dirs.insert(with_rules.rules_dirs.end(), options.rules_dirs.begin(),
                               options.rules_dirs.end());
  if (!options.watchlist.empty()) {
    with_rules.watchlist = options.watchlist;
  }
  auto rules = app::load_rules(with_rules);
  auto watchlist = app::load_watchlist(with_rules);
  if (!rules || !watchlist) {
    spdlog::error("{}", rules ? watchlist.error() : rules.error());
    return kExitFailure;
  }
  bool missing = false;
  std::vector<fs::path> files = expand(options.paths, missing);

  // The known-hash corpus lives in the store; analysing files works without one.
  Config resolved = config;
  resolved.resolve_paths();
  std::unique_ptr<app::Platform> platform;
  if (fs::exists(resolved.store_path)) {
    auto opened = app::Platform::open(config, /*with_spool=*/false);
    if (!opened) {
      spdlog::error("{}", opened.error());
      return kExitFailure;
    }
    platform = std::move(*opened);
  }

  analysis::StaticAnalyzer analyzer(*rules, *watchlist);
  bool progress = !options.json && ::isatty(STDERR_FILENO) != 0;
  std::map<std::string, int> families, targets;
  analysis::TlshIndex index;
  std::vector<Indexed> indexed;  // by index position
  int failed = 0;
  if (!options.json) {
    std::printf("%-12s  %9s  %-7s  %-11s  %-22s  %-7s  %-5s  %s\n", "SHA256", "SIZE", "TYPE",
                "ARCH", "FAMILY", "TARGET", "KNOWN", "FILE / NOTES");
  }
  std::vector<std::byte> sample;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (progress) {
      std::fprintf(stderr, "\ranalysing %zu/%zu", i + 1, files.size());
    }
    Status read = read_file_into(files[i], config.artifacts.max_bytes, sample);
    auto verdict =
        read ? analyzer.analyze(sample) : Result<analysis::StaticVerdict>(read.failure());
    if (!verdict) {
      ++failed;
      spdlog::error("{}", verdict.error());
      continue;
    }
    std::string known = known_state(platform.get(), *verdict);
    if (options.cluster && index.add(verdict->hashes.tlsh)) {
      indexed.push_back({files[i].string(), verdict->family.family});
    }
    ++families[verdict->family.family];
    ++targets[verdict->target.target];
    if (options.json) {
      print_json(*verdict, files[i], known);
    } else {
      print_row(*verdict, files[i], known);
    }
  }
  if (progress) {
    std::fprintf(stderr, "\n");
  }
  if (options.cluster) {
    print_clusters(index, indexed, options);
  }
  if (!options.json) {
    print_summary(files.size() - static_cast<std::size_t>(failed), failed, families, targets);
  }
  return failed > 0 || missing ? kExitFailure : kExitOk;
}

}  // namespace mitsu::cli

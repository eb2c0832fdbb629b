#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "app/platform.h"
#include "cli/commands.h"
#include "collector/collector_thread.h"
#include "core/event_parser.h"
#include "core/file_walk.h"
#include "core/safe_text.h"
#include "spool/record.h"

namespace mitsu::cli {

namespace {

// One input after another into the spool. Rejected lines are reported with their line number
// and spooled too, so the collector quarantines them with the reason: nothing is dropped.
struct Feeder {
  app::Platform& p;
  collector::CollectorThread& delivery;
  const IngestOptions& options;
  EventParser parser;
  Event event;
  std::vector<std::string> batch;
  std::uint64_t lines = 0, accepted = 0, rejected = 0, unkept = 0;

  bool flush() {
    if (batch.empty()) {
      return true;
    }
    if (Status status = p.spool->append_batch(batch); !status) {
      spdlog::error("spool: {}", status.error());
      return false;
    }
    batch.clear();
    if (options.progress) {
      std::printf("accepted %llu\n", static_cast<unsigned long long>(accepted));
      std::fflush(stdout);
    }
    return !delivery.failed();
  }

  bool feed(std::istream& in, const std::string& name) {
    std::string line;
    std::uint64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      ++lines;
      if (line.find_first_not_of(" \t\r") == std::string::npos) {
        continue;
      }
      Rejection why;
      if (parser.parse(line, event, why)) {
        ++accepted;
      } else {
        ++rejected;
        std::fprintf(stderr, "%s:%llu: rejected: %s\n", terminal_safe(name).c_str(),
                     static_cast<unsigned long long>(number), why.to_string().c_str());
        if (line.size() > spool::kMaxRecordBytes) {
          ++unkept;  // larger than a spool record: reported above, cannot be quarantined
          continue;
        }
      }
      batch.push_back(std::move(line));
      if (batch.size() >= options.batch && !flush()) {
        return false;
      }
    }
    if (in.bad()) {
      spdlog::error("{}: read error", terminal_safe(name));
      return false;
    }
    return true;
  }
};

}  // namespace

int ingest_command(const Config& config, const IngestOptions& options) {
  std::string name = options.input == "-" ? "<stdin>" : options.input;
  std::vector<std::filesystem::path> files;
  if (options.input != "-") {
    // A directory is ingested file by file, in name order; whatever is not a regular file is
    // named with the reason.
    WalkedFiles walked = walk_files({options.input});
    if (log_skipped(walked)) {
      return kExitFailure;
    }
    files = std::move(walked.files);
  }
  auto platform = app::Platform::open(config, /*with_spool=*/true);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return kExitFailure;
  }
  app::Platform& p = **platform;

  // Delivery runs beside validation, so reading the input never waits for the store.
  collector::CollectorThread delivery(*p.collector);
  Feeder feeder{p, delivery, options};
  bool fed = true;
  if (options.input == "-") {
    fed = feeder.feed(std::cin, name);
  }
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) {
      spdlog::error("{}: cannot open for reading", terminal_safe(file.string()));
      fed = false;
    }
    if (!fed || !feeder.feed(in, file.string())) {
      fed = false;
      break;
    }
  }
  bool appended = feeder.flush() && fed;
  if (Status delivered = delivery.finish(); !delivered) {
    spdlog::error("collector: {}", delivered.error());
    return kExitFailure;
  }
  if (!appended) {
    return kExitFailure;
  }
  const collector::CollectorStats& s = p.collector->stats();
  std::string from = options.input != "-" && std::filesystem::is_directory(options.input)
                         ? fmt::format(" in {} files", files.size())
                         : "";
  std::fprintf(stderr,
               "%s: %llu lines%s, %llu accepted, %llu rejected; stored %llu new events, "
               "%llu duplicates; quarantined %llu rejected lines\n",
               terminal_safe(name).c_str(), static_cast<unsigned long long>(feeder.lines),
               from.c_str(), static_cast<unsigned long long>(feeder.accepted),
               static_cast<unsigned long long>(feeder.rejected),
               static_cast<unsigned long long>(s.stored),
               static_cast<unsigned long long>(s.duplicates),
               static_cast<unsigned long long>(feeder.rejected - feeder.unkept));
  return feeder.rejected > 0 ? kExitRejected : kExitOk;
}

}  // namespace mitsu::cli

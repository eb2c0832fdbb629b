#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

#include "app/platform.h"
#include "cli/commands.h"
#include "collector/collector_thread.h"
#include "core/event_parser.h"

namespace mitsu::cli {

int ingest_command(const Config& config, const IngestOptions& options) {
  std::ifstream file;
  std::istream* in = &std::cin;
  std::string name = options.input == "-" ? "<stdin>" : options.input;
  if (options.input != "-") {
    file.open(options.input);
    if (!file) {
      spdlog::error("{}: cannot open for reading", options.input);
      return kExitFailure;
    }
    in = &file;
  }
  auto platform = app::Platform::open(config, /*with_spool=*/true);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return kExitFailure;
  }
  app::Platform& p = **platform;

  // Delivery runs beside validation, so reading the input never waits for the store.
  collector::CollectorThread delivery(*p.collector);
  EventParser parser;
  Event event;
  std::vector<std::string> batch;
  std::uint64_t lines = 0, accepted = 0, rejected = 0;
  auto flush = [&]() -> bool {
    if (batch.empty()) {
      return true;
    }
    if (Status status = p.spool->append_batch(batch); !status) {
      spdlog::error("spool: {}", status.error());
      return false;
    }
    accepted += batch.size();
    batch.clear();
    if (options.progress) {
      std::printf("accepted %llu\n", static_cast<unsigned long long>(accepted));
      std::fflush(stdout);
    }
    return !delivery.failed();
  };

  std::string line;
  while (std::getline(*in, line)) {
    ++lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    Rejection why;
    if (!parser.parse(line, event, why)) {
      ++rejected;
      std::fprintf(stderr, "%s:%llu: rejected: %s\n", name.c_str(),
                   static_cast<unsigned long long>(lines), why.to_string().c_str());
      continue;
    }
    batch.push_back(std::move(line));
    if (batch.size() >= options.batch && !flush()) {
      break;
    }
  }
  bool appended = flush();
  if (Status delivered = delivery.finish(); !delivered) {
    spdlog::error("collector: {}", delivered.error());
    return kExitFailure;
  }
  if (!appended) {
    return kExitFailure;
  }
  const collector::CollectorStats& s = p.collector->stats();
  std::fprintf(stderr,
               "%s: %llu lines, %llu accepted, %llu rejected; stored %llu new events, "
               "%llu duplicates\n",
               name.c_str(), static_cast<unsigned long long>(lines),
               static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(rejected),
               static_cast<unsigned long long>(s.stored),
               static_cast<unsigned long long>(s.duplicates));
  return rejected > 0 ? kExitRejected : kExitOk;
}

}  // namespace mitsu::cli

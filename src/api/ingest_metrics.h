#pragma once
// Ingest as Prometheus sees it under `mitsu run`: events stored by kind, downloads by outcome,
// sessions open by protocol (opened minus closed since start), the collector's reads,
// duplicates and rejections by reason, and the store's files on disk. Fed by the collector's
// committed-batch observer, so it counts what is stored for good.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "api/metrics.h"
#include "collector/collector.h"
#include "core/event.h"

namespace mitsu::api {

class IngestMetrics {
 public:
  void observe(std::span<const Event* const> committed);
  // Adds the sources; `collector` and the counters must outlive the registry's use.
  void add_to(MetricsRegistry& registry, const collector::Collector& collector,
              std::vector<std::filesystem::path> store_files);

 private:
  std::mutex mutex_;
  std::map<std::string, std::uint64_t> stored_by_action_;
  std::map<std::string, std::uint64_t> downloads_by_outcome_;
  std::map<std::string, std::int64_t> open_by_protocol_;
};

}  // namespace mitsu::api

#include "api/ingest_metrics.h"

namespace mitsu::api {

void IngestMetrics::observe(std::span<const Event* const> committed) {
  std::lock_guard lock(mutex_);
  for (const Event* e : committed) {
    ++stored_by_action_[e->action];
    if (e->action == "file.download") {
      ++downloads_by_outcome_[e->outcome.empty() ? "unknown" : e->outcome];
    } else if (e->action == "session.open") {
      ++open_by_protocol_[e->protocol];
    } else if (e->action == "session.close") {
      --open_by_protocol_[e->protocol];
    }
  }
}

void IngestMetrics::add_to(MetricsRegistry& registry, const collector::Collector& collector,
                           std::vector<std::filesystem::path> store_files) {
  registry.add([this](std::vector<Metric>& out) {
    std::lock_guard lock(mutex_);
    Metric stored{"mitsu_events_stored_total", "Events stored, by kind", "counter", {}};
    for (const auto& [action, n] : stored_by_action_) {
      stored.values.emplace_back(metric_label("action", action), static_cast<double>(n));
    }
    Metric downloads{"mitsu_downloads_total", "Payload downloads, by outcome", "counter", {}};
    for (const auto& [outcome, n] : downloads_by_outcome_) {
      downloads.values.emplace_back(metric_label("outcome", outcome), static_cast<double>(n));
    }
    Metric open{"mitsu_sessions_open",
                "Sessions opened and not yet closed since start, by protocol",
                "gauge",
                {}};
    for (const auto& [protocol, n] : open_by_protocol_) {
      // A session that opened before this start closes after it: never below zero.
      open.values.emplace_back(metric_label("protocol", protocol),
                               static_cast<double>(std::max<std::int64_t>(n, 0)));
    }
    out.push_back(std::move(stored));
    out.push_back(std::move(downloads));
    out.push_back(std::move(open));
  });
  registry.add([&collector](std::vector<Metric>& out) {
    collector::CollectorStats s = collector.stats();
    auto one = [&](const char* name, const char* help, std::uint64_t v) {
      out.push_back({name, help, "counter", {{"", static_cast<double>(v)}}});
    };
    one("mitsu_collector_records_read_total", "Spool records the collector read", s.read);
    one("mitsu_collector_duplicates_total", "Records stored before (replays), counted once",
        s.duplicates);
    Metric rejected{"mitsu_collector_rejected_total",
                    "Records rejected (quarantined), by reason",
                    "counter",
                    {}};
    for (std::size_t code = 0; code < s.rejected_by_code.size(); ++code) {
      rejected.values.emplace_back(
          metric_label("reason", reject_code_name(static_cast<RejectCode>(code))),
          static_cast<double>(s.rejected_by_code[code]));
    }
    out.push_back(std::move(rejected));
  });
  registry.add([files = std::move(store_files)](std::vector<Metric>& out) {
    Metric bytes{"mitsu_store_bytes", "Size of the store's files on disk", "gauge", {}};
    for (const auto& file : files) {
      std::error_code ec;
      auto size = std::filesystem::file_size(file, ec);
      bytes.values.emplace_back(metric_label("file", file.filename().string()),
                                ec ? 0.0 : static_cast<double>(size));
    }
    out.push_back(std::move(bytes));
  });
}

}  // namespace mitsu::api

#pragma once
// Raises alerts from freshly ingested events by the rules (alert_rules.h). It runs inside
// ingest's unit of work (the collector's observer), so an event raises its alert exactly once
// and the alert's outbox rows commit with it. Over a rule's hourly limit, raises only fold into
// an open alert with the same key; the rest are counted as suppressed.

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/event.h"
#include "intel/alerts/alert_rules.h"
#include "store/alert_store.h"

namespace mitsu::intel {

// The outbox sink that stands for syslog; webhooks are named in the configuration.
inline constexpr std::string_view kSyslogSink = "syslog";

class AlertEngine {
 public:
  AlertEngine(std::vector<AlertRule> rules, store::AlertStore& alerts,
              std::vector<std::string> sinks)
      : rules_(std::move(rules)), alerts_(alerts), sinks_(std::move(sinks)) {}

  // Exploits by these rules also raise "session.targets_our_products" (the watchlist's).
  void set_targeted_rules(std::set<std::string> rules) { targeted_rules_ = std::move(rules); }

  Status observe(std::span<const Event* const> fresh);
  // Facts that are not events, raised through the same rules by the name they are given as
  // `on`: "sample.never_seen" and "sample.targets_our_products" from a verdict as it is written
  // (the catalog's verdict observer), "peak.detected" and "sensor.silent" from AlertWatch. Call
  // inside a unit of work; returns the alerts raised fresh.
  Result<std::vector<store::AlertRecord>> observe_fact(const Event& fact);
  Result<std::vector<store::AlertRecord>> observe_verdict(std::string_view sha256,
                                                          std::string_view verdict_json,
                                                          std::int64_t now_us);

  // The alerts the last observed batch raised fresh; for the live stream, once it committed.
  std::vector<store::AlertRecord> take_raised() {
    std::lock_guard lock(mutex_);
    return std::move(pending_);
  }

  std::uint64_t raised() const { return raised_; }
  std::uint64_t suppressed() const { return suppressed_; }

 private:
  // The alert raised fresh, if one was.
  Result<std::optional<store::AlertRecord>> apply(const AlertRule& rule, const Event& event);
  Result<std::vector<store::AlertRecord>> apply_all(const Event& event);

  std::vector<AlertRule> rules_;
  store::AlertStore& alerts_;
  std::vector<std::string> sinks_;
  std::atomic<std::uint64_t> raised_{0};
  std::atomic<std::uint64_t> suppressed_{0};
  std::vector<store::AlertRecord> pending_;
  std::set<std::string> targeted_rules_;
  std::mutex mutex_;  // ingest and the watch raise from different threads
};

// An alert as webhooks, syslog and the API show it.
std::string alert_json_text(const store::AlertRecord& alert);

}  // namespace mitsu::intel

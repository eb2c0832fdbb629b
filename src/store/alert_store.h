#pragma once
// Alerts and their delivery outbox. An alert is raised inside ingest's unit of work, with an
// outbox row per configured sink in the same transaction, so an alert is neither lost (the
// outbox is durable) nor raised twice (claims make ingest exactly-once). Delivery marks rows
// done; what is not done is retried, across restarts too.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mitsu::store {

struct AlertDraft {
  std::string rule;      // the alert rule's id
  std::string severity;  // "low", "medium", "high", "critical"
  std::string key;       // de-duplication key within the rule
  std::string title;
  std::string detail;      // JSON object text: what raised it (event ids, session, sample, ...)
  bool once = false;       // de-duplicate against every earlier alert, not only open ones
  std::int64_t ts_us = 0;  // when what raised it happened
  bool fold_only = false;  // over the rule's limit: count into an open alert, never a new one
};

struct AlertRecord {
  std::int64_t id = 0;
  std::string rule;
  std::string severity;
  std::string key;
  std::string title;
  std::string detail;
  std::int64_t first_us = 0;
  std::int64_t last_us = 0;
  std::int64_t count = 0;  // raises folded into this alert
  std::string acked_by;    // empty: open
  std::optional<std::int64_t> acked_us;
};

struct RaiseResult {
  std::int64_t id = 0;
  bool fresh = false;  // false: folded into an existing alert (count + 1), nothing queued
  // id 0 and not fresh: fold_only found nothing to fold into (suppressed).
};

struct OutboxItem {
  std::int64_t id = 0;
  std::int64_t alert_id = 0;
  std::string sink;
  int attempts = 0;
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // A fresh alert is queued for each of `sinks`. Call inside the unit of work that ingests the
  // events that raised it.
  virtual Result<RaiseResult> raise(const AlertDraft& draft,
                                    std::span<const std::string> sinks) = 0;
  // How many fresh alerts `rule` raised at or after `since_us` (the rate limit's count).
  virtual Result<std::uint64_t> raised_since(std::string_view rule, std::int64_t since_us) = 0;
  // Newest first; open ones only unless `include_acked`.
  virtual Result<std::vector<AlertRecord>> alerts(std::size_t limit, bool include_acked) = 0;
  virtual Result<std::optional<AlertRecord>> alert(std::int64_t id) = 0;
  // not_found for an unknown id; conflict when already acknowledged.
  virtual Status acknowledge(std::int64_t id, std::string_view user, std::int64_t now_us) = 0;

  // Undelivered items of `sink` due at `now_us`, oldest first.
  virtual Result<std::vector<OutboxItem>> due(std::string_view sink, std::int64_t now_us,
                                              std::size_t limit) = 0;
  virtual Status delivered(std::int64_t item_id, std::int64_t now_us) = 0;
  virtual Status retry_later(std::int64_t item_id, std::int64_t next_us,
                             std::string_view error) = 0;
  virtual Result<std::uint64_t> undelivered(std::string_view sink) = 0;
};

}  // namespace mitsu::store

#pragma once
// The live stream's fan-out: ingest publishes each committed batch of fresh events and the
// alerts it raised; every subscriber (one per open /api/v1/stream) gets the ones its filter
// matches, framed as Server-Sent Events. Publishing never waits on a subscriber: each has a
// bounded queue, and one that falls behind is dropped (told so, and its queue freed) rather
// than slowing ingest or growing without limit.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/event.h"
#include "store/alert_store.h"

namespace mitsu::api {

struct LiveFilter {
  bool events = true;
  bool alerts = true;
  // Events only; alerts pass whatever these say.
  std::optional<std::string> protocol;
  std::optional<std::string> sensor;
  std::optional<std::string> action;
  std::optional<std::string> src_ip;

  bool matches(const Event& event) const;
};

class LiveSubscription {
 public:
  LiveSubscription(LiveFilter filter, std::size_t max_queued_bytes)
      : filter_(std::move(filter)), max_bytes_(max_queued_bytes) {}

  // What arrived since the last call, as SSE frames. False once dropped: `out` then holds the
  // final "dropped" frame and the stream should end.
  bool take(std::string& out);
  const LiveFilter& filter() const { return filter_; }

 private:
  friend class LiveHub;
  // Queues one frame; false when it overflowed the limit (the subscription is dropped).
  bool push(const std::shared_ptr<const std::string>& frame);

  const LiveFilter filter_;
  const std::size_t max_bytes_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  bool dropped_ = false;
};

class LiveHub {
 public:
  explicit LiveHub(std::size_t max_queued_bytes = 4 << 20) : max_bytes_(max_queued_bytes) {}

  std::shared_ptr<LiveSubscription> subscribe(LiveFilter filter);
  // Called by ingest after a batch commits. Cheap when nobody listens.
  void publish_events(std::span<const Event* const> fresh);
  // Each alert once, by id: `mitsu run` publishes those it raised at once and, as it finds them
  // in the store, those the analysis workers (other processes) raised.
  void publish_alerts(std::span<const store::AlertRecord> alerts);

  std::size_t subscribers() const;
  std::uint64_t published() const { return published_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  // The live subscriptions (expired ones pruned), or empty.
  std::vector<std::shared_ptr<LiveSubscription>> live();
  void deliver(const std::vector<std::shared_ptr<LiveSubscription>>& to,
               const std::shared_ptr<const std::string>& frame);

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<LiveSubscription>> subscriptions_;
  static constexpr std::size_t kAlertIdsKept = 4096;  // the newest ids; older ones are long past
  std::set<std::int64_t> alerts_published_;           // under mutex_
  std::atomic<std::size_t> count_{0};
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

// One Server-Sent Events frame: `event: <kind>` and the data split into lines.
std::string sse_frame(std::string_view kind, std::string_view data);

}  // namespace mitsu::api

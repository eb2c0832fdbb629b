#include "api/live/live_hub.h"

#include "intel/alerts/alert_engine.h"

namespace mitsu::api {

bool LiveFilter::matches(const Event& event) const {
  return events && (!protocol || *protocol == event.protocol) &&
         (!sensor || *sensor == event.sensor) && (!action || *action == event.action) &&
         (!src_ip || *src_ip == event.src_ip);
}

std::string sse_frame(std::string_view kind, std::string_view data) {
  std::string frame = "event: ";
  frame.append(kind);
  frame += '\n';
  // A line break inside the data would end the field: each line goes in a data field of its
  // own, which the client joins back with '\n'. Stored JSON is one line; this is for safety.
  std::size_t start = 0;
  for (;;) {
    std::size_t end = data.find_first_of("\r\n", start);
    frame += "data: ";
    frame.append(data.substr(start, end == std::string_view::npos ? end : end - start));
    frame += '\n';
    if (end == std::string_view::npos) {
      break;
    }
    start = end + (data.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  frame += '\n';
  return frame;
}

bool LiveSubscription::take(std::string& out) {
  std::lock_guard lock(mutex_);
  for (const auto& frame : queue_) {
    out += *frame;
  }
  queue_.clear();
  queued_bytes_ = 0;
  if (dropped_) {
    out += sse_frame("dropped", R"({"reason":"the client read too slowly; reconnect"})");
  }
  return !dropped_;
}

bool LiveSubscription::push(const std::shared_ptr<const std::string>& frame) {
  std::lock_guard lock(mutex_);
  if (dropped_) {
    return true;  // counted when it happened
  }
  if (queued_bytes_ + frame->size() > max_bytes_) {
    dropped_ = true;
    queue_.clear();
    queue_.shrink_to_fit();
    queued_bytes_ = 0;
    return false;
  }
  queue_.push_back(frame);
  queued_bytes_ += frame->size();
  return true;
}

std::shared_ptr<LiveSubscription> LiveHub::subscribe(LiveFilter filter) {
  auto subscription = std::make_shared<LiveSubscription>(std::move(filter), max_bytes_);
  std::lock_guard lock(mutex_);
  subscriptions_.push_back(subscription);
  count_ = subscriptions_.size();
  return subscription;
}

std::size_t LiveHub::subscribers() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& s : subscriptions_) {
    n += s.expired() ? 0 : 1;
  }
  return n;
}

std::vector<std::shared_ptr<LiveSubscription>> LiveHub::live() {
  std::vector<std::shared_ptr<LiveSubscription>> out;
  if (count_.load(std::memory_order_relaxed) == 0) {
    return out;  // ingest's common case: nobody watching, no lock taken
  }
  std::lock_guard lock(mutex_);
  std::erase_if(subscriptions_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : subscriptions_) {
    if (auto strong = weak.lock()) {
      out.push_back(std::move(strong));
    }
  }
  count_ = subscriptions_.size();
  return out;
}

void LiveHub::deliver(const std::vector<std::shared_ptr<LiveSubscription>>& to,
                      const std::shared_ptr<const std::string>& frame) {
  for (const auto& s : to) {
    if (!s->push(frame)) {
      ++dropped_;
    }
  }
  ++published_;
}

void LiveHub::publish_events(std::span<const Event* const> fresh) {
  auto subscribers = live();
  if (subscribers.empty()) {
    return;
  }
  std::vector<std::shared_ptr<LiveSubscription>> matching;
  for (const Event* event : fresh) {
    matching.clear();
    for (const auto& s : subscribers) {
      if (s->filter().matches(*event)) {
        matching.push_back(s);
      }
    }
    if (!matching.empty()) {
      deliver(matching, std::make_shared<const std::string>(sse_frame("event", event->body)));
    }
  }
}

void LiveHub::publish_alerts(std::span<const store::AlertRecord> alerts) {
  auto subscribers = live();
  std::erase_if(subscribers, [](const auto& s) { return !s->filter().alerts; });
  for (const store::AlertRecord& alert : alerts) {
    {
      std::lock_guard lock(mutex_);
      if (!alerts_published_.insert(alert.id).second) {
        continue;  // published already (raised here, then found in the store)
      }
      if (alerts_published_.size() > kAlertIdsKept) {
        alerts_published_.erase(alerts_published_.begin());
      }
    }
    if (!subscribers.empty()) {
      deliver(subscribers, std::make_shared<const std::string>(
                               sse_frame("alert", intel::alert_json_text(alert))));
    }
  }
}

}  // namespace mitsu::api

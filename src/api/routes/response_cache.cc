#include "api/routes/response_cache.h"

#include <algorithm>

namespace mitsu::api {

std::shared_ptr<ResponseCache::Slot> ResponseCache::slot_of(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.second);
    return it->second.first;
  }
  recent_.push_front(key);
  auto slot = std::make_shared<Slot>();
  slots_.emplace(key, std::pair{slot, recent_.begin()});
  if (slots_.size() > max_entries_) {
    // A request still holding the evicted slot finishes with it; the next one starts afresh.
    slots_.erase(recent_.back());
    recent_.pop_back();
  }
  return slot;
}

Result<ApiResponse> ResponseCache::get(const std::string& key, std::chrono::milliseconds ttl,
                                       const Compute& compute) {
  if (ttl.count() <= 0) {
    return compute();
  }
  std::shared_ptr<Slot> slot = slot_of(key);
  std::lock_guard computing(slot->computing);
  auto now = std::chrono::steady_clock::now();
  if (slot->answer && now - slot->made < ttl) {
    {
      std::lock_guard lock(mutex_);
      ++hits_;
    }
    ApiResponse kept = *slot->answer;  // RFC 9111's Age: whole seconds since it was made
    kept.headers.emplace_back(
        "Age",
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - slot->made).count()));
    return kept;
  }
  Result<ApiResponse> answer = compute();
  if (answer) {
    slot->answer = *answer;
    slot->made = std::chrono::steady_clock::now();
  } else {
    slot->answer.reset();
  }
  return answer;
}

std::string ResponseCache::key_of(std::string_view route,
                                  const std::vector<std::pair<std::string, std::string>>& params) {
  auto sorted = params;
  std::sort(sorted.begin(), sorted.end());
  std::string key(route);
  for (const auto& [name, value] : sorted) {
    // Length-prefixed, so no name or value can make two requests' keys the same.
    for (const std::string& part : {name, value}) {
      key.append(1, ' ').append(std::to_string(part.size())).append(1, ':').append(part);
    }
  }
  return key;
}

std::size_t ResponseCache::size() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

std::uint64_t ResponseCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

}  // namespace mitsu::api

#include "api/auth/login_limiter.h"

#include <algorithm>

namespace mitsu::api {

std::int64_t LoginLimiter::wait_for(std::map<std::string, Failures>& table, const std::string& key,
                                    int limit, std::int64_t now_us) {
  auto it = table.find(key);
  if (it == table.end()) {
    return 0;
  }
  Failures& failures = it->second;
  while (!failures.empty() && failures.front() <= now_us - limits_.window_us) {
    failures.pop_front();
  }
  if (failures.empty()) {
    table.erase(it);
    return 0;
  }
  if (static_cast<int>(failures.size()) < limit) {
    return 0;
  }
  // Allowed again when the oldest failure that keeps the count at the limit leaves the window.
  std::int64_t free_at = failures[failures.size() - limit] + limits_.window_us;
  return std::max<std::int64_t>(1, (free_at - now_us + 999'999) / 1'000'000);
}

void LoginLimiter::record(std::map<std::string, Failures>& table, const std::string& key,
                          std::int64_t now_us) {
  if (table.size() >= limits_.max_keys && !table.contains(key)) {
    // Forget the key whose newest failure is oldest: an attacker rotating names or addresses
    // evicts its own stale entries first.
    auto oldest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
      return a.second.back() < b.second.back();
    });
    table.erase(oldest);
  }
  Failures& failures = table[key];
  failures.push_back(now_us);
  while (failures.size() > static_cast<std::size_t>(std::max(limits_.per_peer, limits_.per_user))) {
    failures.pop_front();
  }
}

std::int64_t LoginLimiter::retry_after(const std::string& peer, const std::string& user,
                                       std::int64_t now_us) {
  std::lock_guard lock(mutex_);
  return std::max(wait_for(by_peer_, peer, limits_.per_peer, now_us),
                  wait_for(by_user_, user, limits_.per_user, now_us));
}

void LoginLimiter::failed(const std::string& peer, const std::string& user, std::int64_t now_us) {
  std::lock_guard lock(mutex_);
  record(by_peer_, peer, now_us);
  record(by_user_, user, now_us);
}

void LoginLimiter::succeeded(const std::string& peer, const std::string& user) {
  std::lock_guard lock(mutex_);
  by_user_.erase(user);
  // The attempt was counted before it was checked: take it back from the peer, whose other
  // failures stay counted.
  if (auto it = by_peer_.find(peer); it != by_peer_.end() && !it->second.empty()) {
    it->second.pop_back();
  }
}

}  // namespace mitsu::api

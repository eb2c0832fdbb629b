#pragma once
// Answers of the statistics routes, kept for a few seconds. An overview reads ~30 rollup queries
// over one SQLite connection, so a wall of dashboards asking at once would queue behind each
// other; with the cache one computes and the rest take its answer (single flight per key). The
// rollups change with every ingest batch, so an answer is at most `ttl` old (its "generated"
// field says when); errors are never kept.
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/router.h"
#include "core/result.h"

namespace mitsu::api {

class ResponseCache {
 public:
  using Compute = std::function<Result<ApiResponse>()>;

  explicit ResponseCache(std::size_t max_entries = 256) : max_entries_(max_entries) {}

  // The kept answer for `key` if younger than `ttl`, else compute()'s (kept when it succeeds).
  // Callers of one key wait for the one computing it; other keys go on. ttl 0: always compute.
  Result<ApiResponse> get(const std::string& key, std::chrono::milliseconds ttl,
                          const Compute& compute);

  // The key of a request: its route and its parameters in a canonical order.
  static std::string key_of(std::string_view route,
                            const std::vector<std::pair<std::string, std::string>>& params);

  std::size_t size() const;
  std::uint64_t hits() const;

 private:
  struct Slot {
    std::mutex computing;  // held while the answer is made, so one request makes it
    std::optional<ApiResponse> answer;
    std::chrono::steady_clock::time_point made;
  };
  std::shared_ptr<Slot> slot_of(const std::string& key);

  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::shared_ptr<Slot>, std::list<std::string>::iterator>> slots_;
  std::list<std::string> recent_;  // least recently used at the back
  std::uint64_t hits_ = 0;
};

}  // namespace mitsu::api

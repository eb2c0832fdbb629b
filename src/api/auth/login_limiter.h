#pragma once
// Slows password guessing: failed logins are counted per source address and per user name in a
// sliding window; past the limit every attempt is refused, right or wrong, until the window
// moves on. Memory is bounded: the oldest keys are forgotten first.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace mitsu::api {

class LoginLimiter {
 public:
  struct Limits {
    int per_peer = 20;  // failures from one address
    int per_user = 5;   // failures against one name, from anywhere
    std::int64_t window_us = 5 * 60 * 1'000'000LL;
    std::size_t max_keys = 10'000;
  };
  LoginLimiter() : LoginLimiter(Limits{}) {}
  explicit LoginLimiter(Limits limits) : limits_(limits) {}

  // Seconds until an attempt from `peer` for `user` is allowed again; 0 when it is now.
  std::int64_t retry_after(const std::string& peer, const std::string& user, std::int64_t now_us);
  void failed(const std::string& peer, const std::string& user, std::int64_t now_us);
  // Forgets the user's failures and takes back the peer's latest count (login counts every
  // attempt as failed before it verifies).
  void succeeded(const std::string& peer, const std::string& user);

 private:
  using Failures = std::deque<std::int64_t>;
  std::int64_t wait_for(std::map<std::string, Failures>& table, const std::string& key, int limit,
                        std::int64_t now_us);
  void record(std::map<std::string, Failures>& table, const std::string& key, std::int64_t now_us);

  Limits limits_;
  std::mutex mutex_;
  std::map<std::string, Failures> by_peer_;
  std::map<std::string, Failures> by_user_;
};

}  // namespace mitsu::api

#pragma once
// The anti-amplification guard in front of every UDP responder (SSDP is a favourite DDoS
// reflector: a 100-byte spoofed request can draw kilobytes of answers): a source that has not
// proven its address — by completing a TCP handshake with the sensor, on any listener — gets no
// more bytes back than it sent, and every source is rate-limited, replies and recorded events
// alike. One guard per sensor: the proof and the budgets hold across its listeners.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mitsu::sensor {

class ReflectionGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kRepliesPerSecond = 10;
  static constexpr auto kProofLifetime = std::chrono::minutes(30);
  static constexpr auto kLedgerLifetime = std::chrono::minutes(10);
  static constexpr std::size_t kMaxSources = 100'000;

  // A request of `bytes` arrived from `source`: its reply budget grows by as much.
  void received(const std::string& source, std::size_t bytes, Clock::time_point now);
  // Whether a reply of `bytes` may go to `source` now; counted as sent when it may.
  bool may_send(const std::string& source, std::size_t bytes, Clock::time_point now);
  // `source` completed a TCP handshake with the sensor: its address is not spoofed.
  void proven(const std::string& source, Clock::time_point now);
  bool is_proven(const std::string& source, Clock::time_point now);
  // Whether a request from `source` is recorded as an event: kRepliesPerSecond a second, so a
  // flood is seen without filling the spool. `suppressed` gets how many were skipped since the
  // last one recorded.
  bool may_record(const std::string& source, Clock::time_point now, std::uint64_t& suppressed);

 private:
  struct Ledger {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    Clock::time_point since{};
    Clock::time_point second{};
    int replies_this_second = 0;
    Clock::time_point event_second{};
    int events_this_second = 0;
    std::uint64_t suppressed = 0;
    Clock::time_point proven_until{};
  };
  Ledger& ledger(const std::string& source, Clock::time_point now);

  std::mutex mutex_;
  std::unordered_map<std::string, Ledger> ledgers_;
};

}  // namespace mitsu::sensor

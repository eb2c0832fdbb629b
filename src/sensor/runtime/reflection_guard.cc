#include "sensor/runtime/reflection_guard.h"

namespace mitsu::sensor {

ReflectionGuard::Ledger& ReflectionGuard::ledger(const std::string& source, Clock::time_point now) {
  if (ledgers_.size() >= kMaxSources && !ledgers_.contains(source)) {
    // Forgetting unproven sources only loses their budgets: they start again from zero.
    std::erase_if(ledgers_, [&](const auto& entry) { return entry.second.proven_until <= now; });
    if (ledgers_.size() >= kMaxSources) {
      ledgers_.clear();  // proofs go too: those sources are back to byte-for-byte replies
    }
  }
  Ledger& l = ledgers_[source];
  if (now - l.since > kLedgerLifetime) {
    l.received = 0;
    l.sent = 0;
    l.since = now;
  }
  return l;
}

void ReflectionGuard::received(const std::string& source, std::size_t bytes,
                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  ledger(source, now).received += bytes;
}

bool ReflectionGuard::may_send(const std::string& source, std::size_t bytes,
                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Ledger& l = ledger(source, now);
  if (now - l.second >= std::chrono::seconds(1)) {
    l.second = now;
    l.replies_this_second = 0;
  }
  if (l.replies_this_second >= kRepliesPerSecond) {
    return false;
  }
  if (l.proven_until <= now && l.sent + bytes > l.received) {
    return false;
  }
  ++l.replies_this_second;
  l.sent += bytes;
  return true;
}

void ReflectionGuard::proven(const std::string& source, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  ledger(source, now).proven_until = now + kProofLifetime;
}

bool ReflectionGuard::may_record(const std::string& source, Clock::time_point now,
                                 std::uint64_t& suppressed) {
  std::lock_guard lock(mutex_);
  Ledger& l = ledger(source, now);
  if (now - l.event_second >= std::chrono::seconds(1)) {
    l.event_second = now;
    l.events_this_second = 0;
  }
  if (l.events_this_second >= kRepliesPerSecond) {
    ++l.suppressed;
    return false;
  }
  ++l.events_this_second;
  suppressed = l.suppressed;
  l.suppressed = 0;
  return true;
}

bool ReflectionGuard::is_proven(const std::string& source, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = ledgers_.find(source);
  return it != ledgers_.end() && it->second.proven_until > now;
}

}  // namespace mitsu::sensor

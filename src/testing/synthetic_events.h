#pragma once
// Deterministic synthetic attack traffic as schema-valid events, for tests and benchmarks:
// sessions that open, try logins, run commands, sometimes fetch a payload, and close. Addresses
// come from the documentation ranges (RFC 5737, RFC 3849); nothing here touches a network.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/event_builder.h"
#include "core/uuid.h"

namespace mitsu::testing {

struct SyntheticOptions {
  std::uint64_t seed = 1;
  std::int64_t start_us = 1'793'491'200'000'000;  // 2026-11-01T00:00:00Z
  std::int64_t step_us = 997;                     // time between consecutive events
  SensorIdentity sensor{"sensor-synth", "lab"};
};

class SyntheticEvents {
 public:
  explicit SyntheticEvents(SyntheticOptions options = {});

  // The next event's JSON text (one line, no newline).
  std::string next();

 private:
  void start_session();

  SyntheticOptions options_;
  std::mt19937_64 random_;
  Uuid7Generator ids_;
  EventBuilder builder_;
  std::int64_t now_us_;
  SessionInfo session_;
  std::vector<std::string> pending_;  // actions left in the current session
};

}  // namespace mitsu::testing

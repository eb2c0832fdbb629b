#pragma once
// What kind of attack a session was, from its events alone (docs/intel.md has the rules). The
// same events always give the same class, so rollups can be rebuilt from raw events and agree.

#include <cstdint>
#include <span>
#include <string_view>

#include "core/event.h"

namespace mitsu::intel {

// Ordered by what a session achieved: each class beats those before it.
enum class SessionClass {
  kScan,             // connected, grabbed a banner or sent requests; no login, no exploit
  kBruteForce,       // tried logins, did nothing after any of them
  kIntrusion,        // logged in and ran commands, but no exploit and no payload
  kExploit,          // matched an exploit signature, no payload arrived
  kMalwareDelivery,  // a payload was downloaded, written or uploaded
};

std::string_view to_string(SessionClass c);

struct Classification {
  SessionClass session_class = SessionClass::kScan;
  // A person at the keyboard rather than a script: see is_interactive().
  bool interactive = false;
};

// The events of one session, in any order.
Classification classify(std::span<const Event> session);

// Three or more shell commands, typed at human pace: the median gap between them at least a
// second, and none following the previous within 200 ms (bots send their lines in one burst).
bool is_interactive(std::span<const Event> session);
// The same rule over a session's command times, sorted.
bool interactive_command_times(std::span<const std::int64_t> sorted_times);

}  // namespace mitsu::intel

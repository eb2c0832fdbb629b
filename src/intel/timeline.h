#pragma once
// A case timeline: one ordered view of everything Mitsu knows about a sample, a source address
// or a sensor (a real device behind the relay) — the sessions involved with their logins,
// commands, exploits, HTTP and SMB steps, downloads and uploads, files created, changed and
// deleted on real devices, and the sandbox's behaviours — so an analyst reads a case (the
// SambaCry drop: session, upload, pipe-open exploit, file events, deletion) as one page.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"
#include "store/catalog.h"
#include "store/event_store.h"

namespace mitsu::intel {

struct TimelineSubject {
  enum class Kind { kSample, kSource, kSensor } kind = Kind::kSample;
  std::string value;  // sha256, address or sensor name
};

struct TimelineOptions {
  std::size_t max_sessions = 50;  // sessions followed in full
  std::size_t max_events = 5000;  // entries in all; "truncated" says when it stopped
};

// {"subject": {...}, "entries": [{"ts", "kind", "title", "session_id", "sha256", "event"}...],
// "sessions": [...], "samples": [...], "truncated": bool}; nullopt when nothing is known.
Result<std::optional<nlohmann::json>> case_timeline(store::Catalog& catalog,
                                                    store::EventStore& events,
                                                    const TimelineSubject& subject,
                                                    const TimelineOptions& options = {});

}  // namespace mitsu::intel

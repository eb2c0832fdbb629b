#pragma once
// Strict validation of one JSON event against the schema in docs/events.md. Used at every point
// where events cross a trust boundary: `mitsu ingest`, and the collector reading a spool.

#include <memory>
#include <string>
#include <string_view>

#include "core/event.h"

namespace mitsu {

enum class RejectCode {
  kTooLarge,
  kMalformedJson,
  kNotAnObject,
  kUnsupportedSchema,
  kUnknownKind,
  kMissingField,
  kInvalidField,
};
inline constexpr int kRejectCodeCount = 7;

std::string_view reject_code_name(RejectCode code);

struct Rejection {
  RejectCode code = RejectCode::kMalformedJson;
  std::string detail;

  std::string to_string() const;
};

// Normalised text of an IP address, or empty if text is not one. IPv4-mapped IPv6 becomes IPv4 so
// one attacker is one address whichever socket family saw it.
std::string normalize_ip(std::string_view text);

// Not thread-safe: keep one per thread (it reuses its parse buffers).
class EventParser {
 public:
  EventParser();
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  // Fills `out` and returns true, or fills `why` and returns false. Never throws on bad input.
  bool parse(std::string_view text, Event& out, Rejection& why);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mitsu

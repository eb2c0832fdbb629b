#pragma once
// A passive decoder for a relayed session: it sees both directions of a conversation between an
// attacker and a real device and reports what it understands — the same events an emulated
// persona's session would give — without ever changing a byte. Pure code over bytes, fuzzed.

#include <optional>
#include <span>
#include <string>

#include "sensor/session/session.h"

namespace mitsu::sensor {

class StreamObserver {
 public:
  virtual ~StreamObserver() = default;
  // Bytes the attacker sent to the device, and the device's answers. Only `events` and
  // `captures` of the actions are used.
  virtual void from_client(std::span<const std::byte> bytes, SessionActions& out) = 0;
  virtual void from_server(std::span<const std::byte> bytes, SessionActions& out) = 0;
  // The session ended: what is still pending (a file written but never closed).
  virtual void finish(SessionActions& out) = 0;
  // The file on the device that `event` (one this observer reported) opened, as the file-drop
  // watch names it (relative to the watched share), so a file change can name the session that
  // caused it; nullopt when the event opened none.
  virtual std::optional<std::string> device_path(const SessionEvent& event) const {
    (void)event;
    return std::nullopt;
  }
};

}  // namespace mitsu::sensor

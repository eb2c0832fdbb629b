#pragma once
// What every protocol session has in common: it is fed bytes and answers with actions (bytes to
// send, events, payloads to fetch or keep, whether to close), so it runs without a socket in
// tests and the runtime that owns sockets stays protocol-agnostic.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor {

// An event without the common fields; the runtime adds session, sensor and time.
struct SessionEvent {
  std::string action;     // a kind from docs/events.md, e.g. "login.attempt"
  nlohmann::json fields;  // dotted ECS paths to values: {"user.name": "root", …}
};

// A file the attacker left in the session (echo-reconstructed, copied, uploaded).
struct CapturedFile {
  std::string path;
  std::string content;
};

struct SessionActions {
  std::string send;
  // Sent a moment after `send`, in its own segment: a device's login program writes its prompt
  // after telnetd's negotiation, and clients such as hydra wait seconds for more when both come
  // in one read.
  std::string then_send;
  std::vector<SessionEvent> events;
  std::vector<DownloadRequest> downloads;
  std::vector<CapturedFile> captures;
  bool close = false;
  std::string close_reason;  // a token: client_closed, idle_timeout, limit, logout, …

  void merge(SessionActions&& other);
};

class Session {
 public:
  virtual ~Session() = default;
  // The connection is up: greet.
  virtual SessionActions open() = 0;
  virtual SessionActions receive(std::span<const std::byte> bytes) = 0;
  // The connection is going away (peer closed, timeout, shutdown): last captures.
  virtual SessionActions finish() = 0;
  // A download asked for earlier has its bytes (empty content when it failed).
  virtual void downloaded(const DownloadRequest& request, std::string_view content) = 0;
  // A request has begun and not ended: the runtime gives it SensorLimits::request_timeout
  // (slowloris), instead of the idle timeout per byte.
  virtual bool request_in_progress() const { return false; }
};

// Decides logins: the persona's policy plus what the runtime knows across sessions (failures
// from the same address).
class LoginGate {
 public:
  virtual ~LoginGate() = default;
  virtual bool accept(std::string_view user, std::string_view password) = 0;
};

}  // namespace mitsu::sensor

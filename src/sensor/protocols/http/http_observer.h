#pragma once
// HTTP relayed to a real device, watched: every request is an `http.request` event, matched
// against the exploit signatures (an `exploit` event, and the injected command as a `command`
// event — the device, not Mitsu, runs it), and Basic-auth logins are `login.attempt` events
// whose outcome is the device's answer (401 or not).

#include <deque>
#include <memory>
#include <string>

#include "sensor/exploits/exploit_rules.h"
#include "sensor/protocols/http/http_request.h"
#include "sensor/session/stream_observer.h"

namespace mitsu::sensor::http {

class HttpObserver final : public StreamObserver {
 public:
  explicit HttpObserver(std::shared_ptr<const ExploitRules> exploits)
      : exploits_(std::move(exploits)) {}

  void from_client(std::span<const std::byte> bytes, SessionActions& out) override;
  void from_server(std::span<const std::byte> bytes, SessionActions& out) override;
  void finish(SessionActions& out) override;

 private:
  struct PendingLogin {
    std::string user;
    std::string password;
  };
  void answered(int status, SessionActions& out);

  std::shared_ptr<const ExploitRules> exploits_;
  RequestParser requests_;
  bool client_failed_ = false;
  // One entry per request sent, in order: the Basic login it carried, if any.
  std::deque<std::optional<PendingLogin>> awaiting_;
  // Responses, framed far enough to find each status line (Content-Length or to the end).
  std::string responses_;
  std::size_t body_left_ = 0;
  bool body_to_end_ = false;
};

}  // namespace mitsu::sensor::http

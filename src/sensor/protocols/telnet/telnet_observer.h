#pragma once
// Telnet relayed to a real device, watched: the device's prompts say what the attacker's next
// line is — after "login:" a user name, after "Password:" a password (a `login.attempt` once the
// device answers with a shell prompt or a refusal), and after a successful login each line is a
// `command` event. Option negotiation is decoded out of both directions first.

#include <optional>
#include <string>

#include "sensor/protocols/telnet/telnet_decoder.h"
#include "sensor/session/stream_observer.h"

namespace mitsu::sensor::telnet {

class TelnetObserver final : public StreamObserver {
 public:
  void from_client(std::span<const std::byte> bytes, SessionActions& out) override;
  void from_server(std::span<const std::byte> bytes, SessionActions& out) override;
  void finish(SessionActions& out) override;

 private:
  void line(std::string_view text, SessionActions& out);
  void report_login(bool success, SessionActions& out);

  Decoder client_decoder_, server_decoder_;
  std::string client_line_;
  std::string server_tail_;  // the device's last output, where prompts are looked for
  std::string user_;
  std::optional<std::string> password_;  // given, outcome not yet known
  bool logged_in_ = false;
  bool after_cr_ = false;
};

}  // namespace mitsu::sensor::telnet

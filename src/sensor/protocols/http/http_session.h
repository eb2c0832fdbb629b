#pragma once
// The persona's web server: serves its pages, asks for its Basic-auth realm, takes form and
// Basic logins as login attempts, and checks every request against the exploit signatures; an
// exploit's injected command runs in the persona's emulated shell, so its payload is fetched
// like a Telnet bot's. Every request is an `http.request` event.

#include <memory>
#include <optional>
#include <string>

#include "sensor/exploits/exploit_rules.h"
#include "sensor/persona/persona.h"
#include "sensor/protocols/http/http_request.h"
#include "sensor/protocols/upnp/upnp_device.h"
#include "sensor/session/kept_files.h"
#include "sensor/session/session.h"
#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor::http {

inline constexpr std::size_t kMaxRequestsPerConnection = 100;
inline constexpr std::size_t kEventBodyBytes = 4096;  // of a body, in its event

class HttpSession final : public Session {
 public:
  // `exploits` may be null: no signature matching (bench/http measures the difference).
  // `port_mappings` is the persona's UPnP state, shared by its connections (null: no UPnP).
  HttpSession(const DevicePersona& persona, std::shared_ptr<const FakeFilesystem> filesystem,
              std::shared_ptr<const ExploitRules> exploits, LoginGate& gate, std::int64_t now_s,
              std::shared_ptr<upnp::PortMappingTable> port_mappings = nullptr);

  SessionActions open() override { return {}; }
  // The sensor address the client connected to (what UPnP reports as the WAN address).
  void set_local_address(std::string address) { local_address_ = std::move(address); }
  SessionActions receive(std::span<const std::byte> bytes) override;
  SessionActions finish() override;
  void downloaded(const DownloadRequest& request, std::string_view content) override;
  bool request_in_progress() const override { return !closed_ && parser_.partial(); }

 private:
  void handle(const Request& request, SessionActions& out);
  void respond(const Request& request, int status, std::string_view content_type,
               std::string_view body, SessionActions& out, std::string_view extra_headers = {});
  void run_injected(const std::string& command, SessionActions& out);
  // UPnP description, SCPDs and SOAP control; false when the request is for none of them.
  bool handle_upnp(const Request& request, SessionActions& out);

  const DevicePersona& persona_;
  std::shared_ptr<const FakeFilesystem> filesystem_;
  std::shared_ptr<const ExploitRules> exploits_;
  std::shared_ptr<upnp::PortMappingTable> port_mappings_;
  LoginGate& gate_;
  std::int64_t now_s_;
  RequestParser parser_;
  std::size_t requests_ = 0;
  bool closed_ = false;
  std::string local_address_;
  std::string last_basic_;              // credentials already reported in this connection
  std::optional<EmulatedShell> shell_;  // made on the first injected command
  KeptFiles kept_;
};

// What every HTTP request is recorded as, emulated or relayed to a real device.
SessionEvent request_event(const Request& request);
SessionEvent exploit_event(const ExploitMatch& match);

// The client's fingerprint: method, header names in order and User-Agent, hashed, so one tool
// is recognised across addresses.
std::string client_fingerprint(const Request& request);

// RFC 4648 base64; nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mitsu::sensor::http

#pragma once
// SSDP (UPnP discovery over UDP port 1900): M-SEARCH requests answered with the persona's
// LOCATION, NOTIFY announcements read for what they claim. SSDP is a favourite DDoS reflector —
// a 100-byte spoofed request can draw kilobytes of answers — so answers to a source that has not
// proven its address are compact, and the runtime's reflection guard bounds what is sent.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/persona/persona.h"
#include "sensor/protocols/http/http_request.h"
#include "sensor/session/datagram_responder.h"

namespace mitsu::sensor::upnp {

inline constexpr std::string_view kMulticastGroup = "239.255.255.250";
inline constexpr int kMulticastPort = 1900;

// M-SEARCH, NOTIFY (or anything else a datagram starts with); nullopt when it is not HTTPU.
std::optional<http::Request> parse_ssdp(std::span<const std::byte> datagram);

// The answers a device gives to an M-SEARCH for `search_target`, one datagram each (ssdp:all
// draws one per root device, device type and service). `compact` leaves out what a control
// point does not need (SERVER, DATE), for sources whose byte budget is tight.
std::vector<std::string> search_responses(const DevicePersona& persona,
                                          std::string_view search_target, std::string_view location,
                                          bool compact);

// The SSDP listener's answers and events (the runtime sends the answers within its reflection
// guard, runtime/reflection_guard.h).
class SsdpResponder final : public DatagramResponder {
 public:
  // `description_port`: the persona's HTTP listener, which serves the description LOCATION names.
  SsdpResponder(const DevicePersona& persona, int description_port)
      : persona_(persona), description_port_(description_port) {}
  std::vector<std::string> answer(std::span<const std::byte> datagram,
                                  const std::function<std::string()>& local_address,
                                  bool compact) const override;
  // An ssdp.request: what the datagram asked and what went back.
  SessionEvent record(std::span<const std::byte> datagram, const SentReplies& sent) const override;

 private:
  const DevicePersona& persona_;
  int description_port_;
};

}  // namespace mitsu::sensor::upnp

// Telnet's registration: BusyBox telnetd's ports, the [telnet] persona section, an emulated
// session and a passive decoder for a relayed device. Its events are core's (logins, commands).

#include "sensor/persona/persona.h"
#include "sensor/protocols/telnet/telnet_observer.h"
#include "sensor/protocols/telnet/telnet_session.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {

Status register_telnet(ProtocolRegistry& registry) {
  ProtocolInfo info;
  info.name = "telnet";
  info.transport = "tcp";
  info.default_ports = {23, 2323};
  info.persona_section = "telnet";
  info.persona_keys = {"banner",       "login_prompt", "password_prompt",
                       "login_failed", "motd",         "max_login_failures"};
  info.read_persona_key = [](const TomlReader& r, const toml::node& node, std::string_view name,
                             const std::string& key, DevicePersona& p) -> Status {
    if (name == "banner") {
      return r.string(node, key, p.telnet_banner);
    }
    if (name == "login_prompt") {
      return r.string(node, key, p.login_prompt);
    }
    if (name == "password_prompt") {
      return r.string(node, key, p.password_prompt);
    }
    if (name == "login_failed") {
      return r.string(node, key, p.login_failed);
    }
    if (name == "motd") {
      return r.string(node, key, p.motd);
    }
    std::int64_t n = 0;
    Status s = r.integer(node, key, 1, 1000, n);
    p.max_login_failures = static_cast<int>(n);
    return s;
  };
  info.make_session = [](const SessionContext& c) -> std::unique_ptr<Session> {
    return std::make_unique<telnet::TelnetSession>(c.persona, c.filesystem, c.gate, c.now_s);
  };
  info.make_observer = [](const RelayContext&) -> std::unique_ptr<StreamObserver> {
    return std::make_unique<telnet::TelnetObserver>();
  };
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor

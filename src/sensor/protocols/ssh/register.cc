// SSH's registration: libssh owns the stream, so the runtime's owned-stream driver serves it
// (register_server.cc supplies the endpoint); the [ssh] persona section names the version banner.
// Its events are core's.

#include "sensor/persona/persona.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {

Status register_ssh(ProtocolRegistry& registry) {
  ProtocolInfo info;
  info.name = "ssh";
  info.transport = "tcp";
  info.default_ports = {22, 2222};
  info.mode = ServeMode::kOwnedStream;
  info.persona_section = "ssh";
  info.persona_keys = {"version"};
  info.read_persona_key = [](const TomlReader& r, const toml::node& node, std::string_view,
                             const std::string& key, DevicePersona& p) -> Status {
    if (Status s = r.string(node, key, p.ssh_version); !s) {
      return s;
    }
    if (!p.ssh_version.starts_with("SSH-2.0-")) {
      return r.at(node, key, "must start with \"SSH-2.0-\"");
    }
    return {};
  };
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor

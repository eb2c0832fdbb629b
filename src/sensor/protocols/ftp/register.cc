// FTP's registration: the [ftp] persona section, the emulated control session (the runtime's
// data-channel driver serves its transfers) and the ftp.command kind.

#include <array>

#include "sensor/persona/persona.h"
#include "sensor/protocols/ftp/ftp_session.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {
namespace {

using enum FieldType;
using enum Presence;

constexpr std::array kFtpCommand{
    FieldRule{"/mitsu/ftp/verb", kNonEmptyString, kRequired},
    FieldRule{"/mitsu/ftp/argument", kString, kOptional},
};

}  // namespace

Status register_ftp(ProtocolRegistry& registry) {
  ProtocolInfo info;
  info.name = "ftp";
  info.transport = "tcp";
  info.default_ports = {21, 2121};
  info.persona_section = "ftp";
  info.persona_keys = {"banner", "anonymous"};
  info.read_persona_key = [](const TomlReader& r, const toml::node& node, std::string_view name,
                             const std::string& key, DevicePersona& p) -> Status {
    if (name == "anonymous") {
      if (!node.is_boolean()) {
        return r.at(node, key, "expected true or false");
      }
      p.ftp_anonymous = *node.value<bool>();
      return {};
    }
    if (Status s = r.string(node, key, p.ftp_banner); !s) {
      return s;
    }
    if (!p.ftp_banner.starts_with("220")) {
      return r.at(node, key, "must start with \"220\"");
    }
    return {};
  };
  info.event_kinds = {{"ftp.command", EventScope::kSession, kFtpCommand}};
  info.make_session = [](const SessionContext& c) -> std::unique_ptr<Session> {
    return std::make_unique<ftp::FtpSession>(c.persona, c.filesystem, c.gate, c.peer_ip);
  };
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor

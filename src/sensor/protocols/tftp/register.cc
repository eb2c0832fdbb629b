// TFTP's registration: UDP, each transfer on its own port (the runtime's transfer driver serves
// a TftpSession per request), the [tftp] persona section (only its port), and the tftp.request
// kind.

#include <array>

#include "sensor/persona/persona.h"
#include "sensor/protocols/tftp/tftp_session.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {
namespace {

using enum FieldType;
using enum Presence;

constexpr std::array kTftpRequest{
    FieldRule{"/mitsu/tftp/operation", kToken, kRequired},
    FieldRule{"/file/name", kString, kRequired},
    FieldRule{"/mitsu/tftp/mode", kToken, kOptional},
};

}  // namespace

Status register_tftp(ProtocolRegistry& registry) {
  ProtocolInfo info;
  info.name = "tftp";
  info.transport = "udp";
  info.default_ports = {69};
  info.mode = ServeMode::kTransfer;
  info.persona_section = "tftp";
  info.event_kinds = {{"tftp.request", EventScope::kSession, kTftpRequest}};
  info.opens_transfer = tftp::opens_transfer;
  info.make_transfer = [](const SessionContext& c,
                          std::string request) -> std::unique_ptr<TransferSession> {
    return std::make_unique<tftp::TftpSession>(c.filesystem, std::move(request));
  };
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor

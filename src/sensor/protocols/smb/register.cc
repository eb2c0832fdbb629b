// SMB's registration: not emulated; a listener relays to a real device and the passive decoder
// reports logins, shares and files (smb.session, smb.tree_connect, smb.create).

#include <array>

#include "sensor/protocols/smb/smb_decoder.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {
namespace {

using enum FieldType;
using enum Presence;

constexpr std::array kSmbSession{
    FieldRule{"/user/name", kString, kRequired},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

constexpr std::array kSmbTreeConnect{
    FieldRule{"/mitsu/smb/share", kString, kRequired},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

constexpr std::array kSmbCreate{
    FieldRule{"/file/path", kString, kRequired},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

}  // namespace

Status register_smb(ProtocolRegistry& registry) {
  ProtocolInfo info;
  info.name = "smb";
  info.transport = "tcp";
  info.default_ports = {445, 139};
  info.mode = ServeMode::kRelayOnly;
  info.event_kinds = {{"smb.session", EventScope::kSession, kSmbSession},
                      {"smb.tree_connect", EventScope::kSession, kSmbTreeConnect},
                      {"smb.create", EventScope::kSession, kSmbCreate}};
  info.make_observer = [](const RelayContext& c) -> std::unique_ptr<StreamObserver> {
    return std::make_unique<smb::SmbDecoder>(c.device_share);
  };
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor

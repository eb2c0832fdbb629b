// SMB's registration: not emulated; a listener relays to a real device and the passive decoder
// reports logins, shares and files (smb.session, smb.tree_connect, smb.create), and which file
// on the device's share each create opened (for the file-drop watch).

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

// The decoder, plus the share-relative path of each smb.create.
class RelayObserver final : public StreamObserver {
 public:
  explicit RelayObserver(std::string device_share) : decoder_(std::move(device_share)) {}
  void from_client(std::span<const std::byte> bytes, SessionActions& out) override {
    decoder_.from_client(bytes, out);
  }
  void from_server(std::span<const std::byte> bytes, SessionActions& out) override {
    decoder_.from_server(bytes, out);
  }
  void finish(SessionActions& out) override { decoder_.finish(out); }
  std::optional<std::string> device_path(const SessionEvent& e) const override {
    if (e.action != "smb.create" || !e.fields.contains("file.path")) {
      return std::nullopt;
    }
    return smb::share_relative(e.fields["file.path"].get<std::string>());
  }

 private:
  smb::SmbDecoder decoder_;
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
    return std::make_unique<RelayObserver>(c.device_share);
  };
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor

#pragma once
// The protocol registry, Zeek-style: each folder under sensor/protocols/ registers itself here
// (name, transport, default ports, how the runtime serves it, its session and relay-observer
// factories, its persona section and its event kinds) from its register.cc. The runtime, the
// configuration, persona loading and the simulator ask the registry; nobody lists protocols.
// The runtime serves a protocol through what its entry supplies for its mode (a Session, an
// OwnedStreamEndpoint, a TransferSession, a DatagramResponder) and includes no protocol's code.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_kinds.h"
#include "core/result.h"
#include "core/toml_reader.h"

namespace mitsu::sensor {

class DatagramResponder;
class ExploitRules;
class FakeFilesystem;
class LoginGate;
class OwnedStreamEndpoint;
class Session;
class StreamObserver;
class TransferSession;
struct DevicePersona;

// How the runtime serves a protocol. The runtime has one driver per mode, none per protocol.
enum class ServeMode {
  kStream,       // TCP: the runtime feeds the bytes it reads to a Session from make_session
  kOwnedStream,  // TCP: a library owns the stream (SSH's libssh), from make_endpoint
  kTransfer,     // UDP: each request gets its own port and session (TFTP's transfer identifiers)
  kResponder,    // UDP: one datagram, one answer, one event (SSDP, behind the reflection guard)
  kRelayOnly,    // not emulated: served only by a real device behind the recording relay
};

// State that the sessions of one persona share across connections, by key (UPnP's port
// mappings: `upnpc -a` then `upnpc -l` see one device). Thread-safe.
class SharedState {
 public:
  template <typename T>
  std::shared_ptr<T> get(const std::string& key) {
    std::lock_guard lock(mutex_);
    std::shared_ptr<void>& slot = state_[key];
    if (!slot) {
      slot = std::make_shared<T>();
    }
    return std::static_pointer_cast<T>(slot);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<void>> state_;
};

// What a session factory gets: the persona answering, the connection's ends, what the sensor
// shares.
struct SessionContext {
  const DevicePersona& persona;
  std::shared_ptr<const FakeFilesystem> filesystem;
  LoginGate& gate;
  std::int64_t now_s = 0;
  std::string local_ip;  // the address the client reached
  std::string peer_ip;
  std::shared_ptr<const ExploitRules> exploits;  // may be null: no exploit matching
  SharedState& shared;                           // this persona's
};

// What an owned-stream endpoint factory gets, once per listener.
struct EndpointContext {
  const DevicePersona& persona;
  std::filesystem::path keys_dir;  // where the protocol keeps its keys (SSH host keys), kept
};

// What a responder factory gets, once per listener, after every TCP listener is bound.
struct ResponderContext {
  const DevicePersona& persona;
  int port = 0;  // as the listener asked for it (0: any), for error messages
  // The port this persona's listener for `protocol` is bound to; 0 when it has none.
  std::function<int(std::string_view protocol)> bound_port;
};

// What a relay observer factory gets.
struct RelayContext {
  std::string device_share;  // the device's writable share as it names it (SMB)
  std::shared_ptr<const ExploitRules> exploits;
};

struct ProtocolInfo {
  std::string name;                // network.protocol in events, `protocol` of a listener
  std::string transport = "tcp";   // "tcp" or "udp"
  std::vector<int> default_ports;  // well-known ports, most common first
  ServeMode mode = ServeMode::kStream;
  bool multicast_by_default = false;  // SSDP: found by multicast, so join the group
  std::string multicast_group;        // the group a `multicast` listener joins ("": none)
  int multicast_port = 0;

  // The persona file's [section] for this protocol ("" when it has none; a section belongs to one
  // protocol). Its `port` key is read by persona loading (the persona offers the service); every
  // other key must be in `persona_keys` and goes to `read_persona_key`.
  std::string persona_section;
  std::vector<std::string> persona_keys;
  std::function<Status(const TomlReader& reader, const toml::node& value, std::string_view name,
                       const std::string& key, DevicePersona& persona)>
      read_persona_key;

  // Kinds only this protocol emits (core has the generic ones). Their strings and field rules
  // must be static: the event parser keeps pointing at them.
  std::vector<EventKind> event_kinds;

  // Emulation, one factory per mode; null for the other modes.
  // kStream: a session per connection.
  std::function<std::unique_ptr<Session>(const SessionContext&)> make_session;
  // kOwnedStream: an endpoint per listener. Set with set_endpoint_factory() where the library
  // is linked (mitsu_sensor, register_builtin_servers()): binaries that only parse events
  // register the protocol without it.
  std::function<Result<std::unique_ptr<OwnedStreamEndpoint>>(const EndpointContext&)> make_endpoint;
  // kTransfer: whether a datagram on the well-known port opens a transfer (others are dropped
  // before they count against the caps), and the transfer's session, given that datagram.
  std::function<bool(std::span<const std::byte> datagram)> opens_transfer;
  std::function<std::unique_ptr<TransferSession>(const SessionContext&, std::string request)>
      make_transfer;
  // kResponder: a responder per listener; an error when the persona cannot answer.
  std::function<Result<std::unique_ptr<DatagramResponder>>(const ResponderContext&)> make_responder;
  // Passive decoder for a relayed real device; null: the protocol cannot be relayed.
  std::function<std::unique_ptr<StreamObserver>(const RelayContext&)> make_observer;
};

class ProtocolRegistry {
 public:
  // The process's registry: built-ins are added by register_builtin_protocols().
  static ProtocolRegistry& instance();

  // Adds a protocol and registers its event kinds with the parser. A name, persona section or
  // event kind that is already known is an error.
  Status add(ProtocolInfo info);

  // Supplies an owned-stream protocol's endpoint factory (see ProtocolInfo::make_endpoint).
  Status set_endpoint_factory(std::string_view name, decltype(ProtocolInfo::make_endpoint) make);

  const ProtocolInfo* find(std::string_view name) const;
  const ProtocolInfo* find_by_section(std::string_view section) const;
  // Sorted by name.
  std::vector<const ProtocolInfo*> all() const;
  // "ftp, http, …" for error messages.
  std::string names() const;

 private:
  mutable std::shared_mutex mutex_;
  std::deque<ProtocolInfo> protocols_;  // a deque: pointers handed out stay valid
};

// Registers every protocol shipped under sensor/protocols/ (one list, in builtin_protocols.cc).
// Idempotent. Every binary that serves or parses events calls it (or links something that does:
// persona loading, the sensor runtime and the simulator call it themselves).
void register_builtin_protocols();

// register_builtin_protocols(), then what serving the built-ins needs beyond mitsu_sensor_logic
// (SSH's libssh endpoint), in registry/builtin_servers.cc. Defined in mitsu_sensor; the sensor
// runtime calls it. Idempotent.
void register_builtin_servers();

}  // namespace mitsu::sensor

#pragma once
// The sensor runtime's insides, shared by the files that each own one responsibility:
// sensor_server.cc (lifecycle, listeners), admission.cc (caps, PROXY header, deadlines),
// connection_driver.cc (a TCP connection fed to its session or owned stream),
// ftp_data_channel.cc, transfer_driver.cc, responder_driver.cc, relay.cc (recording proxy),
// zero_day.cc and file_watch_loop.cc. Only those files include it. The runtime knows protocols
// only through the registry and the session interfaces (scripts/check-layers.sh holds it to
// that): one driver per serve mode, none per protocol.

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
// clang-format off
#include <utility>
// clang-format on

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "core/clock.h"
#include "core/uuid.h"
#include "sensor/download/address_guard.h"
#include "sensor/registry/protocol_registry.h"
#include "sensor/relay/file_watch.h"
#include "sensor/relay/pcapng_recording.h"
#include "sensor/runtime/reflection_guard.h"
#include "sensor/runtime/sensor_server.h"
#include "sensor/session/data_channel.h"
#include "sensor/session/datagram_responder.h"
#include "sensor/session/owned_stream.h"
#include "sensor/session/session.h"
#include "sensor/session/stream_observer.h"
#include "sensor/session/transfer_session.h"

namespace mitsu::sensor {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

inline constexpr std::size_t kReadChunk = 16 * 1024;
inline constexpr std::size_t kRelayChunk =
    64 * 1024;  // relayed streams are bulk: fewer, larger reads

// One connection: the socket, its deadlines, and the protocol session it feeds.
struct Connection {
  Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  SessionInfo info;
  std::string source_key;  // the address the per-source cap counts
  std::unique_ptr<LoginGate> gate;
  std::unique_ptr<Session> session;              // stream protocols: fed bytes by the runtime
  std::unique_ptr<OwnedStreamConnection> owned;  // its library reads the socket itself (SSH)
  // A data connection in progress (FTP): closed by stop() and by its own deadline.
  std::unique_ptr<tcp::acceptor> data_passive;
  std::unique_ptr<tcp::socket> data_socket;
  std::string end_reason;
  Clock::time_point idle_deadline;
  Clock::time_point total_deadline;
  Clock::time_point request_deadline = Clock::time_point::max();  // HTTP: a request in progress
  std::int64_t opened_us = 0;
  std::uint64_t input_bytes = 0;
  std::string recording;  // PCAP-NG of a relayed session
};

struct SensorServer::Impl {
  SensorOptions options;
  EventSink& sink;
  artifacts::ArtifactStore& artifacts;
  Downloader* downloader;
  Uuid7Generator ids;
  EventBuilder builder;
  std::vector<std::shared_ptr<const FakeFilesystem>> filesystems;
  // By listener: the owned-stream protocol's endpoint (SSH's keys and banner), else null.
  std::vector<std::unique_ptr<OwnedStreamEndpoint>> endpoints;
  std::vector<AddressGuard> proxy_peers;              // by listener: who may send a PROXY header
  std::vector<tcp::endpoint> backends;                // by listener: the real device, if relayed
  std::unique_ptr<std::atomic<bool>[]> backend_down;  // by listener: last connect failed
  // Which relayed session last opened a path on a watched device (share-relative path →
  // session id), so a file change can name the session that caused it.
  std::mutex writers_mutex;
  std::map<std::string, std::string> writers;
  // By listener: the last relayed session that matched no exploit, for when the device is found
  // down right after it (the other sign of an unknown attack).
  struct LastRelayed {
    SessionInfo info;
    std::string recording;
    std::vector<std::string> requests;
    Clock::time_point ended;
  };
  std::mutex last_relayed_mutex;
  std::map<std::size_t, LastRelayed> last_relayed;
  std::vector<std::unique_ptr<SharedState>> shared;  // by persona: what its sessions share
  ReflectionGuard reflection_guard;  // every responder's, fed by every TCP handshake
  std::vector<std::unique_ptr<DatagramResponder>> responders;

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::unique_ptr<udp::socket>> udp_listeners;
  // After the contexts: I/O objects go before the loops they belong to.
  std::vector<std::unique_ptr<relay::FileWatch>> watches;
  std::vector<std::unique_ptr<asio::posix::stream_descriptor>> watch_descriptors;
  std::vector<Bound> bound;
  std::atomic<bool> stopping{false};

  std::atomic<std::uint64_t> accepted{0}, refused{0}, active{0}, events{0}, captures{0};
  std::mutex sources_mutex;
  std::unordered_map<std::string, std::size_t> per_source;
  std::mutex failures_mutex;
  std::unordered_map<std::string, int> failures;  // failed logins per source, across sessions
  std::mutex live_mutex;
  std::unordered_set<std::shared_ptr<Connection>> live;

  // Checks a listener against its protocol; makes its owned-stream endpoint, parses its backend.
  Status prepare(const ListenerSpec& spec, const ProtocolInfo*& protocol);
  // Listener set-up, one per transport or UDP serve mode (sensor_server.cc, transfer_driver.cc,
  // responder_driver.cc).
  Status start_tcp(const ListenerSpec& spec, const asio::ip::address& address);
  Status start_transfer(const ListenerSpec& spec, const ProtocolInfo& protocol,
                        const asio::ip::address& address);
  Status start_responder(const ListenerSpec& spec, const ProtocolInfo& protocol);
  Status start_watch(const ListenerSpec& spec);

  Impl(SensorOptions o, EventSink& s, artifacts::ArtifactStore& a, Downloader* d)
      : options(std::move(o)),
        sink(s),
        artifacts(a),
        downloader(d),
        builder(options.identity, ids) {}

  void emit(const SessionInfo& info, std::string_view action, const nlohmann::json& fields);

  // What a protocol's factory gets for a session on `spec` (its persona, what they share).
  SessionContext session_context(const ListenerSpec& spec, LoginGate& gate,
                                 const SessionInfo& info) {
    return SessionContext{options.personas[spec.persona],
                          filesystems[spec.persona],
                          gate,
                          now_unix_us() / 1'000'000,
                          info.dst_ip,
                          info.src_ip,
                          options.exploits,
                          *shared[spec.persona]};
  }

  // The persona's policy, with failures counted per source address across its sessions (bots
  // reconnect after three tries).
  class SourceGate : public LoginGate {
   public:
    SourceGate(Impl& impl, std::string source, const CredentialPolicy& policy)
        : impl_(impl), source_(std::move(source)), policy_(policy) {}
    bool accept(std::string_view user, std::string_view password) override {
      std::lock_guard lock(impl_.failures_mutex);
      int& failed = impl_.failures[source_];
      bool ok = credentials_accepted(policy_, user, password, failed);
      if (!ok) {
        ++failed;
      }
      if (impl_.failures.size() > 1'000'000) {
        impl_.failures.clear();  // bounded memory; counts restart, logins stay possible
      }
      return ok;
    }

   private:
    Impl& impl_;
    std::string source_;
    const CredentialPolicy& policy_;
  };

  std::size_t listener_index(const ListenerSpec& spec) const {
    return static_cast<std::size_t>(&spec - options.listeners.data());
  }

  awaitable<void> accept_loop(tcp::acceptor& acceptor, const ListenerSpec& spec,
                              const OwnedStreamEndpoint* endpoint);

  bool admit(Connection& c);

  // Counts a session against the overall and per-source caps; false when either is reached.
  bool admit_source(const std::string& source);

  void release(Connection& c) { release_source(c.source_key); }

  void release_source(const std::string& source) {
    std::lock_guard lock(sources_mutex);
    auto it = per_source.find(source);
    if (it != per_source.end() && --it->second == 0) {
      per_source.erase(it);
    }
    --active;
  }

  awaitable<void> watchdog(std::shared_ptr<Connection> c);

  awaitable<bool> send(Connection& c, const std::string& bytes);

  void keep_captures(Connection& c, std::vector<CapturedFile>& files) {
    keep_captures(c.info, files);
  }

  void keep_captures(const SessionInfo& info, std::vector<CapturedFile>& files);

  void start_downloads(const std::shared_ptr<Connection>& c,
                       std::vector<DownloadRequest>& requests);

  // Carries out a session's actions; false when the connection is to end.
  awaitable<bool> apply(std::shared_ptr<Connection> c, SessionActions actions);

  awaitable<void> serve(std::shared_ptr<Connection> c, const ListenerSpec& spec,
                        const OwnedStreamEndpoint* endpoint);

  // Reads a PROXY protocol header with MSG_PEEK, so what follows stays in the socket for either
  // protocol; on success the session's source becomes the attacker behind the balancer.
  awaitable<bool> read_proxy_header(Connection& c);

  // Waits until the socket is readable; false when it closed, failed or the sensor stops.
  awaitable<bool> readable(Connection& c);

  // Stream protocols: a session from the protocol's factory, fed the bytes the runtime reads.
  awaitable<void> run_byte_session(std::shared_ptr<Connection> c, const ListenerSpec& spec);

  // Carries out what an FTP session asked for after a command: a passive port, then transfers
  // over data connections, until it waits for the client again. False when the session ends.
  awaitable<bool> run_data_channels(std::shared_ptr<Connection> c, DataChannelSession& session);

  // One data connection: accepted on the passive port (from the control connection's peer
  // only) or made to the PORT address, then one transfer either way, with a deadline.
  awaitable<bool> data_transfer(Connection& c, DataChannelSession& session,
                                const DataTransfer& transfer, std::string& received);

  // A UDP exchange's session: its own id, the two endpoints, the persona answering.
  SessionInfo udp_session(std::string protocol, const udp::endpoint& from,
                          const udp::endpoint& local, const DevicePersona& persona);

  // A UDP listener's socket, bound to the listener's port (transfer_driver.cc), with an error
  // that names the listener.
  Result<std::unique_ptr<udp::socket>> bind_udp(const ListenerSpec& spec,
                                                const asio::ip::address& address);

  // The next datagram's size and sender; nothing once the socket is closed or the sensor stops.
  // Other receive errors (an ICMP error queued on the socket) are skipped.
  awaitable<std::optional<std::size_t>> next_datagram(udp::socket& socket,
                                                      std::span<std::byte> buffer,
                                                      udp::endpoint& from);

  // Transfers (TFTP): requests arrive on the well-known port; each transfer gets its own socket
  // and port (RFC 1350's transfer identifiers), connected to the client so no one else can join.
  awaitable<void> transfer_loop(udp::socket& socket, const ListenerSpec& spec,
                                const ProtocolInfo& protocol);

  awaitable<void> run_transfer(udp::endpoint client, asio::ip::address local_address,
                               int listen_port, std::string request, const ListenerSpec& spec,
                               const ProtocolInfo& protocol);

  // Responders (SSDP): one datagram, one exchange. Replies leave from the unicast socket
  // whichever socket (unicast or the multicast group's) the request came in on, within the
  // reflection guard.
  awaitable<void> responder_loop(udp::socket& socket, udp::socket& reply_socket,
                                 const ListenerSpec& spec, const DatagramResponder& responder);

  // Recording proxy: the attacker's connection is relayed to the real device, byte for byte in
  // both directions with back-pressure (each read is written on before the next), recorded as
  // PCAP-NG and watched by the protocol's passive decoder.
  awaitable<void> run_relay(std::shared_ptr<Connection> c, const ListenerSpec& spec);
  std::optional<relay::PcapngRecording> open_recording(Connection& c);
  // Zero-day candidates (zero_day.cc): a relayed session ended; a device stopped answering.
  void zero_day_session_ended(std::size_t listener, const Connection& c, bool exploit_seen,
                              const std::vector<std::string>& changes,
                              const std::vector<std::string>& requests);
  void zero_day_device_down(std::size_t listener);

  // A watched device directory: each change is an event, each new file an artifact — taken
  // through the descriptor held since its creation, so deleting it quickly hides nothing.
  awaitable<void> watch_loop(std::size_t index, const ListenerSpec& spec);

  void emit_device(const ListenerSpec& spec, std::string_view action, const std::string& why);

  // Owned streams (SSH): the protocol's library reads a duplicate of the socket; the runtime
  // wakes it whenever the socket is readable and carries out what it returns.
  awaitable<void> run_owned_stream(std::shared_ptr<Connection> c, const ListenerSpec& spec,
                                   const OwnedStreamEndpoint& endpoint);
};

}  // namespace mitsu::sensor

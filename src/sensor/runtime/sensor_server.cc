#include "sensor/runtime/sensor_server.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/clock.h"
#include "core/uuid.h"
#include "sensor/download/address_guard.h"
#include "sensor/protocols/ftp/ftp_session.h"
#include "sensor/protocols/http/http_observer.h"
#include "sensor/protocols/http/http_session.h"
#include "sensor/protocols/proxy/proxy_header.h"
#include "sensor/protocols/smb/smb_decoder.h"
#include "sensor/protocols/ssh/ssh_connection.h"
#include "sensor/protocols/telnet/telnet_observer.h"
#include "sensor/protocols/telnet/telnet_session.h"
#include "sensor/protocols/tftp/tftp_session.h"
#include "sensor/protocols/upnp/ssdp.h"
#include "sensor/relay/file_watch.h"
#include "sensor/relay/pcapng_recording.h"

namespace mitsu::sensor {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kRelayChunk = 64 * 1024;  // relayed streams are bulk: fewer, larger reads
// A device found down this soon after a session that matched no exploit makes that session a
// zero-day candidate.
constexpr auto kDeviceDownWindow = std::chrono::minutes(5);
constexpr auto kSegmentPause = std::chrono::milliseconds(5);
// How long an FTP data connection may take to be made, and to stay silent while transferring.
constexpr auto kDataConnectionTimeout = std::chrono::seconds(20);
constexpr auto kTftpFirstReplyDelay = std::chrono::milliseconds(100);

// One connection: the socket, its deadlines, and the protocol session it feeds.
struct Connection {
  Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  SessionInfo info;
  std::string source_key;  // the address the per-source cap counts
  std::unique_ptr<LoginGate> gate;
  std::unique_ptr<Session> session;         // Telnet: fed bytes by the runtime
  std::unique_ptr<ssh::SshConnection> ssh;  // SSH: libssh reads the socket itself
  // FTP data connection in progress: closed by stop() and by its own deadline.
  std::unique_ptr<tcp::acceptor> ftp_passive;
  std::unique_ptr<tcp::socket> ftp_data;
  std::string end_reason;
  Clock::time_point idle_deadline;
  Clock::time_point total_deadline;
  Clock::time_point request_deadline = Clock::time_point::max();  // HTTP: a request in progress
  std::int64_t opened_us = 0;
  std::uint64_t input_bytes = 0;
  std::string recording;  // PCAP-NG of a relayed session
};

}  // namespace

struct SensorServer::Impl {
  SensorOptions options;
  EventSink& sink;
  artifacts::ArtifactStore& artifacts;
  Downloader* downloader;
  Uuid7Generator ids;
  EventBuilder builder;
  std::vector<std::shared_ptr<const FakeFilesystem>> filesystems;
  std::vector<std::unique_ptr<ssh::SshEndpoint>> ssh_endpoints;  // by listener, null for Telnet
  std::vector<std::filesystem::path> host_keys;
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
  std::vector<std::shared_ptr<upnp::PortMappingTable>> port_mappings;  // by persona; null: no UPnP
  upnp::ReflectionGuard ssdp_guard;

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

  Status start_udp(const ListenerSpec& spec, const asio::ip::address& address);
  Status start_ssdp(const ListenerSpec& spec);

  Impl(SensorOptions o, EventSink& s, artifacts::ArtifactStore& a, Downloader* d)
      : options(std::move(o)),
        sink(s),
        artifacts(a),
        downloader(d),
        builder(options.identity, ids) {}

  void emit(const SessionInfo& info, std::string_view action, const nlohmann::json& fields) {
    nlohmann::json event = builder.session_event(info, action, now_unix_us());
    for (const auto& [path, value] : fields.items()) {
      set_field(event, path, value);
    }
    sink.emit(event);
    ++events;
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
                              const ssh::SshEndpoint* ssh_endpoint) {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping) {
          co_return;
        }
        continue;  // EMFILE and friends: keep accepting
      }
      ++accepted;
      auto connection = std::make_shared<Connection>(std::move(socket));
      if (!admit(*connection)) {
        ++refused;
        boost::system::error_code ignored;
        connection->socket.close(ignored);
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), serve(connection, spec, ssh_endpoint),
                     asio::detached);
    }
  }

  bool admit(Connection& c) {
    boost::system::error_code ec;
    tcp::endpoint remote = c.socket.remote_endpoint(ec);
    if (ec) {
      return false;
    }
    c.source_key = remote.address().to_string();
    return admit_source(c.source_key);
  }

  // Counts a session against the overall and per-source caps; false when either is reached.
  bool admit_source(const std::string& source) {
    std::lock_guard lock(sources_mutex);
    if (active >= options.limits.max_sessions ||
        per_source[source] >= options.limits.max_sessions_per_source) {
      return false;
    }
    ++per_source[source];
    ++active;
    return true;
  }

  void release(Connection& c) { release_source(c.source_key); }

  void release_source(const std::string& source) {
    std::lock_guard lock(sources_mutex);
    auto it = per_source.find(source);
    if (it != per_source.end() && --it->second == 0) {
      per_source.erase(it);
    }
    --active;
  }

  awaitable<void> watchdog(std::shared_ptr<Connection> c) {
    while (c->socket.is_open()) {
      Clock::time_point deadline =
          std::min({c->idle_deadline, c->total_deadline, c->request_deadline});
      if (Clock::now() >= deadline) {
        if (c->end_reason.empty()) {
          c->end_reason = c->total_deadline <= Clock::now()     ? "session_timeout"
                          : c->request_deadline <= Clock::now() ? "request_timeout"
                                                                : "idle_timeout";
        }
        boost::system::error_code ignored;
        c->socket.close(ignored);
        co_return;
      }
      c->timer.expires_at(deadline);
      boost::system::error_code ec;
      co_await c->timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  awaitable<bool> send(Connection& c, const std::string& bytes) {
    if (bytes.empty()) {
      co_return true;
    }
    boost::system::error_code ec;
    co_await asio::async_write(c.socket, asio::buffer(bytes),
                               asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  void keep_captures(Connection& c, std::vector<CapturedFile>& files) {
    keep_captures(c.info, files);
  }

  void keep_captures(const SessionInfo& info, std::vector<CapturedFile>& files) {
    for (CapturedFile& f : files) {
      auto put = artifacts.put(
          std::as_bytes(std::span(f.content.data(), f.content.size())),
          artifacts::Sighting{info.session_id, now_unix_us(), info.protocol + ":" + f.path});
      if (!put) {
        spdlog::error("sensor: cannot keep {} from session {}: {}", f.path, info.session_id,
                      put.error());
        continue;
      }
      ++captures;
      emit(info, "file.upload",
           {{"file.hash.sha256", put->info.sha256},
            {"file.size", f.content.size()},
            {"file.name", f.path}});
    }
  }

  void start_downloads(const std::shared_ptr<Connection>& c,
                       std::vector<DownloadRequest>& requests) {
    for (DownloadRequest& d : requests) {
      SessionInfo info = c->info;
      auto report = [this, info, url = d.url](const DownloadResult& r) {
        nlohmann::json fields{{"url.full", url}, {"event.outcome", r.ok ? "success" : "failure"}};
        if (r.ok) {
          fields["file.hash.sha256"] = r.sha256;
          fields["file.size"] = r.size;
        } else {
          fields["error.message"] = r.error;
        }
        emit(info, "file.download", fields);
      };
      if (downloader == nullptr) {
        report(DownloadResult{d.url, false, "downloads are disabled"});
        continue;
      }
      std::weak_ptr<Connection> weak = c;
      auto executor = c->socket.get_executor();
      bool queued = downloader->fetch(
          d.url, info.session_id, [report, weak, executor, request = d](DownloadResult r) {
            report(r);
            if (r.ok && !r.content.empty()) {
              asio::post(executor, [weak, request, content = std::move(r.content)] {
                if (auto alive = weak.lock(); alive && alive->session) {
                  alive->session->downloaded(request, content);
                } else if (alive && alive->ssh) {
                  alive->ssh->downloaded(request, content);
                }
              });
            }
          });
      if (!queued) {
        report(DownloadResult{d.url, false, "not fetched: unsupported scheme or queue full"});
      }
    }
  }

  // Carries out a session's actions; false when the connection is to end.
  awaitable<bool> apply(std::shared_ptr<Connection> c, SessionActions actions) {
    for (const SessionEvent& e : actions.events) {
      emit(c->info, e.action, e.fields);
    }
    keep_captures(*c, actions.captures);
    start_downloads(c, actions.downloads);
    bool sent = co_await send(*c, actions.send);
    if (sent && !actions.then_send.empty()) {
      asio::steady_timer pause(c->socket.get_executor(), kSegmentPause);
      boost::system::error_code ec;
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      sent = co_await send(*c, actions.then_send);
    }
    if (actions.close && c->end_reason.empty()) {
      c->end_reason = actions.close_reason;
    }
    if (!sent && c->end_reason.empty()) {
      c->end_reason = "client_closed";
    }
    co_return sent && !actions.close;
  }

  awaitable<void> serve(std::shared_ptr<Connection> c, const ListenerSpec& spec,
                        const ssh::SshEndpoint* ssh_endpoint) {
    {
      std::lock_guard lock(live_mutex);
      live.insert(c);
    }
    boost::system::error_code ec;
    tcp::endpoint remote = c->socket.remote_endpoint(ec);
    tcp::endpoint local = c->socket.local_endpoint(ec);
    const DevicePersona& persona = options.personas[spec.persona];
    c->info.session_id = ids.next().to_string();
    c->info.protocol = spec.protocol;
    c->info.src_ip = remote.address().to_string();
    c->info.src_port = remote.port();
    c->info.dst_ip = local.address().to_string();
    c->info.dst_port = local.port();
    c->info.persona = {persona.device_type, persona.vendor, persona.model};
    c->opened_us = now_unix_us();
    c->idle_deadline = Clock::now() + options.limits.idle_timeout;
    c->total_deadline = Clock::now() + options.limits.session_timeout;
    c->socket.set_option(tcp::no_delay(true), ec);
    c->socket.non_blocking(true, ec);
    asio::co_spawn(c->socket.get_executor(), watchdog(c), asio::detached);
    if (spec.proxy_protocol && proxy_peers[listener_index(spec)].allowlisted(c->source_key) &&
        !co_await read_proxy_header(*c)) {
      // A trusted balancer sent no usable header: nothing to record but the refusal.
      if (c->end_reason.empty()) {
        c->end_reason = "proxy_protocol";
      }
      spdlog::debug("sensor: {} closed before or in its PROXY header ({})", c->source_key,
                    c->end_reason);
      c->socket.close(ec);
      c->timer.cancel();
      release(*c);
      std::lock_guard lock(live_mutex);
      live.erase(c);
      co_return;
    }
    c->gate = std::make_unique<SourceGate>(*this, c->source_key, persona.credentials);
    // A finished TCP handshake proves the address is not spoofed: SSDP may answer it in full.
    ssdp_guard.proven(c->source_key, Clock::now());
    emit(c->info, "session.open", nlohmann::json::object());

    SessionActions last;
    if (!spec.backend.empty()) {
      co_await run_relay(c, spec);
    } else if (ssh_endpoint != nullptr) {
      co_await run_ssh(c, spec, *ssh_endpoint);
      last = c->ssh->finish();
    } else {
      co_await run_byte_session(c, spec);
      last = c->session->finish();
    }
    if (c->end_reason.empty()) {
      c->end_reason = stopping ? "shutdown" : "client_closed";
    }
    keep_captures(*c, last.captures);
    for (const SessionEvent& e : last.events) {
      emit(c->info, e.action, e.fields);
    }
    c->ssh.reset();  // libssh closes its duplicate of the socket
    c->socket.close(ec);
    c->timer.cancel();
    nlohmann::json closing{{"event.duration", (now_unix_us() - c->opened_us) * 1000},
                           {"mitsu.session.end_reason", c->end_reason}};
    if (!c->recording.empty()) {
      closing["mitsu.session.recording"] = c->recording;
    }
    emit(c->info, "session.close", closing);
    release(*c);
    std::lock_guard lock(live_mutex);
    live.erase(c);
  }

  // Reads a PROXY protocol header with MSG_PEEK, so what follows stays in the socket for either
  // protocol; on success the session's source becomes the attacker behind the balancer.
  awaitable<bool> read_proxy_header(Connection& c) {
    std::array<std::byte, 512> peek{};
    for (;;) {
      if (!co_await readable(c)) {
        co_return false;
      }
      ssize_t n = ::recv(c.socket.native_handle(), peek.data(), peek.size(), MSG_PEEK);
      if (n <= 0) {
        co_return false;
      }
      proxy::Header h = proxy::parse(std::span(peek.data(), static_cast<std::size_t>(n)));
      if (h.status == proxy::Header::Status::kNeedMore) {
        if (static_cast<std::size_t>(n) == peek.size()) {
          c.end_reason = "proxy_protocol";  // v2 TLVs past 512 bytes: not from a sane balancer
          co_return false;
        }
        continue;
      }
      if (h.status == proxy::Header::Status::kInvalid) {
        spdlog::warn("sensor: bad PROXY header from {}: {}", c.source_key, h.error);
        c.end_reason = "proxy_protocol";
        co_return false;
      }
      std::vector<std::byte> discard(h.consumed);
      if (::recv(c.socket.native_handle(), discard.data(), discard.size(), 0) !=
          static_cast<ssize_t>(h.consumed)) {
        co_return false;
      }
      if (!h.local) {
        c.info.src_ip = h.source_ip;
        c.info.src_port = h.source_port;
        c.info.dst_ip = h.destination_ip;
        c.info.dst_port = h.destination_port;
        // The per-source cap counts the attacker, not the balancer.
        std::lock_guard lock(sources_mutex);
        if (auto it = per_source.find(c.source_key); it != per_source.end() && --it->second == 0) {
          per_source.erase(it);
        }
        c.source_key = h.source_ip;
        if (per_source[c.source_key]++ >= options.limits.max_sessions_per_source) {
          c.end_reason = "limit";
          co_return false;
        }
      }
      co_return true;
    }
  }

  // Waits until the socket is readable; false when it closed, failed or the sensor stops.
  awaitable<bool> readable(Connection& c) {
    if (stopping) {
      co_return false;  // stop() cancels waits in progress; this catches the ones not yet begun
    }
    boost::system::error_code ec;
    co_await c.socket.async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, ec));
    if (ec || stopping) {
      co_return false;
    }
    c.idle_deadline = Clock::now() + options.limits.idle_timeout;
    co_return true;
  }

  // Telnet and HTTP: sessions fed the bytes the runtime reads.
  awaitable<void> run_byte_session(std::shared_ptr<Connection> c, const ListenerSpec& spec) {
    const DevicePersona& persona = options.personas[spec.persona];
    std::int64_t now_s = now_unix_us() / 1'000'000;
    ftp::FtpSession* ftp = nullptr;
    http::HttpSession* web = nullptr;
    if (spec.protocol == "http") {
      auto session =
          std::make_unique<http::HttpSession>(persona, filesystems[spec.persona], options.exploits,
                                              *c->gate, now_s, port_mappings[spec.persona]);
      session->set_local_address(c->info.dst_ip);
      web = session.get();
      c->session = std::move(session);
    } else if (spec.protocol == "ftp") {
      auto session = std::make_unique<ftp::FtpSession>(persona, filesystems[spec.persona], *c->gate,
                                                       c->info.src_ip);
      ftp = session.get();
      c->session = std::move(session);
    } else {
      c->session = std::make_unique<telnet::TelnetSession>(persona, filesystems[spec.persona],
                                                           *c->gate, now_s);
    }
    bool open = co_await apply(c, c->session->open());
    // Idle sessions hold no read buffer: wait for readability, then read into one buffer per
    // thread. 100,000 idle attackers cost sockets and session state, not 100,000 buffers.
    thread_local std::vector<std::byte> buffer(kReadChunk);
    // No co_await inside a compound condition: g++ 12 evaluates it even when `open` is false.
    while (open) {
      if (!co_await readable(*c)) {
        break;
      }
      boost::system::error_code ec;
      std::size_t n = c->socket.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block) {
        continue;
      }
      if (ec || n == 0) {
        break;
      }
      c->input_bytes += n;
      if (c->input_bytes > options.limits.max_input_bytes) {
        c->end_reason = "limit";
        break;
      }
      open = co_await apply(c, c->session->receive(std::span(buffer.data(), n)));
      if (open && ftp != nullptr) {
        open = co_await ftp_data_connections(c, *ftp);
      }
      if (web != nullptr) {
        // A request's deadline runs from its first byte; the watchdog re-reads it when woken.
        bool in_progress = web->request_in_progress();
        if (in_progress && c->request_deadline == Clock::time_point::max()) {
          c->request_deadline = Clock::now() + options.limits.request_timeout;
          c->timer.cancel();
        } else if (!in_progress) {
          c->request_deadline = Clock::time_point::max();
        }
      }
    }
  }

  // Carries out what an FTP session asked for after a command: a passive port, then transfers
  // over data connections, until it waits for the client again. False when the session ends.
  awaitable<bool> ftp_data_connections(std::shared_ptr<Connection> c, ftp::FtpSession& ftp) {
    for (;;) {
      if (ftp.passive_requested()) {
        boost::system::error_code ec;
        tcp::endpoint local = c->socket.local_endpoint(ec);
        c->ftp_passive = std::make_unique<tcp::acceptor>(c->socket.get_executor());
        if (!ec) {
          c->ftp_passive->open(local.protocol(), ec);
        }
        if (!ec) {
          c->ftp_passive->bind(tcp::endpoint(local.address(), 0), ec);
        }
        if (!ec) {
          c->ftp_passive->listen(1, ec);
        }
        int port = ec ? 0 : c->ftp_passive->local_endpoint(ec).port();
        if (!co_await apply(c, ftp.passive_opened(local.address().to_string(), ec ? 0 : port))) {
          co_return false;
        }
        continue;
      }
      std::optional<ftp::DataTransfer> transfer = ftp.take_transfer();
      if (!transfer) {
        co_return true;
      }
      std::string received;
      bool ok = co_await ftp_transfer(*c, ftp, *transfer, received);
      c->ftp_passive.reset();
      c->ftp_data.reset();
      if (!co_await apply(c, ftp.transfer_done(std::move(received), ok))) {
        co_return false;
      }
    }
  }

  // One data connection: accepted on the passive port (from the control connection's peer
  // only) or made to the PORT address, then one transfer either way, with a deadline.
  awaitable<bool> ftp_transfer(Connection& c, ftp::FtpSession& ftp,
                               const ftp::DataTransfer& transfer, std::string& received) {
    asio::steady_timer deadline(c.socket.get_executor());
    auto arm = [&] {
      deadline.expires_after(kDataConnectionTimeout);
      deadline.async_wait([&c](boost::system::error_code ec) {
        if (!ec) {
          boost::system::error_code ignored;
          if (c.ftp_passive) {
            c.ftp_passive->close(ignored);
          }
          if (c.ftp_data) {
            c.ftp_data->close(ignored);
          }
        }
      });
    };
    arm();
    boost::system::error_code ec;
    c.ftp_data = std::make_unique<tcp::socket>(c.socket.get_executor());
    if (const auto& active = ftp.active_endpoint()) {
      auto address = asio::ip::make_address(active->address, ec);
      if (!ec) {
        co_await c.ftp_data->async_connect(
            tcp::endpoint(address, static_cast<unsigned short>(active->port)),
            asio::redirect_error(use_awaitable, ec));
      }
    } else if (c.ftp_passive) {
      for (;;) {
        co_await c.ftp_passive->async_accept(*c.ftp_data, asio::redirect_error(use_awaitable, ec));
        if (ec) {
          break;
        }
        tcp::endpoint peer = c.ftp_data->remote_endpoint(ec);
        if (!ec && peer.address().to_string() == c.source_key) {
          break;
        }
        c.ftp_data->close(ec);  // someone else raced for the port
      }
      c.ftp_passive->close(ec);
    } else {
      ec = asio::error::not_connected;
    }
    if (ec || stopping) {
      deadline.cancel();
      co_return false;
    }
    bool ok = true;
    if (transfer.upload) {
      std::vector<char> chunk(kReadChunk);
      for (;;) {
        std::size_t n = co_await c.ftp_data->async_read_some(
            asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
        if (n > 0) {
          std::size_t room = ftp::kMaxUploadBytes - received.size();
          received.append(chunk.data(), std::min(n, room));
          c.idle_deadline = Clock::now() + options.limits.idle_timeout;
          if (n > room) {
            ok = false;  // over the cap: keep what fits, end the transfer
            break;
          }
          arm();
        }
        if (ec) {
          ok = ec == asio::error::eof;
          break;
        }
      }
    } else {
      co_await asio::async_write(*c.ftp_data, asio::buffer(transfer.content),
                                 asio::redirect_error(use_awaitable, ec));
      ok = !ec;
      c.ftp_data->shutdown(tcp::socket::shutdown_send, ec);
    }
    deadline.cancel();
    c.ftp_data->close(ec);
    co_return ok && !stopping;
  }

  // A UDP exchange's session: its own id, the two endpoints, the persona answering.
  SessionInfo udp_session(std::string protocol, const udp::endpoint& from,
                          const udp::endpoint& local, const DevicePersona& persona) {
    SessionInfo info;
    info.session_id = ids.next().to_string();
    info.protocol = std::move(protocol);
    info.transport = "udp";
    info.src_ip = from.address().to_string();
    info.src_port = from.port();
    info.dst_ip = local.address().to_string();
    info.dst_port = local.port();
    info.persona = {persona.device_type, persona.vendor, persona.model};
    return info;
  }

  // TFTP: requests arrive on the well-known port; each transfer gets its own socket and port
  // (RFC 1350's transfer identifiers), connected to the client so no one else can join in.
  awaitable<void> tftp_loop(udp::socket& socket, const ListenerSpec& spec) {
    std::vector<std::byte> buffer(65536);
    for (;;) {
      udp::endpoint from;
      boost::system::error_code ec;
      std::size_t n = co_await socket.async_receive_from(asio::buffer(buffer), from,
                                                         asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping) {
          co_return;
        }
        continue;
      }
      // Only a read or write request opens a transfer; other datagrams here are noise.
      if (n < 4 || buffer[0] != std::byte{0} ||
          (buffer[1] != std::byte{1} && buffer[1] != std::byte{2})) {
        continue;
      }
      ++accepted;
      std::string source = from.address().to_string();
      if (!admit_source(source)) {
        ++refused;
        continue;
      }
      std::string request(reinterpret_cast<const char*>(buffer.data()), n);
      udp::endpoint local = socket.local_endpoint(ec);
      asio::co_spawn(socket.get_executor(),
                     tftp_transfer(from, local.address(), local.port(), std::move(request), spec),
                     asio::detached);
    }
  }

  awaitable<void> tftp_transfer(udp::endpoint client, asio::ip::address local_address,
                                int listen_port, std::string request, const ListenerSpec& spec) {
    SessionInfo info = udp_session("tftp", client, udp::endpoint(local_address, listen_port),
                                   options.personas[spec.persona]);
    std::int64_t opened_us = now_unix_us();
    emit(info, "session.open", nlohmann::json::object());

    auto executor = co_await asio::this_coro::executor;
    udp::socket socket(executor);
    boost::system::error_code ec;
    socket.open(client.protocol(), ec);
    if (!ec) {
      socket.bind(udp::endpoint(local_address, 0), ec);
    }
    if (!ec) {
      socket.connect(client, ec);
    }
    tftp::TftpSession session(filesystems[spec.persona], std::move(request));
    asio::steady_timer timer(executor);
    std::string end_reason;
    auto carry_out = [&](SessionActions actions) {
      for (const SessionEvent& e : actions.events) {
        emit(info, e.action, e.fields);
      }
      keep_captures(info, actions.captures);
      if (!actions.send.empty() && !ec) {
        boost::system::error_code ignored;
        socket.send(asio::buffer(actions.send), 0, ignored);
      }
      if (actions.close && end_reason.empty()) {
        end_reason = actions.close_reason;
      }
    };
    // A device's tftpd answers after a moment (inetd forks it); clients that listen for the
    // answer on a socket they open after sending — nmap's tftp-enum — depend on that.
    timer.expires_after(kTftpFirstReplyDelay);
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    ec = {};
    carry_out(session.open());
    Clock::time_point total_deadline = Clock::now() + options.limits.session_timeout;
    std::vector<std::byte> buffer(65536 + 4);
    while (!ec && !session.done()) {
      // Waits in short slices, so a stopping sensor is noticed within a quarter second.
      Clock::time_point quiet_until = Clock::now() + std::chrono::seconds(session.timeout_s());
      std::size_t n = 0;
      bool received = false;
      while (!stopping && Clock::now() < quiet_until) {
        timer.expires_after(std::chrono::milliseconds(250));
        timer.async_wait([&socket](boost::system::error_code e) {
          if (!e) {
            boost::system::error_code ignored;
            socket.cancel(ignored);
          }
        });
        boost::system::error_code receive_ec;
        n = co_await socket.async_receive(asio::buffer(buffer),
                                          asio::redirect_error(use_awaitable, receive_ec));
        timer.cancel();
        if (!receive_ec) {
          received = true;
          break;
        }
        if (receive_ec != asio::error::operation_aborted) {
          end_reason = "client_closed";  // ICMP port unreachable: the client is gone
          break;
        }
      }
      if (stopping || !end_reason.empty() || Clock::now() >= total_deadline) {
        if (end_reason.empty()) {
          end_reason = stopping ? "shutdown" : "session_timeout";
        }
        break;
      }
      carry_out(received ? session.receive(std::span(buffer.data(), n)) : session.retransmit());
    }
    carry_out(session.finish());
    socket.close(ec);
    emit(info, "session.close",
         {{"event.duration", (now_unix_us() - opened_us) * 1000},
          {"mitsu.session.end_reason", end_reason.empty() ? "complete" : end_reason}});
    release_source(info.src_ip);
  }

  // SSDP: one datagram, one exchange. Replies leave from the unicast socket whichever socket
  // (unicast or the multicast group's) the request came in on, within the reflection guard.
  awaitable<void> ssdp_loop(udp::socket& socket, udp::socket& reply_socket,
                            const ListenerSpec& spec, int description_port) {
    const DevicePersona& persona = options.personas[spec.persona];
    std::vector<std::byte> buffer(8192);
    for (;;) {
      udp::endpoint from;
      boost::system::error_code ec;
      std::size_t n = co_await socket.async_receive_from(asio::buffer(buffer), from,
                                                         asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping) {
          co_return;
        }
        continue;
      }
      std::string source = from.address().to_string();
      Clock::time_point now = Clock::now();
      ssdp_guard.received(source, n, now);
      auto request = upnp::parse_ssdp(std::span(buffer.data(), n));
      std::size_t replies = 0, reply_bytes = 0;
      if (request && request->method == "M-SEARCH" && !persona.upnp_device_type.empty()) {
        // LOCATION names the address this client reaches us on.
        udp::socket probe(socket.get_executor());
        asio::ip::address here = reply_socket.local_endpoint(ec).address();
        if (here.is_unspecified()) {
          probe.open(from.protocol(), ec);
          probe.connect(from, ec);
          here = probe.local_endpoint(ec).address();
        }
        std::string host = here.is_v6() ? "[" + here.to_string() + "]" : here.to_string();
        std::string location =
            fmt::format("http://{}:{}{}", host, description_port, upnp::kDescriptionPath);
        bool proven = ssdp_guard.is_proven(source, now);
        for (const std::string& reply :
             upnp::search_responses(persona, request->header("ST"), location, !proven)) {
          if (!ssdp_guard.may_send(source, reply.size(), now)) {
            continue;
          }
          reply_socket.send_to(asio::buffer(reply), from, 0, ec);
          if (!ec) {
            ++replies;
            reply_bytes += reply.size();
          }
        }
      }
      std::uint64_t suppressed = 0;
      if (!ssdp_guard.may_record(source, now, suppressed)) {
        continue;
      }
      SessionInfo info = udp_session("ssdp", from, socket.local_endpoint(ec), persona);
      nlohmann::json fields{{"mitsu.ssdp.request_bytes", n},
                            {"mitsu.ssdp.replies", replies},
                            {"mitsu.ssdp.reply_bytes", reply_bytes}};
      if (suppressed > 0) {
        fields["mitsu.ssdp.suppressed"] = suppressed;
      }
      if (request) {
        fields["http.request.method"] = request->method;
        for (auto [header, field] : {std::pair{"ST", "mitsu.ssdp.st"},
                                     {"MAN", "mitsu.ssdp.man"},
                                     {"NT", "mitsu.ssdp.nt"},
                                     {"NTS", "mitsu.ssdp.nts"},
                                     {"LOCATION", "mitsu.ssdp.location"},
                                     {"USER-AGENT", "user_agent.original"}}) {
          if (std::string_view value = request->header(header); !value.empty()) {
            fields[field] = std::string(value.substr(0, 1024));
          }
        }
      } else {
        fields["http.request.method"] = "(invalid)";
        fields["mitsu.ssdp.raw"] = std::string(reinterpret_cast<const char*>(buffer.data()),
                                               std::min<std::size_t>(n, 512));
      }
      emit(info, "ssdp.request", fields);
    }
  }

  // Recording proxy: the attacker's connection is relayed to the real device, byte for byte in
  // both directions with back-pressure (each read is written on before the next), recorded as
  // PCAP-NG and watched by the protocol's passive decoder.
  awaitable<void> run_relay(std::shared_ptr<Connection> c, const ListenerSpec& spec) {
    std::size_t index = listener_index(spec);
    auto executor = c->socket.get_executor();
    tcp::socket device(executor);
    boost::system::error_code ec;
    {
      asio::steady_timer limit(executor, std::chrono::seconds(5));
      limit.async_wait([&device](boost::system::error_code e) {
        if (!e) {
          boost::system::error_code ignored;
          device.close(ignored);
        }
      });
      co_await device.async_connect(backends[index], asio::redirect_error(use_awaitable, ec));
      limit.cancel();
    }
    if (ec || !device.is_open()) {
      // The device is down: report the change once, and answer like a closed port (reset).
      if (!backend_down[index].exchange(true)) {
        emit_device(spec, "device.down", ec ? ec.message() : "timed out");
        std::optional<LastRelayed> suspect;
        {
          std::lock_guard lock(last_relayed_mutex);
          if (auto it = last_relayed.find(index);
              it != last_relayed.end() && Clock::now() - it->second.ended < kDeviceDownWindow) {
            suspect = std::move(it->second);
            last_relayed.erase(it);
          }
        }
        if (suspect) {
          nlohmann::json fields{{"mitsu.zero_day.reason", "device_stopped_answering"},
                                {"mitsu.zero_day.requests", suspect->requests}};
          if (!suspect->recording.empty()) {
            fields["mitsu.session.recording"] = suspect->recording;
          }
          emit(suspect->info, "zero_day_candidate", fields);
        }
      }
      c->socket.set_option(asio::socket_base::linger(true, 0), ec);
      c->end_reason = "device_down";
      co_return;
    }
    if (backend_down[index].exchange(false)) {
      emit_device(spec, "device.up", "");
    }
    std::optional<relay::PcapngRecording> recording;
    if (!options.recordings_dir.empty()) {
      auto made = relay::PcapngRecording::create(
          options.recordings_dir / (c->info.session_id + ".pcapng"),
          {c->info.src_ip, c->info.src_port}, {c->info.dst_ip, c->info.dst_port}, now_unix_us());
      if (made) {
        recording.emplace(std::move(*made));
        c->recording = recording->path().string();
      } else {
        spdlog::warn("sensor: {}", made.error());
      }
    }
    std::unique_ptr<StreamObserver> observer;
    if (spec.protocol == "smb") {
      observer = std::make_unique<smb::SmbDecoder>(spec.device_share);
    } else if (spec.protocol == "http") {
      observer = std::make_unique<http::HttpObserver>(options.exploits);
    } else if (spec.protocol == "telnet") {
      observer = std::make_unique<telnet::TelnetObserver>();
    }
    // Both directions on this connection's thread: the recording and the decoder need no lock.
    // What the zero-day check needs: did the session change the device, did it match a known
    // exploit, and what did it ask for.
    bool exploit_seen = false;
    std::vector<std::string> changes;
    std::vector<std::string> requests;
    auto take = [&](SessionActions& found) {
      for (const SessionEvent& e : found.events) {
        emit(c->info, e.action, e.fields);
        exploit_seen |= e.action == "exploit";
        if (requests.size() < 50) {
          // What was asked of the device, one line each, for whoever looks at a candidate.
          if (e.fields.contains("file.path")) {
            requests.push_back(e.action + " " + e.fields["file.path"].get<std::string>());
          } else if (e.fields.contains("process.command_line")) {
            requests.push_back("command " + e.fields["process.command_line"].get<std::string>());
          } else if (e.action == "http.request") {
            requests.push_back("http " + e.fields["http.request.method"].get<std::string>() + " " +
                               e.fields["url.original"].get<std::string>());
          }
        }
        if (e.action == "smb.create" && e.fields.contains("file.path")) {
          std::lock_guard lock(writers_mutex);
          if (writers.size() > 10'000) {
            writers.clear();
          }
          writers[smb::share_relative(e.fields["file.path"].get<std::string>())] =
              c->info.session_id;
        }
      }
      for (const CapturedFile& f : found.captures) {
        changes.push_back(f.path);
      }
      keep_captures(*c, found.captures);
    };
    auto observe = [&](bool from_client, std::span<const std::byte> bytes) {
      if (recording) {
        from_client ? recording->client_data(bytes, now_unix_us())
                    : recording->server_data(bytes, now_unix_us());
      }
      if (observer) {
        SessionActions found;
        from_client ? observer->from_client(bytes, found) : observer->from_server(bytes, found);
        take(found);
      }
    };
    auto pump = [this, c, &observe](tcp::socket& from, tcp::socket& to,
                                    bool from_client) -> awaitable<void> {
      std::vector<std::byte> buffer(kRelayChunk);
      boost::system::error_code e;
      for (;;) {
        std::size_t n = co_await from.async_read_some(asio::buffer(buffer),
                                                      asio::redirect_error(use_awaitable, e));
        if (n > 0) {
          c->idle_deadline = Clock::now() + options.limits.idle_timeout;
          observe(from_client, std::span(buffer.data(), n));
          co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                     asio::redirect_error(use_awaitable, e));
        }
        if (e || stopping) {
          break;
        }
      }
      to.shutdown(tcp::socket::shutdown_send, e);  // pass the half-close on
    };
    // The device's side runs alongside; the attacker's side here. Whichever ends first, the
    // other is told by the shutdown it passes on, and the timer signals when both are done.
    asio::steady_timer both_done(executor, Clock::time_point::max());
    bool device_side_done = false;
    asio::co_spawn(executor, pump(device, c->socket, false), [&](std::exception_ptr) {
      device_side_done = true;
      both_done.cancel();
    });
    co_await pump(c->socket, device, true);
    if (!device_side_done) {
      // The attacker is gone or silent; give the device a moment to finish answering.
      both_done.expires_after(std::chrono::seconds(2));
      co_await both_done.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    device.close(ec);
    c->socket.close(ec);
    while (!device_side_done) {
      both_done.expires_after(std::chrono::milliseconds(10));
      co_await both_done.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (observer) {
      SessionActions last;
      observer->finish(last);
      take(last);
    }
    if (recording) {
      recording->close(now_unix_us());
    }
    // The reference platform found an unknown SMB attack because a real device's files changed:
    // a session that changes the device and matches no known exploit is worth a look.
    if (!exploit_seen) {
      std::lock_guard lock(last_relayed_mutex);
      last_relayed[index] = LastRelayed{c->info, c->recording, requests, Clock::now()};
    } else {
      std::lock_guard lock(last_relayed_mutex);
      last_relayed.erase(index);
    }
    if (!changes.empty() && !exploit_seen) {
      nlohmann::json fields{{"mitsu.zero_day.reason", "device_files_changed"},
                            {"mitsu.zero_day.changes", changes},
                            {"mitsu.zero_day.requests", requests}};
      if (!c->recording.empty()) {
        fields["mitsu.session.recording"] = c->recording;
      }
      emit(c->info, "zero_day_candidate", fields);
    }
  }

  // A watched device directory: each change is an event, each new file an artifact — taken
  // through the descriptor held since its creation, so deleting it quickly hides nothing.
  awaitable<void> watch_loop(std::size_t index, const ListenerSpec& spec) {
    auto& descriptor = *watch_descriptors[index];
    for (;;) {
      boost::system::error_code ec;
      co_await descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                     asio::redirect_error(use_awaitable, ec));
      if (ec || stopping) {
        co_return;
      }
      watches[index]->drain([&](relay::FileChange change) {
        std::string session;
        {
          std::lock_guard lock(writers_mutex);
          if (auto it = writers.find(change.path); it != writers.end()) {
            session = it->second;
          }
        }
        const char* action =
            change.kind == relay::FileChange::Kind::kCreated    ? "device.file_created"
            : change.kind == relay::FileChange::Kind::kModified ? "device.file_modified"
                                                                : "device.file_deleted";
        nlohmann::json event = builder.sensor_event(action, now_unix_us());
        set_field(event, "mitsu.device.backend", spec.backend);
        set_field(event, "file.path", change.path);
        if (!session.empty()) {
          set_field(event, "mitsu.session.id", session);
        }
        if (change.kind != relay::FileChange::Kind::kDeleted) {
          auto put =
              artifacts.put(std::as_bytes(std::span(change.content.data(), change.content.size())),
                            artifacts::Sighting{session.empty() ? "device-watch" : session,
                                                now_unix_us(), "device:" + change.path});
          if (put) {
            ++captures;
            set_field(event, "file.hash.sha256", put->info.sha256);
            set_field(event, "file.size", change.content.size());
          } else {
            spdlog::error("sensor: cannot keep {} from the device: {}", change.path, put.error());
          }
        }
        sink.emit(event);
        ++events;
      });
    }
  }

  void emit_device(const ListenerSpec& spec, std::string_view action, const std::string& why) {
    const DevicePersona& persona = options.personas[spec.persona];
    nlohmann::json event = builder.sensor_event(action, now_unix_us());
    set_field(event, "mitsu.device.backend", spec.backend);
    set_field(event, "network.protocol", spec.protocol);
    set_field(event, "mitsu.persona.device_type", persona.device_type);
    set_field(event, "mitsu.persona.vendor", persona.vendor);
    set_field(event, "mitsu.persona.model", persona.model);
    if (!why.empty()) {
      set_field(event, "error.message", why);
    }
    sink.emit(event);
    ++events;
    spdlog::warn("sensor: {} {} ({} for {}){}", spec.backend,
                 action == "device.down" ? "is down" : "is back", spec.protocol, persona.name,
                 why.empty() ? "" : ": " + why);
  }

  awaitable<void> run_ssh(std::shared_ptr<Connection> c, const ListenerSpec& spec,
                          const ssh::SshEndpoint& endpoint) {
    const DevicePersona& persona = options.personas[spec.persona];
    int fd = ::dup(c->socket.native_handle());
    c->ssh = std::make_unique<ssh::SshConnection>(endpoint, fd, persona, filesystems[spec.persona],
                                                  *c->gate, now_unix_us() / 1'000'000);
    bool open = co_await apply(c, c->ssh->step());
    while (open && !c->ssh->finished()) {
      if (!co_await readable(*c)) {
        break;
      }
      open = co_await apply(c, c->ssh->step());
    }
    if (c->end_reason.empty() && c->ssh->finished()) {
      c->end_reason = c->ssh->end_reason();
    }
  }
};

Status SensorServer::Impl::start_udp(const ListenerSpec& spec, const asio::ip::address& address) {
  auto socket = std::make_unique<udp::socket>(*contexts[0]);
  boost::system::error_code ec;
  udp::endpoint endpoint(address, static_cast<unsigned short>(spec.port));
  socket->open(endpoint.protocol(), ec);
  if (!ec) {
    socket->set_option(udp::socket::reuse_address(true), ec);
    socket->bind(endpoint, ec);
  }
  const std::string& persona = options.personas[spec.persona].name;
  if (ec) {
    return Error{fmt::format("sensor: cannot listen on {}:{} ({} for {}): {}", spec.address,
                             spec.port, spec.protocol, persona, ec.message())};
  }
  bound.push_back({spec.protocol, persona, spec.address, socket->local_endpoint(ec).port()});
  asio::co_spawn(*contexts[0], tftp_loop(*socket, spec), asio::detached);
  udp_listeners.push_back(std::move(socket));
  return {};
}

Status SensorServer::Impl::start_ssdp(const ListenerSpec& spec) {
  const DevicePersona& persona = options.personas[spec.persona];
  if (persona.upnp_device_type.empty()) {
    return Error{fmt::format("sensor: ssdp on port {}: persona {} has no [upnp] section", spec.port,
                             persona.name)};
  }
  int description_port = 0;
  for (std::size_t i = 0; i < bound.size(); ++i) {
    if (bound[i].protocol == "http" && bound[i].persona == persona.name) {
      description_port = bound[i].port;
      break;
    }
  }
  if (description_port == 0) {
    return Error{fmt::format(
        "sensor: ssdp for {} needs an http listener for the same persona (its description)",
        persona.name)};
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(spec.address, ec);
  auto unicast = std::make_unique<udp::socket>(*contexts[0]);
  udp::endpoint endpoint(address, static_cast<unsigned short>(spec.port));
  unicast->open(endpoint.protocol(), ec);
  if (!ec) {
    unicast->set_option(udp::socket::reuse_address(true), ec);
    unicast->bind(endpoint, ec);
  }
  if (ec) {
    return Error{fmt::format("sensor: cannot listen on {}:{} (ssdp for {}): {}", spec.address,
                             spec.port, persona.name, ec.message())};
  }
  bound.push_back({spec.protocol, persona.name, spec.address, unicast->local_endpoint(ec).port()});
  udp::socket& reply_socket = *unicast;
  asio::co_spawn(*contexts[0], ssdp_loop(*unicast, reply_socket, spec, description_port),
                 asio::detached);
  udp_listeners.push_back(std::move(unicast));
  if (spec.multicast) {
    // The group's socket: bound to the group address, so it hears only SSDP multicast, on the
    // interface of the listen address.
    auto group = asio::ip::make_address_v4(std::string(upnp::kMulticastGroup));
    auto multicast = std::make_unique<udp::socket>(*contexts[0]);
    udp::endpoint group_endpoint(group, upnp::kMulticastPort);
    multicast->open(udp::v4(), ec);
    if (!ec) {
      multicast->set_option(udp::socket::reuse_address(true), ec);
      multicast->bind(group_endpoint, ec);
    }
    if (!ec) {
      auto interface_address = address.is_v4() ? address.to_v4() : asio::ip::address_v4::any();
      multicast->set_option(asio::ip::multicast::join_group(group, interface_address), ec);
    }
    if (ec) {
      return Error{fmt::format("sensor: cannot join {}:{} on {} (ssdp for {}): {}",
                               upnp::kMulticastGroup, upnp::kMulticastPort, spec.address,
                               persona.name, ec.message())};
    }
    asio::co_spawn(*contexts[0], ssdp_loop(*multicast, reply_socket, spec, description_port),
                   asio::detached);
    udp_listeners.push_back(std::move(multicast));
  }
  return {};
}

SensorServer::SensorServer(SensorOptions options, EventSink& sink,
                           artifacts::ArtifactStore& artifacts, Downloader* downloader)
    : impl_(std::make_unique<Impl>(std::move(options), sink, artifacts, downloader)) {}

SensorServer::~SensorServer() {
  stop();
}

Status SensorServer::start() {
  Impl& m = *impl_;
  for (const DevicePersona& p : m.options.personas) {
    m.filesystems.push_back(persona_filesystem(p));
    m.port_mappings.push_back(
        p.upnp_device_type.empty() ? nullptr : std::make_shared<upnp::PortMappingTable>());
  }
  m.backend_down = std::make_unique<std::atomic<bool>[]>(m.options.listeners.size());
  unsigned threads = m.options.threads != 0 ? m.options.threads
                                            : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    m.contexts.push_back(std::make_unique<asio::io_context>(1));
    m.work.push_back(asio::make_work_guard(*m.contexts.back()));
  }
  for (const ListenerSpec& spec : m.options.listeners) {
    if (spec.persona >= m.options.personas.size()) {
      return Error{"sensor: a listener names a persona that is not loaded"};
    }
    const DevicePersona& listener_persona = m.options.personas[spec.persona];
    auto peers = AddressGuard::with_allowlist(spec.proxy_from);
    if (!peers) {
      return Error{fmt::format("sensor: proxy_from of {} on port {}: {}", spec.protocol, spec.port,
                               peers.error())};
    }
    m.proxy_peers.push_back(std::move(*peers));
    m.ssh_endpoints.emplace_back();
    m.backends.emplace_back();
    if (!spec.backend.empty()) {
      std::size_t colon = spec.backend.rfind(':');
      boost::system::error_code bec;
      auto host = asio::ip::make_address(
          colon == std::string::npos ? "" : spec.backend.substr(0, colon), bec);
      int port = colon == std::string::npos ? 0 : std::atoi(spec.backend.c_str() + colon + 1);
      if (bec || port <= 0 || port > 65535) {
        return Error{fmt::format("sensor: backend '{}' of {} on port {}: expected address:port",
                                 spec.backend, spec.protocol, spec.port)};
      }
      if (spec.protocol != "telnet" && spec.protocol != "http" && spec.protocol != "smb") {
        return Error{fmt::format("sensor: {} cannot be relayed to a device (telnet, http, smb)",
                                 spec.protocol)};
      }
      m.backends.back() = tcp::endpoint(host, static_cast<unsigned short>(port));
    } else if (spec.protocol == "smb") {
      return Error{fmt::format(
          "sensor: smb on port {} is served only by a real device: set its backend", spec.port)};
    }
    if (spec.protocol == "ssh") {
      if (m.host_keys.empty()) {
        auto keys = ssh::ensure_host_keys(m.options.ssh_host_keys_dir);
        if (!keys) {
          return Error{keys.error()};
        }
        m.host_keys = std::move(*keys);
      }
      auto endpoint = ssh::SshEndpoint::create(listener_persona, m.host_keys);
      if (!endpoint) {
        return Error{endpoint.error()};
      }
      m.ssh_endpoints.back() = std::move(*endpoint);
    } else if (spec.protocol != "telnet" && spec.protocol != "http" && spec.protocol != "ftp" &&
               spec.protocol != "tftp" && spec.protocol != "ssdp" && spec.protocol != "smb") {
      return Error{
          fmt::format("sensor: protocol '{}' is not served (telnet, ssh, http, ftp, tftp, ssdp)",
                      spec.protocol)};
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(spec.address, ec);
    if (ec) {
      return Error{fmt::format("sensor: listen address '{}': {}", spec.address, ec.message())};
    }
    if (spec.protocol == "tftp") {
      if (Status s = m.start_udp(spec, address); !s) {
        return s;
      }
      continue;
    }
    if (spec.protocol == "ssdp") {
      continue;  // after the HTTP listeners: replies name their port
    }
    auto acceptor = std::make_unique<tcp::acceptor>(*m.contexts[0]);
    tcp::endpoint endpoint(address, static_cast<unsigned short>(spec.port));
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
      acceptor->bind(endpoint, ec);
    }
    if (!ec) {
      acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    const std::string& persona = m.options.personas[spec.persona].name;
    if (ec) {
      return Error{fmt::format("sensor: cannot listen on {}:{} ({} for {}): {}", spec.address,
                               spec.port, spec.protocol, persona, ec.message())};
    }
    tcp::endpoint local = acceptor->local_endpoint(ec);
    m.bound.push_back({spec.protocol, persona, spec.address, local.port()});
    // Every event loop accepts on the listening socket itself (a duplicate descriptor of it), so
    // a connection is served where it was accepted, with no hand-over between threads.
    const ssh::SshEndpoint* ssh_endpoint = m.ssh_endpoints.back().get();
    for (std::size_t i = 1; i < m.contexts.size(); ++i) {
      int fd = ::dup(acceptor->native_handle());
      auto copy = std::make_unique<tcp::acceptor>(*m.contexts[i]);
      copy->assign(endpoint.protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        return Error{fmt::format("sensor: {}:{}: {}", spec.address, spec.port, ec.message())};
      }
      asio::co_spawn(*m.contexts[i], m.accept_loop(*copy, spec, ssh_endpoint), asio::detached);
      m.acceptors.push_back(std::move(copy));
    }
    asio::co_spawn(*m.contexts[0], m.accept_loop(*acceptor, spec, ssh_endpoint), asio::detached);
    m.acceptors.push_back(std::move(acceptor));
  }
  for (const ListenerSpec& spec : m.options.listeners) {
    if (spec.protocol == "ssdp") {
      if (Status s = m.start_ssdp(spec); !s) {
        return s;
      }
    }
    if (!spec.watch_dir.empty()) {
      auto watch = relay::FileWatch::start(spec.watch_dir);
      if (!watch) {
        return Error{fmt::format("sensor: {} listener on port {}: {}", spec.protocol, spec.port,
                                 watch.error())};
      }
      m.watches.push_back(std::make_unique<relay::FileWatch>(std::move(*watch)));
      m.watch_descriptors.push_back(std::make_unique<asio::posix::stream_descriptor>(
          *m.contexts[0], ::dup(m.watches.back()->fd())));
      asio::co_spawn(*m.contexts[0], m.watch_loop(m.watches.size() - 1, spec), asio::detached);
    }
  }
  for (auto& context : m.contexts) {
    m.threads.emplace_back([ctx = context.get()] { ctx->run(); });
  }
  return {};
}

std::vector<SensorServer::Bound> SensorServer::bound() const {
  return impl_->bound;
}

void SensorServer::stop() {
  Impl& m = *impl_;
  if (m.threads.empty() || m.stopping.exchange(true)) {
    return;
  }
  for (auto& acceptor : m.acceptors) {
    asio::post(acceptor->get_executor(), [a = acceptor.get()] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  for (auto& socket : m.udp_listeners) {
    asio::post(socket->get_executor(), [u = socket.get()] {
      boost::system::error_code ignored;
      u->close(ignored);
    });
  }
  for (auto& descriptor : m.watch_descriptors) {
    asio::post(descriptor->get_executor(), [d = descriptor.get()] {
      boost::system::error_code ignored;
      d->close(ignored);
    });
  }
  {
    std::lock_guard lock(m.live_mutex);
    for (const auto& c : m.live) {
      asio::post(c->socket.get_executor(), [c] {
        if (c->end_reason.empty()) {
          c->end_reason = "shutdown";
        }
        boost::system::error_code ignored;
        c->socket.cancel(ignored);
        if (c->ftp_passive) {
          c->ftp_passive->close(ignored);
        }
        if (c->ftp_data) {
          c->ftp_data->close(ignored);
        }
      });
    }
  }
  // Sessions end on their own threads (captures, session.close); give them a moment.
  for (int i = 0; i < 500 && m.active > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  m.work.clear();
  for (auto& context : m.contexts) {
    context->stop();
  }
  for (auto& t : m.threads) {
    t.join();
  }
  m.threads.clear();
}

SensorStats SensorServer::stats() const {
  return {impl_->accepted, impl_->refused, impl_->active, impl_->events, impl_->captures};
}

}  // namespace mitsu::sensor

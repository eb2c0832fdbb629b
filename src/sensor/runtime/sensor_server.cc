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
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/clock.h"
#include "core/uuid.h"
#include "sensor/download/address_guard.h"
#include "sensor/protocols/http/http_session.h"
#include "sensor/protocols/proxy/proxy_header.h"
#include "sensor/protocols/ssh/ssh_connection.h"
#include "sensor/protocols/telnet/telnet_session.h"

namespace mitsu::sensor {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kSegmentPause = std::chrono::milliseconds(5);

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
  std::string end_reason;
  Clock::time_point idle_deadline;
  Clock::time_point total_deadline;
  std::int64_t opened_us = 0;
  std::uint64_t input_bytes = 0;
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
  std::vector<AddressGuard> proxy_peers;  // by listener: who may send a PROXY header

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<Bound> bound;
  std::atomic<bool> stopping{false};

  std::atomic<std::uint64_t> accepted{0}, refused{0}, active{0}, events{0}, captures{0};
  std::mutex sources_mutex;
  std::unordered_map<std::string, std::size_t> per_source;
  std::mutex failures_mutex;
  std::unordered_map<std::string, int> failures;  // failed logins per source, across sessions
  std::mutex live_mutex;
  std::unordered_set<std::shared_ptr<Connection>> live;

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
    std::lock_guard lock(sources_mutex);
    if (active >= options.limits.max_sessions ||
        per_source[c.source_key] >= options.limits.max_sessions_per_source) {
      return false;
    }
    ++per_source[c.source_key];
    ++active;
    return true;
  }

  void release(Connection& c) {
    std::lock_guard lock(sources_mutex);
    auto it = per_source.find(c.source_key);
    if (it != per_source.end() && --it->second == 0) {
      per_source.erase(it);
    }
    --active;
  }

  awaitable<void> watchdog(std::shared_ptr<Connection> c) {
    while (c->socket.is_open()) {
      Clock::time_point deadline = std::min(c->idle_deadline, c->total_deadline);
      if (Clock::now() >= deadline) {
        if (c->end_reason.empty()) {
          c->end_reason = c->total_deadline <= Clock::now() ? "session_timeout" : "idle_timeout";
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
    for (CapturedFile& f : files) {
      auto put = artifacts.put(
          std::as_bytes(std::span(f.content.data(), f.content.size())),
          artifacts::Sighting{c.info.session_id, now_unix_us(), c.info.protocol + ":" + f.path});
      if (!put) {
        spdlog::error("sensor: cannot keep {} from session {}: {}", f.path, c.info.session_id,
                      put.error());
        continue;
      }
      ++captures;
      emit(c.info, "file.upload",
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
    emit(c->info, "session.open", nlohmann::json::object());

    SessionActions last;
    if (ssh_endpoint != nullptr) {
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
    emit(c->info, "session.close",
         {{"event.duration", (now_unix_us() - c->opened_us) * 1000},
          {"mitsu.session.end_reason", c->end_reason}});
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
    if (spec.protocol == "http") {
      c->session = std::make_unique<http::HttpSession>(persona, filesystems[spec.persona],
                                                       options.exploits, *c->gate, now_s);
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
    }
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
  }
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
    } else if (spec.protocol != "telnet" && spec.protocol != "http") {
      return Error{
          fmt::format("sensor: protocol '{}' is not served (telnet, ssh, http)", spec.protocol)};
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(spec.address, ec);
    if (ec) {
      return Error{fmt::format("sensor: listen address '{}': {}", spec.address, ec.message())};
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
  {
    std::lock_guard lock(m.live_mutex);
    for (const auto& c : m.live) {
      asio::post(c->socket.get_executor(), [c] {
        if (c->end_reason.empty()) {
          c->end_reason = "shutdown";
        }
        boost::system::error_code ignored;
        c->socket.cancel(ignored);
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

// Admission: the accept loops, the overall and per-source session caps, the PROXY protocol header
// from trusted balancers, and the deadlines that end idle, slow or endless connections.

#include <spdlog/spdlog.h>

#include <array>

// The PROXY header comes from a load balancer in front of any TCP listener, whatever protocol
// follows: a runtime concern, not a protocol's (its parser only lives among the protocols'
// parsers, pure and fuzzed like them).
#include "sensor/protocols/proxy/proxy_header.h"
#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {

awaitable<void> SensorServer::Impl::accept_loop(tcp::acceptor& acceptor, const ListenerSpec& spec,
                                                const OwnedStreamEndpoint* endpoint) {
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
    asio::co_spawn(acceptor.get_executor(), serve(connection, spec, endpoint), asio::detached);
  }
}

bool SensorServer::Impl::admit(Connection& c) {
  boost::system::error_code ec;
  tcp::endpoint remote = c.socket.remote_endpoint(ec);
  if (ec) {
    return false;
  }
  c.source_key = remote.address().to_string();
  return admit_source(c.source_key);
}

// Counts a session against the overall and per-source caps; false when either is reached.
bool SensorServer::Impl::admit_source(const std::string& source) {
  std::lock_guard lock(sources_mutex);
  if (active >= options.limits.max_sessions ||
      per_source[source] >= options.limits.max_sessions_per_source) {
    return false;
  }
  ++per_source[source];
  ++active;
  return true;
}

awaitable<void> SensorServer::Impl::watchdog(std::shared_ptr<Connection> c) {
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

// Reads a PROXY protocol header with MSG_PEEK, so what follows stays in the socket for either
// protocol; on success the session's source becomes the attacker behind the balancer.
awaitable<bool> SensorServer::Impl::read_proxy_header(Connection& c) {
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
awaitable<bool> SensorServer::Impl::readable(Connection& c) {
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

}  // namespace mitsu::sensor

// UDP transfers (TFTP): requests arrive on the well-known port; each transfer gets its own socket
// and port, connected to the client, and is a session of its own (a TransferSession from the
// protocol's factory).

#include <fmt/format.h>

#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {

// A UDP exchange's session: its own id, the two endpoints, the persona answering.
SessionInfo SensorServer::Impl::udp_session(std::string protocol, const udp::endpoint& from,
                                            const udp::endpoint& local,
                                            const DevicePersona& persona) {
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

Result<std::unique_ptr<udp::socket>> SensorServer::Impl::bind_udp(
    const ListenerSpec& spec, const asio::ip::address& address) {
  auto socket = std::make_unique<udp::socket>(*contexts[0]);
  boost::system::error_code ec;
  udp::endpoint endpoint(address, static_cast<unsigned short>(spec.port));
  socket->open(endpoint.protocol(), ec);
  if (!ec) {
    socket->set_option(udp::socket::reuse_address(true), ec);
    socket->bind(endpoint, ec);
  }
  if (ec) {
    return Error{fmt::format("sensor: cannot listen on {}:{} ({} for {}): {}", spec.address,
                             spec.port, spec.protocol, options.personas[spec.persona].name,
                             ec.message())};
  }
  return socket;
}

awaitable<std::optional<std::size_t>> SensorServer::Impl::next_datagram(udp::socket& socket,
                                                                        std::span<std::byte> buffer,
                                                                        udp::endpoint& from) {
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await socket.async_receive_from(
        asio::buffer(buffer.data(), buffer.size()), from, asio::redirect_error(use_awaitable, ec));
    if (!ec) {
      co_return n;
    }
    if (ec == asio::error::operation_aborted || stopping) {
      co_return std::nullopt;
    }
  }
}

// Requests arrive on the well-known port; each transfer gets its own socket and port (RFC 1350's
// transfer identifiers), connected to the client so no one else can join in.
awaitable<void> SensorServer::Impl::transfer_loop(udp::socket& socket, const ListenerSpec& spec,
                                                  const ProtocolInfo& protocol) {
  std::vector<std::byte> buffer(65536);
  udp::endpoint from;
  while (auto received = co_await next_datagram(socket, buffer, from)) {
    std::size_t n = *received;
    boost::system::error_code ec;
    // Only a request opens a transfer; other datagrams here are noise.
    if (!protocol.opens_transfer(std::span(buffer.data(), n))) {
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
    asio::co_spawn(
        socket.get_executor(),
        run_transfer(from, local.address(), local.port(), std::move(request), spec, protocol),
        asio::detached);
  }
}

awaitable<void> SensorServer::Impl::run_transfer(udp::endpoint client,
                                                 asio::ip::address local_address, int listen_port,
                                                 std::string request, const ListenerSpec& spec,
                                                 const ProtocolInfo& protocol) {
  SessionInfo info = udp_session(spec.protocol, client, udp::endpoint(local_address, listen_port),
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
  // Logins, if a transfer protocol has them, count against the source like any other.
  SourceGate gate(*this, info.src_ip, options.personas[spec.persona].credentials);
  std::unique_ptr<TransferSession> made =
      protocol.make_transfer(session_context(spec, gate, info), std::move(request));
  TransferSession& session = *made;
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
  timer.expires_after(session.first_reply_delay());
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

Status SensorServer::Impl::start_transfer(const ListenerSpec& spec, const ProtocolInfo& protocol,
                                          const asio::ip::address& address) {
  auto made = bind_udp(spec, address);
  if (!made) {
    return made.failure();
  }
  std::unique_ptr<udp::socket> socket = std::move(*made);
  boost::system::error_code ec;
  bound.push_back({spec.protocol, options.personas[spec.persona].name, spec.address,
                   socket->local_endpoint(ec).port()});
  asio::co_spawn(*contexts[0], transfer_loop(*socket, spec, protocol), asio::detached);
  udp_listeners.push_back(std::move(socket));
  return {};
}

}  // namespace mitsu::sensor

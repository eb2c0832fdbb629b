// UDP responders (SSDP): the protocol's DatagramResponder answers each datagram, the replies leave
// from the unicast socket (whichever socket — unicast or the multicast group's — the request came
// in on) within the reflection guard, and every datagram recorded is a session of its own.

#include <fmt/format.h>

#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {

awaitable<void> SensorServer::Impl::responder_loop(udp::socket& socket, udp::socket& reply_socket,
                                                   const ListenerSpec& spec,
                                                   const DatagramResponder& responder) {
  const DevicePersona& persona = options.personas[spec.persona];
  std::vector<std::byte> buffer(8192);
  udp::endpoint from;
  while (auto received = co_await next_datagram(socket, buffer, from)) {
    std::size_t n = *received;
    boost::system::error_code ec;
    std::string source = from.address().to_string();
    Clock::time_point now = Clock::now();
    std::span<const std::byte> datagram(buffer.data(), n);
    reflection_guard.received(source, n, now);
    // The address this client reaches us on: the reply socket's, or the route's when that is
    // bound to any address.
    auto local_address = [&] {
      udp::socket probe(socket.get_executor());
      asio::ip::address here = reply_socket.local_endpoint(ec).address();
      if (here.is_unspecified()) {
        probe.open(from.protocol(), ec);
        probe.connect(from, ec);
        here = probe.local_endpoint(ec).address();
      }
      return here.to_string();
    };
    SentReplies sent;
    for (const std::string& reply :
         responder.answer(datagram, local_address, !reflection_guard.is_proven(source, now))) {
      if (!reflection_guard.may_send(source, reply.size(), now)) {
        continue;
      }
      reply_socket.send_to(asio::buffer(reply), from, 0, ec);
      if (!ec) {
        ++sent.count;
        sent.bytes += reply.size();
      }
    }
    if (!reflection_guard.may_record(source, now, sent.suppressed)) {
      continue;
    }
    SessionInfo info = udp_session(spec.protocol, from, socket.local_endpoint(ec), persona);
    SessionEvent event = responder.record(datagram, sent);
    emit(info, event.action, event.fields);
  }
}

Status SensorServer::Impl::start_responder(const ListenerSpec& spec, const ProtocolInfo& protocol) {
  const DevicePersona& persona = options.personas[spec.persona];
  auto made = protocol.make_responder(
      ResponderContext{persona, spec.port, [&](std::string_view name) {
                         for (const Bound& b : bound) {
                           if (b.protocol == name && b.persona == persona.name) {
                             return b.port;
                           }
                         }
                         return 0;
                       }});
  if (!made) {
    return made.failure();
  }
  responders.push_back(std::move(*made));
  const DatagramResponder& responder = *responders.back();
  boost::system::error_code ec;
  auto address = asio::ip::make_address(spec.address, ec);
  if (ec) {
    return Error::invalid(fmt::format("sensor: {} is not an address ({} for {})", spec.address,
                                      spec.protocol, persona.name));
  }
  auto socket = bind_udp(spec, address);
  if (!socket) {
    return socket.failure();
  }
  std::unique_ptr<udp::socket> unicast = std::move(*socket);
  bound.push_back({spec.protocol, persona.name, spec.address, unicast->local_endpoint(ec).port()});
  udp::socket& reply_socket = *unicast;
  asio::co_spawn(*contexts[0], responder_loop(*unicast, reply_socket, spec, responder),
                 asio::detached);
  udp_listeners.push_back(std::move(unicast));
  if (spec.multicast) {
    if (protocol.multicast_group.empty()) {
      return Error{fmt::format("sensor: {} on port {} has no multicast group to join",
                               spec.protocol, spec.port)};
    }
    // The group's socket: bound to the group address, so it hears only the group's datagrams, on
    // the interface of the listen address.
    auto group = asio::ip::make_address_v4(protocol.multicast_group, ec);
    auto multicast = std::make_unique<udp::socket>(*contexts[0]);
    udp::endpoint group_endpoint(group, static_cast<unsigned short>(protocol.multicast_port));
    if (!ec) {
      multicast->open(udp::v4(), ec);
    }
    if (!ec) {
      multicast->set_option(udp::socket::reuse_address(true), ec);
      multicast->bind(group_endpoint, ec);
    }
    if (!ec) {
      auto interface_address = address.is_v4() ? address.to_v4() : asio::ip::address_v4::any();
      multicast->set_option(asio::ip::multicast::join_group(group, interface_address), ec);
    }
    if (ec) {
      return Error{fmt::format("sensor: cannot join {}:{} on {} ({} for {}): {}",
                               protocol.multicast_group, protocol.multicast_port, spec.address,
                               spec.protocol, persona.name, ec.message())};
    }
    asio::co_spawn(*contexts[0], responder_loop(*multicast, reply_socket, spec, responder),
                   asio::detached);
    udp_listeners.push_back(std::move(multicast));
  }
  return {};
}

}  // namespace mitsu::sensor

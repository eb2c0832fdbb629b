// The SSDP responder: M-SEARCH answered from the unicast socket (and the multicast group's) within
// the reflection guard, every datagram an ssdp.request event of its own session.

#include <fmt/format.h>

#include "sensor/protocols/upnp/upnp_device.h"
#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {

// SSDP: one datagram, one exchange. Replies leave from the unicast socket whichever socket
// (unicast or the multicast group's) the request came in on, within the reflection guard.
awaitable<void> SensorServer::Impl::ssdp_loop(udp::socket& socket, udp::socket& reply_socket,
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
    SessionInfo info = udp_session(spec.protocol, from, socket.local_endpoint(ec), persona);
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
      fields["mitsu.ssdp.raw"] =
          std::string(reinterpret_cast<const char*>(buffer.data()), std::min<std::size_t>(n, 512));
    }
    emit(info, "ssdp.request", fields);
  }
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

}  // namespace mitsu::sensor

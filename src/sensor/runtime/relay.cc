// The recording relay in front of a real device: both directions byte for byte, PCAP-NG, the
// protocol's passive decoder (from the registry), device.down/up.

#include <spdlog/spdlog.h>

#include "sensor/relay/pcapng_recording.h"
#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {

// Recording proxy: the attacker's connection is relayed to the real device, byte for byte in
// both directions with back-pressure (each read is written on before the next), recorded as
// PCAP-NG and watched by the protocol's passive decoder.
awaitable<void> SensorServer::Impl::run_relay(std::shared_ptr<Connection> c,
                                              const ListenerSpec& spec) {
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
      zero_day_device_down(index);
    }
    c->socket.set_option(asio::socket_base::linger(true, 0), ec);
    c->end_reason = "device_down";
    co_return;
  }
  if (backend_down[index].exchange(false)) {
    emit_device(spec, "device.up", "");
  }
  std::optional<relay::PcapngRecording> recording = open_recording(*c);
  // Relayed listeners are only made for protocols with an observer (start()).
  std::unique_ptr<StreamObserver> observer =
      ProtocolRegistry::instance()
          .find(spec.protocol)
          ->make_observer(RelayContext{spec.device_share, options.exploits});
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
      // Which file on the device the event opened, for the file-drop watch (SMB's creates).
      if (std::optional<std::string> path = observer->device_path(e)) {
        std::lock_guard lock(writers_mutex);
        if (writers.size() > 10'000) {
          writers.clear();
        }
        writers[*path] = c->info.session_id;
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
  zero_day_session_ended(index, *c, exploit_seen, changes, requests);
}

std::optional<relay::PcapngRecording> SensorServer::Impl::open_recording(Connection& c) {
  if (options.recordings_dir.empty()) {
    return std::nullopt;
  }
  auto made = relay::PcapngRecording::create(
      options.recordings_dir / (c.info.session_id + ".pcapng"), {c.info.src_ip, c.info.src_port},
      {c.info.dst_ip, c.info.dst_port}, now_unix_us());
  if (!made) {
    spdlog::warn("sensor: {}", made.error());
    return std::nullopt;
  }
  c.recording = made->path().string();
  return std::move(*made);
}

void SensorServer::Impl::emit_device(const ListenerSpec& spec, std::string_view action,
                                     const std::string& why) {
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

}  // namespace mitsu::sensor

// A TCP connection's life: session.open, the protocol's session (made by the registry's factory
// and fed the bytes read, or an owned stream whose library reads the socket), carrying out its
// actions (events, captures, downloads, bytes to send), and session.close with what it left.

#include <spdlog/spdlog.h>

#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {
namespace {
constexpr auto kSegmentPause = std::chrono::milliseconds(5);
}  // namespace

void SensorServer::Impl::emit(const SessionInfo& info, std::string_view action,
                              const nlohmann::json& fields) {
  nlohmann::json event = builder.session_event(info, action, now_unix_us());
  for (const auto& [path, value] : fields.items()) {
    set_field(event, path, value);
  }
  sink.emit(event);
  ++events;
}

awaitable<bool> SensorServer::Impl::send(Connection& c, const std::string& bytes) {
  if (bytes.empty()) {
    co_return true;
  }
  boost::system::error_code ec;
  co_await asio::async_write(c.socket, asio::buffer(bytes),
                             asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

void SensorServer::Impl::keep_captures(const SessionInfo& info, std::vector<CapturedFile>& files) {
  for (CapturedFile& f : files) {
    // Who sent it and when is in the file.upload event; the store keeps only the bytes.
    auto put = artifacts.put(std::as_bytes(std::span(f.content.data(), f.content.size())));
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

void SensorServer::Impl::start_downloads(const std::shared_ptr<Connection>& c,
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
              } else if (alive && alive->owned) {
                alive->owned->downloaded(request, content);
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
awaitable<bool> SensorServer::Impl::apply(std::shared_ptr<Connection> c, SessionActions actions) {
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

awaitable<void> SensorServer::Impl::serve(std::shared_ptr<Connection> c, const ListenerSpec& spec,
                                          const OwnedStreamEndpoint* endpoint) {
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
  // A finished TCP handshake proves the address is not spoofed: responders may answer it in full.
  reflection_guard.proven(c->source_key, Clock::now());
  emit(c->info, "session.open", nlohmann::json::object());

  SessionActions last;
  if (!spec.backend.empty()) {
    co_await run_relay(c, spec);
  } else if (endpoint != nullptr) {
    co_await run_owned_stream(c, spec, *endpoint);
    last = c->owned->finish();
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
  c->owned.reset();  // the library closes its duplicate of the socket
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

// Stream protocols: a session from the protocol's factory, fed the bytes the runtime reads.
awaitable<void> SensorServer::Impl::run_byte_session(std::shared_ptr<Connection> c,
                                                     const ListenerSpec& spec) {
  const ProtocolInfo& protocol = *ProtocolRegistry::instance().find(spec.protocol);
  c->session = protocol.make_session(session_context(spec, *c->gate, c->info));
  auto* data_channels = dynamic_cast<DataChannelSession*>(c->session.get());
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
    if (open && data_channels != nullptr) {
      open = co_await run_data_channels(c, *data_channels);
    }
    // A request's deadline runs from its first byte; the watchdog re-reads it when woken.
    bool in_progress = c->session->request_in_progress();
    if (in_progress && c->request_deadline == Clock::time_point::max()) {
      c->request_deadline = Clock::now() + options.limits.request_timeout;
      c->timer.cancel();
    } else if (!in_progress) {
      c->request_deadline = Clock::time_point::max();
    }
  }
}

// Owned streams: the protocol's library reads a duplicate of the socket whenever it is readable.
awaitable<void> SensorServer::Impl::run_owned_stream(std::shared_ptr<Connection> c,
                                                     const ListenerSpec& spec,
                                                     const OwnedStreamEndpoint& endpoint) {
  int fd = ::dup(c->socket.native_handle());
  c->owned = endpoint.connect(fd, session_context(spec, *c->gate, c->info));
  bool open = co_await apply(c, c->owned->step());
  while (open && !c->owned->finished()) {
    if (!co_await readable(*c)) {
      break;
    }
    open = co_await apply(c, c->owned->step());
  }
  if (c->end_reason.empty() && c->owned->finished()) {
    c->end_reason = c->owned->end_reason();
  }
}

}  // namespace mitsu::sensor

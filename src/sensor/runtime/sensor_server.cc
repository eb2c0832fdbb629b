// The sensor runtime's lifecycle: listeners set up from the registry's serve modes, event loops
// started, and a graceful stop in which every session still ends with its captures and events.

#include "sensor/runtime/sensor_server.h"

#include <fmt/format.h>

#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {
namespace {

// The real device's "host:port"; nullopt when it is not one.
std::optional<tcp::endpoint> parse_backend(const std::string& backend) {
  std::size_t colon = backend.rfind(':');
  boost::system::error_code ec;
  auto host =
      asio::ip::make_address(colon == std::string::npos ? "" : backend.substr(0, colon), ec);
  int port = colon == std::string::npos ? 0 : std::atoi(backend.c_str() + colon + 1);
  if (ec || port <= 0 || port > 65535) {
    return std::nullopt;
  }
  return tcp::endpoint(host, static_cast<unsigned short>(port));
}

}  // namespace

SensorServer::SensorServer(SensorOptions options, EventSink& sink,
                           artifacts::ArtifactStore& artifacts, Downloader* downloader)
    : impl_(std::make_unique<Impl>(std::move(options), sink, artifacts, downloader)) {
  register_builtin_servers();
}

SensorServer::~SensorServer() {
  stop();
}

// What a listener needs before it binds: its protocol, the relay's backend, the owned-stream
// endpoint.
Status SensorServer::Impl::prepare(const ListenerSpec& spec, const ProtocolInfo*& protocol) {
  if (spec.persona >= options.personas.size()) {
    return Error{"sensor: a listener names a persona that is not loaded"};
  }
  protocol = ProtocolRegistry::instance().find(spec.protocol);
  if (protocol == nullptr) {
    return Error{fmt::format("sensor: protocol '{}' is not served ({})", spec.protocol,
                             ProtocolRegistry::instance().names())};
  }
  auto peers = AddressGuard::with_allowlist(spec.proxy_from);
  if (!peers) {
    return Error{fmt::format("sensor: proxy_from of {} on port {}: {}", spec.protocol, spec.port,
                             peers.error())};
  }
  proxy_peers.push_back(std::move(*peers));
  endpoints.emplace_back();
  backends.emplace_back();
  if (!spec.backend.empty()) {
    auto endpoint = parse_backend(spec.backend);
    if (!endpoint) {
      return Error{fmt::format("sensor: backend '{}' of {} on port {}: expected address:port",
                               spec.backend, spec.protocol, spec.port)};
    }
    if (!protocol->make_observer) {
      std::string relayable;
      for (const ProtocolInfo* p : ProtocolRegistry::instance().all()) {
        if (p->make_observer) {
          relayable += relayable.empty() ? p->name : ", " + p->name;
        }
      }
      return Error{
          fmt::format("sensor: {} cannot be relayed to a device ({})", spec.protocol, relayable)};
    }
    backends.back() = *endpoint;
  } else if (protocol->mode == ServeMode::kRelayOnly) {
    return Error{
        fmt::format("sensor: {} on port {} is served only by a real device: set its backend",
                    spec.protocol, spec.port)};
  } else if (protocol->mode == ServeMode::kOwnedStream) {
    if (!protocol->make_endpoint) {
      return Error{fmt::format("sensor: {} on port {}: this binary cannot serve it (no endpoint)",
                               spec.protocol, spec.port)};
    }
    auto endpoint = protocol->make_endpoint(
        EndpointContext{options.personas[spec.persona], options.ssh_host_keys_dir});
    if (!endpoint) {
      return endpoint.failure();
    }
    endpoints.back() = std::move(*endpoint);
  }
  return {};
}

Status SensorServer::Impl::start_tcp(const ListenerSpec& spec, const asio::ip::address& address) {
  boost::system::error_code ec;
  auto acceptor = std::make_unique<tcp::acceptor>(*contexts[0]);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(spec.port));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    acceptor->bind(endpoint, ec);
  }
  if (!ec) {
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  }
  const std::string& persona = options.personas[spec.persona].name;
  if (ec) {
    return Error{fmt::format("sensor: cannot listen on {}:{} ({} for {}): {}", spec.address,
                             spec.port, spec.protocol, persona, ec.message())};
  }
  tcp::endpoint local = acceptor->local_endpoint(ec);
  bound.push_back({spec.protocol, persona, spec.address, local.port()});
  // Every event loop accepts on the listening socket itself (a duplicate descriptor of it), so
  // a connection is served where it was accepted, with no hand-over between threads.
  const OwnedStreamEndpoint* owned_endpoint = endpoints[listener_index(spec)].get();
  for (std::size_t i = 1; i < contexts.size(); ++i) {
    int fd = ::dup(acceptor->native_handle());
    auto copy = std::make_unique<tcp::acceptor>(*contexts[i]);
    copy->assign(endpoint.protocol(), fd, ec);
    if (ec) {
      ::close(fd);
      return Error{fmt::format("sensor: {}:{}: {}", spec.address, spec.port, ec.message())};
    }
    asio::co_spawn(*contexts[i], accept_loop(*copy, spec, owned_endpoint), asio::detached);
    acceptors.push_back(std::move(copy));
  }
  asio::co_spawn(*contexts[0], accept_loop(*acceptor, spec, owned_endpoint), asio::detached);
  acceptors.push_back(std::move(acceptor));
  return {};
}

Status SensorServer::Impl::start_watch(const ListenerSpec& spec) {
  auto watch = relay::FileWatch::start(spec.watch_dir);
  if (!watch) {
    return Error{
        fmt::format("sensor: {} listener on port {}: {}", spec.protocol, spec.port, watch.error())};
  }
  watches.push_back(std::make_unique<relay::FileWatch>(std::move(*watch)));
  watch_descriptors.push_back(
      std::make_unique<asio::posix::stream_descriptor>(*contexts[0], ::dup(watches.back()->fd())));
  asio::co_spawn(*contexts[0], watch_loop(watches.size() - 1, spec), asio::detached);
  return {};
}

Status SensorServer::start() {
  Impl& m = *impl_;
  for (const DevicePersona& p : m.options.personas) {
    m.filesystems.push_back(persona_filesystem(p));
    m.shared.push_back(std::make_unique<SharedState>());
  }
  m.backend_down = std::make_unique<std::atomic<bool>[]>(m.options.listeners.size());
  unsigned threads = m.options.threads != 0 ? m.options.threads
                                            : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    m.contexts.push_back(std::make_unique<asio::io_context>(1));
    m.work.push_back(asio::make_work_guard(*m.contexts.back()));
  }
  std::vector<const ProtocolInfo*> protocols;
  for (const ListenerSpec& spec : m.options.listeners) {
    const ProtocolInfo* protocol = nullptr;
    if (Status s = m.prepare(spec, protocol); !s) {
      return s;
    }
    protocols.push_back(protocol);
    boost::system::error_code ec;
    auto address = asio::ip::make_address(spec.address, ec);
    if (ec) {
      return Error{fmt::format("sensor: listen address '{}': {}", spec.address, ec.message())};
    }
    Status s;
    if (!spec.backend.empty() || protocol->transport == "tcp") {
      s = m.start_tcp(spec, address);
    } else if (protocol->mode == ServeMode::kTransfer) {
      s = m.start_transfer(spec, *protocol, address);
    } else if (protocol->mode != ServeMode::kResponder) {
      s = Error{fmt::format("sensor: {} has no UDP driver", spec.protocol)};
    }  // responders start after the TCP listeners: replies may name their ports
    if (!s) {
      return s;
    }
  }
  for (std::size_t i = 0; i < m.options.listeners.size(); ++i) {
    const ListenerSpec& spec = m.options.listeners[i];
    if (spec.backend.empty() && protocols[i]->mode == ServeMode::kResponder) {
      if (Status s = m.start_responder(spec, *protocols[i]); !s) {
        return s;
      }
    }
    if (!spec.watch_dir.empty()) {
      if (Status s = m.start_watch(spec); !s) {
        return s;
      }
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
        if (c->data_passive) {
          c->data_passive->close(ignored);
        }
        if (c->data_socket) {
          c->data_socket->close(ignored);
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

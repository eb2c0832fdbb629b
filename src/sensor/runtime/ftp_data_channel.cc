// Data connections beside a control connection (FTP's PASV/EPSV and PORT/EPRT): passive ports
// accept only the control connection's peer, active connections go only back to it (no bounce).

#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {
namespace {
// How long a data connection may take to be made, and to stay silent while transferring.
constexpr auto kDataConnectionTimeout = std::chrono::seconds(20);
}  // namespace

// Carries out what an FTP session asked for after a command: a passive port, then transfers
// over data connections, until it waits for the client again. False when the session ends.
awaitable<bool> SensorServer::Impl::run_data_channels(std::shared_ptr<Connection> c,
                                                      DataChannelSession& session) {
  for (;;) {
    if (session.passive_requested()) {
      boost::system::error_code ec;
      tcp::endpoint local = c->socket.local_endpoint(ec);
      c->data_passive = std::make_unique<tcp::acceptor>(c->socket.get_executor());
      if (!ec) {
        c->data_passive->open(local.protocol(), ec);
      }
      if (!ec) {
        c->data_passive->bind(tcp::endpoint(local.address(), 0), ec);
      }
      if (!ec) {
        c->data_passive->listen(1, ec);
      }
      int port = ec ? 0 : c->data_passive->local_endpoint(ec).port();
      if (!co_await apply(c, session.passive_opened(local.address().to_string(), ec ? 0 : port))) {
        co_return false;
      }
      continue;
    }
    std::optional<DataTransfer> transfer = session.take_transfer();
    if (!transfer) {
      co_return true;
    }
    std::string received;
    bool ok = co_await data_transfer(*c, session, *transfer, received);
    c->data_passive.reset();
    c->data_socket.reset();
    if (!co_await apply(c, session.transfer_done(std::move(received), ok))) {
      co_return false;
    }
  }
}

// One data connection: accepted on the passive port (from the control connection's peer
// only) or made to the PORT address, then one transfer either way, with a deadline.
awaitable<bool> SensorServer::Impl::data_transfer(Connection& c, DataChannelSession& session,
                                                  const DataTransfer& transfer,
                                                  std::string& received) {
  asio::steady_timer deadline(c.socket.get_executor());
  auto arm = [&] {
    deadline.expires_after(kDataConnectionTimeout);
    deadline.async_wait([&c](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        if (c.data_passive) {
          c.data_passive->close(ignored);
        }
        if (c.data_socket) {
          c.data_socket->close(ignored);
        }
      }
    });
  };
  arm();
  boost::system::error_code ec;
  c.data_socket = std::make_unique<tcp::socket>(c.socket.get_executor());
  if (const auto& active = session.active_endpoint()) {
    auto address = asio::ip::make_address(active->address, ec);
    if (!ec) {
      co_await c.data_socket->async_connect(
          tcp::endpoint(address, static_cast<unsigned short>(active->port)),
          asio::redirect_error(use_awaitable, ec));
    }
  } else if (c.data_passive) {
    for (;;) {
      co_await c.data_passive->async_accept(*c.data_socket,
                                            asio::redirect_error(use_awaitable, ec));
      if (ec) {
        break;
      }
      tcp::endpoint peer = c.data_socket->remote_endpoint(ec);
      if (!ec && peer.address().to_string() == c.source_key) {
        break;
      }
      c.data_socket->close(ec);  // someone else raced for the port
    }
    c.data_passive->close(ec);
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
      std::size_t n = co_await c.data_socket->async_read_some(
          asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
      if (n > 0) {
        std::size_t room = session.max_upload_bytes() - received.size();
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
    co_await asio::async_write(*c.data_socket, asio::buffer(transfer.content),
                               asio::redirect_error(use_awaitable, ec));
    ok = !ec;
    c.data_socket->shutdown(tcp::socket::shutdown_send, ec);
  }
  deadline.cancel();
  c.data_socket->close(ec);
  co_return ok && !stopping;
}

}  // namespace mitsu::sensor

#include "api/server/api_server.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
// clang-format off
#include <utility>
// clang-format on

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <thread>
#include <vector>

#include "core/safe_text.h"

namespace mitsu::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using tcp = asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kStreamPoll = std::chrono::milliseconds(50);
constexpr auto kStreamKeepAlive = std::chrono::seconds(15);
constexpr auto kStreamWriteTimeout = std::chrono::seconds(10);

template <class Body>
void security_headers(http::response<Body>& r) {
  r.set(http::field::cache_control, "no-store");
  r.set("X-Content-Type-Options", "nosniff");
  r.set("X-Frame-Options", "DENY");
  r.set("Referrer-Policy", "no-referrer");
  r.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
  r.set(http::field::strict_transport_security, "max-age=31536000");
  r.set(http::field::server, "mitsu");
}

// The Beast request as the router's plain value; nullopt for a target that does not decode.
std::optional<ApiRequest> to_api_request(const http::request<http::string_body>& req,
                                         const std::string& peer) {
  auto target = parse_target(std::string_view(req.target().data(), req.target().size()));
  if (!target) {
    return std::nullopt;
  }
  ApiRequest out;
  out.method = std::string(req.method_string());
  out.path = std::move(target->path);
  out.query = std::move(target->query);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string value(field.value());
    auto [it, added] = out.headers.emplace(name, value);
    if (!added) {
      it->second += (name == "cookie" ? "; " : ", ") + value;
    }
  }
  out.body = req.body();
  out.peer = peer;
  return out;
}

http::response<http::string_body> to_beast(const ApiResponse& response, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> r{static_cast<http::status>(response.status), version};
  security_headers(r);
  r.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) {
    r.insert(name, value);
  }
  r.body() = response.body;
  r.keep_alive(keep_alive);
  r.prepare_payload();
  return r;
}

class BeastServer : public ApiServer {
 public:
  BeastServer(const Router& router, ApiServerOptions options)
      : router_(router),
        options_(std::move(options)),
        tls_(asio::ssl::context::tls_server),
        acceptor_(io_) {}
  ~BeastServer() override { stop(); }

  Status open() {
    boost::system::error_code ec;
    tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    tls_.use_certificate_chain_file(options_.certificate.string(), ec);
    if (!ec) {
      tls_.use_private_key_file(options_.private_key.string(), asio::ssl::context::pem, ec);
    }
    if (ec) {
      return Error::invalid(fmt::format("API TLS: cannot load {} / {}: {}",
                                        options_.certificate.string(),
                                        options_.private_key.string(), ec.message()));
    }
    auto address = asio::ip::make_address(options_.address, ec);
    if (ec) {
      return Error::invalid(
          fmt::format("API listen address \"{}\" is not an IP address", options_.address));
    }
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return Error::unavailable(fmt::format("API cannot listen on {}:{}: {}", options_.address,
                                            options_.port, ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return Status::success();
  }

  std::uint16_t port() const override { return port_; }

  void stop() override {
    if (stopped_.exchange(true)) {
      return;
    }
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    for (std::thread& t : threads_) {
      t.join();
    }
  }

 private:
  awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      // Each connection on a strand of its own: the stream and its timer are never touched from
      // two of the pool's threads at once.
      tcp::socket socket = co_await acceptor_.async_accept(
          asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open()) {
          co_return;
        }
        // e.g. out of descriptors: keep serving the open connections, and do not spin.
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (open_connections_.load() >= options_.max_connections) {
        socket.close(ec);
        continue;
      }
      // Responses go out as several TLS records: without this, Nagle's algorithm holds the
      // last one back for the client's delayed ACK (~40 ms on Linux).
      socket.set_option(tcp::no_delay(true), ec);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
    }
  }

  // Counts a connection for as long as its coroutine lives, however it ends.
  struct Counted {
    std::atomic<std::size_t>& n;
    explicit Counted(std::atomic<std::size_t>& counter) : n(counter) { ++n; }
    ~Counted() { --n; }
  };

  awaitable<void> serve(tcp::socket socket) {
    Counted counted(open_connections_);
    boost::system::error_code ec;
    std::string peer = socket.remote_endpoint(ec).address().to_string();
    Stream stream(std::move(socket), tls_);
    beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    beast::flat_buffer buffer;
    while (!ec) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(options_.idle_timeout_s));
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::body_limit || ec == http::error::header_limit) {
        bool body = ec == http::error::body_limit;
        auto r = to_beast(error_response(body ? 413 : 431,
                                         body ? fmt::format("the body is larger than {} bytes",
                                                            options_.max_body_bytes)
                                              : std::string("the request headers are too large")),
                          11, false);
        co_await http::async_write(stream, r, asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      if (ec) {
        break;  // closed, timed out or not HTTP: nothing to answer
      }
      http::request<http::string_body> req = parser.release();
      auto started = std::chrono::steady_clock::now();
      auto request = to_api_request(req, peer);
      ApiResponse response = request ? router_.handle(*request)
                                     : error_response(400, "the request target is malformed");
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
      // The path only: credentials travel in headers, which are never logged.
      auto level = response.status >= 500 ? spdlog::level::warn : spdlog::level::debug;
      spdlog::log(level, "api: {} {} {} {} ms from {}",
                  terminal_safe(std::string(req.method_string())),
                  terminal_safe(request ? request->path : std::string("(malformed)")),
                  response.status, ms, peer);
      if (response.stream) {
        co_await stream_body(stream, response, req.version());
        break;
      }
      auto r = to_beast(response, req.version(), req.keep_alive());
      co_await http::async_write(stream, r, asio::redirect_error(asio::use_awaitable, ec));
      if (!req.keep_alive()) {
        break;
      }
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  // The live stream: headers without a length, then the body as it comes, until the source ends,
  // the client goes or a write stalls (a client that stops reading is cut off here, while its
  // queue in the hub is bounded on its own).
  awaitable<void> stream_body(Stream& stream, const ApiResponse& response, unsigned version) {
    http::response<http::empty_body> head{static_cast<http::status>(response.status), version};
    security_headers(head);
    head.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) {
      head.insert(name, value);
    }
    head.keep_alive(false);
    http::response_serializer<http::empty_body> serializer(head);
    boost::system::error_code ec;
    beast::get_lowest_layer(stream).expires_after(kStreamWriteTimeout);
    co_await http::async_write_header(stream, serializer,
                                      asio::redirect_error(asio::use_awaitable, ec));
    asio::steady_timer tick(stream.get_executor());
    auto quiet_since = std::chrono::steady_clock::now();
    std::string chunk;
    bool open = true;
    while (!ec && open && !stopped_.load()) {
      chunk.clear();
      open = response.stream->next(chunk);
      auto now = std::chrono::steady_clock::now();
      if (chunk.empty() && now - quiet_since >= kStreamKeepAlive) {
        chunk = ": keep-alive\n\n";  // lets proxies and the client see the stream is alive
      }
      if (!chunk.empty()) {
        quiet_since = now;
        beast::get_lowest_layer(stream).expires_after(kStreamWriteTimeout);
        co_await asio::async_write(stream, asio::buffer(chunk),
                                   asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      tick.expires_after(kStreamPoll);
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  const Router& router_;
  ApiServerOptions options_;
  // Before io_: coroutines still parked at shutdown are destroyed with it, and count down here.
  std::atomic<std::size_t> open_connections_{0};
  std::atomic<bool> stopped_{false};
  asio::io_context io_;
  asio::ssl::context tls_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
};

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::start(const Router& router,
                                                    ApiServerOptions options) {
  auto server = std::make_unique<BeastServer>(router, std::move(options));
  if (Status opened = server->open(); !opened) {
    return opened.failure();
  }
  return std::unique_ptr<ApiServer>(std::move(server));
}

}  // namespace mitsu::api

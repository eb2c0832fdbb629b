#pragma once
// The API's HTTPS server: Boost.Beast over TLS, keep-alive, bounded headers, bodies, idle time
// and connections. It only moves bytes: each request becomes an ApiRequest for the router, whose
// ApiResponse goes back with the security headers every answer carries. Handlers block on the
// stores, so requests run on a small pool of threads.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "api/router.h"
#include "core/result.h"

namespace mitsu::api {

struct ApiServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;  // 0: any free port (tests)
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  int threads = 4;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  int idle_timeout_s = 30;
  std::size_t max_connections = 1024;
};

class ApiServer {
 public:
  // Binds and starts serving on background threads.
  static Result<std::unique_ptr<ApiServer>> start(const Router& router, ApiServerOptions options);
  virtual ~ApiServer() = default;
  virtual std::uint16_t port() const = 0;
  // Stops accepting, ends open connections and joins the threads. Idempotent.
  virtual void stop() = 0;
};

}  // namespace mitsu::api

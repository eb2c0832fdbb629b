// `mitsu api`: the REST API alone against the configured stores (for a machine apart from the
// sensors, or beside a `mitsu run` that has the API disabled).

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "api/server/serve.h"
#include "cli/commands.h"

namespace mitsu::cli {
namespace {

std::atomic<bool> g_api_stop{false};

void request_api_stop(int) {
  g_api_stop = true;
}

}  // namespace

int api_command(const Config& config, const ApiOptions& options) {
  if (!store_exists(config)) {
    return kExitFailure;
  }
  Config serving = config;
  if (!options.listen.empty()) {
    serving.api.listen = options.listen;
  }
  if (options.port >= 0) {
    serving.api.port = options.port;
  }
  std::signal(SIGINT, request_api_stop);
  std::signal(SIGTERM, request_api_stop);
  auto running = api::start_api(serving);
  if (!running) {
    spdlog::error("{}", running.error());
    return kExitFailure;
  }
  // On stdout, once it answers: scripts wait for this line (and learn the port of --port 0).
  std::printf("api %s\n", (*running)->url.c_str());
  std::fflush(stdout);
  spdlog::info("serving the API; stop with Ctrl-C or SIGTERM");
  while (!g_api_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*running)->server->stop();
  spdlog::info("api: stopped");
  return kExitOk;
}

}  // namespace mitsu::cli

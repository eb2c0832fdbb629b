// The file-drop watch: a device's storage seen through inotify, each change an event, each new
// file an artifact (read through the descriptor held since its creation).

#include <spdlog/spdlog.h>

#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {

// A watched device directory: each change is an event, each new file an artifact — taken
// through the descriptor held since its creation, so deleting it quickly hides nothing.
awaitable<void> SensorServer::Impl::watch_loop(std::size_t index, const ListenerSpec& spec) {
  auto& descriptor = *watch_descriptors[index];
  for (;;) {
    boost::system::error_code ec;
    co_await descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                   asio::redirect_error(use_awaitable, ec));
    if (ec || stopping) {
      co_return;
    }
    watches[index]->drain([&](relay::FileChange change) {
      std::string session;
      {
        std::lock_guard lock(writers_mutex);
        if (auto it = writers.find(change.path); it != writers.end()) {
          session = it->second;
        }
      }
      const char* action = change.kind == relay::FileChange::Kind::kCreated ? "device.file_created"
                           : change.kind == relay::FileChange::Kind::kModified
                               ? "device.file_modified"
                               : "device.file_deleted";
      nlohmann::json event = builder.sensor_event(action, now_unix_us());
      set_field(event, "mitsu.device.backend", spec.backend);
      set_field(event, "file.path", change.path);
      if (!session.empty()) {
        set_field(event, "mitsu.session.id", session);
      }
      if (change.kind != relay::FileChange::Kind::kDeleted) {
        auto put =
            artifacts.put(std::as_bytes(std::span(change.content.data(), change.content.size())));
        if (put) {
          ++captures;
          set_field(event, "file.hash.sha256", put->info.sha256);
          set_field(event, "file.size", change.content.size());
        } else {
          spdlog::error("sensor: cannot keep {} from the device: {}", change.path, put.error());
        }
      }
      sink.emit(event);
      ++events;
    });
  }
}

}  // namespace mitsu::sensor

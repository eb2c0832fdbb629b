#include "app/sensor_setup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/hex.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::app {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxQueuedEvents = 50'000;
}

SpoolEventSink::SpoolEventSink(spool::Spool& spool)
    : spool_(spool), writer_([this] { write_loop(); }) {}

SpoolEventSink::~SpoolEventSink() {
  close();
}

void SpoolEventSink::emit(const nlohmann::json& event) {
  std::string text = to_event_text(event);
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < kMaxQueuedEvents || closing_; });
  queue_.push_back(std::move(text));
  changed_.notify_all();
}

void SpoolEventSink::write_loop() {
  std::vector<std::string> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty() && closing_) {
        return;
      }
      batch.swap(queue_);
      changed_.notify_all();
    }
    if (Status s = spool_.append_batch(std::span<const std::string>(batch)); !s) {
      failed_ += batch.size();
      spdlog::error("sensor: {} events lost, the spool refused them: {}", batch.size(), s.error());
    }
    batch.clear();
  }
}

void SpoolEventSink::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    changed_.notify_all();
  }
  if (writer_.joinable()) {
    writer_.join();
  }
}

namespace {

// A per-sensor secret that makes hostnames, MACs and serials differ between sensors but stay the
// same across restarts of one.
Result<std::string> sensor_seed(const fs::path& data_dir) {
  fs::path file = data_dir / "sensor.seed";
  std::ifstream in(file);
  std::string seed;
  if (in >> seed && seed.size() == 64) {
    return seed;
  }
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Error{"sensor: no randomness for the sensor seed"};
  }
  seed = to_hex(bytes, sizeof(bytes));
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, seed.data(), seed.size()) != static_cast<ssize_t>(seed.size())) {
    if (fd >= 0) {
      ::close(fd);
    }
    return Error{fmt::format("sensor: cannot write {}", file.string())};
  }
  ::fsync(fd);
  ::close(fd);
  return seed;
}

}  // namespace

Result<sensor::SensorOptions> sensor_options(const Config& config) {
  const SensorSettings& s = config.sensors;
  auto personas = sensor::load_personas(s.personas_dir);
  if (!personas) {
    return personas.failure();
  }
  auto seed = sensor_seed(config.data_dir);
  if (!seed) {
    return seed.failure();
  }
  sensor::SensorOptions options;
  options.identity = config.sensor;
  options.limits = s.limits;
  options.threads = s.threads;
  options.ssh_host_keys_dir = config.data_dir / "ssh";
  options.recordings_dir = config.data_dir / "recordings";
  auto exploits = sensor::ExploitRules::load({MITSU_DEFAULT_EXPLOITS_DIR});
  if (!exploits) {
    return exploits.failure();
  }
  options.exploits = std::move(*exploits);
  for (auto& p : *personas) {
    sensor::randomise(p, *seed);
  }
  options.personas = std::move(*personas);
  auto index_of = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < options.personas.size(); ++i) {
      if (options.personas[i].name == name) {
        return i;
      }
    }
    return std::nullopt;
  };
  if (s.listeners.empty()) {
    for (std::size_t i = 0; i < options.personas.size(); ++i) {
      for (const auto& service : options.personas[i].services) {
        // SSDP is found by multicast: join the group, or discovery finds nothing.
        const sensor::ProtocolInfo* protocol =
            sensor::ProtocolRegistry::instance().find(service.protocol);
        bool multicast = protocol != nullptr && protocol->multicast_by_default;
        options.listeners.push_back(
            {service.protocol, s.listen, service.port, i, false, {}, multicast});
      }
    }
  }
  for (const auto& l : s.listeners) {
    auto index = index_of(l.persona);
    if (!index) {
      return Error{fmt::format("sensor.listeners: no persona named '{}' in {}", l.persona,
                               s.personas_dir.string())};
    }
    options.listeners.push_back({l.protocol, l.address.empty() ? s.listen : l.address, l.port,
                                 *index, l.proxy_protocol, l.proxy_from, l.multicast, l.backend,
                                 l.device_share, l.watch_dir});
  }
  return options;
}

Status drop_privileges(const std::string& user) {
  if (user.empty() || ::geteuid() != 0) {
    return {};
  }
  passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    return Error{fmt::format("sensor.user: no user named '{}'", user)};
  }
  if (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0) {
    return Error{fmt::format("sensor.user: cannot switch to '{}'", user)};
  }
  return {};
}

}  // namespace mitsu::app

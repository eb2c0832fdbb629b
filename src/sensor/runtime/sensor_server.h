#pragma once
// The sensor's network side: listeners for every persona's services, one event loop per core
// (Boost.Asio, C++20 coroutines, no thread per connection), session caps per source address and
// overall, idle and total timeouts, input limits, and a graceful stop in which every session
// still gets its last captures and its session.close event. Sessions themselves never see a
// socket: this layer feeds them bytes and carries out their actions.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "artifacts/artifact_store.h"
#include "core/event_builder.h"
#include "core/result.h"
#include "sensor/download/downloader.h"
#include "sensor/exploits/exploit_rules.h"
#include "sensor/persona/persona.h"

namespace mitsu::sensor {

struct ListenerSpec {
  std::string protocol;  // a registered protocol (sensor/registry): telnet, ssh, http, …
  std::string address = "127.0.0.1";
  int port = 0;             // 0: any free port (tests)
  std::size_t persona = 0;  // index into SensorOptions::personas
  // PROXY protocol v1/v2 is read only from these peers (a load balancer); others are attackers
  // whose bytes are taken as they come.
  bool proxy_protocol = false;
  std::vector<std::string> proxy_from;
  // SSDP: also receive M-SEARCH sent to 239.255.255.250:1900 on the interface of `address`.
  bool multicast = false;
  // "host:port" of a real device: the listener relays to it, records and decodes instead of
  // emulating (telnet, http, smb). Empty: the persona is emulated.
  std::string backend;
  // SMB backend: its writable share's directory as the device names it (SambaCry paths).
  std::string device_share;
  // Where the device's storage is visible to the sensor (inotify): files dropped there are
  // captured before they can be deleted. Empty: not watched.
  std::string watch_dir;
};

struct SensorLimits {
  std::size_t max_sessions = 200'000;
  std::size_t max_sessions_per_source = 64;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds session_timeout{std::chrono::hours(1)};
  // HTTP: from a request's first byte to its last, so a client trickling headers (slowloris)
  // cannot hold a connection for the whole idle timeout per byte.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::uint64_t max_input_bytes = 16ULL << 20;
};

struct SensorOptions {
  SensorIdentity identity;
  std::vector<DevicePersona> personas;
  std::vector<ListenerSpec> listeners;
  SensorLimits limits;
  unsigned threads = 0;                             // 0: one per core
  std::filesystem::path ssh_host_keys_dir = "ssh";  // made on first start, kept
  std::filesystem::path recordings_dir;             // relayed sessions as PCAP-NG; empty: none
  std::shared_ptr<const ExploitRules> exploits;     // for HTTP; null: no matching
};

// Where finished events go (the spool). Called from several threads.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const nlohmann::json& event) = 0;
};

struct SensorStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused_over_limit = 0;  // connections closed at once: caps reached
  std::uint64_t active = 0;
  std::uint64_t events = 0;
  std::uint64_t captures = 0;
};

class SensorServer {
 public:
  // `downloader` may be null: fetch requests are then reported as failed downloads.
  SensorServer(SensorOptions options, EventSink& sink, artifacts::ArtifactStore& artifacts,
               Downloader* downloader);
  ~SensorServer();
  SensorServer(const SensorServer&) = delete;
  SensorServer& operator=(const SensorServer&) = delete;

  // Binds every listener (an error names the one that failed) and starts the event loops.
  Status start();

  struct Bound {
    std::string protocol;
    std::string persona;
    std::string address;
    int port = 0;
  };
  std::vector<Bound> bound() const;

  // Stops accepting, ends every session as if it timed out (captures and events kept), joins.
  void stop();

  SensorStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mitsu::sensor

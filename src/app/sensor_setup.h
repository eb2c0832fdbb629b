#pragma once
// Builds the honeypot side of `mitsu run` from the configuration: personas (randomised per
// sensor, stably), listeners, the payload downloader, and the sink that puts events in the spool.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "app/config.h"
#include "sensor/download/downloader.h"
#include "sensor/runtime/sensor_server.h"
#include "spool/spool.h"

namespace mitsu::app {

// Events to the spool through one writer thread that appends whatever has queued up as one
// batch (one fsync under the "always" policy), so sensor threads never wait for the disk and a
// burst of sessions costs a few fsyncs, not one per event. The queue is bounded: when the disk
// falls behind, emit() waits rather than drop. close() appends everything queued.
class SpoolEventSink : public sensor::EventSink {
 public:
  explicit SpoolEventSink(spool::Spool& spool);
  ~SpoolEventSink() override;
  void emit(const nlohmann::json& event) override;
  void close();
  std::uint64_t failed() const { return failed_; }

 private:
  void write_loop();
  spool::Spool& spool_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> queue_;
  bool closing_ = false;
  std::atomic<std::uint64_t> failed_{0};
  std::thread writer_;
};

// Personas, randomised with the sensor's seed (created in data_dir on first start), and the
// listeners: configured ones, or each persona's default ports on `listen`.
Result<sensor::SensorOptions> sensor_options(const Config& config);

// Running as root with sensor.user set: switch to that user now that the ports are bound.
Status drop_privileges(const std::string& user);

}  // namespace mitsu::app

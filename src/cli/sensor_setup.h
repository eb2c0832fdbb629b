#pragma once
// Builds the honeypot side of `mitsu run` from the configuration: personas (randomised per
// sensor, stably), listeners, the payload downloader, and the sink that puts events in the spool.

#include <memory>
#include <vector>

#include "cli/config.h"
#include "sensor/download/downloader.h"
#include "sensor/runtime/sensor_server.h"
#include "spool/spool.h"

namespace mitsu::cli {

// Events to the spool; a failed append is logged and counted, the sensor keeps running.
class SpoolEventSink : public sensor::EventSink {
 public:
  explicit SpoolEventSink(spool::Spool& spool) : spool_(spool) {}
  void emit(const nlohmann::json& event) override;
  std::uint64_t failed() const { return failed_; }

 private:
  spool::Spool& spool_;
  std::atomic<std::uint64_t> failed_{0};
};

// Personas, randomised with the sensor's seed (created in data_dir on first start), and the
// listeners: configured ones, or each persona's default ports on `listen`.
Result<sensor::SensorOptions> sensor_options(const Config& config);

// Running as root with sensor.user set: switch to that user now that the ports are bound.
Status drop_privileges(const std::string& user);

}  // namespace mitsu::cli

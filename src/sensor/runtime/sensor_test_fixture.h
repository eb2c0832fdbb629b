#pragma once
// For tests: a sensor on 127.0.0.1 with an in-memory event sink and an artifact store in a
// temporary directory. A test fills `options_`, calls start_sensor(), and talks to `port_` (the
// first listener's).

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "artifacts/artifact_store.h"
#include "sensor/runtime/memory_sink.h"
#include "sensor/runtime/sensor_server.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {

class SensorTest : public ::testing::Test {
 protected:
  explicit SensorTest(const std::string& name) : dir_(name) {}

  void start_sensor() {
    server_ = std::make_unique<SensorServer>(options_, sink_, *store_, nullptr);
    Status started = server_->start();
    ASSERT_TRUE(started) << started.error();
    port_ = server_->bound().at(0).port;
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
    }
  }

  mitsu::testing::TempDir dir_;
  std::unique_ptr<artifacts::ArtifactStore> store_ =
      std::move(*artifacts::ArtifactStore::open({dir_.path() / "artifacts"}));
  SensorOptions options_;
  MemorySink sink_;
  std::unique_ptr<SensorServer> server_;
  int port_ = 0;
};

}  // namespace mitsu::sensor

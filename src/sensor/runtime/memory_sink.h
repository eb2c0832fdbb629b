#pragma once
// For tests: an EventSink that keeps every event, and a wait for the ones a test expects
// (sessions end on the server's threads).

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "sensor/runtime/sensor_server.h"

namespace mitsu::sensor {

class MemorySink : public EventSink {
 public:
  void emit(const nlohmann::json& event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  std::vector<nlohmann::json> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<nlohmann::json> of(std::string_view action) const {
    std::vector<nlohmann::json> out;
    for (const auto& e : events()) {
      if (e["event"]["action"] == action) {
        out.push_back(e);
      }
    }
    return out;
  }
  bool wait_for(std::string_view action, std::size_t n,
                std::chrono::milliseconds limit = std::chrono::seconds(5)) const {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (of(action).size() >= n) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> events_;
};

}  // namespace mitsu::sensor

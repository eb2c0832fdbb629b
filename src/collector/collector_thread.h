#pragma once
// Runs a Collector on its own thread, so producers (sensors, `mitsu ingest`) never wait for the
// store: events are delivered while more are appended, on the second core.

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "collector/collector.h"

namespace mitsu::collector {

class CollectorThread {
 public:
  enum class OnError {
    kStop,   // the first failure ends the thread; finish() returns it (batch tools)
    kRetry,  // log it and try again after a pause (the long-running platform)
  };

  explicit CollectorThread(Collector& collector, OnError on_error = OnError::kStop);
  ~CollectorThread();
  CollectorThread(const CollectorThread&) = delete;
  CollectorThread& operator=(const CollectorThread&) = delete;

  // Delivers everything appended before the call, stops the thread and returns the first error
  // (success if none). The collector's stats are final afterwards.
  Status finish();
  bool failed() const { return failed_; }

 private:
  void loop();

  Collector& collector_;
  OnError on_error_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  Status error_;
  std::thread thread_;
};

}  // namespace mitsu::collector

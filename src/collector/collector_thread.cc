#include "collector/collector_thread.h"

#include <spdlog/spdlog.h>

namespace mitsu::collector {
namespace {
constexpr auto kIdlePause = std::chrono::milliseconds(20);
constexpr auto kRetryPause = std::chrono::seconds(1);
}  // namespace

CollectorThread::CollectorThread(Collector& collector, OnError on_error)
    : collector_(collector), on_error_(on_error), thread_([this] { loop(); }) {}

CollectorThread::~CollectorThread() {
  (void)finish();
}

void CollectorThread::loop() {
  while (true) {
    // Read the flag before draining: once it is set, this drain sees every earlier append.
    bool last_round = stopping_;
    Result<std::uint64_t> moved = collector_.drain();
    if (!moved) {
      // Retrying is for a running platform; once asked to finish, report the failure instead.
      if (on_error_ == OnError::kStop || last_round) {
        std::lock_guard lock(error_mutex_);
        error_ = moved.failure();
        failed_ = true;
        return;
      }
      spdlog::error("collector: {} (retrying)", moved.error());
      std::this_thread::sleep_for(kRetryPause);
      continue;
    }
    if (last_round) {
      return;
    }
    if (*moved == 0) {
      std::this_thread::sleep_for(kIdlePause);
    }
  }
}

Status CollectorThread::finish() {
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  std::lock_guard lock(error_mutex_);
  return error_;
}

}  // namespace mitsu::collector

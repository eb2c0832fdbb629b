#pragma once
// Keeps analysis worker processes running for `mitsu run` or any other long-running host of the
// platform (docs/analysis.md, "Worker processes").
// A worker that dies while it holds a job has the job put back in the queue at once with the
// reason (the attempt counts, so a sample that keeps killing its worker is given up on after
// max_attempts), and is restarted after a back-off that doubles while it keeps crashing. A job
// running past its deadline gets its worker killed and is put back as hung. On stop, workers get
// SIGTERM, then SIGKILL after a grace period; a job cut short by the stop is not counted.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "analysis/analysis_worker.h"
#include "app/worker_process.h"
#include "store/catalog.h"

namespace mitsu::app {

struct WorkerSpec {
  std::string kind;  // "static" or "sandbox"
  int slot = 0;
  std::chrono::milliseconds job_timeout{300'000};  // a job running longer is taken as hung
};

struct SupervisorOptions {
  // The worker's command line up to the subcommand: the executable and the global options.
  std::vector<std::string> command;
  std::chrono::milliseconds backoff{500};  // first restart delay, doubling while crashes go on
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds healthy{60'000};  // a worker up this long restarts at `backoff` again
  std::chrono::milliseconds stop_grace{5'000};
};

struct SupervisorStats {
  std::size_t restarts = 0;
  std::size_t crashes = 0;  // exits while running (hangs are counted apart)
  std::size_t hangs = 0;
  std::map<std::string, analysis::WorkerTally> tally;  // by kind, from the workers' reports
};

class WorkerSupervisor {
 public:
  WorkerSupervisor(store::Catalog& catalog, SupervisorOptions options);
  ~WorkerSupervisor();
  WorkerSupervisor(const WorkerSupervisor&) = delete;
  WorkerSupervisor& operator=(const WorkerSupervisor&) = delete;

  // Starts the workers in a thread of the supervisor's own and keeps them running until stop().
  void start(const std::vector<WorkerSpec>& workers);
  void stop();
  // In this thread: runs the workers with --until-idle until each has found its queue empty.
  Status run_until_idle(const std::vector<WorkerSpec>& workers);
  SupervisorStats stats() const;

 private:
  struct Worker;
  using Clock = std::chrono::steady_clock;

  void supervise(bool until_idle);
  void start_due(bool until_idle);
  void wait_for_reports(std::chrono::milliseconds limit);
  void handle_line(Worker& w, const std::string& line);
  void reap(bool until_idle, bool stopping);
  void exited(Worker& w, int status, bool until_idle, bool stopping);
  void release(Worker& w, const std::string& reason, bool count_attempt);
  void kill_hung();
  void shut_down();
  bool any_running() const;

  store::Catalog& catalog_;
  SupervisorOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex stats_mutex_;
  SupervisorStats stats_;
  bool gave_up_ = false;  // until-idle: a worker kept failing without a job
};

}  // namespace mitsu::app

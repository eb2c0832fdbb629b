#include "app/worker_supervisor.h"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <optional>
#include <sstream>
#include <utility>

namespace mitsu::app {
namespace {

// A until-idle worker that fails this often in a row without holding a job cannot work at all
// (its store or configuration cannot be opened): `run --once` reports it instead of looping.
constexpr int kFruitlessLimit = 5;

std::string role(const WorkerSpec& spec) {
  return spec.kind == "sandbox" ? "sandbox worker" : "analysis worker";
}

std::string label(const WorkerSpec& spec) {
  return spec.kind == "sandbox" ? fmt::format("sandbox worker {}", spec.slot) : role(spec);
}

double seconds(std::chrono::milliseconds d) {
  return static_cast<double>(d.count()) / 1000.0;
}

}  // namespace

struct WorkerSupervisor::Worker {
  WorkerSpec spec;
  std::unique_ptr<WorkerProcess> process;
  Clock::time_point started;
  Clock::time_point restart_at;  // when a dead worker may start again
  std::chrono::milliseconds backoff{0};
  bool restarting = false;  // its next start is a restart
  bool finished = false;    // until-idle: found its queue empty (or kept failing)
  int fruitless = 0;        // until-idle: failed exits in a row without a job
  // The job it said it is analysing (0: none).
  std::int64_t job = 0;
  std::string sha256;
  Clock::time_point job_started;
  bool hung = false;  // killed by the supervisor for running past the deadline
};

WorkerSupervisor::WorkerSupervisor(store::Catalog& catalog, SupervisorOptions options)
    : catalog_(catalog), options_(std::move(options)) {}

WorkerSupervisor::~WorkerSupervisor() {
  stop();
  shut_down();
}

void WorkerSupervisor::start(const std::vector<WorkerSpec>& workers) {
  workers_.clear();
  for (const WorkerSpec& spec : workers) {
    workers_.push_back(std::make_unique<Worker>(Worker{spec, {}, {}, {}, options_.backoff}));
  }
  // The workers' PR_SET_PDEATHSIG follows this thread: it lives until they are all reaped.
  thread_ = std::thread([this] {
    supervise(/*until_idle=*/false);
    shut_down();
  });
}

void WorkerSupervisor::stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

Status WorkerSupervisor::run_until_idle(const std::vector<WorkerSpec>& workers) {
  workers_.clear();
  for (const WorkerSpec& spec : workers) {
    workers_.push_back(std::make_unique<Worker>(Worker{spec, {}, {}, {}, options_.backoff}));
  }
  gave_up_ = false;
  supervise(/*until_idle=*/true);
  shut_down();
  if (gave_up_) {
    return Error{"analysis workers kept failing before taking any job (see above)"};
  }
  return {};
}

SupervisorStats WorkerSupervisor::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void WorkerSupervisor::supervise(bool until_idle) {
  while (!stop_) {
    if (until_idle &&
        std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->finished; })) {
      return;
    }
    start_due(until_idle);
    wait_for_reports(std::chrono::milliseconds(100));
    reap(until_idle, /*stopping=*/false);
    kill_hung();
  }
}

void WorkerSupervisor::start_due(bool until_idle) {
  Clock::time_point now = Clock::now();
  for (auto& w : workers_) {
    if (w->process || w->finished || now < w->restart_at) {
      continue;
    }
    std::vector<std::string> argv = options_.command;
    argv.insert(argv.end(),
                {"worker", "--kind", w->spec.kind, "--slot", std::to_string(w->spec.slot)});
    if (until_idle) {
      argv.emplace_back("--until-idle");
    }
    auto spawned = WorkerProcess::spawn(argv);
    if (!spawned) {
      spdlog::error("{}: {}", label(w->spec), spawned.error());
      w->restart_at = now + options_.max_backoff;
      continue;
    }
    w->process = std::move(*spawned);
    w->started = now;
    if (w->restarting) {
      std::lock_guard lock(stats_mutex_);
      ++stats_.restarts;
      spdlog::info("{} restarted (pid {})", label(w->spec), w->process->pid());
    } else {
      spdlog::debug("{} started (pid {})", label(w->spec), w->process->pid());
    }
  }
}

void WorkerSupervisor::wait_for_reports(std::chrono::milliseconds limit) {
  std::vector<pollfd> fds;
  for (const auto& w : workers_) {
    if (w->process && w->process->status_fd() >= 0) {
      fds.push_back({w->process->status_fd(), POLLIN, 0});
    }
  }
  if (fds.empty()) {
    std::this_thread::sleep_for(limit);
    return;
  }
  if (::poll(fds.data(), fds.size(), static_cast<int>(limit.count())) <= 0) {
    return;
  }
  for (auto& w : workers_) {
    if (w->process) {
      for (const std::string& line : w->process->read_lines()) {
        handle_line(*w, line);
      }
    }
  }
}

void WorkerSupervisor::handle_line(Worker& w, const std::string& line) {
  std::istringstream in(line);
  std::string word;
  in >> word;
  if (word == "job") {
    in >> w.job >> w.sha256;
    w.job_started = Clock::now();
  } else if (word == "done") {
    std::int64_t id = 0;
    std::string outcome;
    in >> id >> outcome;
    std::string sha256 = std::move(w.sha256);
    w.job = 0;
    w.sha256.clear();
    std::lock_guard lock(stats_mutex_);
    analysis::WorkerTally& tally = stats_.tally[w.spec.kind];
    tally.analysed += outcome == "analysed" ? 1 : 0;
    if (outcome == "failed") {
      // The reason is the job's, in the catalog: the worker only says that it failed.
      ++tally.failed;
      tally.failures.push_back({sha256, ""});
    }
  } else {
    spdlog::warn("{}: unexpected status line '{}'", label(w.spec), line);
  }
}

void WorkerSupervisor::reap(bool until_idle, bool stopping) {
  for (auto& w : workers_) {
    if (!w->process) {
      continue;
    }
    if (std::optional<int> status = w->process->reap(/*block=*/false)) {
      exited(*w, *status, until_idle, stopping);
    }
  }
}

void WorkerSupervisor::exited(Worker& w, int status, bool until_idle, bool stopping) {
  for (const std::string& line : w.process->read_lines()) {  // its last reports
    handle_line(w, line);
  }
  pid_t pid = w.process->pid();
  w.process.reset();
  std::string how = describe_wait_status(status);
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  bool held = w.job != 0;
  std::string what = held ? fmt::format(" while analysing {}", w.sha256) : "";
  if (stopping) {
    if (!clean) {
      spdlog::info("{} (pid {}) {} when stopped{}", label(w.spec), pid, how, what);
    }
    if (held) {
      release(w, "interrupted by shutdown", /*count_attempt=*/false);
    }
    return;
  }
  bool hung = std::exchange(w.hung, false);
  if (hung) {
    how = fmt::format("hung: killed after {} s without a result", seconds(w.spec.job_timeout));
  }
  if (held) {
    release(w, hung ? how : fmt::format("{} {}", role(w.spec), how), /*count_attempt=*/true);
  }
  if (!clean && !hung) {
    std::lock_guard lock(stats_mutex_);
    ++stats_.crashes;
  }
  if (until_idle && !held && clean) {
    w.finished = true;
    return;
  }
  w.fruitless = (held || clean) ? 0 : w.fruitless + 1;
  if (until_idle && w.fruitless >= kFruitlessLimit) {
    spdlog::error("{} {} {} times in a row before taking a job: giving up", label(w.spec), how,
                  w.fruitless);
    w.finished = gave_up_ = true;
    return;
  }
  Clock::time_point now = Clock::now();
  if (now - w.started >= options_.healthy) {
    w.backoff = options_.backoff;
  }
  std::chrono::milliseconds delay = w.backoff;
  w.backoff = std::min(w.backoff * 2, options_.max_backoff);
  w.restart_at = now + delay;
  w.restarting = true;
  spdlog::warn("{} (pid {}) {}{}; restarting in {} s", label(w.spec), pid, how, what,
               seconds(delay));
}

void WorkerSupervisor::release(Worker& w, const std::string& reason, bool count_attempt) {
  if (Status s = catalog_.release_job(w.job, reason, count_attempt); !s) {
    spdlog::error("{}: cannot put job {} back in the queue (its lease will run out): {}",
                  label(w.spec), w.job, s.error());
  }
  w.job = 0;
  w.sha256.clear();
}

void WorkerSupervisor::kill_hung() {
  Clock::time_point now = Clock::now();
  for (auto& w : workers_) {
    if (w->process && w->job != 0 && !w->hung && now - w->job_started > w->spec.job_timeout) {
      spdlog::warn("{} (pid {}) has analysed {} for more than {} s: killing it", label(w->spec),
                   w->process->pid(), w->sha256, seconds(w->spec.job_timeout));
      w->hung = true;
      w->process->signal(SIGKILL);
      std::lock_guard lock(stats_mutex_);
      ++stats_.hangs;
    }
  }
}

bool WorkerSupervisor::any_running() const {
  return std::any_of(workers_.begin(), workers_.end(),
                     [](const auto& w) { return w->process != nullptr; });
}

void WorkerSupervisor::shut_down() {
  if (!any_running()) {
    return;
  }
  for (auto& w : workers_) {
    if (w->process) {
      w->process->signal(SIGTERM);  // finish the job at hand, then exit
    }
  }
  Clock::time_point deadline = Clock::now() + options_.stop_grace;
  while (any_running() && Clock::now() < deadline) {
    wait_for_reports(std::chrono::milliseconds(50));
    reap(/*until_idle=*/false, /*stopping=*/true);
  }
  for (auto& w : workers_) {
    if (w->process) {
      w->process->signal(SIGKILL);
      if (std::optional<int> status = w->process->reap(/*block=*/true)) {
        exited(*w, *status, /*until_idle=*/false, /*stopping=*/true);
      }
    }
  }
}

}  // namespace mitsu::app

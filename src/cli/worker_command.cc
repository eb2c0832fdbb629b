// `mitsu worker`: one analysis or sandbox worker process, started and supervised by `mitsu run`
// (app/worker_supervisor.h). It reports each job it starts and finishes over the status pipe
// named in $MITSU_WORKER_FD, so a crash or hang is charged to the right sample.

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "analysis/analysis_worker.h"
#include "analysis/sandbox_worker.h"
#include "app/analysis_workers.h"
#include "app/platform.h"
#include "app/worker_process.h"
#include "cli/commands.h"

namespace mitsu::cli {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) {
  g_stop = true;
}

// The status pipe's descriptor, or -1 when the worker runs without a supervisor.
int status_fd() {
  const char* text = std::getenv(app::kWorkerFdVariable);
  int fd = text != nullptr ? std::atoi(text) : -1;
  if (fd <= 2 || ::fcntl(fd, F_GETFD) < 0) {
    return -1;
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // the sandbox's processes do not inherit it
  return fd;
}

void report(int fd, const std::string& line) {
  for (std::size_t at = 0; fd >= 0 && at < line.size();) {
    ssize_t n = ::write(fd, line.data() + at, line.size() - at);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // the supervisor is gone; PR_SET_PDEATHSIG ends this process
    }
    at += static_cast<std::size_t>(n);
  }
}

// Fault injection for the supervision tests, honoured by worker processes only:
// MITSU_WORKER_FAULT=kill:<sha256> makes the worker SIGKILL itself right after it reported taking
// a job for that sample; hang:<sha256> makes it sleep until it is killed.
void inject_fault(const std::string& sha256) {
  const char* fault = std::getenv("MITSU_WORKER_FAULT");
  if (fault == nullptr) {
    return;
  }
  std::string_view text(fault);
  if (text == "kill:" + sha256) {
    ::kill(::getpid(), SIGKILL);
  }
  if (text == "hang:" + sha256) {
    while (true) {
      ::pause();
    }
  }
}

// Sleeps up to `total`, returning early when a stop was requested.
void idle(std::chrono::milliseconds total) {
  for (auto slept = std::chrono::milliseconds(0); slept < total && !g_stop;
       slept += std::chrono::milliseconds(50)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

const char* outcome_name(analysis::JobOutcome outcome) {
  return outcome == analysis::JobOutcome::kAnalysed ? "analysed" : "failed";
}

}  // namespace

int worker_command(const Config& config, const WorkerOptions& options) {
  std::signal(SIGTERM, request_stop);  // the job at hand is finished first
  std::signal(SIGINT, request_stop);
  auto platform = app::Platform::open(config, /*with_spool=*/false);
  if (!platform) {
    spdlog::error("{} worker: {}", options.kind, platform.error());
    return kExitFailure;
  }
  app::Platform& p = **platform;
  if (Status s = p.open_artifacts(); !s) {
    spdlog::error("{} worker: {}", options.kind, s.error());
    return kExitFailure;
  }
  std::unique_ptr<analysis::AnalysisWorker> analysis;
  std::unique_ptr<analysis::SandboxWorker> sandbox;
  if (options.kind == "sandbox") {
    sandbox = std::make_unique<analysis::SandboxWorker>(*p.store.catalog, *p.artifacts,
                                                        app::sandbox_worker_options(p.config));
  } else {
    auto rules = app::load_rules(p.config);
    auto watchlist = app::load_watchlist(p.config);
    if (!rules || !watchlist) {
      spdlog::error("analysis worker: {}", !rules ? rules.error() : watchlist.error());
      return kExitFailure;
    }
    analysis = std::make_unique<analysis::AnalysisWorker>(
        *p.store.catalog, *p.artifacts, *rules, app::analysis_worker_options(p.config), *watchlist);
  }
  int fd = status_fd();
  std::int64_t taken = 0;
  auto on_taken = [&](const store::AnalysisJob& job) {
    taken = job.id;
    report(fd, fmt::format("job {} {}\n", job.id, job.sha256));
    inject_fault(job.sha256);
  };
  if (analysis) {
    analysis->on_taken(on_taken);
  } else {
    sandbox->on_taken(on_taken);
  }

  int errors_in_a_row = 0;
  while (!g_stop) {
    taken = 0;
    auto ran = analysis ? analysis->run_once() : sandbox->run_once(options.slot);
    if (!ran) {
      spdlog::error("{} worker: {}", options.kind, ran.error());
      if (taken != 0) {  // let another attempt have it now rather than after the lease
        (void)p.store.catalog->release_job(taken, ran.error(), /*count_attempt=*/true);
        report(fd, fmt::format("done {} error\n", taken));
      }
      if (options.until_idle && ++errors_in_a_row >= 5) {
        return kExitFailure;
      }
      idle(std::chrono::milliseconds(500));
      continue;
    }
    errors_in_a_row = 0;
    if (*ran == analysis::JobOutcome::kIdle) {
      if (options.until_idle) {
        break;
      }
      idle(std::chrono::milliseconds(500));
      continue;
    }
    report(fd, fmt::format("done {} {}\n", taken, outcome_name(*ran)));
  }
  return kExitOk;
}

}  // namespace mitsu::cli

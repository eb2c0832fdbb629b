#pragma once
// One analysis worker process as its supervisor sees it: started with fork+exec, dying with the
// thread that started it (PR_SET_PDEATHSIG), reporting over a status pipe whose descriptor number
// it finds in $MITSU_WORKER_FD. The worker writes "job <id> <sha256>" before it analyses a job and
// "done <id> <analysed|failed|error>" after.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace mitsu::app {

inline constexpr const char* kWorkerFdVariable = "MITSU_WORKER_FD";

class WorkerProcess {
 public:
  // Runs argv (argv[0] a path, e.g. /proc/self/exe) with standard input from /dev/null, standard
  // output and error inherited, in a process group of its own, every other descriptor closed but
  // the status pipe (descriptor 3, named in $MITSU_WORKER_FD).
  static Result<std::unique_ptr<WorkerProcess>> spawn(const std::vector<std::string>& argv);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The read end of the status pipe, or -1 once it reached its end.
  int status_fd() const { return fd_; }
  // The complete lines the pipe holds now (never blocks).
  std::vector<std::string> read_lines();
  void signal(int signal);
  // The wait status once the process has exited; with `block`, waits for it.
  std::optional<int> reap(bool block);

 private:
  WorkerProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}

  pid_t pid_;
  int fd_;
  std::string pending_;  // a line not yet complete
  bool reaped_ = false;
};

// "killed by signal 9 (Killed)" or "exited with status 134".
std::string describe_wait_status(int status);

}  // namespace mitsu::app

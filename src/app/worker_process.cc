#include "app/worker_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

extern char** environ;

namespace mitsu::app {
namespace {

constexpr int kStatusFd = 3;

// Built before fork(): a child of a threaded process may not allocate before it execs.
std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> worker_environment() {
  std::vector<std::string> env;
  std::string ours = fmt::format("{}=", kWorkerFdVariable);
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, ours.c_str(), ours.size()) != 0) {
      env.emplace_back(*e);
    }
  }
  env.push_back(fmt::format("{}{}", ours, kStatusFd));
  return env;
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_worker(pid_t parent, int status_write, char** argv, char** envp) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) {  // the parent went away before the line above
    ::_exit(127);
  }
  ::setpgid(0, 0);  // a terminal's Ctrl-C reaches the platform, which stops its workers in order
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int null = ::open("/dev/null", O_RDONLY);
  if (null < 0 || ::dup2(null, 0) < 0) {
    ::_exit(127);
  }
  if (status_write == kStatusFd) {
    ::fcntl(kStatusFd, F_SETFD, 0);  // dup2 onto itself would keep close-on-exec
  } else if (::dup2(status_write, kStatusFd) < 0) {
    ::_exit(127);
  }
  ::close_range(kStatusFd + 1, ~0U, 0);
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

}  // namespace

Result<std::unique_ptr<WorkerProcess>> WorkerProcess::spawn(const std::vector<std::string>& argv) {
  std::vector<std::string> args = argv;
  std::vector<std::string> env = worker_environment();
  std::vector<char*> arg_pointers = pointers(args);
  std::vector<char*> env_pointers = pointers(env);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Error{fmt::format("worker status pipe: {}", std::strerror(errno))};
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    exec_worker(parent, fds[1], arg_pointers.data(), env_pointers.data());
  }
  int fork_errno = errno;
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return Error{fmt::format("cannot start a worker: fork: {}", std::strerror(fork_errno))};
  }
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<WorkerProcess>(new WorkerProcess(pid, fds[0]));
}

WorkerProcess::~WorkerProcess() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  if (!reaped_) {  // the supervisor reaps its workers; this only keeps a zombie from staying
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

std::vector<std::string> WorkerProcess::read_lines() {
  char buffer[4096];
  while (fd_ >= 0) {
    ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n > 0) {
      pending_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      ::close(fd_);
      fd_ = -1;
    }
    break;
  }
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = pending_.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(pending_.substr(start, end - start));
  }
  pending_.erase(0, start);
  return lines;
}

void WorkerProcess::signal(int signal) {
  if (!reaped_) {
    ::kill(pid_, signal);
  }
}

std::optional<int> WorkerProcess::reap(bool block) {
  if (reaped_) {
    return std::nullopt;
  }
  int status = 0;
  pid_t got;
  while ((got = ::waitpid(pid_, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR) {
  }
  if (got != pid_) {
    return std::nullopt;
  }
  reaped_ = true;
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) {
    const char* name = ::sigdescr_np(WTERMSIG(status));
    return fmt::format("killed by signal {} ({})", WTERMSIG(status),
                       name != nullptr ? name : "unknown");
  }
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

}  // namespace mitsu::app

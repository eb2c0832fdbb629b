#include "testing/subprocess.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace mitsu::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_path(const char* what) {
  std::string pattern = "/tmp/mitsu-proc-" + std::string(what) + "-XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    throw std::runtime_error("mkstemp failed");
  }
  ::close(fd);
  return pattern;
}

// Built before fork(): between fork and exec a child of a threaded process may not allocate
// (another thread may have held the allocator's lock at the fork, and it is never released).
std::vector<char*> exec_args(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  return args;
}

// This process's environment with `extra` ("NAME=value") added, replacing the same names.
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const std::string& x : extra) {
      replaced |= entry.substr(0, entry.find('=') + 1) == x.substr(0, x.find('=') + 1);
    }
    if (!replaced) {
      env.emplace_back(entry);
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

[[noreturn]] void exec(std::vector<char*>& args, std::vector<char*>* env = nullptr) {
  // A bare name is looked up in PATH.
  if (env != nullptr) {
    ::execvpe(args[0], args.data(), env->data());
  } else {
    ::execvp(args[0], args.data());
  }
  ::_exit(127);
}

void decode_status(int status, ProcessResult& result) {
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_text) {
  std::string in_path = temp_path("in");
  std::string out_path = temp_path("out");
  std::string err_path = temp_path("err");
  std::ofstream(in_path, std::ios::binary) << stdin_text;
  std::vector<char*> args = exec_args(argv);
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_TRUNC);
    int err = ::open(err_path.c_str(), O_WRONLY | O_TRUNC);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    exec(args);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ProcessResult result;
  decode_status(status, result);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  for (const std::string& path : {in_path, out_path, err_path}) {
    ::unlink(path.c_str());
  }
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) : ChildProcess(argv, {}) {}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    throw std::runtime_error("pipe failed");
  }
  err_path_ = temp_path("err");
  std::vector<char*> args = exec_args(argv);
  std::vector<std::string> env_strings = environment_with(extra_env);
  std::vector<char*> env = exec_args(env_strings);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(pipe_fds[0]);
    ::dup2(pipe_fds[1], 1);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_TRUNC);
    ::dup2(err, 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    exec(args, extra_env.empty() ? nullptr : &env);
  }
  ::close(pipe_fds[1]);
  out_ = ::fdopen(pipe_fds[0], "r");
}

ChildProcess::~ChildProcess() {
  if (!waited_) {
    send_signal(SIGKILL);
    wait();
  }
  if (out_ != nullptr) {
    std::fclose(out_);
  }
  ::unlink(err_path_.c_str());
}

bool ChildProcess::read_line(std::string& line) {
  char* buffer = nullptr;
  std::size_t size = 0;
  ssize_t n = ::getline(&buffer, &size, out_);
  if (n < 0) {
    std::free(buffer);
    return false;
  }
  line.assign(buffer, static_cast<std::size_t>(n));
  std::free(buffer);
  if (!line.empty() && line.back() == '\n') {
    line.pop_back();
  }
  return true;
}

void ChildProcess::send_signal(int signal) {
  if (!waited_) {
    ::kill(pid_, signal);
  }
}

ProcessResult ChildProcess::wait() {
  ProcessResult result;
  if (waited_) {
    return result;
  }
  std::string line;
  while (read_line(line)) {
    result.out += line + "\n";
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  waited_ = true;
  decode_status(status, result);
  result.err = slurp(err_path_);
  return result;
}

}  // namespace mitsu::testing

#pragma once
// Runs a program the way a user would, for tests that drive the mitsu binary.

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace mitsu::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs argv[0] with the arguments, feeding stdin_text, and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_text = "");

// A running child whose stdout is read line by line.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  // With `extra_env` ("NAME=value") added to this process's environment.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool read_line(std::string& line);  // false at end of output
  void send_signal(int signal);
  ProcessResult wait();  // out holds what was not read yet; err holds all stderr
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string err_path_;
  bool waited_ = false;
};

}  // namespace mitsu::testing

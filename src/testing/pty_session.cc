#include "testing/pty_session.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mitsu::testing {

PtySession::PtySession(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
  if (pid_ == 0) {
    execvp(args[0], args.data());
    _exit(127);
  }
}

PtySession::~PtySession() {
  if (master_ >= 0) {
    close(master_);  // the program gets SIGHUP as its terminal goes away
  }
  if (pid_ > 0) {
    for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      usleep(20'000);
      if (i == 25) {
        kill(pid_, SIGKILL);
      }
    }
  }
}

void PtySession::type(const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = write(master_, text.data() + done, text.size() - done);
    if (n <= 0) {
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

void PtySession::read_available(int timeout_ms) {
  pollfd p{master_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) {
    return;
  }
  char buffer[4096];
  ssize_t n = read(master_, buffer, sizeof buffer);
  if (n > 0) {
    transcript_.append(buffer, static_cast<std::size_t>(n));
  }
}

bool PtySession::wait_for(const std::string& needle, std::chrono::milliseconds timeout,
                          std::size_t from) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (transcript_.find(needle, from) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    read_available(50);
  }
  return true;
}

}  // namespace mitsu::testing

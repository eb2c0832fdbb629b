#pragma once
// A program on the other side of a pseudo-terminal, as an operator's interactive shell is: the
// pty is its controlling terminal and its standard descriptors. Tests type into it and read what
// it shows (everything, escape sequences included, in transcript()).

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace mitsu::testing {

class PtySession {
 public:
  explicit PtySession(const std::vector<std::string>& argv);
  ~PtySession();  // hangs up and reaps the program
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  bool started() const { return pid_ > 0; }
  void type(const std::string& text);
  // Reads until `needle` appears in the transcript after `from` (a transcript offset), or time
  // runs out; returns whether it appeared.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout, std::size_t from = 0);
  const std::string& transcript() const { return transcript_; }

 private:
  void read_available(int timeout_ms);
  int master_ = -1;
  pid_t pid_ = -1;
  std::string transcript_;
};

}  // namespace mitsu::testing

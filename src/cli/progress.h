#pragma once
// Progress of a long command on stderr: "rebuild: 1200000 of 22000000 events (5%)". With
// --progress a line per step (scripts and tests read them); otherwise, on a terminal only, one
// line rewritten in place at most every half second. Nothing when stderr is a file or pipe.

#include <chrono>
#include <cstdint>
#include <string>

namespace mitsu::cli {

class Progress {
 public:
  // `total` 0: unknown (no share is shown).
  Progress(std::string label, std::string unit, std::uint64_t total, bool every_step);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done);

 private:
  std::string line(std::uint64_t done) const;

  std::string label_, unit_;
  std::uint64_t total_;
  bool every_step_;
  bool terminal_;
  bool drawn_ = false;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace mitsu::cli

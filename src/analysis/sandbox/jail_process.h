#pragma once
// Starts the jail's processes: C1 makes fresh network, mount, PID, UTS and IPC namespaces in a
// session of its own, hands the namespace's TUN device back, and forks C2, PID 1 of the new
// namespace, which chroots and forks the sample (QEMU) as the leased uid under rlimits and the
// terminal guard. Nothing of the caller is inherited: standard input is /dev/null, the sample's
// standard output goes to a pipe the caller reads, QEMU's trace (and the sample's standard error)
// to another, and every other descriptor is closed before anything runs.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/unique_fd.h"

namespace mitsu::analysis::sandbox {

struct JailSpec {
  std::string root;         // the prepared JailRoot directory
  std::string libc_prefix;  // bind-mounted read-only at the same path inside; "/" for the host's
  std::vector<std::string> argv;  // argv[0] is the program inside the root (the emulator)
  uid_t uid = 0;
  std::uint64_t cpu_seconds = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t file_bytes = 0;
  int max_processes = 0;
};

struct JailProcess {
  pid_t outer = -1;  // C1; reaped by the caller
  UniqueFd tun;      // the namespace's network device (invalid if setting up failed)
  UniqueFd trace;    // QEMU's -strace output and the sample's standard error
  UniqueFd output;   // the sample's standard output
  UniqueFd control;  // reports from the jail: {0, init pid}, then {1, sample's exit status}
  UniqueFd error;    // a failing set-up step's message
};

// Message types on JailProcess::control (two ints each).
constexpr int kReportInit = 0;
constexpr int kReportExit = 1;

Result<JailProcess> start_jail(const JailSpec& spec);

}  // namespace mitsu::analysis::sandbox

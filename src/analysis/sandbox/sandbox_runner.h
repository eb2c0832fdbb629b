#pragma once
// Runs one sample in a jail: QEMU user-mode for its CPU (or busybox sh for scripts, itself under
// QEMU so it is traced the same way) inside fresh network, mount, PID, UTS and IPC namespaces,
// as an unprivileged uid in a throwaway root, with rlimits and a wall-clock limit after which the
// whole PID namespace is killed. The namespace's only network device is a TUN device whose other
// end is the fake internet in this process. Needs root (to make the namespaces).

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"

namespace mitsu::analysis::sandbox {

struct SandboxOptions {
  std::chrono::milliseconds time_limit{30'000};
  std::filesystem::path work_dir = "/tmp/mitsu-sandbox";  // a fresh root per run is made here
  std::filesystem::path busybox = "/var/cache/mitsu-tools/busybox-static/bin/busybox";
  std::filesystem::path qemu_dir = "/usr/bin";  // qemu-<cpu>-static
  int uid = 64000;                              // the sample's uid (and gid); + slot per run
  // RLIMIT_AS. QEMU reserves the whole 4 GiB of a 32-bit guest's address space up front (ARM
  // needs its top page), so the limit is set above that: it stops runaway 64-bit guests.
  std::uint64_t memory_bytes = 8ull << 30;
  std::uint64_t file_bytes = 16ull << 20;  // RLIMIT_FSIZE
  int max_processes = 64;                  // RLIMIT_NPROC for the sample's uid
  bool keep_files = false;                 // keep the jail root after the run
};

// What the CPU of an ELF needs to run: QEMU's name for it, and the cross libc for dynamic ones.
struct CpuSupport {
  std::string qemu;         // e.g. "mipsel"
  std::string libc_prefix;  // e.g. /usr/mipsel-linux-gnu; "/" for the host's own
};
std::optional<CpuSupport> cpu_support(const std::string& arch, const std::string& abi);

struct SandboxRun {
  nlohmann::json report;       // behaviour items, network log, exit, trace summary
  std::filesystem::path pcap;  // the whole run's packets (raw IPv4), kept next to the report
  std::string trace;           // QEMU's -strace output
};

// Runs `sample` (an ELF or a script) once; `output_dir` receives sandbox.pcap and trace.txt.
// `slot` separates parallel runs (uid, root directory).
Result<SandboxRun> run_in_sandbox(const std::filesystem::path& sample,
                                  const std::filesystem::path& output_dir,
                                  const SandboxOptions& options, int slot = 0);

}  // namespace mitsu::analysis::sandbox

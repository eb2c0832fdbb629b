#pragma once
// The parent's side of one run: serves the fake internet on the jail's TUN device (and records
// it as a PCAP), reads QEMU's trace and the sample's standard output (both bounded), follows the
// jail's reports, samples process names from the namespace's /proc, and kills the whole PID
// namespace at the deadline.

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/sandbox/behaviour.h"
#include "analysis/sandbox/fake_internet.h"
#include "analysis/sandbox/jail_process.h"
#include "analysis/sandbox/pcap_writer.h"

namespace mitsu::analysis::sandbox {

struct MonitorResult {
  RunFacts facts;  // syscalls, renames, exit; network facts filled from the fake internet
  FakeInternet internet;
  std::string trace;               // QEMU's -strace output (first kMaxTrace bytes)
  std::string output;              // the sample's standard output (first kMaxOutput bytes)
  std::uint64_t output_bytes = 0;  // all it wrote
  // Trace lines that are no system call: the sample's standard error, QEMU's own messages.
  std::string other_lines;
  bool main_done = false;  // the jail reported the sample's own exit (facts.exit_status)
  bool timed_out = false;
  std::string child_error;  // a set-up step that failed in the jail
};

class JailMonitor {
 public:
  static constexpr std::size_t kMaxTrace = 64u << 20;
  static constexpr std::size_t kMaxOutput = 1u << 20;

  // `root` is the jail root as the host sees it; the namespace's /proc is found through it.
  JailMonitor(const std::filesystem::path& pcap, std::filesystem::path root);
  // Runs until the jail's first process ends (or is killed at `deadline`), then reaps it.
  MonitorResult run(JailProcess& jail, std::chrono::steady_clock::time_point deadline);

 private:
  void on_tun(int tun);
  void on_trace(const char* data, std::size_t size);
  void on_output(const char* data, std::size_t size);
  void read_reports(int control);
  void sample_names();
  void note_name(int pid, const std::string& name);
  void finish_lines();

  PcapWriter pcap_;
  std::filesystem::path root_;
  std::filesystem::path ns_proc_;  // set once the jail's first process is known
  MonitorResult result_;
  std::string pending_line_;
  std::set<int> pids_;
  // Names seen per namespace pid; kept as renames at the end only for pids the trace named,
  // since a child's first trace line may arrive after it has exited.
  std::map<int, std::vector<std::string>> sampled_;
  std::string own_name_;  // what a fork of the supervisor is called until its exec
  pid_t init_pid_ = -1;
};

}  // namespace mitsu::analysis::sandbox

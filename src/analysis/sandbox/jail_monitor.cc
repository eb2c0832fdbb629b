#include "analysis/sandbox/jail_monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace mitsu::analysis::sandbox {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::string read_first_line(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

void append_bounded(std::string& to, const char* data, std::size_t size, std::size_t limit) {
  if (to.size() < limit) {
    to.append(data, std::min(size, limit - to.size()));
  }
}

}  // namespace

JailMonitor::JailMonitor(const fs::path& pcap, fs::path root)
    : pcap_(pcap), root_(std::move(root)), own_name_(read_first_line("/proc/self/comm")) {}

void JailMonitor::note_name(int pid, const std::string& name) {
  if (name.empty() || name == own_name_ || name == "qemu" || name.rfind("qemu-", 0) == 0) {
    return;  // nothing renamed yet: the supervisor's or the emulator's own name
  }
  auto& names = sampled_[pid];
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    names.push_back(name);
  }
}

void JailMonitor::on_tun(int tun) {
  std::uint8_t buffer[65536];
  for (int i = 0; i < 64; ++i) {
    ssize_t n = read(tun, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    std::span<const std::uint8_t> packet(buffer, static_cast<std::size_t>(n));
    pcap_.write(packet);
    for (const Bytes& answer : result_.internet.on_packet(packet)) {
      pcap_.write(answer);
      (void)!::write(tun, answer.data(), answer.size());
    }
    pollfd more{tun, POLLIN, 0};
    if (poll(&more, 1, 0) <= 0) {
      break;
    }
  }
}

void JailMonitor::on_trace(const char* data, std::size_t size) {
  append_bounded(result_.trace, data, size, kMaxTrace);
  pending_line_.append(data, size);
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending_line_.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    std::string_view line(pending_line_.data() + start, nl - start);
    std::vector<Syscall> calls = parse_strace_calls(line);
    if (calls.empty()) {
      append_bounded(result_.other_lines, line.data(), line.size(), kMaxOutput);
      append_bounded(result_.other_lines, "\n", 1, kMaxOutput);
    }
    for (Syscall& call : calls) {
      pids_.insert(call.pid);
      if (call.name == "prctl" && call.args.rfind("15,", 0) == 0 && !ns_proc_.empty()) {
        // QEMU passes the new name to the host task; read it while the process lives.
        note_name(call.pid, read_first_line(ns_proc_ / std::to_string(call.pid) / "comm"));
      }
      result_.facts.syscalls.push_back(std::move(call));
    }
  }
  pending_line_.erase(0, start);
  if (pending_line_.size() > kMaxOutput) {
    pending_line_.clear();  // one endless line: not a trace any more
  }
}

void JailMonitor::on_output(const char* data, std::size_t size) {
  result_.output_bytes += size;
  append_bounded(result_.output, data, size, kMaxOutput);
}

void JailMonitor::read_reports(int control) {
  int report[2];
  while (read(control, report, sizeof report) == static_cast<ssize_t>(sizeof report)) {
    if (report[0] == kReportInit) {
      init_pid_ = report[1];
    } else {
      result_.main_done = true;
      result_.facts.exit_status = report[1];
    }
  }
}

// Names are also sampled from the namespace's /proc as the run goes: QEMU gives the host task
// the name a guest sets with prctl(PR_SET_NAME), and a process may rename and exit quickly.
void JailMonitor::sample_names() {
  if (ns_proc_.empty()) {
    return;
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ns_proc_, ec)) {
    std::string pid_text = entry.path().filename();
    if (pid_text.empty() || pid_text.size() > 9 ||
        !std::all_of(pid_text.begin(), pid_text.end(), ::isdigit) || pid_text == "1") {
      continue;
    }
    note_name(std::stoi(pid_text), read_first_line(entry.path() / "comm"));
  }
}

MonitorResult JailMonitor::run(JailProcess& jail, Clock::time_point deadline) {
  ns_proc_ =
      fs::path("/proc") / std::to_string(jail.outer) / "root" / root_.relative_path() / "proc";
  fcntl(jail.control.get(), F_SETFL, O_NONBLOCK);
  auto last_sample = Clock::now() - std::chrono::seconds(1);
  int outer_status = 0;
  for (bool running = true; running;) {
    auto now = Clock::now();
    if (!result_.timed_out && now >= deadline) {
      result_.timed_out = true;
      if (init_pid_ > 0) {
        kill(init_pid_, SIGKILL);  // PID 1 of the namespace: everything in it dies
      }
      kill(jail.outer, SIGKILL);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = result_.timed_out ? 50 : static_cast<int>(std::clamp<std::int64_t>(left, 1, 20));
    pollfd fds[4] = {{jail.tun.get(), POLLIN, 0},
                     {jail.trace.get(), POLLIN, 0},
                     {jail.output.get(), POLLIN, 0},
                     {jail.control.get(), POLLIN, 0}};
    poll(fds, 4, wait_ms);
    if (jail.tun && (fds[0].revents & POLLIN) != 0) {
      on_tun(jail.tun.get());
    }
    char buffer[65536];
    if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = read(jail.trace.get(), buffer, sizeof buffer);
      if (n > 0) {
        on_trace(buffer, static_cast<std::size_t>(n));
      }
    }
    if ((fds[2].revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = read(jail.output.get(), buffer, sizeof buffer);
      if (n > 0) {
        on_output(buffer, static_cast<std::size_t>(n));
      }
    }
    if ((fds[3].revents & POLLIN) != 0) {
      read_reports(jail.control.get());
    }
    if (Clock::now() - last_sample >= std::chrono::milliseconds(20)) {
      sample_names();
      last_sample = Clock::now();
    }
    running = waitpid(jail.outer, &outer_status, WNOHANG) != jail.outer;
  }
  // The last reports, the last of the trace and output: the jail may end between two polls.
  read_reports(jail.control.get());
  char buffer[65536];
  for (ssize_t n; (n = read(jail.trace.get(), buffer, sizeof buffer)) > 0;) {
    on_trace(buffer, static_cast<std::size_t>(n));
  }
  on_trace("\n", 1);  // a last line without its newline
  for (ssize_t n; (n = read(jail.output.get(), buffer, sizeof buffer)) > 0;) {
    on_output(buffer, static_cast<std::size_t>(n));
  }
  fcntl(jail.error.get(), F_SETFL, O_NONBLOCK);
  ssize_t n = read(jail.error.get(), buffer, 512);
  if (n > 0) {
    result_.child_error.assign(buffer, static_cast<std::size_t>(n));
  }
  result_.facts.processes = static_cast<int>(pids_.size());
  for (auto& [pid, names] : sampled_) {
    if (pids_.contains(pid)) {
      result_.facts.renames[pid] = std::move(names);
    }
  }
  return std::move(result_);
}

}  // namespace mitsu::analysis::sandbox

#include "analysis/sandbox/sandbox_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <vector>

#include "analysis/sandbox/behaviour.h"
#include "analysis/sandbox/jail_monitor.h"
#include "analysis/sandbox/jail_process.h"
#include "analysis/sandbox/jail_root.h"
#include "analysis/sandbox/uid_lease.h"
#include "analysis/static/elf_info.h"
#include "core/file_io.h"
#include "core/safe_text.h"

namespace mitsu::analysis::sandbox {
namespace fs = std::filesystem;
namespace {

// How much of what the sample printed the report quotes (output.txt keeps up to 1 MiB).
constexpr std::size_t kQuotedOutput = 4096;

bool is_script(const fs::path& sample) {
  std::ifstream in(sample, std::ios::binary);
  char head[4] = {};
  in.read(head, 4);
  return !(head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F');
}

// What runs the sample: QEMU for its CPU, or busybox sh (under QEMU too) for a script.
struct Target {
  bool script = false;
  std::string arch = "script";
  std::string qemu_name = "x86_64";
  std::string libc_prefix;  // for dynamic samples
  fs::path qemu;
};

Result<Target> choose_target(const fs::path& sample, const SandboxOptions& options) {
  Target t;
  t.script = is_script(sample);
  if (!t.script) {
    std::vector<std::byte> bytes;
    if (Status read = read_file_into(sample, 64ull << 20, bytes); !read) {
      return read.failure();
    }
    ElfInfo elf = read_elf(bytes);
    auto cpu = cpu_support(elf.arch, elf.abi);
    if (!cpu) {
      return Error{fmt::format("no emulator for CPU '{}'", terminal_safe(elf.arch))};
    }
    t.arch = elf.arch;
    t.qemu_name = cpu->qemu;
    std::error_code ec;
    if (elf.linkage == "dynamic" && !cpu->libc_prefix.empty() && fs::exists(cpu->libc_prefix, ec)) {
      t.libc_prefix = cpu->libc_prefix;  // otherwise it runs anyway; the loader's absence shows
    }
  }
  t.qemu = options.qemu_dir / fmt::format("qemu-{}-static", t.qemu_name);
  if (!fs::exists(t.qemu)) {
    return Error{fmt::format("{} is missing (scripts/install-deps.sh installs qemu-user-static)",
                             t.qemu.string())};
  }
  if (t.script && !fs::exists(options.busybox)) {
    return Error{fmt::format("{} is missing (scripts/install-deps.sh)", options.busybox.string())};
  }
  return t;
}

// The sample's own process is the first in the trace; others still making calls after its
// exit_group were left running on their own.
bool outlived_main(const std::vector<Syscall>& calls) {
  if (calls.empty()) {
    return false;
  }
  int main_pid = calls.front().pid;
  bool main_exited = false;
  for (const Syscall& call : calls) {
    if (call.pid == main_pid && (call.name == "exit_group" || call.name == "exit")) {
      main_exited = true;
    } else if (main_exited && call.pid != main_pid) {
      return true;
    }
  }
  return false;
}

void settle_exit(MonitorResult& m) {
  RunFacts& f = m.facts;
  if (!m.main_done) {
    f.exit_reason = m.timed_out ? "timed_out" : "not_started";
  } else if (f.exit_status >= 128) {
    f.exit_reason = "crashed";
    f.exit_status -= 128;
  } else {
    f.exit_reason = "finished";
  }
}

// What the sample printed, quoted safely: escaped for any terminal, cut at kQuotedOutput.
nlohmann::json quoted(const std::string& text, std::uint64_t total) {
  return {{"text", terminal_safe(std::string_view(text).substr(0, kQuotedOutput))},
          {"bytes", total},
          {"truncated", total > kQuotedOutput}};
}

nlohmann::json network_report(const RunFacts& f, const FakeInternet& internet,
                              std::vector<std::string>& domains,
                              std::vector<std::string>& endpoint_texts) {
  nlohmann::json dns = nlohmann::json::array();
  std::set<std::string> names;
  for (const DnsObservation& d : f.dns) {
    dns.push_back(
        {{"name", d.name}, {"type", d.type}, {"resolver", d.resolver}, {"sinkhole", d.answer}});
    names.insert(d.name);
  }
  domains.assign(names.begin(), names.end());
  nlohmann::json endpoints = nlohmann::json::array();
  for (const Endpoint& e : f.endpoints) {
    endpoints.push_back({{"protocol", e.protocol},
                         {"address", e.address},
                         {"port", e.port},
                         {"domain", e.domain},
                         {"attempts", e.attempts},
                         {"first_bytes", e.first_bytes},
                         {"http_requests", e.requests}});
    if (e.protocol == "tcp") {
      endpoint_texts.push_back(fmt::format("{}:{}", e.address, e.port));
    }
  }
  return {{"dns", dns}, {"endpoints", endpoints}, {"packets", internet.packets()}};
}

}  // namespace

std::optional<CpuSupport> cpu_support(const std::string& arch, const std::string& abi) {
  struct Row {
    const char* arch;
    const char* qemu;
    const char* libc;
  };
  static const Row rows[] = {
      {"arm", "arm", "/usr/arm-linux-gnueabi"},
      {"armeb", "armeb", ""},
      {"aarch64", "aarch64", "/usr/aarch64-linux-gnu"},
      {"mips", "mips", "/usr/mips-linux-gnu"},
      {"mipsel", "mipsel", "/usr/mipsel-linux-gnu"},
      {"mips64", "mips64", "/usr/mips64-linux-gnuabi64"},
      {"mips64el", "mips64el", "/usr/mips64el-linux-gnuabi64"},
      {"mipsn32", "mipsn32", ""},
      {"mipsn32el", "mipsn32el", ""},
      {"powerpc", "ppc", "/usr/powerpc-linux-gnu"},
      {"powerpc64", "ppc64", "/usr/powerpc64-linux-gnu"},
      {"powerpc64le", "ppc64le", "/usr/powerpc64le-linux-gnu"},
      {"sh4", "sh4", "/usr/sh4-linux-gnu"},
      {"sh4eb", "sh4eb", ""},
      {"m68k", "m68k", "/usr/m68k-linux-gnu"},
      {"sparc", "sparc", ""},
      {"sparc64", "sparc64", "/usr/sparc64-linux-gnu"},
      {"i386", "i386", "/usr/i686-linux-gnu"},
      {"x86_64", "x86_64", "/"},
      {"riscv64", "riscv64", "/usr/riscv64-linux-gnu"},
      {"s390x", "s390x", "/usr/s390x-linux-gnu"},
      {"hppa", "hppa", "/usr/hppa-linux-gnu"},
  };
  for (const Row& r : rows) {
    if (arch == r.arch) {
      CpuSupport s{r.qemu, r.libc};
      if (arch == "arm" && abi.find("hard") != std::string::npos) {
        s.libc_prefix = "/usr/arm-linux-gnueabihf";
      }
      return s;
    }
  }
  return std::nullopt;
}

Result<SandboxRun> run_in_sandbox(const fs::path& sample, const fs::path& output_dir,
                                  const SandboxOptions& options, int slot) {
  if (geteuid() != 0) {
    return Error{"the sandbox needs root to make its namespaces"};
  }
  std::error_code ec;
  if (!fs::is_regular_file(sample, ec)) {
    return Error{fmt::format("{}: not a file", terminal_safe(sample.string()))};
  }
  auto target = choose_target(sample, options);
  if (!target) {
    return target.failure();
  }
  auto lease = UidLease::acquire(options.uid, slot);
  if (!lease) {
    return lease.failure();
  }
  auto root =
      JailRoot::make({options.work_dir / fmt::format("root-{}-{}", getpid(), slot), target->qemu,
                      options.busybox, sample, lease->uid(), options.keep_files});
  if (!root) {
    return root.failure();
  }
  fs::create_directories(output_dir, ec);
  if (ec) {
    return Error{fmt::format("cannot make {}: {}", output_dir.string(), ec.message())};
  }

  JailSpec spec;
  spec.root = root->dir().string();
  spec.libc_prefix = target->libc_prefix;
  spec.argv = {JailRoot::kEmulatorPath, "-strace"};
  if (!target->libc_prefix.empty()) {
    spec.argv.insert(spec.argv.end(), {"-L", target->libc_prefix});
  }
  if (target->script) {
    spec.argv.insert(spec.argv.end(), {"/bin/busybox", "sh"});
  }
  spec.argv.push_back(JailRoot::kSamplePath);
  spec.uid = lease->uid();
  spec.cpu_seconds = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(options.time_limit).count() + 5);
  spec.memory_bytes = options.memory_bytes;
  spec.file_bytes = options.file_bytes;
  spec.max_processes = options.max_processes;
  auto jail = start_jail(spec);
  if (!jail) {
    return jail.failure();
  }
  JailMonitor monitor(output_dir / "sandbox.pcap", root->dir());
  MonitorResult m = monitor.run(*jail, std::chrono::steady_clock::now() + options.time_limit);
  if (!m.child_error.empty()) {
    return Error{fmt::format("sandbox: {}", terminal_safe(m.child_error))};
  }

  RunFacts& facts = m.facts;
  facts.sample_path = JailRoot::kSamplePath;
  if (target->script) {
    facts.benign_names.insert(std::begin(kJailApplets), std::end(kJailApplets));
    facts.benign_names.insert("busybox");
  }
  facts.outlived_main = outlived_main(facts.syscalls);
  facts.dns = m.internet.dns();
  facts.endpoints = m.internet.endpoints();
  settle_exit(m);
  nlohmann::json behaviours = nlohmann::json::array();
  for (const BehaviourItem& item : derive_behaviour(facts)) {
    behaviours.push_back({{"tag", item.tag},
                          {"attack", item.attack},
                          {"summary", item.summary},
                          {"evidence", item.evidence}});
  }
  std::vector<std::string> domains, endpoints;
  nlohmann::json network = network_report(facts, m.internet, domains, endpoints);

  SandboxRun run;
  run.pcap = output_dir / "sandbox.pcap";
  run.trace = std::move(m.trace);
  // The sample's own bytes stay in files of the run's directory, never on a terminal.
  std::ofstream(output_dir / "trace.txt", std::ios::binary) << run.trace;
  std::ofstream(output_dir / "output.txt", std::ios::binary) << m.output;
  run.report = {
      {"analyzer", {{"name", "sandbox"}, {"version", 1}}},
      {"arch", target->arch},
      {"emulator", fmt::format("qemu-{}-static", target->qemu_name)},
      {"libc", target->libc_prefix},
      {"time_limit_ms", options.time_limit.count()},
      {"uid", lease->uid()},
      {"exit",
       {{"reason", facts.exit_reason}, {"status", facts.exit_status}, {"timed_out", m.timed_out}}},
      {"behaviours", behaviours},
      {"domains", domains},
      {"endpoints", endpoints},
      {"network", network},
      {"output",
       {{"stdout", quoted(m.output, m.output_bytes)},
        {"other", quoted(m.other_lines, m.other_lines.size())},
        {"file", (output_dir / "output.txt").string()}}},
      {"syscalls", facts.syscalls.size()},
      {"processes", facts.processes},
      {"pcap", run.pcap.string()}};
  return run;
}

}  // namespace mitsu::analysis::sandbox

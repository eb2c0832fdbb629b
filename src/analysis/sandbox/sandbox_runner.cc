#include "analysis/sandbox/sandbox_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/route.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include "analysis/sandbox/behaviour.h"
#include "analysis/sandbox/fake_internet.h"
#include "analysis/static/elf_info.h"
#include "core/file_io.h"

namespace mitsu::analysis::sandbox {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// Pcap with raw IPv4/IPv6 packets (LINKTYPE_RAW): the TUN device has no link layer.
class PcapWriter {
 public:
  explicit PcapWriter(const fs::path& path) : out_(path, std::ios::binary | std::ios::trunc) {
    const std::uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101};
    out_.write(reinterpret_cast<const char*>(header), sizeof header);
  }
  void write(std::span<const std::uint8_t> packet) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    const std::uint32_t record[4] = {
        static_cast<std::uint32_t>(us / 1'000'000), static_cast<std::uint32_t>(us % 1'000'000),
        static_cast<std::uint32_t>(packet.size()), static_cast<std::uint32_t>(packet.size())};
    out_.write(reinterpret_cast<const char*>(record), sizeof record);
    out_.write(reinterpret_cast<const char*>(packet.data()),
               static_cast<std::streamsize>(packet.size()));
  }
  bool ok() const { return static_cast<bool>(out_); }

 private:
  std::ofstream out_;
};

bool send_fd(int socket, int fd) {
  char byte = 0;
  iovec io{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(socket, &msg, 0) == 1;
}

int receive_fd(int socket) {
  char byte = 0;
  iovec io{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (recvmsg(socket, &msg, 0) != 1) {
    return -1;
  }
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) {
    return -1;
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

// In the child: a failure is reported on the error pipe and ends the child.
[[noreturn]] void child_fail(int error_fd, const char* what) {
  char buffer[256];
  int n = std::snprintf(buffer, sizeof buffer, "%s: %s", what, std::strerror(errno));
  if (n > 0) {
    (void)!::write(error_fd, buffer, static_cast<std::size_t>(n));
  }
  _exit(127);
}

void interface_up(int error_fd, const char* name, std::uint32_t address, std::uint32_t mask) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (address != 0) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(address);
    if (ioctl(s, SIOCSIFADDR, &ifr) != 0) {
      child_fail(error_fd, "set address");
    }
    sin->sin_addr.s_addr = htonl(mask);
    if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0) {
      child_fail(error_fd, "set netmask");
    }
  }
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    child_fail(error_fd, "get flags");
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
    child_fail(error_fd, "interface up");
  }
  close(s);
}

void default_route(int error_fd, const char* device) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  rtentry route{};
  auto* dst = reinterpret_cast<sockaddr_in*>(&route.rt_dst);
  auto* mask = reinterpret_cast<sockaddr_in*>(&route.rt_genmask);
  dst->sin_family = AF_INET;
  mask->sin_family = AF_INET;
  route.rt_flags = RTF_UP;
  route.rt_dev = const_cast<char*>(device);
  if (ioctl(s, SIOCADDRT, &route) != 0) {
    child_fail(error_fd, "default route");
  }
  close(s);
}

std::string read_small_file(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

// Puts a host program into the jail. A hard link when it can: a copy is written, and a copy's
// descriptor inherited by a concurrent run's fork would make exec fail with "Text file busy".
bool place_program(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::remove(to, ec);
  fs::create_hard_link(from, to, ec);
  if (!ec) {
    return true;
  }
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  bool ok = in >= 0 && out >= 0;
  char buffer[65536];
  for (ssize_t n; ok && (n = read(in, buffer, sizeof buffer)) > 0;) {
    ok = ::write(out, buffer, static_cast<std::size_t>(n)) == n;
  }
  if (in >= 0) {
    close(in);
  }
  if (out >= 0) {
    close(out);
  }
  return ok;
}

constexpr const char* kApplets[] = {"sh",     "ls",    "cat",   "echo",  "wget",    "tftp",
                                    "ftpget", "chmod", "rm",    "mkdir", "cp",      "mv",
                                    "ps",     "kill",  "sleep", "uname", "ifconfig"};

bool is_script(const fs::path& sample) {
  std::ifstream in(sample, std::ios::binary);
  char head[4] = {};
  in.read(head, 4);
  return !(head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F');
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
    return Error{fmt::format("{}: not a file", sample.string())};
  }
  // What runs the sample: QEMU for its CPU, or busybox sh (under QEMU too) for a script.
  bool script = is_script(sample);

  std::string qemu_name = "x86_64";
  std::string libc_prefix;
  std::string arch = "script";
  if (!script) {
    std::vector<std::byte> bytes;
    if (Status read = read_file_into(sample, 64ull << 20, bytes); !read) {
      return Error{read.error()};
    }
    ElfInfo elf = read_elf(bytes);
    auto cpu = cpu_support(elf.arch, elf.abi);
    if (!cpu) {
      return Error{fmt::format("no emulator for CPU '{}'", elf.arch)};
    }
    arch = elf.arch;
    qemu_name = cpu->qemu;

    if (elf.linkage == "dynamic") {
      libc_prefix = cpu->libc_prefix;
      if (libc_prefix.empty() || !fs::exists(libc_prefix)) {
        libc_prefix.clear();  // runs anyway; the loader's absence shows as an exit
      }
    }
  }
  fs::path qemu = options.qemu_dir / fmt::format("qemu-{}-static", qemu_name);
  if (!fs::exists(qemu)) {
    return Error{fmt::format("{} is missing (scripts/install-deps.sh installs qemu-user-static)",
                             qemu.string())};
  }
  if (script && !fs::exists(options.busybox)) {
    return Error{fmt::format("{} is missing (scripts/install-deps.sh)", options.busybox.string())};
  }

  // The sample's own uid, leased with a lock so concurrent runs (this process or another) never
  // share one: RLIMIT_NPROC counts per uid, and the stray-process check looks for it.
  int uid_lock = -1;
  uid_t uid = 0;
  // Machine-wide: every Mitsu process takes its uids from the same lock directory.
  const fs::path uid_dir = "/run/mitsu-sandbox-uids";
  fs::create_directories(uid_dir, ec);
  for (int n = slot; n < slot + 4096 && uid_lock < 0; ++n) {
    std::string lock_path = (uid_dir / std::to_string(n)).string();
    int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
      uid_lock = fd;
      uid = static_cast<uid_t>(options.uid + n);
    } else if (fd >= 0) {
      close(fd);
    }
  }
  if (uid_lock < 0) {
    return Error{"sandbox: no free uid to run the sample as"};
  }
  struct UidLease {
    int fd;
    ~UidLease() { close(fd); }
  } lease{uid_lock};

  // The throwaway root: busybox layout, /proc, harmless /dev nodes, writable /tmp.
  fs::path root = options.work_dir / fmt::format("root-{}-{}", getpid(), slot);
  fs::remove_all(root, ec);
  for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "proc", "dev", "tmp",
                        "var/run", "var/log", "root", ".mitsu", "lib", "lib64", "usr/lib"}) {
    fs::create_directories(root / d, ec);
  }
  if (!place_program(qemu, root / ".mitsu/qemu")) {
    return Error{fmt::format("cannot place {} in the jail", qemu.string())};
  }
  if (fs::exists(options.busybox)) {
    place_program(options.busybox, root / "bin/busybox");
    for (const char* applet : kApplets) {
      fs::create_symlink("busybox", root / "bin" / applet, ec);
    }
  }
  std::string sample_name = "sample";
  fs::path jailed_sample = root / "tmp" / sample_name;
  fs::copy_file(sample, jailed_sample, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return Error{fmt::format("cannot copy the sample into the jail: {}", ec.message())};
  }
  chmod(jailed_sample.c_str(), 0755);
  (void)!chown(jailed_sample.c_str(), uid, uid);
  (void)!chown((root / "tmp").c_str(), uid, uid);
  chmod((root / "tmp").c_str(), 01777);
  std::ofstream(root / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  std::ofstream(root / "etc/hostname") << "iot-device\n";
  std::ofstream(root / "etc/resolv.conf") << "nameserver 192.0.2.53\n";
  for (auto [name, major, minor] : {std::tuple{"null", 1, 3}, std::tuple{"zero", 1, 5},
                                    std::tuple{"random", 1, 8}, std::tuple{"urandom", 1, 9}}) {
    mknod((root / "dev" / name).c_str(), S_IFCHR | 0666, makedev(major, minor));
  }
  std::ofstream(root / "dev/watchdog");  // a plain file: opening and writing it is harmless
  chmod((root / "dev/watchdog").c_str(), 0666);
  fs::create_directories(output_dir, ec);

  // Everything the children use is prepared before fork: they only make system calls.
  std::string root_text = root.string();
  std::string proc_dir = (root / "proc").string();
  std::string libc_target =
      libc_prefix.empty() || libc_prefix == "/" ? "" : (root.string() + libc_prefix);
  if (!libc_target.empty()) {
    fs::create_directories(libc_target, ec);
  }
  std::vector<std::pair<std::string, std::string>> host_lib_mounts;
  if (libc_prefix == "/") {
    for (const char* d : {"/lib", "/lib64", "/usr/lib"}) {
      if (fs::exists(d)) {
        host_lib_mounts.emplace_back(d, root.string() + d);
      }
    }
  }
  std::vector<std::string> args{"qemu", "-strace"};

  if (!libc_prefix.empty()) {
    args.insert(args.end(), {"-L", libc_prefix});
  }
  if (script) {
    args.insert(args.end(), {"/bin/busybox", "sh", "/tmp/" + sample_name});
  } else {
    args.push_back("/tmp/" + sample_name);
  }
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  char env_path[] = "PATH=/bin:/sbin:/usr/bin:/usr/sbin";
  char env_home[] = "HOME=/root";
  char* envp[] = {env_path, env_home, nullptr};

  int control[2], trace_pipe[2], error_pipe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0 ||
      pipe2(trace_pipe, O_CLOEXEC) != 0 || pipe2(error_pipe, O_CLOEXEC) != 0) {
    return Error{fmt::format("sandbox: {}", std::strerror(errno))};
  }
  const rlim_t cpu_seconds = static_cast<rlim_t>(
      std::chrono::duration_cast<std::chrono::seconds>(options.time_limit).count() + 5);

  pid_t outer = fork();
  if (outer < 0) {
    return Error{fmt::format("fork: {}", std::strerror(errno))};
  }
  if (outer == 0) {
    // C1: new namespaces; the network's only device is the TUN device handed to the parent.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(control[0]);
    close(trace_pipe[0]);
    close(error_pipe[0]);
    int err = error_pipe[1];
    if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0) {
      child_fail(err, "unshare");
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      child_fail(err, "make mounts private");
    }
    interface_up(err, "lo", 0, 0);
    int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun < 0) {
      child_fail(err, "open /dev/net/tun");
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
    if (ioctl(tun, TUNSETIFF, &ifr) != 0) {
      child_fail(err, "create the TUN device");
    }
    interface_up(err, "eth0", FakeInternet::kSampleAddress, 0xffff0000);
    default_route(err, "eth0");
    if (!send_fd(control[1], tun)) {
      child_fail(err, "hand over the TUN device");
    }
    close(tun);
    sethostname("iot-device", 10);
    if (!libc_target.empty() &&
        (mount(libc_prefix.c_str(), libc_target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
         mount(nullptr, libc_target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) !=
             0)) {
      child_fail(err, "mount the cross libc");
    }
    for (const auto& [from, to] : host_lib_mounts) {
      if (mount(from.c_str(), to.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
          mount(nullptr, to.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
        child_fail(err, "mount the host libc");
      }
    }
    pid_t init = fork();
    if (init < 0) {
      child_fail(err, "fork init");
    }
    if (init == 0) {
      // C2: PID 1 of the new namespace. When it dies, the kernel kills everything in it.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (mount("proc", proc_dir.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        child_fail(err, "mount /proc");
      }
      if (chroot(root_text.c_str()) != 0 || chdir("/tmp") != 0) {
        child_fail(err, "chroot");
      }
      pid_t main_pid = fork();
      if (main_pid < 0) {
        child_fail(err, "fork the sample");
      }
      if (main_pid == 0) {
        rlimit cpu{cpu_seconds, cpu_seconds};
        rlimit memory{options.memory_bytes, options.memory_bytes};
        rlimit files{options.file_bytes, options.file_bytes};
        rlimit processes{static_cast<rlim_t>(options.max_processes),
                         static_cast<rlim_t>(options.max_processes)};
        setrlimit(RLIMIT_CPU, &cpu);
        setrlimit(RLIMIT_AS, &memory);
        setrlimit(RLIMIT_FSIZE, &files);
        setrlimit(RLIMIT_NPROC, &processes);
        rlimit no_core{0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0) {
          child_fail(err, "drop privileges");
        }
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(trace_pipe[1], 2);
        execve("/.mitsu/qemu", argv.data(), envp);
        child_fail(err, "exec the emulator");
      }
      close(trace_pipe[1]);
      int main_status = 0;
      bool main_done = false;
      while (true) {
        int status = 0;
        pid_t done = waitpid(-1, &status, 0);
        if (done < 0) {
          break;  // nothing left in the namespace
        }
        if (done == main_pid) {
          main_done = true;
          main_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          int report[2] = {1, main_status};
          (void)!::write(control[1], report, sizeof report);
        }
      }
      _exit(main_done ? 0 : 1);
    }
    int report[2] = {0, init};
    (void)!::write(control[1], report, sizeof report);
    close(trace_pipe[1]);
    int status = 0;
    waitpid(init, &status, 0);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }

  // Parent: the fake internet on the TUN device, the trace on the pipe, the clock.
  close(control[1]);
  close(trace_pipe[1]);
  close(error_pipe[1]);
  int tun = receive_fd(control[0]);
  std::string child_error;
  if (tun < 0) {
    char buffer[512];
    ssize_t n = read(error_pipe[0], buffer, sizeof buffer);
    child_error = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "no TUN device";
  }
  fcntl(control[0], F_SETFL, O_NONBLOCK);
  FakeInternet internet;
  PcapWriter pcap(output_dir / "sandbox.pcap");
  std::string trace, pending_line;
  RunFacts facts;
  facts.sample_path = "/tmp/" + sample_name;
  if (script) {
    facts.benign_names.insert(std::begin(kApplets), std::end(kApplets));
    facts.benign_names.insert("busybox");
  }
  std::set<int> pids;
  pid_t init_pid = -1;
  bool main_done = false, timed_out = false;
  auto deadline = Clock::now() + options.time_limit;
  fs::path ns_proc =
      fs::path("/proc") / std::to_string(outer) / "root" / root.relative_path() / "proc";
  auto on_call = [&](Syscall&& call) {
    pids.insert(call.pid);
    if (call.name == "prctl" && call.args.rfind("15,", 0) == 0) {
      // QEMU passes the new name to the host task; read it while the process lives.
      std::string name = read_small_file(ns_proc / std::to_string(call.pid) / "comm");
      auto& names = facts.renames[call.pid];
      if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
    facts.syscalls.push_back(std::move(call));
  };
  // Names are also sampled from the namespace's /proc as the run goes: QEMU gives the host task
  // the name a guest sets with prctl(PR_SET_NAME), and a process may rename and exit quickly.
  auto last_sample = Clock::now() - std::chrono::seconds(1);
  auto sample_names = [&] {
    std::error_code dir_ec;
    for (const auto& entry : fs::directory_iterator(ns_proc, dir_ec)) {
      std::string pid_text = entry.path().filename();
      if (pid_text.empty() || !std::all_of(pid_text.begin(), pid_text.end(), ::isdigit) ||
          pid_text == "1") {
        continue;
      }
      // Only processes already in the trace run the emulator (a fresh fork still carries the
      // supervisor's name until its exec).
      if (!pids.contains(std::stoi(pid_text))) {
        continue;
      }
      std::string name = read_small_file(entry.path() / "comm");
      if (name.empty() || name == "qemu" || name.rfind("qemu-", 0) == 0) {
        continue;  // the emulator's own name: nothing renamed yet
      }
      auto& names = facts.renames[std::stoi(pid_text)];
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  };
  auto on_line = [&](const std::string& line) {
    for (Syscall& call : parse_strace_calls(line)) {
      on_call(std::move(call));
    }
  };
  // Messages from the jail's init: its pid, then the sample's exit status.
  auto read_reports = [&] {
    int report[2];
    while (read(control[0], report, sizeof report) == static_cast<ssize_t>(sizeof report)) {
      if (report[0] == 0) {
        init_pid = report[1];
      } else {
        main_done = true;
        facts.exit_status = report[1];
      }
    }
  };
  bool child_running = true;
  int child_status = 0;
  while (child_running) {
    auto now = Clock::now();
    if (!timed_out && now >= deadline) {
      timed_out = true;
      if (init_pid > 0) {
        kill(init_pid, SIGKILL);  // PID 1 of the namespace: everything in it dies
      }
      kill(outer, SIGKILL);
    }
    pollfd fds[3] = {{tun, POLLIN, 0}, {trace_pipe[0], POLLIN, 0}, {control[0], POLLIN, 0}};
    int wait_ms =
        timed_out
            ? 50
            : static_cast<int>(std::max<std::int64_t>(
                  1, std::min<std::int64_t>(
                         20, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
                                 .count())));
    poll(fds, 3, wait_ms);
    if (tun >= 0 && (fds[0].revents & POLLIN) != 0) {
      std::uint8_t buffer[65536];
      for (int i = 0; i < 64; ++i) {
        ssize_t n = read(tun, buffer, sizeof buffer);
        if (n <= 0) {
          break;
        }
        std::span<const std::uint8_t> packet(buffer, static_cast<std::size_t>(n));
        pcap.write(packet);
        for (const Bytes& answer : internet.on_packet(packet)) {
          pcap.write(answer);
          (void)!::write(tun, answer.data(), answer.size());
        }
        if (poll(fds, 1, 0) <= 0) {
          break;
        }
      }
    }
    if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) {
      char buffer[65536];
      ssize_t n = read(trace_pipe[0], buffer, sizeof buffer);
      if (n > 0) {
        if (trace.size() < (64u << 20)) {
          trace.append(buffer, static_cast<std::size_t>(n));
        }
        pending_line.append(buffer, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t nl; (nl = pending_line.find('\n', start)) != std::string::npos;
             start = nl + 1) {
          on_line(pending_line.substr(start, nl - start));
        }
        pending_line.erase(0, start);
      }
    }
    if ((fds[2].revents & POLLIN) != 0) {
      read_reports();
    }
    if (Clock::now() - last_sample >= std::chrono::milliseconds(20)) {
      sample_names();
      last_sample = Clock::now();
    }
    if (waitpid(outer, &child_status, WNOHANG) == outer) {
      child_running = false;
    }
  }
  // The last reports, the last of the trace: the jail may have ended between two polls.
  read_reports();
  for (char buffer[65536];;) {
    ssize_t n = read(trace_pipe[0], buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    trace.append(buffer, static_cast<std::size_t>(n));
    pending_line.append(buffer, static_cast<std::size_t>(n));
  }
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending_line.find('\n', start)) != std::string::npos; start = nl + 1) {
    on_line(pending_line.substr(start, nl - start));
  }
  if (child_error.empty()) {
    char buffer[512];
    fcntl(error_pipe[0], F_SETFL, O_NONBLOCK);
    ssize_t n = read(error_pipe[0], buffer, sizeof buffer);
    if (n > 0) {
      child_error.assign(buffer, static_cast<std::size_t>(n));
    }
  }
  for (int fd : {tun, trace_pipe[0], control[0], error_pipe[0]}) {
    if (fd >= 0) {
      close(fd);
    }
  }
  if (!options.keep_files) {
    fs::remove_all(root, ec);
  }
  if (!child_error.empty()) {
    return Error{fmt::format("sandbox: {}", child_error)};
  }

  // The sample's own process is the first in the trace; others still making calls after its
  // exit_group were left running on their own.
  if (!facts.syscalls.empty()) {
    int main_pid = facts.syscalls.front().pid;
    bool main_exited = false;
    for (const Syscall& call : facts.syscalls) {
      if (call.pid == main_pid && (call.name == "exit_group" || call.name == "exit")) {
        main_exited = true;
      } else if (main_exited && call.pid != main_pid) {
        facts.outlived_main = true;
      }
    }
  }
  facts.dns = internet.dns();
  facts.endpoints = internet.endpoints();
  facts.processes = static_cast<int>(pids.size());
  if (!main_done) {
    facts.exit_reason = timed_out ? "timed_out" : "not_started";
  } else if (facts.exit_status >= 128) {
    facts.exit_reason = "crashed";
    facts.exit_status -= 128;
  } else {
    facts.exit_reason = "finished";
  }
  std::vector<BehaviourItem> items = derive_behaviour(facts);
  SandboxRun run;
  run.pcap = output_dir / "sandbox.pcap";
  run.trace = std::move(trace);
  std::ofstream(output_dir / "trace.txt") << run.trace;
  nlohmann::json behaviours = nlohmann::json::array();
  for (const BehaviourItem& item : items) {
    behaviours.push_back({{"tag", item.tag},
                          {"attack", item.attack},
                          {"summary", item.summary},
                          {"evidence", item.evidence}});
  }
  nlohmann::json dns = nlohmann::json::array();
  std::set<std::string> malicious;
  for (const DnsObservation& d : facts.dns) {
    dns.push_back(
        {{"name", d.name}, {"type", d.type}, {"resolver", d.resolver}, {"sinkhole", d.answer}});
    malicious.insert(d.name);
  }
  nlohmann::json endpoints = nlohmann::json::array();
  std::vector<std::string> endpoint_texts;
  for (const Endpoint& e : facts.endpoints) {
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
  run.report = {
      {"analyzer", {{"name", "sandbox"}, {"version", 1}}},
      {"arch", arch},
      {"emulator", fmt::format("qemu-{}-static", qemu_name)},
      {"libc", libc_prefix},
      {"time_limit_ms", options.time_limit.count()},
      {"uid", uid},
      {"exit",
       {{"reason", facts.exit_reason}, {"status", facts.exit_status}, {"timed_out", timed_out}}},
      {"behaviours", behaviours},
      {"domains", std::vector<std::string>(malicious.begin(), malicious.end())},
      {"endpoints", endpoint_texts},
      {"network", {{"dns", dns}, {"endpoints", endpoints}, {"packets", internet.packets()}}},
      {"syscalls", facts.syscalls.size()},
      {"processes", facts.processes},
      {"pcap", run.pcap.string()}};
  return run;
}

}  // namespace mitsu::analysis::sandbox

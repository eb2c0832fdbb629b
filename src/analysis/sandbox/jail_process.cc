#include "analysis/sandbox/jail_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/route.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "analysis/sandbox/fake_internet.h"
#include "analysis/sandbox/terminal_guard.h"

namespace mitsu::analysis::sandbox {
namespace {

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
  if (recvmsg(socket, &msg, MSG_CMSG_CLOEXEC) != 1) {
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

// In the children: a failure is reported on the error pipe and ends the child.
[[noreturn]] void child_fail(int error_fd, const char* what) {
  char buffer[256];
  int n = std::snprintf(buffer, sizeof buffer, "%s: %s", what, std::strerror(errno));
  if (n > 0) {
    (void)!::write(error_fd, buffer, static_cast<std::size_t>(n));
  }
  _exit(127);
}

void interface_up(int error_fd, const char* name, std::uint32_t address, std::uint32_t mask) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
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
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
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

// Closes every descriptor from 3 up except `keep` (all >= 3): whatever the caller had open —
// its terminal, sockets, database files — never reaches the jail.
void close_all_except(int* keep, int count) {
  std::sort(keep, keep + count);
  unsigned int next = 3;
  for (int i = 0; i < count; ++i) {
    if (static_cast<unsigned int>(keep[i]) > next) {
      syscall(SYS_close_range, next, static_cast<unsigned int>(keep[i]) - 1, 0);
    }
    next = static_cast<unsigned int>(keep[i]) + 1;
  }
  syscall(SYS_close_range, next, ~0u, 0);
}

// Moves a new descriptor above 0–2, so the child's dup2 onto 0–2 cannot clobber it (a caller
// started with a closed standard input hands out 0 to the next open).
int above_stdio(int fd) {
  if (fd < 0 || fd > 2) {
    return fd;
  }
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

struct Pipes {
  int null = -1;
  int control[2] = {-1, -1};
  int trace[2] = {-1, -1};
  int output[2] = {-1, -1};
  int error[2] = {-1, -1};
};

// The sample: privileges dropped, limits set, 0 = /dev/null, 1 = output, 2 = trace; exec.
[[noreturn]] void exec_sample(const JailSpec& spec, const Pipes& p, char* const argv[]) {
  int err = p.error[1];
  rlimit cpu{spec.cpu_seconds, spec.cpu_seconds};
  rlimit memory{spec.memory_bytes, spec.memory_bytes};
  rlimit files{spec.file_bytes, spec.file_bytes};
  rlimit processes{static_cast<rlim_t>(spec.max_processes),
                   static_cast<rlim_t>(spec.max_processes)};
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CPU, &cpu);
  setrlimit(RLIMIT_AS, &memory);
  setrlimit(RLIMIT_FSIZE, &files);
  setrlimit(RLIMIT_NPROC, &processes);
  setrlimit(RLIMIT_CORE, &no_core);
  if (setgroups(0, nullptr) != 0 || setgid(spec.uid) != 0 || setuid(spec.uid) != 0) {
    child_fail(err, "drop privileges");
  }
  if (dup2(p.null, 0) != 0 || dup2(p.output[1], 1) != 1 || dup2(p.trace[1], 2) != 2) {
    child_fail(err, "standard descriptors");
  }
  char env_path[] = "PATH=/bin:/sbin:/usr/bin:/usr/sbin";
  char env_home[] = "HOME=/root";
  char* envp[] = {env_path, env_home, nullptr};
  execve(argv[0], argv, envp);
  child_fail(err, "exec the emulator");
}

// C2: PID 1 of the new namespace. When it dies, the kernel kills everything in it.
[[noreturn]] void run_init(const JailSpec& spec, const Pipes& p, const char* proc_dir,
                           char* const argv[]) {
  int err = p.error[1];
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (mount("proc", proc_dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    child_fail(err, "mount /proc");
  }
  if (chroot(spec.root.c_str()) != 0 || chdir("/tmp") != 0) {
    child_fail(err, "chroot");
  }
  pid_t main_pid = fork();
  if (main_pid < 0) {
    child_fail(err, "fork the sample");
  }
  if (main_pid == 0) {
    exec_sample(spec, p, argv);
  }
  close(p.trace[1]);
  close(p.output[1]);
  bool main_done = false;
  while (true) {
    int status = 0;
    pid_t done = waitpid(-1, &status, 0);
    if (done < 0) {
      break;  // nothing left in the namespace
    }
    if (done == main_pid) {
      main_done = true;
      int report[2] = {kReportExit,
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
      (void)!::write(p.control[1], report, sizeof report);
    }
  }
  _exit(main_done ? 0 : 1);
}

void mount_read_only(int err, const char* from, const char* to, const char* what) {
  if (mount(from, to, nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
      mount(nullptr, to, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    child_fail(err, what);
  }
}

struct Mounts {
  std::string libc_target;  // inside the root, for a cross libc
  std::vector<std::pair<std::string, std::string>> host_libs;
  std::string proc_dir;
};

// C1: its own session (no controlling terminal), nothing of the caller's descriptors, new
// namespaces; the network's only device is the TUN device handed to the parent.
[[noreturn]] void run_outer(const JailSpec& spec, Pipes& p, const Mounts& m, char* const argv[]) {
  int err = p.error[1];
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (setsid() < 0) {
    child_fail(err, "setsid");
  }
  if (dup2(p.null, 0) != 0 || dup2(p.null, 1) != 1 || dup2(p.null, 2) != 2) {
    child_fail(err, "standard descriptors");
  }
  int keep[] = {p.null, p.control[1], p.trace[1], p.output[1], p.error[1]};
  close_all_except(keep, 5);
  if (!install_terminal_guard()) {
    child_fail(err, "terminal guard (seccomp)");
  }
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
  if (!send_fd(p.control[1], tun)) {
    child_fail(err, "hand over the TUN device");
  }
  close(tun);
  sethostname("iot-device", 10);
  if (!m.libc_target.empty()) {
    mount_read_only(err, spec.libc_prefix.c_str(), m.libc_target.c_str(), "mount the cross libc");
  }
  for (const auto& [from, to] : m.host_libs) {
    mount_read_only(err, from.c_str(), to.c_str(), "mount the host libc");
  }
  pid_t init = fork();
  if (init < 0) {
    child_fail(err, "fork init");
  }
  if (init == 0) {
    run_init(spec, p, m.proc_dir.c_str(), argv);
  }
  int report[2] = {kReportInit, init};
  (void)!::write(p.control[1], report, sizeof report);
  close(p.trace[1]);
  close(p.output[1]);
  int status = 0;
  waitpid(init, &status, 0);
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

}  // namespace

Result<JailProcess> start_jail(const JailSpec& spec) {
  // Everything the children use is prepared before fork: they only make system calls.
  Mounts m;
  m.proc_dir = spec.root + "/proc";
  if (!spec.libc_prefix.empty() && spec.libc_prefix != "/") {
    m.libc_target = spec.root + spec.libc_prefix;
    std::error_code ec;
    std::filesystem::create_directories(m.libc_target, ec);  // the bind mount's target
  }
  if (spec.libc_prefix == "/") {
    for (const char* d : {"/lib", "/lib64", "/usr/lib"}) {
      if (access(d, F_OK) == 0) {
        m.host_libs.emplace_back(d, spec.root + d);
      }
    }
  }
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  Pipes p;
  bool made = (p.null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 &&
              socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p.control) == 0 &&
              pipe2(p.trace, O_CLOEXEC) == 0 && pipe2(p.output, O_CLOEXEC) == 0 &&
              pipe2(p.error, O_CLOEXEC) == 0;
  int* all[] = {&p.null,      &p.control[0], &p.control[1], &p.trace[0], &p.trace[1],
                &p.output[0], &p.output[1],  &p.error[0],   &p.error[1]};
  for (int* fd : all) {
    *fd = above_stdio(*fd);
  }
  // The parent's ends are owned from here on; the children's ends are closed below.
  JailProcess jail;
  jail.control.reset(p.control[0]);
  jail.trace.reset(p.trace[0]);
  jail.output.reset(p.output[0]);
  jail.error.reset(p.error[0]);
  UniqueFd child_ends[] = {UniqueFd(p.null), UniqueFd(p.control[1]), UniqueFd(p.trace[1]),
                           UniqueFd(p.output[1]), UniqueFd(p.error[1])};
  if (!made || std::any_of(std::begin(all), std::end(all), [](int* fd) { return *fd < 0; })) {
    return Error{fmt::format("sandbox: {}", std::strerror(errno))};
  }
  jail.outer = fork();
  if (jail.outer < 0) {
    return Error{fmt::format("fork: {}", std::strerror(errno))};
  }
  if (jail.outer == 0) {
    run_outer(spec, p, m, argv.data());
  }
  for (UniqueFd& fd : child_ends) {
    fd.reset();
  }
  jail.tun.reset(receive_fd(jail.control.get()));
  return jail;
}

}  // namespace mitsu::analysis::sandbox

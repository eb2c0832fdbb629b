// bench/sensor: (a) full Telnet sessions per second — connect, greeting and prompt, one failed
// login, close — against the sensor, as a ratio to a bare accept-write-close server measured in
// the same run with the same client (the kernel's limit on this machine); (b) 100,000 concurrent
// idle Telnet sessions and the sensor's resident memory. Everything on 127.0.0.0/8.
//
// The client is one epoll loop keeping many connections in flight, spread over several loopback
// source addresses so ephemeral ports never run out.

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_support.h"
#include "sensor/persona/persona.h"
#include "sensor/runtime/sensor_server.h"
#include "spool/spool.h"
#include "testing/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace mitsu;

using mitsu::bench::die;

// Raises the open-file limit as far as allowed; returns it. Without CAP_SYS_RESOURCE the hard
// limit caps it, and with it the number of sessions one process can hold.
rlim_t raise_fd_limit(rlim_t want) {
  rlimit limit{want, want};
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    return want;
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

std::uint64_t rss_bytes(pid_t pid = 0) {
  std::ifstream status(pid == 0 ? "/proc/self/status" : fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return 0;
}

int connect_from(int source_index, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 2 + static_cast<std::uint32_t>(source_index));
  ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source));
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<std::uint16_t>(port));
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target));
  if (rc != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Runs sessions for `seconds` with `in_flight` connections at a time; a session is complete when
// the server closes after sending `expect` (and after we answered `reply` once it appeared).
double sessions_per_second(int port, int in_flight, double seconds, const std::string& expect,
                           const std::string& reply) {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  struct State {
    std::string got;
    bool replied = false;
  };
  std::unordered_map<int, State> open;
  std::uint64_t done = 0, failed = 0, started = 0;
  auto start_one = [&] {
    int fd = connect_from(static_cast<int>(started++ % 8), port);
    if (fd < 0) {
      ++failed;
      return;
    }
    epoll_event e{EPOLLIN | EPOLLRDHUP, {.fd = fd}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    open[fd] = {};
  };
  auto begin = Clock::now();
  auto end = begin + std::chrono::duration<double>(seconds);
  for (int i = 0; i < in_flight; ++i) {
    start_one();
  }
  std::vector<epoll_event> events(1024);
  char buffer[4096];
  while (Clock::now() < end) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      State& s = open[fd];
      ssize_t r = ::read(fd, buffer, sizeof(buffer));
      if (r > 0) {
        s.got.append(buffer, static_cast<std::size_t>(r));
        if (!s.replied && !reply.empty() && s.got.find(expect) != std::string::npos) {
          (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
          s.replied = true;
        }
        continue;
      }
      if (r < 0 && errno == EAGAIN) {
        continue;
      }
      bool complete = s.got.find(expect) != std::string::npos && (reply.empty() || s.replied);
      (complete ? done : failed)++;
      ::close(fd);
      open.erase(fd);
      start_one();
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  for (auto& [fd, s] : open) {
    ::close(fd);
  }
  ::close(ep);
  if (failed > done / 100) {
    fmt::print(stderr, "  warning: {} sessions failed of {}\n", failed, done + failed);
  }
  return static_cast<double>(done) / elapsed;
}

// The kernel's limit: accept, write the prompt, close. Two threads, as the sensor has two loops.
class BareServer {
 public:
  explicit BareServer(int threads) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd_, 4096) != 0) {
      die("bare server cannot listen");
    }
    socklen_t size = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &size);
    port_ = ntohs(a.sin_port);
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        static const char kPrompt[] = "login: ";
        while (!stop_) {
          int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) {
            continue;
          }
          (void)::send(c, kPrompt, sizeof(kPrompt) - 1, MSG_NOSIGNAL);
          ::close(c);
        }
      });
    }
  }
  ~BareServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    for (auto& t : threads_) {
      t.join();
    }
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

class SpoolSink : public sensor::EventSink {
 public:
  explicit SpoolSink(spool::Spool& spool) : spool_(spool) {}
  void emit(const nlohmann::json& event) override {
    (void)spool_.append(to_event_text(event));
    ++events;
  }
  std::atomic<std::uint64_t> events{0};

 private:
  spool::Spool& spool_;
};

}  // namespace

int main(int argc, char** argv) {
  int idle_sessions = 100'000;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--idle") {
      idle_sessions = std::stoi(argv[i + 1]);
    } else if (flag == "--seconds") {
      seconds = std::stod(argv[i + 1]);
    } else {
      die("usage: mitsu_bench_sensor [--idle N] [--seconds S]");
    }
  }
  const int requested_idle = idle_sessions;
  rlim_t fd_limit = raise_fd_limit(static_cast<rlim_t>(idle_sessions) + 4096);
  if (static_cast<rlim_t>(idle_sessions) + 4096 > fd_limit) {
    idle_sessions = static_cast<int>(fd_limit) - 4096;
    fmt::print(
        "note: open files are capped at {} here (no CAP_SYS_RESOURCE to raise the hard "
        "limit): measuring {} idle sessions instead of {} and scaling\n",
        fd_limit, idle_sessions, requested_idle);
  }

  testing::TempDir dir("bench-sensor");
  auto personas = sensor::load_personas(MITSU_DEFAULT_PERSONAS_DIR);
  if (!personas) {
    die(personas.error());
  }
  sensor::SensorOptions options;
  for (auto& p : *personas) {
    if (p.name == "ip-camera") {
      options.personas = {p};
    }
  }
  options.listeners = {{"telnet", "127.0.0.1", 0, 0}};
  options.limits.max_sessions = static_cast<std::size_t>(idle_sessions) + 10'000;
  options.limits.max_sessions_per_source = options.limits.max_sessions;
  options.ssh_host_keys_dir = dir.path() / "ssh";
  spool::SpoolOptions spool_options;
  spool_options.dir = dir.path() / "spool";
  spool_options.fsync = spool::FsyncPolicy::kInterval;
  auto spool = spool::Spool::open(spool_options);
  if (!spool) {
    die(spool.error());
  }
  auto artifacts = artifacts::ArtifactStore::open({dir.path() / "artifacts"});
  if (!artifacts) {
    die(artifacts.error());
  }
  SpoolSink sink(**spool);
  sensor::SensorServer server(options, sink, **artifacts, nullptr);
  if (Status started = server.start(); !started) {
    die(started.error());
  }
  int port = server.bound().at(0).port;
  fmt::print("bench/sensor: {} threads, events to a spool (fsync interval)\n",
             std::max(1u, std::thread::hardware_concurrency()));

  // (a) Session rate, same client for both servers.
  const int in_flight = 512;
  double bare = 0;
  {
    BareServer b(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    bare = sessions_per_second(b.port(), in_flight, seconds, "login: ", "");
  }
  std::uint64_t events_before = sink.events;
  double mitsu_rate = sessions_per_second(port, in_flight, seconds, "login: ", "root\r\nwrong\r\n");
  fmt::print("  bare accept-write-close: {:9.0f} connections/s\n", bare);
  fmt::print(
      "  mitsu telnet sessions:   {:9.0f} sessions/s (greeting, prompt, failed login, close;"
      " {} events)\n",
      mitsu_rate, sink.events - events_before);
  fmt::print("  ratio mitsu/bare: {:.2f}x (target >= 0.5x)\n", mitsu_rate / bare);

  // (b) Idle sessions: a child process holds the client ends; the sensor's RSS is ours.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::uint64_t rss_before = rss_bytes();
  int ready[2];
  if (::pipe(ready) != 0) {
    die("pipe");
  }
  // Client ends in child processes, each within the open-file limit too.
  const int per_child = static_cast<int>(fd_limit) - 1024;
  std::vector<pid_t> children;
  for (int first = 0; first < idle_sessions; first += per_child) {
    int count = std::min(per_child, idle_sessions - first);
    pid_t child = ::fork();
    if (child == 0) {
      ::close(ready[0]);
      std::vector<int> fds;
      fds.reserve(static_cast<std::size_t>(count));
      for (int i = 0; i < count; ++i) {
        int fd = connect_from((first + i) % 8, port);
        if (fd < 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          --i;
          continue;
        }
        fds.push_back(fd);
        if (i % 2000 == 1999) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // within the backlog
        }
      }
      char one = 1;
      (void)::write(ready[1], &one, 1);
      ::pause();
      std::_Exit(0);
    }
    children.push_back(child);
  }
  ::close(ready[1]);
  for (std::size_t i = 0; i < children.size(); ++i) {
    char signal = 0;
    (void)::read(ready[0], &signal, 1);
  }
  auto wait_until = Clock::now() + std::chrono::seconds(120);
  while (server.stats().active < static_cast<std::uint64_t>(idle_sessions) * 99 / 100 &&
         Clock::now() < wait_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::uint64_t active = server.stats().active;
  std::uint64_t rss = rss_bytes();
  fmt::print(
      "  idle sessions open: {} (of {}), sensor RSS {:.1f} MiB ({:.1f} MiB before), "
      "{:.1f} KiB a session\n",
      active, idle_sessions, rss / 1048576.0, rss_before / 1048576.0,
      (rss - rss_before) / 1024.0 / static_cast<double>(std::max<std::uint64_t>(active, 1)));
  double per_session = static_cast<double>(rss - rss_before) /
                       static_cast<double>(std::max<std::uint64_t>(active, 1));
  double projected = static_cast<double>(rss_before) + per_session * requested_idle;
  fmt::print("  {} idle sessions: {} {:.1f} MiB (target <= 1024 MiB)\n", requested_idle,
             requested_idle == idle_sessions ? "measured" : "projected from the measured rate:",
             (requested_idle == idle_sessions ? static_cast<double>(rss) : projected) / 1048576.0);
  for (pid_t child : children) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  server.stop();
  return 0;
}

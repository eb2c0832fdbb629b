// bench/proxy: the recording relay in front of a real device, against a plain socat relay to
// the same device, in one run. Throughput: 256 MiB of Telnet-like lines (every byte recorded as
// PCAP-NG and run through the passive Telnet decoder; the device sends no prompt, so the
// decoder scans every byte but has no login or command to report) to a device that reads them
// all and answers once. Latency: one-byte round trips through each relay to an echoing device.
// Everything on 127.0.0.1.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "sensor/runtime/sensor_server.h"
#include "testing/samba_server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace mitsu;
using mitsu::bench::die;

class NullSink : public sensor::EventSink {
 public:
  void emit(const nlohmann::json&) override { ++events; }
  std::atomic<std::uint64_t> events{0};
};

int listen_on(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
    die(fmt::format("cannot listen on {}", port));
  }
  return fd;
}

int connect_to(int port) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  die(fmt::format("cannot connect to {}", port));
}

// The device: on each connection either reads everything and answers "ok" (sink), or echoes.
void serve_device(int listener, bool echo) {
  for (;;) {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) {
      return;
    }
    std::thread([fd, echo] {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::vector<char> buffer(1 << 16);
      for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) > 0;) {
        if (echo && ::write(fd, buffer.data(), static_cast<std::size_t>(n)) != n) {
          break;
        }
      }
      if (!echo) {
        (void)::write(fd, "ok", 2);
      }
      ::close(fd);
    }).detach();
  }
}

double megabytes_per_second(int port, std::size_t total) {
  std::string line = "echo " + std::string(74, 'x') + "\r\n";  // 81-byte shell lines
  std::string chunk;
  while (chunk.size() < (1 << 16)) {
    chunk += line;
  }
  int fd = connect_to(port);
  auto begin = Clock::now();
  for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
      die("short write");
    }
  }
  ::shutdown(fd, SHUT_WR);
  char answer[8];
  if (::read(fd, answer, sizeof answer) <= 0) {
    die("no answer from the device");
  }
  double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  ::close(fd);
  return static_cast<double>(total) / (1 << 20) / seconds;
}

double round_trip_us(int port, int trips) {
  int fd = connect_to(port);
  char byte = 'x';
  auto begin = Clock::now();
  for (int i = 0; i < trips; ++i) {
    if (::write(fd, &byte, 1) != 1 || ::read(fd, &byte, 1) != 1) {
      die("echo failed");
    }
  }
  double us = std::chrono::duration<double, std::micro>(Clock::now() - begin).count() / trips;
  ::close(fd);
  return us;
}

}  // namespace

int main() {
  constexpr std::size_t kBytes = 256ULL << 20;
  constexpr int kTrips = 20'000;
  testing::TempDir dir("bench-proxy");
  int sink_port = testing::free_tcp_port();
  int echo_port = testing::free_tcp_port();
  int sink_listener = listen_on(sink_port);
  int echo_listener = listen_on(echo_port);
  std::thread(serve_device, sink_listener, false).detach();
  std::thread(serve_device, echo_listener, true).detach();

  auto artifacts = artifacts::ArtifactStore::open({dir.path() / "artifacts"});
  if (!artifacts) {
    die(artifacts.error());
  }
  sensor::DevicePersona persona;
  persona.name = "device";
  persona.device_type = "router";
  persona.vendor = "V";
  persona.model = "M";
  sensor::SensorOptions options;
  options.personas = {persona};
  sensor::ListenerSpec to_sink{"telnet", "127.0.0.1", 0, 0};
  to_sink.backend = fmt::format("127.0.0.1:{}", sink_port);
  sensor::ListenerSpec to_echo{"telnet", "127.0.0.1", 0, 0};
  to_echo.backend = fmt::format("127.0.0.1:{}", echo_port);
  options.listeners = {to_sink, to_echo};
  options.recordings_dir = dir.path() / "recordings";
  options.threads = 1;  // as socat: one process (here one event loop) carries a connection
  NullSink sink;
  sensor::SensorServer relay(options, sink, **artifacts, nullptr);
  if (Status started = relay.start(); !started) {
    die(started.error());
  }
  int relay_sink = relay.bound().at(0).port;
  int relay_echo = relay.bound().at(1).port;

  int socat_sink = testing::free_tcp_port();
  int socat_echo = testing::free_tcp_port();
  auto socat = [](int from, int to) {
    return std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        "socat", fmt::format("TCP-LISTEN:{},bind=127.0.0.1,reuseaddr,fork", from),
        fmt::format("TCP:127.0.0.1:{}", to)});
  };
  auto socat_a = socat(socat_sink, sink_port);
  auto socat_b = socat(socat_echo, echo_port);
  testing::wait_for_tcp_port(socat_sink);
  testing::wait_for_tcp_port(socat_echo);

  // Alternating, so drift in the machine's load falls on both.
  double socat_mbs = megabytes_per_second(socat_sink, kBytes);
  double relay_mbs = megabytes_per_second(relay_sink, kBytes);
  socat_mbs = std::max(socat_mbs, megabytes_per_second(socat_sink, kBytes));
  relay_mbs = std::max(relay_mbs, megabytes_per_second(relay_sink, kBytes));
  double direct_rtt = round_trip_us(echo_port, kTrips);
  double socat_rtt = round_trip_us(socat_echo, kTrips);
  double relay_rtt = round_trip_us(relay_echo, kTrips);

  fmt::print("bench/proxy: {} MiB of Telnet lines, {} one-byte round trips\n", kBytes >> 20,
             kTrips);
  fmt::print("  throughput  socat {:8.0f} MiB/s   relay (recording + decoding) {:8.0f} MiB/s\n",
             socat_mbs, relay_mbs);
  fmt::print("  ratio relay/socat: {:.2f}x (target >= 0.7x)\n", relay_mbs / socat_mbs);
  fmt::print(
      "  round trip  direct {:6.1f} us   socat {:6.1f} us   relay {:6.1f} us "
      "(added over socat {:+.1f} us)\n",
      direct_rtt, socat_rtt, relay_rtt, relay_rtt - socat_rtt);
  relay.stop();
  socat_a->send_signal(SIGTERM);
  socat_b->send_signal(SIGTERM);
  return 0;
}

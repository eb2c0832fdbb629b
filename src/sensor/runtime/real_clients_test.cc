// Real clients against the sensor on 127.0.0.1: Debian's telnet and hydra's brute forcer.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "sensor/persona/shipped_persona.h"
#include "sensor/persona/test_persona.h"
#include "sensor/runtime/memory_sink.h"
#include "sensor/runtime/sensor_server.h"
#include "testing/local_http_server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using namespace std::chrono_literals;
using mitsu::testing::run_process;

class RealClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto camera = shipped_persona("ip-camera", "real-clients-seed");
    ASSERT_TRUE(camera) << camera.error();
    options_.personas = {*camera};
    options_.listeners = {
        {"telnet", "127.0.0.1", 0, 0}, {"ssh", "127.0.0.1", 0, 0}, {"http", "127.0.0.1", 0, 0}};
    options_.threads = 2;
    options_.ssh_host_keys_dir = dir_.path() / "ssh";
    server_ = std::make_unique<SensorServer>(options_, sink_, *store_, nullptr);
    Status started = server_->start();
    ASSERT_TRUE(started) << started.error();
    port_ = server_->bound().at(0).port;
    ssh_port_ = server_->bound().at(1).port;
  }

  // OpenSSH's client with the password given by sshpass; never trusts or stores host keys.
  mitsu::testing::ProcessResult ssh(const std::string& password, std::vector<std::string> args,
                                    const std::string& stdin_text = "") {
    std::vector<std::string> argv{"timeout", "30",
                                  "sshpass", "-p",
                                  password,  "ssh",
                                  "-o",      "StrictHostKeyChecking=no",
                                  "-o",      "UserKnownHostsFile=/dev/null",
                                  "-o",      "LogLevel=ERROR",
                                  "-p",      std::to_string(ssh_port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, stdin_text);
  }
  void TearDown() override { server_->stop(); }

  bool wait_for(std::string_view action, std::size_t n) {
    for (int i = 0; i < 500 && sink_.of(action).size() < n; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return sink_.of(action).size() >= n;
  }

  mitsu::testing::TempDir dir_{"real-clients"};
  std::unique_ptr<artifacts::ArtifactStore> store_ =
      std::move(*artifacts::ArtifactStore::open({dir_.path() / "artifacts"}));
  SensorOptions options_;
  MemorySink sink_;
  std::unique_ptr<SensorServer> server_;
  int port_ = 0;
  int ssh_port_ = 0;
};

TEST_F(RealClientsTest, DebianTelnetLogsInAndRunsCommands) {
  // telnet reads the keyboard from stdin; the pauses let each prompt arrive first.
  std::string script = fmt::format(
      "(sleep 0.5; printf 'root\\n'; sleep 0.3; printf 'xc3511\\n'; sleep 0.3; "
      "printf 'uname -m\\n'; sleep 0.3; printf 'cat /proc/cpuinfo\\n'; sleep 0.3; "
      "printf 'exit\\n'; sleep 0.5) | telnet 127.0.0.1 {}",
      port_);
  auto result = run_process({"/bin/sh", "-c", script});
  EXPECT_NE(result.out.find(options_.personas[0].hostname + " login: "), std::string::npos)
      << result.out << result.err;
  EXPECT_NE(result.out.find("armv7l"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ARMv7 Processor rev 5 (v7l)"), std::string::npos) << result.out;
  ASSERT_TRUE(wait_for("session.close", 1));
  auto logins = sink_.of("login.attempt");
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_EQ(logins[0]["user"]["name"], "root");
  EXPECT_EQ(logins[0]["event"]["outcome"], "success");
  auto commands = sink_.of("command");
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0]["process"]["command_line"], "uname -m");
}

// hydra prints every attempt it makes (-V) and stops at the first success; each attempt must be
// one login.attempt event, the successful one included.
void expect_hydra_counted(const std::string& service, int port,
                          const std::filesystem::path& passwords, const MemorySink& sink) {
  auto result = run_process({"timeout", "60", "hydra", "-I", "-V", "-t", "1", "-l", "root", "-P",
                             passwords.string(), "-s", std::to_string(port), "127.0.0.1", service});
  std::size_t attempts = 0;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    attempts += line.starts_with("[ATTEMPT]") ? 1 : 0;
  }
  EXPECT_GE(attempts, 6u) << result.out << result.err;
  EXPECT_NE(result.out.find("password: xc3511"), std::string::npos) << result.out;
  for (int i = 0; i < 300 && sink.of("login.attempt").size() < attempts; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  auto logins = sink.of("login.attempt");
  EXPECT_EQ(logins.size(), attempts) << service;
  std::size_t successes = 0;
  for (const auto& e : logins) {
    successes += e["event"]["outcome"] == "success" ? 1 : 0;
    EXPECT_EQ(e["network"]["protocol"], service);
  }
  EXPECT_EQ(successes, 1u) << service;
}

TEST_F(RealClientsTest, HydraTelnetBruteForceIsCountedAttemptForAttempt) {
  auto passwords = dir_.path() / "passwords.txt";
  std::ofstream(passwords) << "123456\npassword\nadmin\nroot\n12345\nxc3511\nvizxv\n";
  expect_hydra_counted("telnet", port_, passwords, sink_);
}

TEST_F(RealClientsTest, HydraSshBruteForceIsCountedAttemptForAttempt) {
  auto passwords = dir_.path() / "passwords.txt";
  std::ofstream(passwords) << "123456\npassword\nadmin\nroot\n12345\nxc3511\nvizxv\n";
  expect_hydra_counted("ssh", ssh_port_, passwords, sink_);
}

TEST_F(RealClientsTest, OpenSshExecAndInteractiveShell) {
  auto exec = ssh("xc3511", {"root@127.0.0.1", "uname -m; cat /proc/cpuinfo | grep model"});
  EXPECT_EQ(exec.exit_code, 0) << exec.err;
  EXPECT_EQ(exec.out, "armv7l\nmodel name\t: ARMv7 Processor rev 5 (v7l)\n");

  auto shell = ssh("xc3511", {"-tt", "root@127.0.0.1"}, "echo hello\nexit\n");
  EXPECT_NE(shell.out.find("hello"), std::string::npos) << shell.out << shell.err;

  ASSERT_TRUE(wait_for("session.close", 2));
  auto logins = sink_.of("login.attempt");
  ASSERT_EQ(logins.size(), 2u);
  for (const auto& e : logins) {
    EXPECT_EQ(e["event"]["outcome"], "success");
    EXPECT_EQ(e["network"]["protocol"], "ssh");
    EXPECT_TRUE(e["user_agent"]["original"].get<std::string>().starts_with("SSH-2.0-OpenSSH_"))
        << e.dump();
  }
  std::vector<std::string> commands;
  for (const auto& e : sink_.of("command")) {
    commands.push_back(e["process"]["command_line"]);
  }
  EXPECT_EQ(commands, (std::vector<std::string>{"uname -m; cat /proc/cpuinfo | grep model",
                                                "echo hello", "exit"}));
}

TEST_F(RealClientsTest, OpenSshKeyboardInteractiveAndFailures) {
  auto kbd = ssh("admin",
                 {"-o", "PreferredAuthentications=keyboard-interactive", "admin@127.0.0.1", "id"});
  EXPECT_EQ(kbd.exit_code, 0) << kbd.err;
  EXPECT_EQ(kbd.out, "uid=0(root) gid=0(root)\n");
  auto wrong = ssh("nope", {"-o", "PreferredAuthentications=password", "-o",
                            "NumberOfPasswordPrompts=2", "root@127.0.0.1", "id"});
  EXPECT_NE(wrong.exit_code, 0);
  ASSERT_TRUE(wait_for("session.close", 2));
  auto logins = sink_.of("login.attempt");
  ASSERT_GE(logins.size(), 2u);
  EXPECT_EQ(logins[0]["mitsu"]["login"]["method"], "keyboard-interactive");
  EXPECT_EQ(logins[0]["event"]["outcome"], "success");
  for (std::size_t i = 1; i < logins.size(); ++i) {
    EXPECT_EQ(logins[i]["event"]["outcome"], "failure");
    EXPECT_EQ(logins[i]["mitsu"]["login"]["password"], "nope");
  }
}

TEST_F(RealClientsTest, SshBannerIsThePersonasAndHostKeysAreKept) {
  // ssh-keyscan -v prints the server's version line as it reads it.
  auto scan = run_process({"ssh-keyscan", "-v", "-p", std::to_string(ssh_port_), "127.0.0.1"});
  EXPECT_NE(scan.err.find("SSH-2.0-dropbear_2014.63"), std::string::npos) << scan.err;
  auto key = dir_.path() / "ssh" / "ssh_host_ed25519_key";
  ASSERT_TRUE(std::filesystem::exists(key));
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  std::string before = scan.out;
  // A restarted sensor presents the same keys.
  server_->stop();
  server_ = std::make_unique<SensorServer>(options_, sink_, *store_, nullptr);
  ASSERT_TRUE(server_->start());
  ssh_port_ = server_->bound().at(1).port;
  auto again = run_process({"ssh-keyscan", "-p", std::to_string(ssh_port_), "127.0.0.1"});
  auto keys_of = [](const std::string& text) {
    std::set<std::string> keys;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("#") && line.find(' ') != std::string::npos) {
        keys.insert(line.substr(line.find(' ') + 1));
      }
    }
    return keys;
  };
  EXPECT_FALSE(keys_of(before).empty()) << before;
  EXPECT_EQ(keys_of(before), keys_of(again.out));
}

// nmap's service detection names what the persona claims on each port, never a honeypot.
TEST_F(RealClientsTest, NmapServiceDetectionSeesThePersonasProducts) {
  std::string ports = fmt::format("{},{},{}", port_, ssh_port_, server_->bound().at(2).port);
  auto scan = run_process(
      {"timeout", "120", "nmap", "-sV", "-Pn", "-n", "--version-light", "-p", ports, "127.0.0.1"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_NE(scan.out.find(fmt::format("{}/tcp open  telnet  BusyBox telnetd", port_)),
            std::string::npos)
      << scan.out;
  EXPECT_NE(scan.out.find("Dropbear sshd 2014.63"), std::string::npos) << scan.out;
  EXPECT_NE(scan.out.find("GoAhead WebServer"), std::string::npos) << scan.out;
  std::string lower = scan.out;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  EXPECT_EQ(lower.find("honeypot"), std::string::npos) << scan.out;
}

}  // namespace
}  // namespace mitsu::sensor

namespace mitsu::sensor {
namespace {

// Every shipped exploit's example request, sent by curl to the HTTP persona: each is an exploit
// event with its CVEs, and each injected download ends in the artifact store.
TEST(RealClientsHttp, CurlSendsEveryShippedExploit) {
  mitsu::testing::TempDir dir("http-exploits");
  auto store = std::move(*artifacts::ArtifactStore::open({dir.path() / "artifacts"}));
  auto rules = ExploitRules::load({MITSU_DEFAULT_EXPLOITS_DIR});
  ASSERT_TRUE(rules) << rules.error();
  std::string payload = "#!/bin/sh\necho dropped\n";
  mitsu::testing::LocalHttpServer payload_host({{"/payload", {200, payload, ""}}});
  DownloadOptions d;
  d.allow = {"127.0.0.1/32"};
  auto downloader = std::move(*Downloader::start(d, *store));
  SensorOptions options;
  options.personas = {test_persona("camera", "arm", "IPCAM")};
  options.listeners = {{"http", "127.0.0.1", 0, 0}};
  options.threads = 2;
  options.exploits = *rules;
  MemorySink sink;
  SensorServer server(options, sink, *store, downloader.get());
  ASSERT_TRUE(server.start());
  int port = server.bound().at(0).port;

  std::size_t expected_downloads = 0;
  for (const ExploitRule& rule : (*rules)->rules()) {
    const ExploitExample& e = *rule.example;
    auto fill = [&](std::string text) {
      for (auto at = text.find("{URL}"); at != std::string::npos; at = text.find("{URL}")) {
        text.replace(at, 5, payload_host.url("/payload"));
      }
      return text;
    };
    std::vector<std::string> argv{"curl", "-sS", "-g",        "--path-as-is", "--max-time",
                                  "10",   "-o",  "/dev/null", "-X",           e.method};
    for (const auto& [name, value] : e.headers) {
      argv.push_back("-H");
      argv.push_back(name + ": " + fill(value));
    }
    if (!e.body.empty()) {
      argv.push_back("--data-binary");
      argv.push_back(fill(e.body));
    }
    argv.push_back(fmt::format("http://127.0.0.1:{}{}", port, fill(e.path)));
    auto result = run_process(argv);
    EXPECT_EQ(result.exit_code, 0) << rule.id << ": " << result.err;
    expected_downloads += rule.command ? 1 : 0;
  }
  for (int i = 0; i < 500 && sink.of("file.download").size() < expected_downloads; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  std::map<std::string, nlohmann::json> exploits;
  for (const auto& e : sink.of("exploit")) {
    exploits[e["rule"]["id"]] = e;
  }
  for (const ExploitRule& rule : (*rules)->rules()) {
    ASSERT_TRUE(exploits.contains(rule.id)) << rule.id << " not reported";
    if (!rule.cves.empty()) {
      EXPECT_EQ(exploits[rule.id]["vulnerability"]["id"], rule.cves) << rule.id;
    }
  }
  auto downloads = sink.of("file.download");
  EXPECT_EQ(downloads.size(), expected_downloads);
  if (downloads.size() != expected_downloads) {
    for (const auto& e : sink.of("command")) {
      ADD_FAILURE() << e["process"]["command_line"];
    }
  }
  for (const auto& e : downloads) {
    EXPECT_EQ(e["event"]["outcome"], "success") << e.dump();
  }
  EXPECT_EQ(sink.of("http.request").size(), (*rules)->rules().size());
  server.stop();
  downloader->stop();
  EXPECT_EQ(store->info(downloads.at(0)["file"]["hash"]["sha256"].get<std::string>())->size,
            payload.size());
}

}  // namespace
}  // namespace mitsu::sensor

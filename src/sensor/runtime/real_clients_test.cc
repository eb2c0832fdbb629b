// Real clients against the sensor on 127.0.0.1: Debian's telnet and hydra's brute forcer.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "sensor/runtime/sensor_server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using namespace std::chrono_literals;
using mitsu::testing::run_process;

class MemorySink : public EventSink {
 public:
  void emit(const nlohmann::json& event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  std::vector<nlohmann::json> of(std::string_view action) const {
    std::lock_guard lock(mutex_);
    std::vector<nlohmann::json> out;
    for (const auto& e : events_) {
      if (e["event"]["action"] == action) {
        out.push_back(e);
      }
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> events_;
};

class RealClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto personas = load_personas(MITSU_DEFAULT_PERSONAS_DIR);
    ASSERT_TRUE(personas) << personas.error();
    for (std::size_t i = 0; i < personas->size(); ++i) {
      if ((*personas)[i].name == "ip-camera") {
        options_.personas = {(*personas)[i]};
      }
    }
    ASSERT_EQ(options_.personas.size(), 1u);
    options_.listeners = {{"telnet", "127.0.0.1", 0, 0}};
    options_.threads = 2;
    server_ = std::make_unique<SensorServer>(options_, sink_, *store_, nullptr);
    Status started = server_->start();
    ASSERT_TRUE(started) << started.error();
    port_ = server_->bound().at(0).port;
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
};

TEST_F(RealClientsTest, DebianTelnetLogsInAndRunsCommands) {
  // telnet reads the keyboard from stdin; the pauses let each prompt arrive first.
  std::string script = fmt::format(
      "(sleep 0.5; printf 'root\\n'; sleep 0.3; printf 'xc3511\\n'; sleep 0.3; "
      "printf 'uname -m\\n'; sleep 0.3; printf 'cat /proc/cpuinfo\\n'; sleep 0.3; "
      "printf 'exit\\n'; sleep 0.5) | telnet 127.0.0.1 {}",
      port_);
  auto result = run_process({"/bin/sh", "-c", script});
  EXPECT_NE(result.out.find("(none) login: "), std::string::npos) << result.out << result.err;
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

TEST_F(RealClientsTest, HydraBruteForceIsCountedAttemptForAttempt) {
  auto passwords = dir_.path() / "passwords.txt";
  std::ofstream(passwords) << "123456\npassword\nadmin\nroot\n12345\nxc3511\nvizxv\n";
  // One task, verbose: hydra prints every attempt it makes; it stops at the first success.
  auto result =
      run_process({"timeout", "60", "hydra", "-I", "-V", "-t", "1", "-l", "root", "-P",
                   passwords.string(), "-s", std::to_string(port_), "127.0.0.1", "telnet"});
  std::size_t attempts = 0;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    attempts += line.starts_with("[ATTEMPT]") ? 1 : 0;
  }
  EXPECT_GE(attempts, 6u) << result.out << result.err;
  EXPECT_NE(result.out.find("password: xc3511"), std::string::npos) << result.out;
  // Every attempt hydra made is one login.attempt event, the successful one included.
  for (int i = 0; i < 300 && sink_.of("login.attempt").size() < attempts; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  auto logins = sink_.of("login.attempt");
  EXPECT_EQ(logins.size(), attempts);
  std::size_t successes = 0;
  for (const auto& e : logins) {
    successes += e["event"]["outcome"] == "success" ? 1 : 0;
  }
  EXPECT_EQ(successes, 1u);
}

}  // namespace
}  // namespace mitsu::sensor

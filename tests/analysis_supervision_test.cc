// `mitsu run`'s analysis worker processes, end to end (docs/analysis.md, "Worker processes"):
// a sample that kills or hangs its worker is retried and given up on with the reason while the
// honeypot keeps serving, and a damaged ELF carrying invalid UTF-8 ends with a verdict that is
// valid JSON while new sessions are served. Runs as root (the sandbox runs too) in a network
// namespace of its own with loopback only.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "testing/loopback_client.h"
#include "testing/samba_server.h"
#include "testing/sample_fixtures.h"
#include "testing/sha256.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

using namespace std::chrono_literals;
using mitsu::testing::sha256_of;

bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
  for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(100ms)) {
    if (done()) {
      return true;
    }
  }
  return done();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// A small real ARM ELF (or a synthetic one where the cross libc is missing) with 8 bytes changed
// at random (fixed seed) and invalid UTF-8 appended.
std::string damaged_elf() {
  std::ifstream in("/usr/arm-linux-gnueabi/lib/libpcprofile.so", std::ios::binary);
  std::stringstream read;
  read << in.rdbuf();
  std::string elf = read.str();
  if (elf.size() < 1024) {
    auto fake = testing::fake_elf({}, testing::string_table({"/bin/busybox", "/dev/watchdog"}));
    elf.assign(reinterpret_cast<const char*>(fake.data()), fake.size());
  }
  std::mt19937 random(21);
  for (int i = 0; i < 8; ++i) {
    std::size_t at = 16 + random() % (elf.size() - 16);
    elf[at] = static_cast<char>(elf[at] ^ static_cast<char>(1 + random() % 255));
  }
  return elf + "\xff\xfe\xc0 bad utf-8 \xe2\x82 http://bad\xc3.test/x\n";
}

struct JobRow {
  std::string state;
  std::int64_t attempts = 0;
  std::string error;
};

class AnalysisSupervisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << "CI runs as root: the platform's sandbox needs it";
      }
      GTEST_SKIP() << "runs the platform and its sandbox as root";
    }
    static bool walled = false;
    if (!walled) {  // once per process: this process's own network namespace, loopback only
      ASSERT_EQ(::unshare(CLONE_NEWNET), 0);
      ASSERT_EQ(testing::run_process({"ip", "link", "set", "lo", "up"}).exit_code, 0);
      walled = true;
    }
  }

  // `mitsu run` with the camera persona's Telnet on a free port and quick worker restarts.
  std::unique_ptr<testing::ChildProcess> start(const std::string& more_config,
                                               const std::vector<std::string>& env = {}) {
    port_ = testing::free_tcp_port();
    std::string config = (dir_ / "mitsu.toml").string();
    std::ofstream(config) << fmt::format(
        "[sensor]\nid = \"supervision-test\"\nidle_timeout_s = 30\n"
        "[[sensor.listeners]]\npersona = \"ip-camera\"\nport = {}\n"
        "[api]\nport = 0\n[analysis]\nrestart_backoff_ms = 50\n{}",
        port_, more_config);
    return std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{MITSU_EXE, "--config", config, "--data-dir", data(), "run"}, env);
  }

  std::string data() const { return (dir_ / "data").string(); }

  // Logs in as root/xc3511; the client is then at the shell prompt.
  static std::string log_in(testing::LoopbackClient& c) {
    c.read_until("login: ", 20s);
    c.send("root\r\n");
    c.read_until("Password: ");
    c.send("xc3511\r\n");
    return c.read_until("# ");
  }

  // An attacker's echo loader: the file written 64 bytes a line, run, and left behind.
  void upload(const std::string& bytes) {
    testing::LoopbackClient c(port_, 30s);  // mitsu run may still be starting
    ASSERT_TRUE(c.connected());
    ASSERT_NE(log_in(c).find("# "), std::string::npos);
    c.send("cd /tmp\r\n");
    for (std::size_t at = 0; at < bytes.size(); at += 64) {
      std::string chunk;
      for (std::size_t i = at; i < std::min(bytes.size(), at + 64); ++i) {
        chunk += fmt::format("\\x{:02x}", static_cast<unsigned char>(bytes[i]));
      }
      c.send(fmt::format("echo -ne '{}' {} .d\r\n", chunk, at == 0 ? ">" : ">>"));
    }
    c.send("chmod 777 .d; ./.d; echo loaded\r\n");
    EXPECT_NE(c.read_until("loaded\r\n# ", 30s).find("loaded\r\n# "), std::string::npos);
    c.send("exit\r\n");
    EXPECT_TRUE(c.closed_by_peer());
  }

  // A new attacker gets a shell: logs in and runs a command.
  void expect_served() {
    testing::LoopbackClient c(port_, 5s);
    ASSERT_TRUE(c.connected());
    ASSERT_NE(log_in(c).find("# "), std::string::npos);
    c.send("uname -m\r\n");
    EXPECT_NE(c.read_until("armv7l").find("armv7l"), std::string::npos);
    c.send("exit\r\n");
  }

  // Reads the store while `mitsu run` writes it.
  template <typename Row>
  void query(const std::string& sql, const std::string& sha256, Row on_row) {
    sqlite3* db = nullptr;
    std::string path = data() + "/mitsu.db";
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      sqlite3_stmt* q = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, sha256.c_str(), -1, SQLITE_TRANSIENT);
        while (sqlite3_step(q) == SQLITE_ROW) {
          on_row(q);
        }
      }
      sqlite3_finalize(q);
    }
    sqlite3_close(db);
  }

  std::optional<JobRow> job(const std::string& sha256, const std::string& kind) {
    std::optional<JobRow> row;
    query(
        "SELECT state, attempts, coalesce(error, '') FROM analysis_jobs WHERE sha256 = ?1"
        " AND kind = '" +
            kind + "'",
        sha256, [&](sqlite3_stmt* q) {
          row = JobRow{reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                       sqlite3_column_int64(q, 1),
                       reinterpret_cast<const char*>(sqlite3_column_text(q, 2))};
        });
    return row;
  }

  std::string verdict(const std::string& sha256) {
    std::string body;
    query("SELECT body FROM verdicts WHERE sha256 = ?1 ORDER BY analyzer_version DESC LIMIT 1",
          sha256, [&](sqlite3_stmt* q) {
            body.assign(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                        static_cast<std::size_t>(sqlite3_column_bytes(q, 0)));
          });
    return body;
  }

  bool wait_for_state(const std::string& sha256, const std::string& kind, const std::string& state,
                      std::chrono::seconds limit) {
    return wait_until(
        [&] {
          auto row = job(sha256, kind);
          return row && row->state == state;
        },
        limit);
  }

  testing::TempDir dir_{
      "supervision-" +
      std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())};
  int port_ = 0;
};

TEST_F(AnalysisSupervisionTest, ASampleThatKillsItsWorkerIsGivenUpOnWhileTheSensorsServe) {
  std::string sample = std::string(
                           "\x7f"
                           "ELF\x01\x01\x01",
                           7) +
                       std::string(300, 'P') + "pill";
  std::string sha256 = sha256_of(sample);
  auto run = start("[sandbox]\nparallel = 1\n", {"MITSU_WORKER_FAULT=kill:" + sha256});
  upload(sample);
  ASSERT_TRUE(wait_for_state(sha256, "static", "failed", 120s))
      << (job(sha256, "static") ? job(sha256, "static")->state : "no job");
  std::optional<JobRow> failed = job(sha256, "static");
  EXPECT_EQ(failed->error, "gave up after 3 attempts: analysis worker killed by signal 9 (Killed)");
  EXPECT_EQ(failed->attempts, 4);  // three that killed the worker, one that gave up
  expect_served();

  run->send_signal(SIGTERM);
  testing::ProcessResult stopped = run->wait();
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(count(stopped.err, "analysis worker restarted"), 3u) << stopped.err;
  EXPECT_EQ(count(stopped.err, "killed by signal 9 (Killed) while analysing " + sha256), 3u)
      << stopped.err;
  EXPECT_NE(stopped.err.find("analysis workers: 3 restarts, 3 crashes, 0 hangs"), std::string::npos)
      << stopped.err;
}

TEST_F(AnalysisSupervisionTest, ASampleThatHangsItsWorkerIsKilledAndGivenUpOn) {
  std::string sample = std::string(
                           "\x7f"
                           "ELF\x01\x01\x01",
                           7) +
                       std::string(300, 'H') + "hang";
  std::string sha256 = sha256_of(sample);
  auto run = start("job_timeout_s = 1\n[sandbox]\nenabled = false\n",
                   {"MITSU_WORKER_FAULT=hang:" + sha256});
  upload(sample);
  ASSERT_TRUE(wait_for_state(sha256, "static", "failed", 120s));
  EXPECT_EQ(job(sha256, "static")->error,
            "gave up after 3 attempts: hung: killed after 1 s without a result");
  expect_served();

  run->send_signal(SIGTERM);
  testing::ProcessResult stopped = run->wait();
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("analysis workers: 3 restarts, 0 crashes, 3 hangs"), std::string::npos)
      << stopped.err;
}

TEST_F(AnalysisSupervisionTest, AJobCutShortByAStopGoesBackUncounted) {
  std::string sample = std::string(
                           "\x7f"
                           "ELF\x01\x01\x01",
                           7) +
                       std::string(300, 'S') + "stop";
  std::string sha256 = sha256_of(sample);
  auto run = start("[sandbox]\nenabled = false\n", {"MITSU_WORKER_FAULT=hang:" + sha256});
  upload(sample);
  ASSERT_TRUE(wait_for_state(sha256, "static", "running", 120s));
  std::this_thread::sleep_for(300ms);  // the worker has reported the job
  run->send_signal(SIGTERM);  // the worker ignores it (it hangs) and is killed after the grace
  testing::ProcessResult stopped = run->wait();
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  std::optional<JobRow> queued = job(sha256, "static");
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->state, "queued");
  EXPECT_EQ(queued->attempts, 0);
  EXPECT_EQ(queued->error, "interrupted by shutdown");
  EXPECT_NE(stopped.err.find("analysis workers: 0 restarts, 0 crashes, 0 hangs"), std::string::npos)
      << stopped.err;
}

TEST_F(AnalysisSupervisionTest, ADamagedElfWithInvalidUtf8GetsAJsonVerdictWhileSessionsGoOn) {
  std::string sample = damaged_elf();
  std::string sha256 = sha256_of(sample);
  auto run = start("[sandbox]\nparallel = 1\ntime_limit_seconds = 5\n");
  upload(sample);
  expect_served();  // while the sample is queued or analysed
  ASSERT_TRUE(wait_for_state(sha256, "static", "done", 120s))
      << (job(sha256, "static") ? job(sha256, "static")->error : "no job");
  nlohmann::json triaged = nlohmann::json::parse(verdict(sha256), nullptr, false);
  ASSERT_FALSE(triaged.is_discarded()) << verdict(sha256);
  EXPECT_EQ(triaged["hashes"]["sha256"], sha256);
  // The worker's process raised the never-seen alert as it wrote the verdict (issue 16).
  std::int64_t alerts = 0;
  query("SELECT count(*) FROM alerts WHERE rule = 'sample-never-seen' AND key = ?1", sha256,
        [&](sqlite3_stmt* q) { alerts = sqlite3_column_int64(q, 0); });
  EXPECT_EQ(alerts, triaged["known"]["known"] == false ? 1 : 0) << triaged["known"].dump();
  if (triaged["file_type"]["category"] == "elf") {  // then it goes to the sandbox as well
    ASSERT_TRUE(wait_until(
        [&] {
          auto row = job(sha256, "sandbox");
          return row && (row->state == "done" || row->state == "failed");
        },
        120s));
    expect_served();
    nlohmann::json merged = nlohmann::json::parse(verdict(sha256), nullptr, false);
    ASSERT_FALSE(merged.is_discarded()) << verdict(sha256);
    EXPECT_EQ(merged.contains("sandbox"), job(sha256, "sandbox")->state == "done");
  }

  run->send_signal(SIGTERM);
  testing::ProcessResult stopped = run->wait();
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("analysis workers: 0 restarts, 0 crashes, 0 hangs"), std::string::npos)
      << stopped.err;
}

// A sample for a CPU the sandbox has no emulator for: its sandbox job fails, and `mitsu sample`
// says so with the reason (issue 22: the failure was only visible with sqlite3).
TEST_F(AnalysisSupervisionTest, ASandboxFailureIsShownBySample) {
  testing::FakeElf header;
  header.machine = 0x9026;  // Alpha's unofficial number: no IoT CPU, no emulator
  auto bytes = testing::fake_elf(header, std::string(400, 'A') + "no emulator");
  std::string sample(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string sha256 = sha256_of(sample);
  auto run = start("[sandbox]\nparallel = 1\ntime_limit_seconds = 5\n");
  upload(sample);
  ASSERT_TRUE(wait_until(
      [&] {
        auto row = job(sha256, "sandbox");
        return row && (row->state == "done" || row->state == "failed");
      },
      120s))
      << (job(sha256, "static") ? job(sha256, "static")->error : "no static job");
  run->send_signal(SIGTERM);
  ASSERT_EQ(run->wait().exit_code, 0);
  ASSERT_EQ(job(sha256, "sandbox")->state, "failed");

  testing::ProcessResult shown =
      testing::run_process({MITSU_EXE, "--data-dir", data(), "sample", sha256});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("sandbox  failed"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find(job(sha256, "sandbox")->error), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("no emulator for CPU"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("static   done"), std::string::npos) << shown.out;
  testing::ProcessResult as_json =
      testing::run_process({MITSU_EXE, "--data-dir", data(), "sample", sha256, "--json"});
  nlohmann::json doc = nlohmann::json::parse(as_json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << as_json.out;
  EXPECT_EQ(doc["sightings"], 1);
  EXPECT_EQ(doc["seen_in_total"], 1);
  EXPECT_EQ(doc["seen_in"][0]["file"]["hash"]["sha256"], sha256);
  bool failed_sandbox = false;
  for (const auto& j : doc["jobs"]) {
    failed_sandbox |= j["kind"] == "sandbox" && j["state"] == "failed" &&
                      j["error"].get<std::string>().find("no emulator") != std::string::npos;
  }
  EXPECT_TRUE(failed_sandbox) << doc["jobs"].dump();
}

}  // namespace
}  // namespace mitsu

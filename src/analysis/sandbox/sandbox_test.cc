// The sandbox end to end with the behaviour fixtures (tests/fixtures/sandbox). The whole test
// process first moves into an empty network namespace of its own (a second wall: even a
// containment bug cannot send a packet from this machine), and captures prove that nothing the
// samples sent reached that namespace or the host's.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "analysis/sandbox/sandbox_runner.h"
#include "analysis/sandbox_worker.h"
#include "core/event_builder.h"
#include "core/event_parser.h"
#include "core/file_io.h"
#include "core/unique_fd.h"
#include "intel/rollups/rollups.h"
#include "store/store_factory.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::analysis::sandbox {
namespace {

namespace fs = std::filesystem;

// Packets to or from anything a fixture uses: the sandbox net, the documentation ranges.
const char* kFixtureTraffic =
    "net 10.66.0.0/16 or net 192.0.2.0/24 or net 198.51.100.0/24 or net 203.0.113.0/24";

class SandboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      GTEST_SKIP() << "the sandbox needs root";
    }
    // A capture in the host's namespace, started before this process leaves it.
    host_capture_ =
        new testing::ChildProcess({"tcpdump", "-n", "-i", "any", "-w",
                                   (dir().path() / "host.pcap").string(), "-U", kFixtureTraffic});
    // The outer wall: this process's own empty network namespace, loopback only.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << std::strerror(errno);
    ASSERT_EQ(testing::run_process({"ip", "link", "set", "lo", "up"}).exit_code, 0);
    outer_capture_ = new testing::ChildProcess(
        {"tcpdump", "-n", "-i", "any", "-w", (dir().path() / "outer.pcap").string(), "-U"});
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // captures are listening
  }

  static void TearDownTestSuite() {
    for (testing::ChildProcess* capture : {host_capture_, outer_capture_}) {
      if (capture != nullptr) {
        capture->send_signal(SIGINT);
        capture->wait();
        delete capture;
      }
    }
    host_capture_ = outer_capture_ = nullptr;
  }

  static testing::TempDir& dir() {
    static testing::TempDir d("sandbox-test");
    return d;
  }

  nlohmann::json run(const std::string& fixture,
                     std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    SandboxOptions options;
    options.time_limit = limit;
    options.work_dir = dir().path() / "work";
    fs::path sample = fs::path(MITSU_SANDBOX_FIXTURE_DIR) / fixture;
    if (!fs::exists(sample)) {
      sample = fs::path(MITSU_SANDBOX_FIXTURE_SOURCE_DIR) / fixture;
    }
    auto result = run_in_sandbox(sample, dir().path() / "out" / fixture, options);
    EXPECT_TRUE(result) << (result ? "" : result.error());
    return result ? result->report : nlohmann::json();
  }

  static std::vector<const nlohmann::json*> items(const nlohmann::json& report,
                                                  const std::string& tag) {
    std::vector<const nlohmann::json*> out;
    for (const auto& b : report["behaviours"]) {
      if (b["tag"] == tag) {
        out.push_back(&b);
      }
    }
    return out;
  }

  static testing::ChildProcess* host_capture_;
  static testing::ChildProcess* outer_capture_;
};

testing::ChildProcess* SandboxTest::host_capture_ = nullptr;
testing::ChildProcess* SandboxTest::outer_capture_ = nullptr;

class BehaviourFixtures : public SandboxTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(BehaviourFixtures, ReportListsEveryBehaviourWithExactNamesAddressesAndPorts) {
  nlohmann::json r = run("behaviour." + GetParam());
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r["exit"]["reason"], "finished") << r.dump(2);

  auto dns = items(r, "dns_query");
  ASSERT_EQ(dns.size(), 1u) << r.dump(2);
  EXPECT_EQ((*dns[0])["evidence"]["name"], "c2.mitsu-fixture.test");
  EXPECT_EQ((*dns[0])["evidence"]["resolver"], "192.0.2.53");
  std::string sinkhole = (*dns[0])["evidence"]["sinkhole"];

  auto c2 = items(r, "c2_connection");
  ASSERT_EQ(c2.size(), 2u) << r.dump(2);
  EXPECT_EQ((*c2[0])["evidence"]["address"], sinkhole);  // the resolved address
  EXPECT_EQ((*c2[0])["evidence"]["port"], 23);
  EXPECT_EQ((*c2[0])["evidence"]["domain"], "c2.mitsu-fixture.test");
  EXPECT_EQ((*c2[0])["evidence"]["first_bytes"], std::string("\0\0\0\1", 4));
  EXPECT_EQ((*c2[1])["evidence"]["address"], "203.0.113.10");
  EXPECT_EQ((*c2[1])["evidence"]["port"], 4444);
  EXPECT_EQ((*c2[1])["evidence"]["first_bytes"], "HELLO-FIXTURE\n");

  auto scan = items(r, "scanning");
  ASSERT_EQ(scan.size(), 1u);
  EXPECT_EQ((*scan[0])["evidence"]["port"], 23);
  std::vector<std::string> targets = (*scan[0])["evidence"]["targets"];
  std::sort(targets.begin(), targets.end());
  std::vector<std::string> expected;
  for (int i = 1; i <= 8; ++i) {
    expected.push_back("198.51.100." + std::to_string(i));
  }
  EXPECT_EQ(targets, expected);
  EXPECT_EQ((*scan[0])["attack"], "T1046");

  auto renamed = items(r, "process_renamed");
  ASSERT_EQ(renamed.size(), 1u) << r.dump(2);
  EXPECT_EQ((*renamed[0])["evidence"]["name"], "dvrHelper");
  EXPECT_EQ(items(r, "fork").size(), 1u);
  EXPECT_EQ(items(r, "watchdog_access").size(), 1u);
  ASSERT_EQ(items(r, "self_deletion").size(), 1u);
  EXPECT_EQ((*items(r, "self_deletion")[0])["attack"], "T1070.004");
  // Contacted domains become the sample's IOCs.
  EXPECT_EQ(r["domains"], nlohmann::json::array({"c2.mitsu-fixture.test"}));
  // The capture kept next to the report has the whole run.
  EXPECT_GT(fs::file_size(r["pcap"].get<std::string>()), 1000u);
}

INSTANTIATE_TEST_SUITE_P(Cpus, BehaviourFixtures,
                         ::testing::Values("arm.static", "arm.dynamic", "mips.static",
                                           "mips.dynamic", "mipsel.static", "mipsel.dynamic",
                                           "powerpc.static", "powerpc.dynamic", "sh4.static",
                                           "x86_64.static", "x86_64.dynamic"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

TEST_F(SandboxTest, ShellDropperIsReportedWithTheUrlsItFetches) {
  nlohmann::json r = run("dropper.sh");
  auto downloads = items(r, "download_attempt");
  ASSERT_EQ(downloads.size(), 1u) << r.dump(2);
  EXPECT_EQ((*downloads[0])["evidence"]["urls"],
            nlohmann::json::array({"http://dl.mitsu-fixture.test/bins/bot.arm",
                                   "http://dl.mitsu-fixture.test/bins/bot.mips",
                                   "http://dl.mitsu-fixture.test/bins/bot.mipsel",
                                   "http://203.0.113.20:8080/x86"}));
  EXPECT_EQ(items(r, "self_deletion").size(), 1u);
  EXPECT_EQ(items(r, "process_renamed").size(), 0u);  // busybox naming its applets is no disguise
}

TEST_F(SandboxTest, EscapeAttemptsFailAndTheReportSaysSo) {
  // A service on this namespace's loopback, where the fixture tries to connect.
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(39211);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  nlohmann::json r = run("escape.mipsel");
  auto refused = items(r, "jail_write_refused");
  ASSERT_EQ(refused.size(), 1u) << r.dump(2);
  EXPECT_EQ(
      (*refused[0])["evidence"]["paths"],
      nlohmann::json::array({"/bin/mitsu-escape", "/etc/mitsu-escape", "/root/.mitsu-escape"}));
  EXPECT_EQ(items(r, "local_connection_refused").size(), 1u);
  for (const char* path : {"/etc/mitsu-escape", "/bin/mitsu-escape", "/root/.mitsu-escape"}) {
    EXPECT_FALSE(fs::exists(path)) << path;
  }
  // Nobody connected to the service.
  fcntl(listener, F_SETFL, O_NONBLOCK);
  EXPECT_LT(accept(listener, nullptr, nullptr), 0);
  close(listener);
}

TEST_F(SandboxTest, ForkingLoopIsKilledAtTheLimitWithEverythingItStarted) {
  auto started = std::chrono::steady_clock::now();
  nlohmann::json r = run("loop_forever.mipsel", std::chrono::seconds(3));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r["exit"]["reason"], "timed_out");
  EXPECT_LT(seconds, 6.0);
  EXPECT_GT(r["processes"].get<int>(), 5);
  // No process of the sample's uid survives. Hold that uid's lease while looking, or a sandbox
  // run in a parallel test could take the freed uid and be mistaken for a survivor.
  int sample_uid = r["uid"].get<int>();
  UniqueFd lease(
      open(fmt::format("/run/mitsu-sandbox-uids/{}", sample_uid - SandboxOptions{}.uid).c_str(),
           O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(lease);
  ASSERT_EQ(flock(lease.get(), LOCK_EX), 0);
  std::string uid = "\t" + std::to_string(sample_uid) + "\t";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (!std::all_of(name.begin(), name.end(), ::isdigit)) {
      continue;
    }
    std::ifstream status(entry.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Uid:", 0) == 0) {
        EXPECT_EQ(line.find(uid), std::string::npos) << "stray process " << name;
      }
    }
  }
}

// The whole path: a captured ELF is triaged, queued for the sandbox without anyone asking, run,
// and its verdict gains the behaviour report; the C2 name joins its IOCs as malicious and the
// rollups count it as a sandbox-contacted domain.
TEST_F(SandboxTest, CapturedSamplesAreSandboxedAfterStaticTriage) {
  auto store = store::open_stores({.engine = "sqlite", .path = dir().path() / "worker.db"});
  ASSERT_TRUE(store && intel::attach_rollups(*store));
  auto artifacts = artifacts::ArtifactStore::open({dir().path() / "artifacts"});
  auto rules = FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR});
  ASSERT_TRUE(store && artifacts && rules);
  std::vector<std::byte> bytes;
  ASSERT_TRUE(read_file_into(fs::path(MITSU_SANDBOX_FIXTURE_DIR) / "behaviour.mipsel.static",
                             64 << 20, bytes));
  auto put = (*artifacts)->put(bytes);
  ASSERT_TRUE(put);
  std::string sha256 = put->info.sha256;
  Uuid7Generator ids;
  EventBuilder builder({"sensor-1", "lab"}, ids);
  SessionInfo session{ids.next().to_string(),        "telnet", "tcp", "203.0.113.8", 4000, "", 23,
                      {"camera", "Acme", "IPC-2000"}};
  nlohmann::json e = builder.session_event(session, "file.upload", 1'790'000'000'000'000);
  set_field(e, "file.hash.sha256", sha256);
  set_field(e, "file.size", static_cast<std::int64_t>(bytes.size()));
  Event event;
  Rejection why;
  EventParser parser;
  ASSERT_TRUE(parser.parse(to_event_text(e), event, why)) << why.detail;
  std::vector<Event> events{event};
  ASSERT_TRUE(store->unit_of_work->run([&]() -> Status {
    if (Status s = store->events->insert(events); !s) {
      return s;
    }
    const Event* fresh = &events[0];
    if (Status s = store->catalog->apply(std::span(&fresh, 1)); !s) {
      return s;
    }
    return store->rollups->apply(std::span(&fresh, 1));
  }));
  AnalysisWorkerOptions static_options;
  static_options.sandbox = true;
  AnalysisWorker triage(*store->catalog, **artifacts,
                        std::shared_ptr<const FamilyClassifier>(std::move(*rules)), static_options);
  ASSERT_EQ(*triage.run_once(), JobOutcome::kAnalysed);
  SandboxWorkerOptions options;
  options.sandbox.work_dir = dir().path() / "worker-work";
  options.sandbox.time_limit = std::chrono::seconds(20);
  options.reports_dir = dir().path() / "reports";
  SandboxWorker sandbox(*store->catalog, **artifacts, options);
  ASSERT_EQ(*sandbox.run_once(0), JobOutcome::kAnalysed);
  EXPECT_EQ(*sandbox.run_once(0), JobOutcome::kIdle);
  auto verdict = store->catalog->verdict(sha256);
  ASSERT_TRUE(verdict && verdict->has_value());
  auto json = nlohmann::json::parse(**verdict);
  EXPECT_EQ(json["elf"]["arch"], "mipsel");  // the static verdict is kept
  EXPECT_EQ(json["sandbox"]["exit"]["reason"], "finished");
  EXPECT_EQ(json["iocs"]["malicious_domains"], nlohmann::json::array({"c2.mitsu-fixture.test"}));
  EXPECT_TRUE(fs::exists(options.reports_dir / sha256 / "sandbox.pcap"));
  store::RollupQuery q;
  q.measure = store::Measure::kDomains;
  q.group_by = {"domain", "source"};
  auto rows = store->rollups->query(q);
  ASSERT_TRUE(rows);
  bool counted = false;
  for (const auto& row : *rows) {
    counted |= row.keys == std::vector<std::string>{"c2.mitsu-fixture.test", "sandbox"};
  }
  EXPECT_TRUE(counted);
}

// Last: nothing a fixture sent reached the test's namespace or the host's.
TEST_F(SandboxTest, ZzCapturesOutsideTheSandboxSawNoSamplePacket) {
  nlohmann::json r = run("behaviour.mipsel.static");
  EXPECT_FALSE(items(r, "scanning").empty());
  TearDownTestSuite();  // stop both captures, flushing them
  for (const char* capture : {"host.pcap", "outer.pcap"}) {
    fs::path file = dir().path() / capture;
    ASSERT_TRUE(fs::exists(file)) << file;
    auto read = testing::run_process({"tcpdump", "-n", "-r", file.string(), kFixtureTraffic});
    EXPECT_EQ(read.out, "") << capture << " has fixture packets:\n" << read.out;
  }
}

}  // namespace
}  // namespace mitsu::analysis::sandbox

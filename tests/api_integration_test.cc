// The REST API over HTTPS as a client sees it: `mitsu user add` and `mitsu token create` as an
// operator runs them, `mitsu api` and `mitsu run` serving, and real curl verifying the
// self-signed certificate, the security headers, credentials, cookies and CSRF, and limits.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "testing/samba_server.h"
#include "testing/sha256.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

using nlohmann::json;
using testing::ProcessResult;
using testing::run_process;

constexpr const char* kPassword = "correct horse battery staple";

struct Curl {
  int status = 0;
  std::string headers;
  std::string body;
};

class ApiIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessResult made =
        mitsu({"user", "add", "root", "--role", "admin"}, std::string(kPassword) + "\n");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ProcessResult token = mitsu({"token", "create", "--user", "root", "--label", "it"});
    ASSERT_EQ(token.exit_code, 0) << token.err;
    token_ = token.out.substr(0, token.out.find('\n'));
    ASSERT_EQ(token_.rfind("mitsu_", 0), 0u) << token.out;
    ProcessResult sim = mitsu({"simulate", "--days", "2", "--sessions-per-day", "100"});
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
  }

  ProcessResult mitsu(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {MITSU_EXE, "--data-dir", data()});
    return run_process(args, input);
  }
  std::string data() const { return (dir_ / "data").string(); }

  // Starts `mitsu api --port 0` and waits for the line that names its URL.
  void start_api() {
    api_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        MITSU_EXE, "--data-dir", data(), "--log-level", "debug", "api", "--port", "0"});
    std::string line;
    ASSERT_TRUE(api_->read_line(line)) << api_->wait().err;
    std::smatch m;
    ASSERT_TRUE(
        std::regex_match(line, m, std::regex("api (https://127\\.0\\.0\\.1:(\\d+)/api/v1)")))
        << line;
    port_ = m[2];
  }

  // Reads the "api https://127.0.0.1:PORT/api/v1" line `mitsu run` prints; sets port_.
  bool await_api(testing::ChildProcess& run) {
    std::string line;
    if (!run.read_line(line)) {
      ADD_FAILURE() << "mitsu run printed no api line: " << run.wait().err;
      return false;
    }
    std::smatch m;
    if (!std::regex_match(line, m, std::regex("api https://127\\.0\\.0\\.1:(\\d+)/api/v1"))) {
      ADD_FAILURE() << line;
      return false;
    }
    port_ = m[1];
    return true;
  }

  // curl checking the certificate against the one the API made (for the name "localhost").
  Curl curl(const std::string& path, std::vector<std::string> extra = {}) {
    std::string head = (dir_ / "headers.txt").string();
    std::vector<std::string> argv{"curl",       "-sS",
                                  "--max-time", "20",
                                  "--cacert",   data() + "/api-tls/cert.pem",
                                  "--resolve",  "localhost:" + port_ + ":127.0.0.1",
                                  "-D",         head,
                                  "-o",         "-",
                                  "-w",         "\n%{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://localhost:" + port_ + path);
    ProcessResult r = run_process(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Curl c;
    std::size_t cut = r.out.rfind('\n');
    c.body = r.out.substr(0, cut == std::string::npos ? 0 : cut);
    c.status = cut == std::string::npos ? 0 : std::atoi(r.out.c_str() + cut + 1);
    std::ifstream in(head);
    c.headers.assign(std::istreambuf_iterator<char>(in), {});
    return c;
  }
  std::vector<std::string> bearer() const { return {"-H", "Authorization: Bearer " + token_}; }

  // A client holding /api/v1/stream?QUERY open (curl -N) into `file`; returns once the hello
  // frame arrived. read_file(file) gives what came so far.
  std::unique_ptr<testing::ChildProcess> open_stream(const std::string& query,
                                                     const std::string& file) {
    auto stream = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        "curl", "-sS", "-N", "--max-time", "90", "--cacert", data() + "/api-tls/cert.pem",
        "--resolve", "localhost:" + port_ + ":127.0.0.1", "-H", "Authorization: Bearer " + token_,
        "-o", file, "https://localhost:" + port_ + "/api/v1/stream?" + query});
    for (int i = 0; i < 100 && read_file(file).find("event: hello") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_NE(read_file(file).find("event: hello"), std::string::npos) << read_file(file);
    return stream;
  }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  testing::TempDir dir_{"api-it"};
  std::string token_;
  std::string port_;
  std::unique_ptr<testing::ChildProcess> api_;
};

TEST_F(ApiIntegrationTest, ServesHttpsWithItsOwnCertificateAndRefusesWithoutCredentials) {
  start_api();
  struct stat key {};
  ASSERT_EQ(::stat((data() + "/api-tls/key.pem").c_str(), &key), 0);
  EXPECT_EQ(key.st_mode & 0777, 0600u);
  Curl health = curl("/api/v1/health");  // the certificate verified, or curl fails
  EXPECT_EQ(health.status, 200);
  for (const char* header :
       {"strict-transport-security: max-age=", "x-content-type-options: nosniff",
        "cache-control: no-store", "content-security-policy: default-src 'self'"}) {
    std::string lower = health.headers;
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    EXPECT_NE(lower.find(header), std::string::npos) << health.headers;
  }
  EXPECT_EQ(curl("/api/v1/events").status, 401);
  EXPECT_EQ(curl("/api/v1/events", {"-H", "Authorization: Bearer mitsu_x_y"}).status, 401);
  Curl events = curl("/api/v1/events?limit=3&protocol=telnet", bearer());
  ASSERT_EQ(events.status, 200) << events.body;
  json page = json::parse(events.body);
  EXPECT_EQ(page["events"].size(), 3u);
  for (const json& e : page["events"]) {
    EXPECT_EQ(e["network"]["protocol"], "telnet");
  }
  Curl overview = curl("/api/v1/stats/overview", bearer());
  EXPECT_EQ(overview.status, 200);
  EXPECT_EQ(curl("/api/v1/events?limit=0", bearer()).status, 400);
  EXPECT_EQ(curl("/api/v1/samples/%zz", bearer()).status, 400);

  api_->send_signal(SIGTERM);
  ProcessResult stopped = api_->wait();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("api: GET /api/v1/events"), std::string::npos) << stopped.err;
  // The token never reaches the log, not even at debug level.
  EXPECT_EQ(stopped.err.find(token_.substr(6)), std::string::npos);
}

TEST_F(ApiIntegrationTest, BadClientsEndTheirOwnConnectionOnly) {
  start_api();
  std::string big((2 << 20), 'x');
  std::string body_file = (dir_ / "big.json").string();
  std::ofstream(body_file) << big;
  EXPECT_EQ(curl("/api/v1/users",
                 {"-H", "Authorization: Bearer " + token_, "--data-binary", "@" + body_file})
                .status,
            413);
  EXPECT_EQ(curl("/api/v1/health", {"-H", "X-Filler: " + std::string(20000, 'y')}).status, 431);
  // Plain HTTP and garbage on the TLS port.
  ProcessResult plain = run_process({"curl", "-sS", "--max-time", "5", "-o", "/dev/null",
                                     "http://127.0.0.1:" + port_ + "/api/v1/health"});
  EXPECT_NE(plain.exit_code, 0);
  ProcessResult garbage =
      run_process({"bash", "-c", "head -c 4096 /dev/urandom > /dev/tcp/127.0.0.1/" + port_});
  (void)garbage;
  EXPECT_EQ(curl("/api/v1/health").status, 200);  // still serving
}

TEST_F(ApiIntegrationTest, ABrowserLogsInWithACookieAndNeedsTheCsrfTokenToChangeThings) {
  start_api();
  std::string jar = (dir_ / "jar.txt").string();
  Curl wrong = curl("/api/v1/auth/login", {"-H", "Content-Type: application/json", "--data",
                                           R"({"user":"root","password":"not the password"})"});
  EXPECT_EQ(wrong.status, 401);
  Curl login =
      curl("/api/v1/auth/login", {"-c", jar, "-H", "Content-Type: application/json", "--data",
                                  json{{"user", "root"}, {"password", kPassword}}.dump()});
  ASSERT_EQ(login.status, 200) << login.body;
  std::smatch cookie;
  ASSERT_TRUE(std::regex_search(login.headers, cookie, std::regex("[Ss]et-[Cc]ookie: ([^\r\n]+)")));
  for (const char* flag : {"Secure", "HttpOnly", "SameSite=Strict"}) {
    EXPECT_NE(cookie[1].str().find(flag), std::string::npos) << cookie[1];
  }
  std::string csrf = json::parse(login.body)["csrf_token"];
  EXPECT_EQ(curl("/api/v1/auth/me", {"-b", jar}).status, 200);
  std::string user = R"({"name":"ana","role":"analyst","password":"another long password"})";
  const std::string json_type = "Content-Type: application/json";
  EXPECT_EQ(curl("/api/v1/users", {"-b", jar, "-H", json_type, "--data", user}).status, 403);
  EXPECT_EQ(
      curl("/api/v1/users", {"-b", jar, "-H", "X-CSRF-Token: " + csrf, "--data", user}).status,
      415);  // what a cross-site form sends
  EXPECT_EQ(curl("/api/v1/users",
                 {"-b", jar, "-H", "X-CSRF-Token: " + csrf, "-H", json_type, "--data", user})
                .status,
            201);
  ProcessResult users = mitsu({"user", "list", "--json"});
  ASSERT_EQ(users.exit_code, 0);
  EXPECT_EQ(json::parse(users.out)["users"].size(), 2u);
}

// Exploit events as a sensor writes them (docs/examples/events.jsonl), one per signature.
std::string exploit_events(const std::vector<std::string>& rules, int first) {
  std::string out;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    out += fmt::format(
        R"({{"@timestamp":"2026-11-01T00:00:01.900123Z","event":{{"id":"01a19467-ef6c-70ed-a079-{:012x}","action":"exploit"}},)"
        R"("mitsu":{{"schema":1,"session":{{"id":"01a19467-e800-752e-89a7-834df2a74de4"}},"persona":{{"device_type":"camera","vendor":"Acme","model":"IPC-2000"}}}},)"
        R"("observer":{{"name":"sensor-tokyo-1","geo":{{"name":"tokyo"}}}},"network":{{"protocol":"http","transport":"tcp"}},)"
        R"("source":{{"ip":"203.0.113.45","port":51234}},"destination":{{"port":80}},"rule":{{"id":"{}"}}}})"
        "\n",
        first + static_cast<int>(i), rules[i]);
  }
  return out;
}

std::vector<json> read_json_lines(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    out.push_back(json::parse(line));
  }
  return out;
}

TEST_F(ApiIntegrationTest, AWebhookGetsEachAlertOnceThroughAnOutageAndARestart) {
  // A port nobody listens on yet: the receiver is down when the alerts are raised.
  ProcessResult probe = run_process({"python3", "-c",
                                     "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                                     "print(s.getsockname()[1])"});
  std::string hook_port = probe.out.substr(0, probe.out.find('\n'));
  std::string config = (dir_ / "alerts.toml").string();
  std::ofstream(config) << fmt::format(
      "[sensor]\nenabled = false\n[api]\nport = 0\n[[alerts.webhooks]]\nname = \"soc\"\n"
      "url = \"http://127.0.0.1:{}/hook\"\n",
      hook_port);
  auto with_config = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {MITSU_EXE, "--config", config, "--data-dir", data()});
    return args;
  };
  std::string batch1 = (dir_ / "batch1.jsonl").string();
  std::ofstream(batch1) << exploit_events({"cve-2017-a", "cve-2018-b", "cve-2019-c"}, 1);
  ASSERT_EQ(run_process(with_config({"ingest", batch1})).exit_code, 0);

  auto run_until = [&](std::size_t received, const std::string& log, bool start_receiver) {
    testing::ChildProcess run(with_config({"run"}));
    std::string line;
    EXPECT_TRUE(run.read_line(line));  // "api https://…": running
    std::unique_ptr<testing::ChildProcess> receiver;
    if (start_receiver) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // deliveries fail meanwhile
      receiver = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
          "python3", std::string(MITSU_SOURCE_DIR) + "/tests/tools/webhook_receiver.py", hook_port,
          log});
      EXPECT_TRUE(receiver->read_line(line));
    }
    for (int i = 0; i < 300 && read_json_lines(log).size() < received; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // and nothing more comes
    run.send_signal(SIGTERM);
    ProcessResult stopped = run.wait();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    return receiver;
  };
  std::string log = (dir_ / "received.jsonl").string();
  auto receiver = run_until(3, log, true);
  EXPECT_EQ(read_json_lines(log).size(), 3u);

  // More attacks while Mitsu is down: one signature seen before, two new.
  std::string batch2 = (dir_ / "batch2.jsonl").string();
  std::ofstream(batch2) << exploit_events({"cve-2017-a", "cve-2020-d", "cve-2021-e"}, 100);
  ASSERT_EQ(run_process(with_config({"ingest", batch2})).exit_code, 0);
  run_until(5, log, false);
  receiver->send_signal(SIGTERM);
  receiver->wait();

  std::vector<json> got = read_json_lines(log);
  std::set<std::string> keys, titles;
  for (const json& g : got) {
    keys.insert(g["key"].get<std::string>());
    titles.insert(g["body"]["title"].get<std::string>());
    EXPECT_EQ(g["body"]["rule"], "exploit-first-sighting");
  }
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(keys.size(), 5u);  // none twice
  EXPECT_EQ(titles.size(), 5u);
  EXPECT_TRUE(titles.contains("First sighting of exploit signature cve-2021-e"));
}

TEST_F(ApiIntegrationTest, MitsuRunServesTheApiBesideTheCollector) {
  std::string config = (dir_ / "run.toml").string();
  std::ofstream(config) << "[sensor]\nenabled = false\n[api]\nport = 0\n";
  testing::ChildProcess run({MITSU_EXE, "--config", config, "--data-dir", data(), "run"});
  ASSERT_TRUE(await_api(run));
  Curl sensors = curl("/api/v1/sensors", bearer());
  EXPECT_EQ(sensors.status, 200) << sensors.body;
  EXPECT_FALSE(json::parse(sensors.body)["sensors"].empty());
  Curl metrics = curl("/metrics", bearer());
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("mitsu_api_requests_total{code=\"2xx\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(curl("/metrics").status, 401);
  run.send_signal(SIGTERM);
  EXPECT_EQ(run.wait().exit_code, 0);
}

// The live stream as a client holds it open: a real Telnet attack on `mitsu run`'s sensor arrives
// on it as events while it happens, filtered to the protocol asked for. The dashboard's files
// come from the configured directory and nothing else.
TEST_F(ApiIntegrationTest, ARealTelnetAttackArrivesOnTheLiveStreamAndTheDashboardIsServed) {
  std::filesystem::create_directories(dir_ / "dash" / "assets");
  std::ofstream(dir_ / "dash" / "index.html") << "<!doctype html><title>Mitsu</title>";
  std::ofstream(dir_ / "dash" / "assets" / "app.js") << "console.log('mitsu');\n";
  std::ofstream(dir_ / "secret.txt") << "not for the web\n";
  int telnet_port = testing::free_tcp_port();
  std::string config = (dir_ / "live.toml").string();
  std::ofstream(config) << fmt::format(
      "[sensor]\nid = \"live-sensor\"\n[[sensor.listeners]]\npersona = \"ip-camera\"\nport = {}\n"
      "[api]\nport = 0\ndashboard = \"{}\"\n",
      telnet_port, (dir_ / "dash").string());
  testing::ChildProcess run({MITSU_EXE, "--config", config, "--data-dir", data(), "run"});
  ASSERT_TRUE(await_api(run));

  Curl index = curl("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.headers.find("text/html"), std::string::npos) << index.headers;
  EXPECT_EQ(curl("/assets/app.js").body, "console.log('mitsu');\n");
  EXPECT_EQ(curl("/assets/..%2Fsecret.txt").status, 400);
  EXPECT_EQ(curl("/assets/.hidden").status, 400);
  EXPECT_EQ(curl("/assets/missing.js").status, 404);
  EXPECT_EQ(curl("/assets/../secret.txt", {"--path-as-is"}).status, 404);
  EXPECT_EQ(curl("/api/v1/stream").status, 401);
  EXPECT_EQ(curl("/api/v1/stream?kinds=nothing", bearer()).status, 400);

  std::string streamed = (dir_ / "stream.txt").string();
  auto stream = open_stream("kinds=event&protocol=telnet", streamed);
  auto read_stream = [&] { return read_file(streamed); };
  std::string script = fmt::format(
      "(sleep 0.5; printf 'root\\n'; sleep 0.3; printf 'xc3511\\n'; sleep 0.3; "
      "printf 'uname -m\\n'; sleep 0.3; printf 'exit\\n'; sleep 0.5) | telnet 127.0.0.1 {}",
      telnet_port);
  ProcessResult attack = run_process({"timeout", "30", "/bin/sh", "-c", script});
  EXPECT_NE(attack.out.find("login: "), std::string::npos) << attack.out << attack.err;
  std::string got;
  for (int i = 0; i < 150; ++i) {
    got = read_stream();
    if (got.find("\"uname -m\"") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(got.find("\"command_line\":\"uname -m\""), std::string::npos) << got;
  EXPECT_NE(got.find("\"action\":\"login.attempt\""), std::string::npos) << got;
  // Only what was asked for: telnet events, no alerts, no other protocol.
  EXPECT_EQ(got.find("event: alert"), std::string::npos) << got;
  std::istringstream frames(got);
  for (std::string l; std::getline(frames, l);) {
    if (l.starts_with("data: {")) {
      json data = json::parse(l.substr(6));
      if (data.contains("event")) {
        EXPECT_EQ(data["network"]["protocol"], "telnet") << l;
      }
    }
  }
  Curl metrics = curl("/metrics", bearer());
  EXPECT_NE(metrics.body.find("mitsu_live_subscribers 1"), std::string::npos) << metrics.body;
  for (const char* counted :
       {"mitsu_events_stored_total{action=\"command\"}", "mitsu_sessions_open{protocol=\"telnet\"}",
        "mitsu_collector_rejected_total{reason=\"malformed_json\"} 0",
        "mitsu_store_bytes{file=\"mitsu.db\"}"}) {
    EXPECT_NE(metrics.body.find(counted), std::string::npos) << counted << "\n" << metrics.body;
  }
  stream->send_signal(SIGTERM);
  stream->wait();
  run.send_signal(SIGTERM);
  EXPECT_EQ(run.wait().exit_code, 0);
}

// The SambaCry case as the reference platform reconstructed it by hand: real Samba behind the
// recording relay of `mitsu run`, impacket uploading a module, opening it as a pipe by its path
// and deleting it. The sample's case timeline is that whole story, in order, on one page.
TEST_F(ApiIntegrationTest, TheSambaCryDropOnARealDeviceIsOneCaseTimeline) {
  testing::SambaServer samba(dir_ / "samba", testing::free_tcp_port());
  ASSERT_TRUE(samba.running()) << samba.log();
  int smb_port = testing::free_tcp_port();
  std::string config = (dir_ / "smb.toml").string();
  std::ofstream(config) << fmt::format(
      "[sensor]\nid = \"nas-relay\"\n[[sensor.listeners]]\npersona = \"nas\"\nprotocol = \"smb\"\n"
      "port = {}\nbackend = \"127.0.0.1:{}\"\ndevice_share = \"{}\"\nwatch_dir = \"{}\"\n"
      "[api]\nport = 0\n",
      smb_port, samba.port(), samba.share().string(), samba.share().string());
  testing::ChildProcess run({MITSU_EXE, "--config", config, "--data-dir", data(), "run"});
  ASSERT_TRUE(await_api(run));
  ASSERT_TRUE(testing::wait_for_tcp_port(smb_port));
  std::string alerts_file = (dir_ / "alerts.txt").string();
  auto alerts = open_stream("kinds=alert", alerts_file);
  ProcessResult probe =
      run_process({"timeout", "60", "/usr/bin/python3",
                   std::string(MITSU_SOURCE_DIR) + "/src/sensor/protocols/smb/sambacry_probe.py",
                   "127.0.0.1", std::to_string(smb_port), samba.share().string(), "erase"});
  ASSERT_EQ(probe.exit_code, 0) << probe.out << probe.err;
  ASSERT_NE(probe.out.find("erased"), std::string::npos) << probe.out;

  std::string sha256 = testing::sha256_of("not a shared object\n");
  json timeline;
  std::vector<std::string> kinds;
  // The deletion arrives once the watch has seen it and the collector stored it.
  for (int i = 0; i < 100; ++i) {
    Curl t = curl("/api/v1/timeline?sample=" + sha256, bearer());
    if (t.status == 200) {
      timeline = json::parse(t.body);
      kinds.clear();
      for (const json& e : timeline["entries"]) {
        kinds.push_back(e["kind"]);
      }
      if (std::find(kinds.begin(), kinds.end(), "trace_erasure") != kinds.end() &&
          std::find(kinds.begin(), kinds.end(), "session_end") != kinds.end()) {
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(kinds.empty()) << "no timeline for the uploaded sample";
  // In this order (other steps may come between): the session, the upload, the two pipe-open
  // exploits, the deletion; the file appears on the device after the upload and before its
  // deletion. (Where it falls among the exploits is the device watch's timing: the pipe opens
  // can be relayed before the watch reads Samba's close.)
  auto at_of = [&](const std::string& kind) {
    return std::find(kinds.begin(), kinds.end(), kind) - kinds.begin();
  };
  std::vector<std::string> story = {"session", "upload", "exploit", "exploit", "trace_erasure"};
  std::size_t at = 0;
  for (const std::string& k : kinds) {
    at += at < story.size() && k == story[at] ? 1 : 0;
  }
  EXPECT_EQ(at, story.size()) << timeline.dump(1);
  EXPECT_LT(at_of("file_created"), static_cast<std::ptrdiff_t>(kinds.size())) << timeline.dump(1);
  EXPECT_GT(at_of("file_created"), at_of("upload")) << timeline.dump(1);
  EXPECT_LT(at_of("file_created"), at_of("trace_erasure")) << timeline.dump(1);
  EXPECT_EQ(timeline["sessions"].size(), 1u) << timeline.dump(1);
  bool cve = false;
  for (const json& e : timeline["entries"]) {
    cve = cve || (e["kind"] == "exploit" &&
                  e["event"]["vulnerability"]["id"] == json::array({"CVE-2017-7494"}));
  }
  EXPECT_TRUE(cve) << timeline.dump(1);
  // The same case from the device's side.
  Curl device = curl("/api/v1/timeline?sensor=nas-relay", bearer());
  ASSERT_EQ(device.status, 200) << device.body;
  EXPECT_GE(json::parse(device.body)["entries"].size(), kinds.size());
  EXPECT_EQ(curl("/api/v1/timeline?sample=" + sha256 + "&sensor=nas-relay", bearer()).status, 400);
  EXPECT_EQ(curl("/api/v1/timeline", bearer()).status, 400);
  EXPECT_EQ(curl("/api/v1/timeline?src_ip=192.0.2.77", bearer()).status, 404);
  // The live stream carries the alerts ingest raised (the file on the device) and those the
  // analysis worker, another process, raised (a never-seen sample), each once.
  std::map<std::int64_t, std::vector<std::string>> alert_ids;  // id -> rule, per frame
  std::set<std::string> rules;
  for (int i = 0; i < 150; ++i) {
    alert_ids.clear();
    rules.clear();
    std::istringstream frames(read_file(alerts_file));
    std::string event;
    for (std::string l; std::getline(frames, l);) {
      if (l.starts_with("event: ")) {
        event = l.substr(7);
      } else if (event == "alert" && l.starts_with("data: {")) {
        json a = json::parse(l.substr(6));
        alert_ids[a["id"].get<std::int64_t>()].push_back(a["rule"]);
        rules.insert(a["rule"].get<std::string>());
      }
    }
    if (rules.contains("sample-never-seen") && rules.contains("device-file-created")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (const auto& [id, seen] : alert_ids) {
    EXPECT_EQ(seen.size(), 1u) << "alert " << id << " streamed " << seen.size() << " times";
  }
  EXPECT_TRUE(rules.contains("sample-never-seen")) << read_file(alerts_file);
  EXPECT_TRUE(rules.contains("device-file-created")) << read_file(alerts_file);
  alerts->send_signal(SIGTERM);
  alerts->wait();
  run.send_signal(SIGTERM);
  EXPECT_EQ(run.wait().exit_code, 0);
}

// What no single event says, from the watch `mitsu run` keeps: yesterday's injected wave is a
// detected peak, and the simulated sensors that went quiet since are silent. Both reach the
// alert list at once (the first look is at start), and a second start raises neither again.
TEST_F(ApiIntegrationTest, MitsuRunAlertsOnARecentPeakAndOnSilentSensors) {
  std::time_t now = std::time(nullptr);
  auto day = [](std::time_t t) {
    char text[16];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
    return std::string(text);
  };
  std::string yesterday = day(now - 86400);
  ProcessResult sim = mitsu({"simulate", "--from", day(now - 40 * 86400), "--days", "40",
                             "--sessions-per-day", "200", "--peak", yesterday + ":telnet:3"});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  std::string config = (dir_ / "watch.toml").string();
  std::ofstream(config) << "[sensor]\nenabled = false\n[api]\nport = 0\n";
  auto alerts_of = [&](int runs) {
    json alerts;
    for (int run_no = 0; run_no < runs; ++run_no) {
      testing::ChildProcess run({MITSU_EXE, "--config", config, "--data-dir", data(), "run"});
      EXPECT_TRUE(await_api(run));
      for (int i = 0; i < 100; ++i) {
        alerts = json::parse(curl("/api/v1/alerts?state=all", bearer()).body)["alerts"];
        bool peak = false, silent = false;
        for (const json& a : alerts) {
          peak = peak || a["rule"] == "peak-detected";
          silent = silent || a["rule"] == "sensor-silent";
        }
        if (peak && silent) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      // This run's own first look has happened (the alerts may all be the previous run's).
      bool looked = false;
      for (int i = 0; i < 100 && !looked; ++i) {
        looked = std::regex_search(curl("/metrics", bearer()).body,
                                   std::regex("mitsu_alert_watch_looks_total [1-9]"));
        if (!looked) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
      }
      EXPECT_TRUE(looked);
      alerts = json::parse(curl("/api/v1/alerts?state=all", bearer()).body)["alerts"];
      run.send_signal(SIGTERM);
      EXPECT_EQ(run.wait().exit_code, 0);
    }
    return alerts;
  };
  json first = alerts_of(1);
  std::size_t peaks = 0, silent = 0;
  for (const json& a : first) {
    if (a["rule"] == "peak-detected") {
      ++peaks;
      EXPECT_EQ(a["detail"]["day"], yesterday) << a.dump();
      EXPECT_EQ(a["detail"]["fact"], "peak.detected");
    }
    silent += a["rule"] == "sensor-silent" ? 1 : 0;
  }
  EXPECT_GE(peaks, 1u) << first.dump(1);
  EXPECT_GE(silent, 1u) << first.dump(1);
  json second = alerts_of(1);
  std::size_t peaks_after = 0;
  for (const json& a : second) {
    peaks_after += a["rule"] == "peak-detected" ? 1 : 0;
  }
  EXPECT_EQ(peaks_after, peaks) << "a peak alerts once";
  EXPECT_EQ(second.size(), first.size()) << "one alert per silence, across restarts";
}

}  // namespace
}  // namespace mitsu

// Real Samba behind the recording relay, driven by smbclient: the session, the share, the file
// and the upload are events, the uploaded bytes an artifact, the whole session a PCAP-NG file
// tcpdump reads back with every checksum correct.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sensor/persona/shipped_persona.h"
#include "sensor/runtime/sensor_test_fixture.h"
#include "testing/samba_server.h"
#include "testing/sha256.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using mitsu::testing::run_process;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class SmbRelay : public SensorTest {
 protected:
  SmbRelay() : SensorTest("smb-relay") {}

  void SetUp() override {
    ASSERT_TRUE(samba_.running()) << samba_.log();
    auto nas = shipped_persona("nas");
    ASSERT_TRUE(nas) << nas.error();
    options_.personas = {*nas};
    ListenerSpec smb{"smb", "127.0.0.1", 0, 0};
    smb.backend = fmt::format("127.0.0.1:{}", samba_.port());
    smb.device_share = samba_.share().string();
    smb.watch_dir = samba_.share().string();
    options_.listeners = {smb};
    options_.threads = 2;
    options_.recordings_dir = dir_.path() / "recordings";
    start_sensor();
  }

  mitsu::testing::ProcessResult smbclient(const std::string& commands) {
    return run_process({"timeout", "60", "smbclient", "-N", "-p", std::to_string(port_),
                        "//127.0.0.1/share", "-c", commands});
  }

  mitsu::testing::SambaServer samba_{dir_.path() / "samba", mitsu::testing::free_tcp_port()};
};

TEST_F(SmbRelay, SmbclientPutThroughTheRelayIsRecordedDecodedAndKept) {
  std::string payload(300'000, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>((i * 2654435761u) >> 24);
  }
  auto file = dir_.path() / "drop.bin";
  std::ofstream(file, std::ios::binary) << payload;
  auto put = smbclient(fmt::format("put {} drop.bin; ls", file.string()));
  EXPECT_EQ(put.exit_code, 0) << put.out << put.err;
  EXPECT_NE(put.out.find("drop.bin"), std::string::npos) << put.out;
  EXPECT_EQ(read_all(samba_.share() / "drop.bin"), payload) << "the device got the file";

  ASSERT_TRUE(sink_.wait_for("session.close", 1));
  auto sessions = sink_.of("smb.session");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0]["event"]["outcome"], "success");
  EXPECT_EQ(sessions[0]["mitsu"]["smb"]["guest"], true);
  EXPECT_FALSE(sessions[0]["mitsu"]["smb"]["dialects"].empty());
  bool share_seen = false;
  for (const auto& e : sink_.of("smb.tree_connect")) {
    share_seen |= e["mitsu"]["smb"]["share"] == "\\\\127.0.0.1\\share" &&
                  e["mitsu"]["smb"]["share_type"] == "disk";
  }
  EXPECT_TRUE(share_seen);
  bool created = false;
  for (const auto& e : sink_.of("smb.create")) {
    created |= e["file"]["path"] == "\\\\127.0.0.1\\share\\drop.bin";
  }
  EXPECT_TRUE(created);
  auto uploads = sink_.of("file.upload");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0]["file"]["hash"]["sha256"], mitsu::testing::sha256_of(payload));
  EXPECT_EQ(uploads[0]["network"]["protocol"], "smb");
  auto info = store_->info(mitsu::testing::sha256_of(payload));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, payload.size());

  // The recording: a PCAP-NG that tcpdump reads, checksums correct, the payload inside.
  auto closes = sink_.of("session.close");
  std::string recording = closes[0]["mitsu"]["session"]["recording"];
  auto dump = run_process({"tcpdump", "-r", recording, "-nn", "-v"});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("(correct)"), std::string::npos) << dump.out.substr(0, 2000);
  EXPECT_EQ(dump.out.find("incorrect"), std::string::npos);
  EXPECT_NE(dump.out.find(fmt::format("127.0.0.1.{}: Flags [S]", port_)), std::string::npos)
      << dump.out.substr(0, 2000);
  EXPECT_NE(read_all(recording).find(payload.substr(1000, 4000)), std::string::npos);

  // Captured a second time by the watch on the device's share, naming the session.
  ASSERT_TRUE(sink_.wait_for("device.file_created", 1));
  auto watched = sink_.of("device.file_created");
  EXPECT_EQ(watched[0]["file"]["path"], "drop.bin");
  EXPECT_EQ(watched[0]["file"]["hash"]["sha256"], mitsu::testing::sha256_of(payload));
  EXPECT_EQ(watched[0]["mitsu"]["session"]["id"], closes[0]["mitsu"]["session"]["id"]);
  // It changed the device and matched no exploit: a zero-day candidate, with its recording.
  auto candidates = sink_.of("zero_day_candidate");
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(candidates[0]["mitsu"]["zero_day"]["reason"], "device_files_changed");
  EXPECT_EQ(candidates[0]["mitsu"]["session"]["recording"], recording);
}

// A dropper that writes its file and deletes it at once: the watch held the file open from its
// creation, so the bytes are kept, and both the creation and the erasure are events.
TEST_F(SmbRelay, AFileDeletedRightAfterItIsWrittenIsStillCaptured) {
  std::string dropper = "#!/bin/sh\n# imitation dropper: fetches nothing\nrm -f $0\n";
  auto file = dir_.path() / "d.sh";
  std::ofstream(file, std::ios::binary) << dropper;
  auto r = smbclient(fmt::format("put {} d.sh; rm d.sh", file.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(std::filesystem::exists(samba_.share() / "d.sh"));
  ASSERT_TRUE(sink_.wait_for("device.file_deleted", 1));
  auto created = sink_.of("device.file_created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0]["file"]["hash"]["sha256"], mitsu::testing::sha256_of(dropper));
  EXPECT_TRUE(store_->info(mitsu::testing::sha256_of(dropper)));
  EXPECT_EQ(sink_.of("device.file_deleted")[0]["file"]["path"], "d.sh");
}

TEST_F(SmbRelay, ListingSharesOpensThePipeOnIpc) {
  auto list = run_process(
      {"timeout", "60", "smbclient", "-N", "-p", std::to_string(port_), "-L", "//127.0.0.1"});
  EXPECT_NE(list.out.find("IPC$"), std::string::npos) << list.out << list.err;
  ASSERT_TRUE(sink_.wait_for("session.close", 1));
  bool pipe = false;
  for (const auto& e : sink_.of("smb.create")) {
    pipe |= e["mitsu"]["smb"]["pipe"] == true;
  }
  EXPECT_TRUE(pipe);
  EXPECT_TRUE(sink_.of("exploit").empty()) << "a named pipe is not SambaCry";
}

// impacket plays SambaCry: a module-named file uploaded, then opened as a pipe by a wrong and
// by the right absolute path. Both are the exploit; only the second names the upload. Over
// SMB2 and over SMB1, as the classic exploits speak it.
class SmbRelaySambaCry : public SmbRelay, public ::testing::WithParamInterface<const char*> {};

TEST_P(SmbRelaySambaCry, PipePathsAreExploitsWithAndWithoutTheRightPath) {
  std::vector<std::string> argv{
      "timeout",
      "60",
      "/usr/bin/python3",
      std::string(MITSU_SOURCE_DIR) + "/src/sensor/protocols/smb/sambacry_probe.py",
      "127.0.0.1",
      std::to_string(port_),
      samba_.share().string()};
  if (std::string(GetParam()) == "smb1") {
    argv.push_back("smb1");
  }
  auto probe = run_process(argv);
  EXPECT_EQ(probe.exit_code, 0) << probe.out << probe.err;
  EXPECT_NE(probe.out.find("refused /wrong/place/libmitsu_probe.so"), std::string::npos)
      << probe.out;
  ASSERT_TRUE(sink_.wait_for("session.close", 1));
  auto exploits = sink_.of("exploit");
  ASSERT_EQ(exploits.size(), 2u);
  for (const auto& e : exploits) {
    EXPECT_EQ(e["vulnerability"]["id"], nlohmann::json::array({"CVE-2017-7494"}));
  }
  EXPECT_EQ(exploits[0]["file"]["path"], "/wrong/place/libmitsu_probe.so");
  EXPECT_EQ(exploits[0]["mitsu"]["smb"]["matches_upload"], false);
  EXPECT_EQ(exploits[1]["file"]["path"], samba_.share().string() + "/libmitsu_probe.so");
  EXPECT_EQ(exploits[1]["mitsu"]["smb"]["matches_upload"], true);
  EXPECT_EQ(sink_.of("file.upload").size(), 1u);
  EXPECT_TRUE(sink_.of("zero_day_candidate").empty()) << "SambaCry is a known exploit";
  EXPECT_EQ(sink_.of("file.upload")[0]["file"]["hash"]["sha256"],
            mitsu::testing::sha256_of("not a shared object\n"));
}

INSTANTIATE_TEST_SUITE_P(Dialects, SmbRelaySambaCry, ::testing::Values("smb2", "smb1"));

// nmap's SMB scripts through the relay: they see exactly what they see at the real Samba (the
// relay is transparent), and every session they open is recorded.
TEST_F(SmbRelay, NmapSmbScriptsRunThroughTheRelay) {
  auto scripts = [](int port) {
    auto scan = run_process({"timeout", "180", "nmap", "-Pn", "-n", "-p", std::to_string(port),
                             "--script", "smb-vuln-cve-2017-7494,smb-protocols,smb-os-discovery",
                             "--script-args", fmt::format("smbport={}", port), "127.0.0.1"});
    EXPECT_EQ(scan.exit_code, 0) << scan.err;
    std::size_t at = scan.out.find("Host script results:");
    std::string results =
        at == std::string::npos ? scan.out : scan.out.substr(at, scan.out.find("\n\n", at) - at);
    // Scripts finish in any order: compare their lines as a set.
    std::vector<std::string> lines;
    std::istringstream in(results);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    std::string sorted;
    for (const std::string& line : lines) {
      sorted += line + "\n";
    }
    return sorted;
  };
  std::string relayed = scripts(port_);
  EXPECT_NE(relayed.find("smb-protocols"), std::string::npos) << relayed;
  EXPECT_NE(relayed.find("311"), std::string::npos) << "SMB 3.1.1 listed: " << relayed;
  EXPECT_EQ(relayed, scripts(samba_.port()));
  ASSERT_TRUE(sink_.wait_for("session.close", 2));
  for (const auto& e : sink_.of("session.close")) {
    EXPECT_TRUE(e["mitsu"]["session"].contains("recording")) << e.dump();
  }
}

// Not SMB at all on the SMB port: decoding ends with an anomaly, the bytes still reach the
// device and the recording, and the sensor serves the next client as before.
TEST_F(SmbRelay, GarbageEndsDecodingNotTheRelay) {
  auto garbage = run_process(
      {"sh", "-c",
       fmt::format("printf 'GET / HTTP/1.1\\r\\n\\r\\n' | timeout 10 socat - TCP:127.0.0.1:{}",
                   port_)});
  ASSERT_TRUE(sink_.wait_for("anomaly", 1));
  EXPECT_EQ(sink_.of("anomaly")[0]["mitsu"]["anomaly"]["protocol"], "smb");
  auto list = run_process(
      {"timeout", "60", "smbclient", "-N", "-p", std::to_string(port_), "-L", "//127.0.0.1"});
  EXPECT_NE(list.out.find("IPC$"), std::string::npos) << list.out << list.err;
}

TEST(SmbRelayDown, ADeviceThatIsDownIsReportedOnceAndLooksClosed) {
  mitsu::testing::TempDir dir("smb-down");
  auto store = std::move(*artifacts::ArtifactStore::open({dir.path() / "artifacts"}));
  SensorOptions options;
  DevicePersona p;
  p.name = "nas";
  p.device_type = "nas";
  p.vendor = "V";
  p.model = "M";
  options.personas = {p};
  int closed_port = mitsu::testing::free_tcp_port();
  options.listeners = {
      {"smb", "127.0.0.1", 0, 0, false, {}, false, fmt::format("127.0.0.1:{}", closed_port)}};
  MemorySink sink;
  SensorServer server(options, sink, *store, nullptr);
  ASSERT_TRUE(server.start());
  int port = server.bound().at(0).port;
  for (int i = 0; i < 2; ++i) {
    auto r = run_process(
        {"timeout", "20", "smbclient", "-N", "-p", std::to_string(port), "-L", "//127.0.0.1"});
    EXPECT_NE(r.exit_code, 0);
  }
  ASSERT_TRUE(sink.wait_for("session.close", 2));
  EXPECT_EQ(sink.of("device.down").size(), 1u);
  EXPECT_EQ(sink.of("session.close")[0]["mitsu"]["session"]["end_reason"], "device_down");
  server.stop();
}

}  // namespace
}  // namespace mitsu::sensor

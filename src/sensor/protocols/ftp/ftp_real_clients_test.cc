// Real FTP clients against the NAS persona on 127.0.0.1: lftp in passive mode, curl in active
// mode, nmap's ftp-anon script. Uploaded bytes must be artifacts with the same SHA-256.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "sensor/persona/shipped_persona.h"
#include "sensor/runtime/sensor_test_fixture.h"
#include "testing/sha256.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using mitsu::testing::run_process;

class FtpRealClients : public SensorTest {
 protected:
  FtpRealClients() : SensorTest("ftp-clients") {}

  void SetUp() override {
    auto nas = shipped_persona("nas");
    ASSERT_TRUE(nas) << nas.error();
    options_.personas = {*nas};
    options_.listeners = {{"ftp", "127.0.0.1", 0, 0}};
    options_.threads = 2;
    start_sensor();
  }

  std::filesystem::path payload(const std::string& name, std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
      bytes[i] = static_cast<char>((i * 7919 + i / 251) & 0xff);
    }
    auto path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  void expect_kept(const std::filesystem::path& file, const std::string& name) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string sha = mitsu::testing::sha256_of(bytes);
    bool found = false;
    for (const auto& e : sink_.of("file.upload")) {
      if (e["file"]["hash"]["sha256"] == sha) {
        found = true;
        EXPECT_EQ(e["file"]["name"], name);
        EXPECT_EQ(e["network"]["protocol"], "ftp");
      }
    }
    EXPECT_TRUE(found) << name << " not uploaded as " << sha;
    auto info = store_->info(sha);
    ASSERT_TRUE(info) << sha;
    EXPECT_EQ(info->size, bytes.size());
  }
};

TEST_F(FtpRealClients, LftpUploadsInPassiveMode) {
  auto file = payload("mips.bin", 300'000);
  auto result = run_process(
      {"timeout", "60", "lftp", "-u", "admin,admin", "-p", std::to_string(port_), "-e",
       fmt::format("set ftp:ssl-allow no; set ftp:passive-mode on; set net:max-retries 1; "
                   "cd /tmp; put {} -o mips.bin; ls; bye",
                   file.string()),
       "127.0.0.1"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("mips.bin"), std::string::npos) << result.out;
  ASSERT_TRUE(sink_.wait_for("file.upload", 1));
  expect_kept(file, "/tmp/mips.bin");
  auto logins = sink_.of("login.attempt");
  ASSERT_FALSE(logins.empty());
  EXPECT_EQ(logins.back()["event"]["outcome"], "success");
}

TEST_F(FtpRealClients, CurlUploadsInActiveModeAndReadsBack) {
  auto file = payload("arm7", 70'000);
  auto up =
      run_process({"timeout", "60", "curl", "-sS", "--ftp-port", "127.0.0.1", "-T", file.string(),
                   "--user", "root:admin", fmt::format("ftp://127.0.0.1:{}/tmp/arm7", port_)});
  EXPECT_EQ(up.exit_code, 0) << up.err;
  ASSERT_TRUE(sink_.wait_for("file.upload", 1));
  expect_kept(file, "/tmp/arm7");
  // Each connection has its own view: the persona's files are served, uploads stay private.
  auto down = run_process({"timeout", "60", "curl", "-sS", "--user", "anonymous:x",
                           fmt::format("ftp://127.0.0.1:{}/etc/passwd", port_)});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("root:"), std::string::npos) << down.out;
  std::vector<std::string> verbs;
  for (const auto& e : sink_.of("ftp.command")) {
    verbs.push_back(e["mitsu"]["ftp"]["verb"]);
  }
  EXPECT_NE(std::find(verbs.begin(), verbs.end(), "EPRT"), verbs.end());
  EXPECT_NE(std::find(verbs.begin(), verbs.end(), "STOR"), verbs.end());
  EXPECT_NE(std::find(verbs.begin(), verbs.end(), "RETR"), verbs.end());
}

TEST_F(FtpRealClients, NmapFtpAnonAndServiceDetection) {
  auto scan =
      run_process({"timeout", "120", "nmap", "-sV", "-Pn", "-n", "--version-light", "--script",
                   "ftp-anon,banner", "-p", std::to_string(port_), "127.0.0.1"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_NE(scan.out.find("vsftpd 3.0.2"), std::string::npos) << scan.out;
  EXPECT_NE(scan.out.find("Anonymous FTP login allowed"), std::string::npos) << scan.out;
  EXPECT_NE(scan.out.find("banner: 220 (vsFTPd 3.0.2)"), std::string::npos) << scan.out;
}

}  // namespace
}  // namespace mitsu::sensor

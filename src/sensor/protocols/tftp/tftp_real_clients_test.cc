// Real TFTP clients against the sensor on 127.0.0.1: tftp-hpa and busybox push files (as bots
// do with `tftp -p`) and fetch the persona's; pushed bytes must be artifacts with their SHA-256.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "sensor/persona/test_persona.h"
#include "sensor/runtime/sensor_test_fixture.h"
#include "testing/sha256.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using mitsu::testing::run_process;

class TftpRealClients : public SensorTest {
 protected:
  TftpRealClients() : SensorTest("tftp-clients") {}

  void SetUp() override {
    DevicePersona p = test_persona("router", "mips", "R");
    p.directories = {"/tftpboot"};
    p.files = {{"/tftpboot/config.bin", payload(5000), 0644}};
    options_.personas = {p};
    options_.listeners = {{"tftp", "127.0.0.1", 0, 0}};
    options_.threads = 1;
    start_sensor();
  }

  static std::string payload(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
      bytes[i] = static_cast<char>((i * 131 + i / 509) & 0xff);
    }
    return bytes;
  }

  void expect_uploaded(const std::string& bytes, const std::string& name) {
    ASSERT_TRUE(sink_.wait_for("file.upload", 1));
    std::string sha = mitsu::testing::sha256_of(bytes);
    auto uploads = sink_.of("file.upload");
    ASSERT_EQ(uploads.size(), 1u);
    EXPECT_EQ(uploads[0]["file"]["hash"]["sha256"], sha);
    EXPECT_EQ(uploads[0]["file"]["name"], name);
    EXPECT_EQ(uploads[0]["network"]["transport"], "udp");
    auto info = store_->info(sha);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size, bytes.size());
    ASSERT_TRUE(sink_.wait_for("session.close", 1));
    EXPECT_EQ(sink_.of("session.close")[0]["mitsu"]["session"]["end_reason"], "complete");
  }
};

TEST_F(TftpRealClients, TftpHpaPutsAndGets) {
  std::string bytes = payload(70'000);  // 137 blocks: more than one byte of block numbers
  auto file = dir_.path() / "bot.mips";
  std::ofstream(file, std::ios::binary) << bytes;
  auto put = run_process({"timeout", "30", "tftp", "-m", "binary", "127.0.0.1",
                          std::to_string(port_), "-c", "put", file.string(), "bot.mips"});
  EXPECT_EQ(put.exit_code, 0) << put.out << put.err;
  expect_uploaded(bytes, "/tftpboot/bot.mips");

  auto got = dir_.path() / "config.bin";
  auto get = run_process({"timeout", "30", "tftp", "-m", "binary", "127.0.0.1",
                          std::to_string(port_), "-c", "get", "config.bin", got.string()});
  EXPECT_EQ(get.exit_code, 0) << get.out << get.err;
  std::ifstream in(got, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), payload(5000));
  auto requests = sink_.of("tftp.request");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["mitsu"]["tftp"]["operation"], "write");
  EXPECT_EQ(requests[1]["mitsu"]["tftp"]["operation"], "read");
}

TEST_F(TftpRealClients, BusyboxPushesWithNegotiatedBlockSize) {
  std::string bytes = payload(20'000);
  auto file = dir_.path() / "x.sh";
  std::ofstream(file, std::ios::binary) << bytes;
  auto put = run_process({"timeout", "30", "busybox", "tftp", "-b", "1400", "-p", "-l",
                          file.string(), "-r", "/tmp/x.sh", "127.0.0.1", std::to_string(port_)});
  EXPECT_EQ(put.exit_code, 0) << put.out << put.err;
  expect_uploaded(bytes, "/tmp/x.sh");
  auto requests = sink_.of("tftp.request");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["mitsu"]["tftp"]["options"]["blksize"], "1400");
}

TEST_F(TftpRealClients, MissingFileIsAnErrorNotASilence) {
  auto got = dir_.path() / "none";
  auto get = run_process({"timeout", "30", "tftp", "-m", "binary", "127.0.0.1",
                          std::to_string(port_), "-c", "get", "nothing-here", got.string()});
  EXPECT_NE(get.out.find("File not found"), std::string::npos) << get.out << get.err;
  ASSERT_TRUE(sink_.wait_for("session.close", 1));
  EXPECT_EQ(sink_.of("session.close")[0]["mitsu"]["session"]["end_reason"], "protocol_error");
}

}  // namespace
}  // namespace mitsu::sensor

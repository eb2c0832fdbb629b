#include "app/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/byte_size.h"
#include "testing/temp_dir.h"

namespace mitsu::app {
namespace {

TEST(Config, DefaultsNeedNoFile) {
  Config config;
  config.resolve_paths();
  EXPECT_EQ(config.spool.dir, std::filesystem::path("mitsu-data/spool"));
  EXPECT_EQ(config.store_path, std::filesystem::path("mitsu-data/mitsu.db"));
  EXPECT_EQ(config.spool.fsync, spool::FsyncPolicy::kAlways);
}

TEST(Config, ShippedExampleParses) {
  auto config = load_config(std::string(MITSU_SOURCE_DIR) + "/etc/mitsu.example.toml");
  ASSERT_TRUE(config.ok()) << config.error();
}

TEST(Config, SensorListenersAndDownloads) {
  auto config = parse_config(R"(
[sensor]
listen = "0.0.0.0"
user = "nobody"
max_sessions_per_source = 5
idle_timeout_s = 30
request_timeout_s = 7
[[sensor.listeners]]
persona = "ip-camera"
port = 23
proxy_protocol = true
proxy_from = ["10.0.0.5/32"]
[[sensor.listeners]]
persona = "nas"
protocol = "ssh"
port = 22
[download]
allow = ["127.0.0.1/32"]
max_bytes = "1MiB"
)",
                             "t.toml");
  ASSERT_TRUE(config.ok()) << config.error();
  const SensorSettings& s = config->sensors;
  EXPECT_EQ(s.listen, "0.0.0.0");
  EXPECT_EQ(s.user, "nobody");
  EXPECT_EQ(s.limits.max_sessions_per_source, 5u);
  EXPECT_EQ(s.limits.idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(s.limits.request_timeout, std::chrono::seconds(7));
  ASSERT_EQ(s.listeners.size(), 2u);
  EXPECT_EQ(s.listeners[0].port, 23);
  EXPECT_TRUE(s.listeners[0].proxy_protocol);
  EXPECT_EQ(s.listeners[0].proxy_from, std::vector<std::string>{"10.0.0.5/32"});
  EXPECT_EQ(s.listeners[1].protocol, "ssh");
  EXPECT_EQ(s.download_options.allow, std::vector<std::string>{"127.0.0.1/32"});
  EXPECT_EQ(s.download_options.max_bytes, 1u << 20);

  auto bad = parse_config("[[sensor.listeners]]\npersona = \"x\"\nprotocol = \"smtp\"\n", "b.toml");
  ASSERT_FALSE(bad.ok());
  // A prefix: a test may have registered a protocol of its own after tftp.
  EXPECT_TRUE(bad.error().starts_with(
      "b.toml:3:12: sensor.listeners.protocol: must be a registered protocol (ftp, http, smb, "
      "ssdp, ssh, telnet, tftp"))
      << bad.error();
}

TEST(Config, ReadsEveryKey) {
  auto config = parse_config(R"(
data_dir = "/var/lib/mitsu"
log_level = "debug"
[sensor]
id = "cam-01"
site = "osaka"
[spool]
dir = "/spool"
fsync = "interval"
fsync_interval_ms = 50
segment_bytes = "8MiB"
[store]
engine = "sqlite"
path = "/db/m.db"
synchronous = "normal"
[artifacts]
dir = "/art"
max_bytes = 1048576
[analysis]
rules_dirs = ["/rules/ours"]
watchlist = "/etc/acme.toml"
lease_seconds = 60
max_attempts = 5
job_timeout_s = 45
restart_backoff_ms = 250
[collector]
batch_records = 777
)",
                             "test.toml");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->data_dir, "/var/lib/mitsu");
  EXPECT_EQ(config->sensor.sensor_id, "cam-01");
  EXPECT_EQ(config->sensor.site, "osaka");
  EXPECT_EQ(config->spool.fsync, spool::FsyncPolicy::kInterval);
  EXPECT_EQ(config->spool.fsync_interval.count(), 50);
  EXPECT_EQ(config->spool.segment_bytes, 8u << 20);
  EXPECT_EQ(config->store_path, "/db/m.db");
  EXPECT_EQ(config->sqlite.synchronous, "normal");
  EXPECT_EQ(config->artifacts.max_bytes, 1048576u);
  EXPECT_EQ(config->collector.batch_records, 777u);
  ASSERT_EQ(config->rules_dirs.size(), 1u);
  EXPECT_EQ(config->rules_dirs[0], "/rules/ours");
  EXPECT_EQ(config->watchlist, "/etc/acme.toml");
  EXPECT_EQ(config->analysis.lease.count(), 60);
  EXPECT_EQ(config->analysis.max_attempts, 5);
  EXPECT_EQ(config->workers.job_timeout.count(), 45);
  EXPECT_EQ(config->workers.restart_backoff.count(), 250);
}

struct BadConfig {
  const char* name;
  const char* text;
  const char* expected;  // substring of the error
};

void PrintTo(const BadConfig& config, std::ostream* out) {
  *out << config.name;
}

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, NameFileLineAndKey) {
  auto config = parse_config(GetParam().text, "site.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find(GetParam().expected), std::string::npos) << config.error();
  EXPECT_EQ(config.error().rfind("site.toml:", 0), 0u) << config.error();
  EXPECT_EQ(config.error_kind(), ErrorKind::kInvalidInput);  // the user's to fix: a 400
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrors,
    ::testing::Values(
        BadConfig{"UnknownFsyncPolicy", "[spool]\nfsync = \"sometimes\"\n",
                  "site.toml:2:9: spool.fsync: must be \"always\", \"interval\" or \"never\""},
        BadConfig{"MisspelledKey", "[spool]\nfsyncc = \"always\"\n",
                  "site.toml:2:10: spool.fsyncc: unknown key"},
        BadConfig{"UnknownTable", "[sensr]\nid = \"x\"\n", "sensr: unknown key"},
        BadConfig{"WrongType", "[sensor]\nid = 5\n", "site.toml:2:6: sensor.id: expected a string"},
        BadConfig{"BadIdentifier", "[sensor]\nid = \"has space\"\n", "sensor.id: must match"},
        BadConfig{"OutOfRange", "[collector]\nbatch_records = 0\n",
                  "collector.batch_records: must be between"},
        BadConfig{"BadSize", "[spool]\nsegment_bytes = \"lots\"\n",
                  "spool.segment_bytes: expected a size"},
        BadConfig{"UnavailableEngine", "[store]\nengine = \"clickhouse\"\n",
                  "store.engine: unknown engine; this build has: sqlite, postgres"},
        BadConfig{"ScalarForTable", "sensor = 3\n", "sensor: expected a table"},
        BadConfig{"SyntaxError", "[spool\nfsync = 1\n", "site.toml:1:"},  // TOML syntax error
        BadConfig{"BadLogLevel", "log_level = \"loud\"\n", "log_level: must be"}),
    [](const ::testing::TestParamInfo<BadConfig>& info) { return std::string(info.param.name); });

TEST(Config, MissingFileIsAClearError) {
  auto config = load_config("/nonexistent/mitsu.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("/nonexistent/mitsu.toml"), std::string::npos);
  EXPECT_EQ(config.error_kind(), ErrorKind::kNotFound);
}

TEST(Config, Sizes) {
  EXPECT_EQ(parse_size("64MiB"), 64u << 20);
  EXPECT_EQ(parse_size("1GB"), 1'000'000'000u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_FALSE(parse_size("MiB"));
  EXPECT_FALSE(parse_size("12 MiB"));
  EXPECT_FALSE(parse_size("99999999999999999999"));
}

}  // namespace
}  // namespace mitsu::app

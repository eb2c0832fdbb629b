// SSDP as a reflector, measured: spoof-style M-SEARCH floods from many loopback addresses that
// never complete a TCP handshake must get back no more bytes than they sent; a source that has
// fetched the description gets full answers, still rate-limited.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "sensor/persona/shipped_persona.h"
#include "sensor/runtime/sensor_test_fixture.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using namespace std::chrono_literals;

// A UDP socket bound to one loopback address: a stand-in for one spoofed victim address.
class Source {
 public:
  explicit Source(const std::string& address) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Source() { ::close(fd_); }
  bool bound() const { return bound_; }
  std::size_t send(int port, std::string_view bytes) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    ssize_t n =
        ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  // Every datagram that arrives within `quiet` of the previous one.
  std::vector<std::string> drain(std::chrono::milliseconds quiet) {
    std::vector<std::string> out;
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
      char buffer[2048];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        break;
      }
      out.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

constexpr std::string_view kSearchAll =
    "M-SEARCH * HTTP/1.1\r\nHOST:239.255.255.250:1900\r\nMAN:\"ssdp:discover\"\r\nMX:1\r\n"
    "ST:ssdp:all\r\n\r\n";

class SsdpReflection : public SensorTest {
 protected:
  SsdpReflection() : SensorTest("ssdp-reflection") {}

  void SetUp() override {
    auto router = shipped_persona("home-router", "ssdp-seed");
    ASSERT_TRUE(router) << router.error();
    options_.personas = {*router};
    options_.listeners = {{"http", "127.0.0.1", 0, 0}, {"ssdp", "127.0.0.1", 0, 0}};
    options_.threads = 1;
    start_sensor();
    http_port_ = port_;
    ssdp_port_ = server_->bound().at(1).port;
  }

  int http_port_ = 0;
  int ssdp_port_ = 0;
};

TEST_F(SsdpReflection, UnprovenSourcesNeverGetMoreBytesThanTheySent) {
  constexpr int kSources = 16;
  constexpr int kRequestsEach = 300;
  std::vector<std::unique_ptr<Source>> sources;
  for (int i = 0; i < kSources; ++i) {
    sources.push_back(std::make_unique<Source>(fmt::format("127.0.3.{}", 10 + i)));
    ASSERT_TRUE(sources.back()->bound());
  }
  std::vector<std::size_t> sent(kSources), received(kSources);
  for (int round = 0; round < kRequestsEach; ++round) {
    for (int i = 0; i < kSources; ++i) {
      sent[i] += sources[i]->send(ssdp_port_, kSearchAll);
    }
    if (round % 50 == 49) {
      std::this_thread::sleep_for(20ms);  // let the kernel's socket buffers drain
    }
  }
  std::size_t total_sent = 0, total_received = 0, replies = 0;
  for (int i = 0; i < kSources; ++i) {
    for (const std::string& d : sources[i]->drain(100ms)) {
      received[i] += d.size();
      ++replies;
      EXPECT_EQ(d.find("SERVER:"), std::string::npos) << "unproven sources get compact replies";
    }
    EXPECT_LE(received[i], sent[i]) << "source " << i;
    total_sent += sent[i];
    total_received += received[i];
  }
  EXPECT_GT(replies, 0u) << "a budget earned is spent: the guard does answer";
  std::printf(
      "ssdp flood: %d sources x %d M-SEARCH ssdp:all = %zu bytes in, %zu replies = %zu "
      "bytes out (amplification %.3f)\n",
      kSources, kRequestsEach, total_sent, replies, total_received,
      static_cast<double>(total_received) / static_cast<double>(total_sent));
  // The flood is recorded, at a bounded rate, with the rest counted.
  ASSERT_TRUE(sink_.wait_for("ssdp.request", kSources));
  EXPECT_LT(sink_.of("ssdp.request").size(), static_cast<std::size_t>(kSources * kRequestsEach));
}

TEST_F(SsdpReflection, ASourceThatFetchedTheDescriptionGetsFullAnswers) {
  Source source("127.0.3.90");
  ASSERT_TRUE(source.bound());
  // The TCP fetch, from the same address.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.3.90", &local.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(http_port_));
  ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server), 0);
  std::string get = "GET /rootDesc.xml HTTP/1.0\r\n\r\n";
  ASSERT_EQ(::send(fd, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
  std::string description;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    description.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_NE(description.find("InternetGatewayDevice:1"), std::string::npos) << description;

  std::size_t sent = source.send(ssdp_port_, kSearchAll);
  auto replies = source.drain(300ms);
  ASSERT_EQ(replies.size(), 6u);  // root, uuid, device type and three services
  std::size_t bytes = 0;
  for (const std::string& r : replies) {
    bytes += r.size();
    EXPECT_NE(r.find("SERVER: Linux/2.6.36 UPnP/1.0 miniupnpd/1.9"), std::string::npos) << r;
    EXPECT_NE(r.find(fmt::format("LOCATION: http://127.0.0.1:{}/rootDesc.xml", http_port_)),
              std::string::npos)
        << r;
  }
  EXPECT_GT(bytes, sent);
}

}  // namespace
}  // namespace mitsu::sensor

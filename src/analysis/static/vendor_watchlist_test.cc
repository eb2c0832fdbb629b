#include "analysis/static/vendor_watchlist.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/sample_fixtures.h"
#include "testing/temp_dir.h"

namespace mitsu::analysis {
namespace {

TEST(VendorWatchlist, ShippedExampleLoads) {
  auto profile =
      load_vendor_profile(std::string(MITSU_SOURCE_DIR) + "/etc/vendor-watchlist.example.toml");
  ASSERT_TRUE(profile.ok()) << profile.error();
  EXPECT_FALSE(profile->default_credentials.empty());
}

TEST(VendorWatchlist, MarksSamplesCarryingOurDefaultCredentials) {
  VendorProfile acme{"Acme", {"IPC-2000"}, {"BDR500"}, {{"admin", "acme1234"}}, {}, {}};
  // Credential tables hidden with XOR, next to the words that give the key away.
  auto ours = testing::fake_elf(
      {}, testing::string_table({"/proc/", "/dev/watchdog", "root", "xc3511", "admin", "acme1234"},
                                0x22));
  auto theirs = testing::fake_elf(
      {},
      testing::string_table({"/proc/", "/dev/watchdog", "root", "xc3511", "admin", "admin"}, 0x22));
  WatchlistVerdict hit = match_watchlist(acme, analyze_strings(ours));
  EXPECT_TRUE(hit.targets_our_products);
  ASSERT_EQ(hit.hits.size(), 1u);
  EXPECT_EQ(hit.hits[0].kind, "default_credential");
  EXPECT_EQ(hit.hits[0].term, "admin/acme1234");
  EXPECT_FALSE(match_watchlist(acme, analyze_strings(theirs)).targets_our_products);
}

TEST(VendorWatchlist, MatchesProductsAndPathsCaseInsensitively) {
  VendorProfile acme{"Acme", {"IPC-2000"}, {}, {}, {"/cgi-bin/acme_cfg.cgi"}, {}};
  std::string text = "GET /CGI-BIN/ACME_CFG.CGI?cmd=wget HTTP/1.1 ipc-2000";
  WatchlistVerdict v = match_watchlist(acme, analyze_strings(std::as_bytes(std::span(text))));
  ASSERT_EQ(v.hits.size(), 2u);
  EXPECT_EQ(v.hits[0].kind, "product");
  EXPECT_EQ(v.hits[1].kind, "url_path");
}

TEST(VendorWatchlist, ProfileErrorsNameFileLineAndKey) {
  testing::TempDir dir("watchlist");
  std::ofstream(dir / "w.toml") << "vendor = \"Acme\"\ndefault_credentials = [[\"admin\"]]\n";
  auto profile = load_vendor_profile(dir / "w.toml");
  ASSERT_FALSE(profile.ok());
  EXPECT_NE(profile.error().find("w.toml:2:"), std::string::npos) << profile.error();
  EXPECT_NE(profile.error().find("default_credentials"), std::string::npos);
}

}  // namespace
}  // namespace mitsu::analysis

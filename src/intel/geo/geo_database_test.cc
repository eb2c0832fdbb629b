#include "intel/geo/geo_database.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace mitsu::intel {
namespace {

std::filesystem::path write(const std::filesystem::path& file, std::string_view text) {
  std::ofstream(file) << text;
  return file;
}

TEST(GeoDatabase, CountryAndAsnFromCsvRangesInBothFamilies) {
  testing::TempDir dir("geo");
  auto country = write(dir.path() / "country.csv",
                       "1.0.0.0,1.0.0.255,AU\n"
                       "36.0.0.0,36.255.255.255,CN\n"
                       "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,JP\n");
  auto asn =
      write(dir.path() / "asn.csv",
            "36.0.0.0,36.0.255.255,4134,\"Chinanet, Backbone\"\n"
            "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
            "2001:db8:1::,2001:db8:1:ffff:ffff:ffff:ffff:ffff,64500,\"Doc \"\"v6\"\" Net\"\n");
  auto resolver = open_geo_resolver({country, asn});
  ASSERT_TRUE(resolver) << resolver.error();

  EXPECT_EQ((*resolver)->lookup("36.0.1.2"), (GeoInfo{"CN", 4134, "Chinanet, Backbone"}));
  EXPECT_EQ((*resolver)->lookup("36.1.0.1"), (GeoInfo{"CN", 0, ""}));  // no ASN range there
  EXPECT_EQ((*resolver)->lookup("1.0.0.255"), (GeoInfo{"AU", 13335, "Cloudflare, Inc."}));
  EXPECT_EQ((*resolver)->lookup("1.0.1.0"), GeoInfo{});
  EXPECT_EQ((*resolver)->lookup("2001:db8:1::5"), (GeoInfo{"JP", 64500, "Doc \"v6\" Net"}));
  EXPECT_EQ((*resolver)->lookup("not an address"), GeoInfo{});
  // Repeated addresses come from the cache.
  (*resolver)->lookup("36.0.1.2");
  EXPECT_EQ((*resolver)->cache_hits(), 1u);
  EXPECT_EQ((*resolver)->cache_misses(), 6u);
}

TEST(GeoDatabase, BadFilesAreNamedInTheError) {
  testing::TempDir dir("geo");
  auto missing = open_geo_resolver({dir.path() / "nope.mmdb"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("nope.mmdb does not exist"), std::string::npos);
  auto bad = write(dir.path() / "bad.csv", "1.0.0.0,1.0.0.255,AU\nnot,a,range\n");
  auto broken = open_geo_resolver({bad});
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find("bad.csv:2:"), std::string::npos) << broken.error();
  auto not_mmdb = write(dir.path() / "x.mmdb", "garbage");
  auto unreadable = open_geo_resolver({not_mmdb});
  ASSERT_FALSE(unreadable);
  EXPECT_NE(unreadable.error().find("x.mmdb"), std::string::npos);
}

// The free default data scripts/install-geo.sh installs (ip-location-db: MMDB + CSV).
TEST(GeoDatabase, InstalledDefaultDataAnswersThroughLibmaxminddb) {
  std::filesystem::path dir = "/var/lib/mitsu/geo";
  if (!std::filesystem::exists(dir / "geo-whois-asn-country.mmdb")) {
    GTEST_SKIP() << "scripts/install-geo.sh has not installed " << dir;
  }
  auto resolver = open_geo_resolver(
      {dir / "geo-whois-asn-country.mmdb", dir / "asn-ipv4.csv", dir / "asn-ipv6.csv"});
  ASSERT_TRUE(resolver) << resolver.error();
  // Cloudflare's resolver: registered in Australia (APNIC's 1.0.0.0/24), AS13335.
  const GeoInfo& cloudflare = (*resolver)->lookup("1.0.0.1");
  EXPECT_EQ(cloudflare.country, "AU");
  EXPECT_EQ(cloudflare.asn, 13335u);
  const GeoInfo& google = (*resolver)->lookup("2001:4860:4860::8888");
  EXPECT_EQ(google.country, "US");
  EXPECT_EQ(google.asn, 15169u);
  EXPECT_EQ((*resolver)->lookup("192.0.2.1"), GeoInfo{});  // documentation range: nowhere
}

}  // namespace
}  // namespace mitsu::intel

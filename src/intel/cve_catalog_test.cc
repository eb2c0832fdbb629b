// The disclosure catalogue: the shipped file loads whole, and a broken entry names file, line and
// key instead of being skipped (a peak would then go unexplained without anyone knowing why).

#include "intel/cve_catalog.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace mitsu::intel {
namespace {

TEST(CveCatalog, ShippedCatalogueLoadsEveryEntry) {
  auto catalog = load_cve_catalog(MITSU_DEFAULT_CVE_CATALOG);
  ASSERT_TRUE(catalog) << catalog.error();
  EXPECT_GE(catalog->size(), 20u);
  for (const CveEntry& e : *catalog) {
    EXPECT_TRUE(e.id.starts_with("CVE-")) << e.id;
    EXPECT_GT(e.published_day, 365 * 30) << e.id;  // after 2000
    EXPECT_FALSE(e.protocol.empty()) << e.id;
  }
}

struct BadCatalogue {
  const char* name;
  const char* text;
  const char* expected;
};

void PrintTo(const BadCatalogue& c, std::ostream* out) {
  *out << c.name;
}

class CveCatalogErrors : public ::testing::TestWithParam<BadCatalogue> {};

TEST_P(CveCatalogErrors, NameFileLineAndKey) {
  mitsu::testing::TempDir dir("cve-catalog");
  std::ofstream(dir.path() / "cves.toml") << GetParam().text;
  auto catalog = load_cve_catalog(dir.path() / "cves.toml");
  ASSERT_FALSE(catalog);
  EXPECT_NE(catalog.error().find(GetParam().expected), std::string::npos) << catalog.error();
  EXPECT_EQ(catalog.error_kind(), ErrorKind::kInvalidInput);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CveCatalogErrors,
    ::testing::Values(
        BadCatalogue{"DateAsString",
                     "[[cve]]\nid = \"CVE-2017-17215\"\npublished = \"2017-12-21\"\n"
                     "protocol = \"http\"\n",
                     "cves.toml:3:13: cve.published: expected a date"},
        BadCatalogue{"PortOutOfRange",
                     "[[cve]]\nid = \"CVE-1\"\npublished = 2017-12-21\nprotocol = \"http\"\n"
                     "ports = [70000]\n",
                     "cves.toml:5:10: cve.ports: must be between 0 and 65535"},
        BadCatalogue{"MissingProtocol", "[[cve]]\nid = \"CVE-1\"\npublished = 2017-12-21\n",
                     "needs id (string), published (date) and protocol (string)"},
        BadCatalogue{"MisspelledKey",
                     "[[cve]]\nid = \"CVE-1\"\npublished = 2017-12-21\nprotocol = \"http\"\n"
                     "prodcut = \"x\"\n",
                     "cves.toml:5:11: cve.prodcut: unknown key"},
        BadCatalogue{"ScalarEntry", "cve = [1]\n", "cve: expected a table"},
        BadCatalogue{"OtherTable", "[vendors]\nx = 1\n", "expected only [[cve]] entries"},
        BadCatalogue{"Empty", "", "expected [[cve]] entries"}),
    [](const ::testing::TestParamInfo<BadCatalogue>& info) {
      return std::string(info.param.name);
    });

TEST(CveCatalog, MissingFileIsNotFound) {
  auto catalog = load_cve_catalog("/nonexistent/cves.toml");
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error_kind(), ErrorKind::kNotFound);
  EXPECT_NE(catalog.error().find("/nonexistent/cves.toml"), std::string::npos);
}

}  // namespace
}  // namespace mitsu::intel

#include "intel/incidents.h"

#include <gtest/gtest.h>

namespace mitsu::intel {
namespace {

Peak peak(std::string series, std::int64_t day, double score, std::string cve = "") {
  Peak p;
  p.series = std::move(series);
  p.day = day;
  p.score = score;
  if (!cve.empty()) {
    CveEntry e;
    e.id = cve;
    e.published_day = day - 3;
    p.disclosures.push_back(e);
  }
  return p;
}

// Three waves seen in 4 + 5 + 1 series are three incidents, not ten peaks.
TEST(Incidents, PeaksOnTheSameOrAdjacentDaysAreOneIncident) {
  std::vector<Peak> peaks{peak("protocol=telnet", 100, 12, "CVE-2016-10401"),
                          peak("total", 100, 9),
                          peak("port=23", 101, 11, "CVE-2016-10401"),
                          peak("country=CN", 100, 15),
                          peak("protocol=ssh", 130, 10),
                          peak("total", 131, 8),
                          peak("country=US", 131, 9),
                          peak("port=22", 132, 9, "CVE-2099-1"),
                          peak("device_type=nas", 132, 8),
                          peak("country=BR", 170, 20)};
  std::vector<Incident> incidents = group_incidents(peaks);
  ASSERT_EQ(incidents.size(), 3u);
  EXPECT_EQ(incidents[0].first_day, 100);
  EXPECT_EQ(incidents[0].last_day, 101);
  EXPECT_EQ(incidents[0].lead.series, "total") << "the total leads even with a lower score";
  EXPECT_EQ(incidents[0].peaks.size(), 4u);
  EXPECT_EQ(incidents[0].peaks[1].series, "country=CN") << "then by score";
  ASSERT_EQ(incidents[0].disclosures.size(), 1u) << "each disclosure once";
  EXPECT_EQ(incidents[1].first_day, 130);
  EXPECT_EQ(incidents[1].last_day, 132);
  EXPECT_EQ(incidents[1].peaks.size(), 5u);
  EXPECT_EQ(incidents[2].lead.series, "country=BR") << "no total: the strongest leads";
  EXPECT_EQ(incidents[2].peaks.size(), 1u);
  EXPECT_TRUE(group_incidents({}).empty());
}

}  // namespace
}  // namespace mitsu::intel

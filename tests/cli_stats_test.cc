// `mitsu stats` and `mitsu report` as an analyst meets them (issue 22): simulated traffic, the
// real binary, and every figure checked against an independent count made with sqlite3 over the
// stored events.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

using testing::ProcessResult;
using testing::run_process;

class CliStatsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new testing::TempDir("cli-stats-test");
    ProcessResult r =
        mitsu({"simulate", "--from", "2026-01-01", "--days", "20", "--sessions-per-day", "300",
               "--seed", "7", "--peak", "2026-01-17:telnet:1.5", "--progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    simulate_log_ = new std::string(r.err);
  }
  static void TearDownTestSuite() {
    delete data_;
    delete simulate_log_;
  }

  static ProcessResult mitsu(std::vector<std::string> args) {
    args.insert(args.begin(), {MITSU_EXE, "--data-dir", data_->path().string()});
    return run_process(args);
  }

  // Sessions per protocol counted straight from the events table, not through the rollups. (Not
  // per country: countries need GeoIP data, protocols are always there.)
  static std::map<std::string, double> sessions_by_protocol() {
    ProcessResult r = run_process(
        {"sqlite3", "-readonly", (data_->path() / "mitsu.db").string(),
         "SELECT coalesce(protocol, ''), count(*) FROM events WHERE action = 'session.open' "
         "GROUP BY 1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, double> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      auto bar = line.find('|');
      out[line.substr(0, bar)] = std::stod(line.substr(bar + 1));
    }
    return out;
  }

  static double sum(const std::map<std::string, double>& counts) {
    double total = 0;
    for (const auto& [key, n] : counts) {
      total += n;
    }
    return total;
  }

  static testing::TempDir* data_;
  static std::string* simulate_log_;
};

testing::TempDir* CliStatsTest::data_ = nullptr;
std::string* CliStatsTest::simulate_log_ = nullptr;

TEST_F(CliStatsTest, TopSharesAreOfAllSessionsNotOfTheRowsShown) {
  std::map<std::string, double> truth = sessions_by_protocol();
  double total = sum(truth);
  ASSERT_GT(truth.size(), 3u);
  ASSERT_GT(total, 0);
  for (const char* n : {"1", "3", "100"}) {
    ProcessResult r = mitsu({"stats", "top", "--by", "protocol", "-n", n});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Rows look like "telnet   1234  21.3%".
    std::regex row(R"(^(\S+)\s+(\d+)\s+([0-9.]+)%\s*$)");
    std::istringstream lines(r.out);
    int rows = 0;
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (!std::regex_match(line, m, row)) {
        continue;
      }
      ++rows;
      std::string key = m[1] == "(unknown)" ? "" : m[1].str();
      ASSERT_TRUE(truth.count(key)) << line;
      EXPECT_EQ(std::stod(m[2]), truth[key]) << line;
      EXPECT_NEAR(std::stod(m[3]), 100 * truth[key] / total, 0.051) << "-n " << n << ": " << line;
    }
    EXPECT_EQ(rows, std::min<int>(std::stoi(n), static_cast<int>(truth.size()))) << r.out;
  }
}

TEST_F(CliStatsTest, ReportBarsShowSharesOfTheWhole) {
  std::map<std::string, double> truth = sessions_by_protocol();
  double total = sum(truth);
  ProcessResult r = mitsu({"report"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto chart = r.out.find(R"(aria-label="protocols")");
  ASSERT_NE(chart, std::string::npos);
  std::string svg = r.out.substr(chart, r.out.find("</section>", chart) - chart);
  // Each bar: <span class="bar-label">telnet</span> ... <span class="bar-value">1234 (21%)</span>
  std::regex bar(
      R"(<span class="bar-label">([^<]*)</span>.*?<span class="bar-value">(\d+) \((\d+)%\)</span>)");
  int bars = 0;
  for (std::sregex_iterator it(svg.begin(), svg.end(), bar), end; it != end; ++it, ++bars) {
    std::string key = (*it)[1] == "(unknown)" ? "" : (*it)[1].str();
    ASSERT_TRUE(truth.count(key)) << it->str();
    EXPECT_NEAR(std::stod((*it)[3]), 100 * truth[key] / total, 0.51) << it->str();
  }
  EXPECT_GT(bars, 3) << svg;
}

TEST_F(CliStatsTest, AFilterValueNothingCarriesIsNamedWithTheValuesThatExist) {
  std::map<std::string, double> truth = sessions_by_protocol();
  std::string top;
  for (const auto& [protocol, n] : truth) {
    if (top.empty() || n > truth[top]) {
      top = protocol;
    }
  }
  std::string upper = top;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  ProcessResult r = mitsu({"stats", "top", "--by", "port", "--filter", "protocol=" + upper});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("--filter protocol=" + upper +
                       ": no sessions in the range has that protocol (most common: " + top),
            std::string::npos)
      << r.err;
  ProcessResult ok = mitsu({"stats", "top", "--by", "port", "--filter", "protocol=" + top});
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.err.find("--filter"), std::string::npos) << ok.err;
  EXPECT_NE(ok.out.find('%'), std::string::npos) << ok.out;
}

// The injected telnet wave peaks in the total, in protocol=telnet, port=23 and more: one row.
TEST_F(CliStatsTest, PeaksAreListedOncePerIncident) {
  ProcessResult r = mitsu({"stats", "peaks"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  int rows = 0, wave = 0;
  std::string header;
  std::getline(lines, header);
  EXPECT_NE(header.find("also in"), std::string::npos) << header;
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" -") == std::string::npos) {
      continue;
    }
    ++rows;
    if (line.find("2026-01-17") != std::string::npos) {
      ++wave;
      EXPECT_NE(line.find("total"), std::string::npos) << line;
      EXPECT_NE(line.find("protocol=telnet"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(wave, 1) << r.out;
  EXPECT_EQ(rows, 1) << "nothing else peaked in 20 days of flat traffic:\n" << r.out;
  // No driver takes more than all of a peak.
  std::regex percent(R"((\d+)%)");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), percent), end; it != end; ++it) {
    EXPECT_LE(std::stoi((*it)[1]), 100) << r.out;
  }
}

// Without GeoIP data no AS is known: shown as such, not as AS "0".
TEST_F(CliStatsTest, UnknownAsnIsShownAsUnknown) {
  ProcessResult r = mitsu({"stats", "top", "--by", "asn"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::regex_search(r.out, std::regex(R"((^|\n)0\s)")), false) << r.out;
  ProcessResult unknown = run_process(
      {"sqlite3", "-readonly", (data_->path() / "mitsu.db").string(),
       "SELECT count(*) FROM events WHERE action = 'session.open' AND coalesce(asn, 0) = 0"});
  ASSERT_EQ(unknown.exit_code, 0) << unknown.err;
  if (std::stoi(unknown.out) > 0) {
    EXPECT_NE(r.out.find("(unknown)"), std::string::npos) << r.out;
  }
}

TEST_F(CliStatsTest, SimulateSuggestsCommandsThatWork) {
  std::regex suggestion(R"(`mitsu ([^`]*)`)");
  int tried = 0;
  for (std::sregex_iterator it(simulate_log_->begin(), simulate_log_->end(), suggestion), end;
       it != end; ++it, ++tried) {
    std::vector<std::string> args;
    std::istringstream words((*it)[1].str());
    for (std::string w; words >> w;) {
      args.push_back(w == "report.html" ? (data_->path() / "report.html").string() : w);
    }
    ProcessResult r = mitsu(args);
    EXPECT_EQ(r.exit_code, 0) << it->str() << "\n" << r.err;
  }
  EXPECT_EQ(tried, 2) << *simulate_log_;
}

// --json carries the same figures as the tables, typed: shares of the whole, every day's value,
// one incident for the wave.
TEST_F(CliStatsTest, JsonGivesTheSameFiguresAsTheTables) {
  std::map<std::string, double> truth = sessions_by_protocol();
  double total = sum(truth);
  auto top =
      nlohmann::json::parse(mitsu({"stats", "top", "--by", "protocol", "-n", "2", "--json"}).out);
  EXPECT_EQ(top["total"].get<double>(), total);
  ASSERT_EQ(top["rows"].size(), 2u);
  for (const auto& row : top["rows"]) {
    std::string key = row["key"];
    EXPECT_EQ(row["value"].get<double>(), truth[key]) << key;
    EXPECT_NEAR(row["share"].get<double>(), truth[key] / total, 1e-9) << key;
  }
  auto series = nlohmann::json::parse(mitsu({"stats", "series", "--by", "day", "--json"}).out);
  double summed = 0;
  for (const auto& v : series["series"]["total"]) {
    summed += v.get<double>();
  }
  EXPECT_EQ(series["series"]["total"].size(), 20u);
  EXPECT_EQ(summed, total);
  auto peaks = nlohmann::json::parse(mitsu({"stats", "peaks", "--json"}).out);
  ASSERT_EQ(peaks["incidents"].size(), 1u) << peaks.dump();
  EXPECT_EQ(peaks["incidents"][0]["first_day"], "2026-01-17");
  EXPECT_EQ(peaks["incidents"][0]["lead"]["series"], "total");
  auto malware = nlohmann::json::parse(mitsu({"stats", "malware", "--json"}).out);
  EXPECT_GT(malware["samples"].get<double>(), 0);
  EXPECT_FALSE(malware["family"]["rows"].empty()) << malware.dump();
}

// Long commands say how far they are: simulate while it generates and stores, rebuild per batch.
TEST_F(CliStatsTest, LongCommandsReportProgress) {
  std::string events = run_process({"sqlite3", "-readonly", (data_->path() / "mitsu.db").string(),
                                    "SELECT count(*) FROM events"})
                           .out;
  events.pop_back();
  EXPECT_NE(simulate_log_->find("simulate: 10000 events generated"), std::string::npos)
      << *simulate_log_;
  EXPECT_NE(simulate_log_->find("simulate: " + events + " of " + events + " events stored (100%)"),
            std::string::npos)
      << *simulate_log_;
  ProcessResult rebuilt = mitsu({"rollups", "rebuild", "--progress"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_NE(rebuilt.err.find("rebuild: " + events + " of " + events + " events (100%)"),
            std::string::npos)
      << rebuilt.err;
  // Without --progress and with stderr not a terminal: no progress lines at all.
  ProcessResult quiet = mitsu({"rollups", "rebuild"});
  EXPECT_EQ(quiet.err.find("rebuild: "), std::string::npos) << quiet.err;
}

// Autonomous systems are shown with the name the GeoIP data gives them, checked against the
// installed ASN table itself (scripts/install-geo.sh).
TEST_F(CliStatsTest, AutonomousSystemsAreShownWithTheirNames) {
  const std::string table = "/var/lib/mitsu/geo/asn-ipv4.csv";
  if (!std::filesystem::exists(table)) {
    if (const char* ci = std::getenv("CI"); ci != nullptr && std::string(ci) == "true") {
      FAIL() << table << " is missing: the test command installs it (scripts/install-geo.sh)";
    }
    GTEST_SKIP() << "no GeoIP data installed";
  }
  auto top = nlohmann::json::parse(mitsu({"stats", "top", "--by", "asn", "-n", "5", "--json"}).out);
  int named = 0;
  std::string first;
  for (const auto& row : top["rows"]) {
    std::string asn = row["key"];
    if (asn == "0") {
      continue;
    }
    // The table's rows are start,end,asn,organisation; an AS may have a name per range.
    ProcessResult grep = run_process({"grep", "-E", "^[^,]*,[^,]*," + asn + ",", table});
    ASSERT_EQ(grep.exit_code, 0) << asn;
    std::set<std::string> orgs;
    std::istringstream lines(grep.out);
    for (std::string line; std::getline(lines, line);) {
      std::string org = line.substr(line.find("," + asn + ",") + asn.size() + 2);
      if (!org.empty() && org.front() == '"') {
        org = org.substr(1, org.size() - 2);
      }
      orgs.insert(org);
    }
    EXPECT_TRUE(orgs.count(row["name"].get<std::string>())) << asn << ": " << row["name"];
    if (named == 0) {
      first = asn;
    }
    ++named;
  }
  EXPECT_GT(named, 0) << top.dump();
  ProcessResult text = mitsu({"stats", "top", "--by", "asn", "-n", "5"});
  EXPECT_NE(text.out.find("name"), std::string::npos) << text.out;
  ProcessResult html = mitsu({"report"});
  EXPECT_NE(html.out.find(">AS" + first + " "), std::string::npos) << first;
}

}  // namespace
}  // namespace mitsu

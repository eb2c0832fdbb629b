// The look-ups an analyst reaches for (issue 22) — `sample`, `session`, `sensors`, the total
// behind `events -n` — run as a user would over simulated traffic, each answer checked against
// an independent count made with sqlite3 over the stored events.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

using nlohmann::json;
using testing::ProcessResult;
using testing::run_process;

class CliLookupTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new testing::TempDir("cli-lookup-test");
    ProcessResult r = mitsu({"simulate", "--from", "2025-03-01", "--days", "3",
                             "--sessions-per-day", "200", "--seed", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete data_; }

  static ProcessResult mitsu(std::vector<std::string> args) {
    args.insert(args.begin(), {MITSU_EXE, "--data-dir", data_->path().string()});
    return run_process(args);
  }

  // One value from the events table, straight from SQLite.
  static std::string sql(const std::string& query) {
    ProcessResult r =
        run_process({"sqlite3", "-readonly", (data_->path() / "mitsu.db").string(), query});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }

  static testing::TempDir* data_;
};

testing::TempDir* CliLookupTest::data_ = nullptr;

TEST_F(CliLookupTest, EventsSayHowManyMatchBehindTheLimit) {
  ProcessResult all = mitsu({"events", "-n", "5"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(lines(all.out).size(), 5u);
  EXPECT_NE(all.err.find("5 of " + sql("SELECT count(*) FROM events") + " events"),
            std::string::npos)
      << all.err;
  ProcessResult logins = mitsu({"events", "--kind", "login.attempt", "-n", "3", "--json"});
  EXPECT_EQ(lines(logins.out).size(), 3u);
  EXPECT_NE(
      logins.err.find("3 of " + sql("SELECT count(*) FROM events WHERE action = 'login.attempt'") +
                      " events"),
      std::string::npos)
      << logins.err;
  // Not cut: just how many.
  ProcessResult few = mitsu({"events", "--kind", "login.attempt", "-n", "1000000"});
  EXPECT_NE(
      few.err.find(sql("SELECT count(*) FROM events WHERE action = 'login.attempt'") + " events\n"),
      std::string::npos)
      << few.err;
  EXPECT_EQ(few.err.find(" of "), std::string::npos) << few.err;
}

TEST_F(CliLookupTest, SessionIsATranscriptInTimeOrder) {
  // The session with the most events (a login, commands, a download).
  std::string id =
      sql("SELECT session_id FROM events WHERE session_id IS NOT NULL GROUP BY 1 "
          "ORDER BY count(*) DESC, 1 LIMIT 1");
  std::string n = sql("SELECT count(*) FROM events WHERE session_id = '" + id + "'");
  ASSERT_GT(std::stoi(n), 3);
  ProcessResult text = mitsu({"session", id});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("session     " + id), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("attacker    " +
                          sql("SELECT src_ip FROM events WHERE session_id = '" + id + "' LIMIT 1")),
            std::string::npos)
      << text.out;
  std::vector<std::string> events;
  bool in_transcript = false;
  for (const std::string& line : lines(text.out)) {
    if (in_transcript) {
      events.push_back(line.substr(2, 27));  // the timestamp
    }
    in_transcript |= line == "transcript";
  }
  ASSERT_EQ(std::to_string(events.size()), n) << text.out;
  EXPECT_TRUE(std::is_sorted(events.begin(), events.end())) << text.out;
  EXPECT_LT(text.out.find("session.open"), text.out.find("login.attempt")) << text.out;

  ProcessResult as_json = mitsu({"session", id, "--json", "-n", "2"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json doc = json::parse(as_json.out);
  EXPECT_EQ(doc["id"], id);
  EXPECT_EQ(doc["events"].size(), 2u);
  EXPECT_EQ(std::to_string(doc["events_total"].get<int>()), n);
  EXPECT_EQ(std::to_string(doc["counts"]["events"].get<int>()), n);
  EXPECT_EQ(doc["events"][0]["event"]["action"], "session.open");

  ProcessResult cut = mitsu({"session", id, "-n", "2"});
  EXPECT_NE(cut.out.find("2 of " + n + " events shown"), std::string::npos) << cut.out;
  ProcessResult missing = mitsu({"session", "no-such-session"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no session 'no-such-session' is stored"), std::string::npos)
      << missing.err;
}

TEST_F(CliLookupTest, SampleShowsItsVerdictJobsAndEverySighting) {
  // Read from the stored JSON itself, not from the column the store derives from it.
  std::string sha256 =
      sql("SELECT json_extract(body, '$.file.hash.sha256') AS h FROM events WHERE h IS NOT NULL "
          "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1");
  ASSERT_EQ(sha256.size(), 64u);
  std::string n =
      sql("SELECT count(*) FROM events WHERE json_extract(body, '$.file.hash.sha256') = '" +
          sha256 + "'");
  ProcessResult as_json = mitsu({"sample", sha256, "--json", "-n", "1"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json doc = json::parse(as_json.out);
  EXPECT_EQ(doc["sha256"], sha256);
  EXPECT_EQ(std::to_string(doc["seen_in_total"].get<int>()), n);
  EXPECT_EQ(doc["seen_in"].size(), 1u);
  EXPECT_EQ(doc["seen_in"][0]["file"]["hash"]["sha256"], sha256);
  ASSERT_TRUE(doc["verdict"].is_object()) << as_json.out;
  EXPECT_FALSE(doc["jobs"].empty());

  ProcessResult text = mitsu({"sample", sha256.substr(0, 10) + std::string(54, '0')});
  EXPECT_EQ(text.exit_code, 1) << "a hash nobody captured";
  EXPECT_NE(text.err.find("no sample"), std::string::npos) << text.err;
  ProcessResult shown = mitsu({"sample", sha256});
  EXPECT_NE(shown.out.find("family      " + doc["verdict"]["family"]["name"].get<std::string>()),
            std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("static   done"), std::string::npos) << shown.out;
  ProcessResult bad = mitsu({"sample", "d41d8cd98f00b204e9800998ecf8427e"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("is not a SHA-256"), std::string::npos) << bad.err;
}

TEST_F(CliLookupTest, SensorsListEachSensorWithItsEvents) {
  ProcessResult as_json = mitsu({"sensors", "--json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json doc = json::parse(as_json.out);
  ASSERT_EQ(std::to_string(doc.size()), sql("SELECT count(DISTINCT sensor) FROM events"));
  ProcessResult text = mitsu({"sensors"});
  for (const json& s : doc) {
    std::string id = s["id"];
    EXPECT_EQ(std::to_string(s["events"].get<int>()),
              sql("SELECT count(*) FROM events WHERE sensor = '" + id + "'"));
    EXPECT_EQ(s["last_event"],
              sql("SELECT strftime('%Y-%m-%dT%H:%M:%S', max(ts_us) / 1e6, 'unixepoch') || "
                  "printf('.%06dZ', max(ts_us) % 1000000) FROM events WHERE sensor = '" +
                  id + "'"));
    EXPECT_NE(text.out.find(id), std::string::npos) << text.out;
  }
}

TEST_F(CliLookupTest, LookupsInAMistypedDataDirectorySaySoAndCreateNothing) {
  testing::TempDir empty("cli-lookup-empty");
  std::string missing = (empty.path() / "typo").string();
  for (std::vector<std::string> args : {std::vector<std::string>{"sample", std::string(64, 'a')},
                                        {"session", "x"},
                                        {"sensors"},
                                        {"quarantine"},
                                        {"known", "list"}}) {
    args.insert(args.begin(), {MITSU_EXE, "--data-dir", missing});
    ProcessResult r = run_process(args);
    EXPECT_EQ(r.exit_code, 1) << args[3];
    EXPECT_NE(r.err.find("no store at " + missing), std::string::npos) << args[3] << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(missing)) << args[3];
  }
}

}  // namespace
}  // namespace mitsu

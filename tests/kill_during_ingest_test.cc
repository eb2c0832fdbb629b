// The acceptance fault test: a child ingests many events and is killed with SIGKILL at a random
// moment. After a restart, every event the spool had accepted is in the store exactly once.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>
#include <fstream>
#include <random>
#include <thread>
#include <unordered_set>

#include "core/uuid.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

std::size_t event_count() {
  const char* value = std::getenv("MITSU_FAULT_EVENTS");
  return value != nullptr ? std::stoul(value) : 1'000'000;
}

// Writes n schema-valid events quickly (a template, not a JSON library) and returns their ids.
std::vector<std::string> write_events(const std::string& path, std::size_t n) {
  Uuid7Generator ids;
  std::vector<std::string> out;
  out.reserve(n);
  std::ofstream file(path);
  std::string session;
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t ms = 1'793'491'200'000 + static_cast<std::int64_t>(i / 10);
    if (i % 5 == 0) {
      session = ids.next_at(ms).to_string();
    }
    out.push_back(ids.next_at(ms).to_string());
    file << fmt::format(
        R"({{"@timestamp":"2026-11-01T00:{:02}:{:02}.{:03}000Z","mitsu":{{"schema":1,)"
        R"("session":{{"id":"{}"}},"persona":{{"device_type":"camera","vendor":"Acme",)"
        R"("model":"IPC-2000"}}}},"event":{{"id":"{}","action":"command"}},)"
        R"("observer":{{"name":"fault-sensor","geo":{{"name":"lab"}}}},)"
        R"("network":{{"protocol":"telnet"}},"source":{{"ip":"192.0.2.{}","port":{}}},)"
        R"("destination":{{"port":23}},"process":{{"command_line":"echo {}"}}}})"
        "\n",
        (ms / 60000) % 60, (ms / 1000) % 60, ms % 1000, session, out.back(), i % 256,
        1024 + i % 60000, i);
  }
  return out;
}

TEST(FaultTest, SigkillDuringIngestLosesNoAcceptedEventAndStoresNoneTwice) {
  testing::TempDir dir("fault-test");
  const std::size_t n = event_count();
  std::string input = (dir / "events.jsonl").string();
  std::vector<std::string> ids = write_events(input, n);

  std::random_device seed;
  std::mt19937_64 random(seed());
  std::uint64_t kill_after = n / 10 + random() % (n * 8 / 10);  // somewhere in the middle
  auto extra_delay = std::chrono::microseconds(random() % 20'000);
  std::cout << "kill after " << kill_after << " accepted + " << extra_delay.count() << " us\n";

  std::string data = (dir / "data").string();
  std::uint64_t accepted = 0;
  {
    testing::ChildProcess child({MITSU_EXE, "--data-dir", data, "--log-level", "warn", "ingest",
                                 "--progress", "--batch", "997", input});
    std::string line;
    while (child.read_line(line)) {
      std::uint64_t value = 0;
      if (std::sscanf(line.c_str(), "accepted %lu", &value) == 1) {
        accepted = value;
      }
      if (accepted >= kill_after) {
        std::this_thread::sleep_for(extra_delay);
        child.send_signal(SIGKILL);
        break;
      }
    }
    testing::ProcessResult killed = child.wait();
    // Lines printed between our read and the kill were accepted too.
    for (std::size_t pos = 0; (pos = killed.out.find("accepted ", pos)) != std::string::npos;
         ++pos) {
      accepted = std::max<std::uint64_t>(accepted, std::stoull(killed.out.substr(pos + 9)));
    }
    ASSERT_EQ(killed.signal, SIGKILL) << "the child finished before the kill: " << killed.err;
  }
  ASSERT_GT(accepted, 0u);
  ASSERT_LT(accepted, n);

  testing::ProcessResult restart =
      testing::run_process({MITSU_EXE, "--data-dir", data, "run", "--once"});
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  std::cout << restart.err;

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((data + "/mitsu.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id FROM events", -1, &stmt, nullptr), SQLITE_OK);
  std::unordered_set<std::string> stored;
  std::size_t rows = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    stored.insert(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    ++rows;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  EXPECT_EQ(rows, stored.size()) << "an event is stored twice";
  std::size_t missing = 0;
  for (std::size_t i = 0; i < accepted; ++i) {
    missing += stored.count(ids[i]) == 0;
  }
  EXPECT_EQ(missing, 0u) << "accepted events lost";
  std::unordered_set<std::string> known(ids.begin(), ids.end());
  std::size_t phantom = 0;
  for (const std::string& id : stored) {
    phantom += known.count(id) == 0;
  }
  EXPECT_EQ(phantom, 0u);
  // Events appended after the last progress line may be stored too, but only in input order.
  EXPECT_GE(stored.size(), accepted);
  for (std::size_t i = stored.size(); i < n; ++i) {
    ASSERT_EQ(stored.count(ids[i]), 0u) << "stored an event that was never appended: " << i;
  }
  std::cout << fmt::format("{} events, killed after {} accepted; store holds {} exactly once\n", n,
                           accepted, stored.size());
}

}  // namespace
}  // namespace mitsu

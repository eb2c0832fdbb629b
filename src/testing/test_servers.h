#pragma once
// The servers tests share (tests/CMakeLists.txt starts them as ctest fixtures): where to reach
// them, and a fresh namespace in each so tests never see each other's rows.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

namespace mitsu::testing {

// The test PostgreSQL server's libpq connection string: $MITSU_TEST_PG_DSN, else the file the
// ctest fixture "postgres" wrote (MITSU_TEST_PG_DSN_FILE, a compile definition of tests that use
// it); empty when there is neither.
inline std::string test_pg_dsn() {
  if (const char* dsn = std::getenv("MITSU_TEST_PG_DSN"); dsn != nullptr && *dsn != 0) {
    return dsn;
  }
#ifdef MITSU_TEST_PG_DSN_FILE
  std::ifstream in(MITSU_TEST_PG_DSN_FILE);
  std::string dsn;
  std::getline(in, dsn);
  return dsn;
#else
  return {};
#endif
}

// A schema name no other test (or earlier run against the same server) uses.
inline std::string unique_pg_schema() {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(std::time(nullptr)) + "_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter++);
}

}  // namespace mitsu::testing

#include "core/result.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <vector>

#include "core/file_io.h"

namespace mitsu {
namespace {

Result<int> parse_port(int value) {
  if (value < 0 || value > 65535) {
    return Error::invalid("port out of range");
  }
  return value;
}

// Passing an error on keeps its category, so the API answers 400 for a bad port even three
// calls away from where it was found.
Status open_listener(int port) {
  auto parsed = parse_port(port);
  if (!parsed) {
    return parsed.failure().context("listener: ");
  }
  return {};
}

TEST(Result, ErrorsWithoutACategoryAreInternal) {
  Result<int> r = Error{"boom"};
  EXPECT_EQ(r.error_kind(), ErrorKind::kInternal);
  EXPECT_EQ(to_string(r.error_kind()), "internal");
}

TEST(Result, CategoryTravelsThroughStatusAndContext) {
  Status s = open_listener(70000);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "listener: port out of range");
  EXPECT_EQ(s.error_kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(open_listener(23));
}

TEST(Result, EveryCategoryHasAName) {
  EXPECT_EQ(to_string(Error::not_found("x").kind), "not found");
  EXPECT_EQ(to_string(Error::conflict("x").kind), "conflict");
  EXPECT_EQ(to_string(Error::unavailable("x").kind), "unavailable");
  EXPECT_EQ(to_string(Error::invalid("x").kind), "invalid input");
}

TEST(Result, FileErrorsSayWhetherTheFileIsMissing) {
  std::vector<std::byte> out;
  Status missing = read_file_into("/nonexistent/mitsu/file", 1024, out);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error_kind(), ErrorKind::kNotFound) << missing.error();
  // A directory read as a file is an I/O failure, not a missing file.
  Status directory = read_file_into(std::filesystem::temp_directory_path(), 1 << 20, out);
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error_kind(), ErrorKind::kUnavailable) << directory.error();
  // A file over the cap is refused as the caller's input.
  Status large = read_file_into("/proc/self/exe", 16, out);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error_kind(), ErrorKind::kInvalidInput) << large.error();
}

}  // namespace
}  // namespace mitsu
